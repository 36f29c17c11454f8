"""Property-based fuzzing of the gateway's merged OpenAPI against the real processes (live_stack).

The gateway serves one contract built from the services' own (plus its admin API). Every
operation in it is fuzzed over real HTTP through the gateway, on the fuzzer's world of records
(tests/fuzzing/fuzz_world.py): a service operation's explicit example goes first and the schema-valid
cases start from it, with a token of the example's role; the gateway's own operations get a token
holding every role at national level. No 5xx may come back (a 502/503/504 here would mean the proxy, not the caller,
failed). Contract conformance is checked per service in test_fuzz_openapi.py; through the gateway
the statuses it adds itself (429 rate limits) are not in the services' contracts, so only server
errors are asserted here. Bounded: `JIUZHU_GATEWAY_FUZZ_EXAMPLES` (default 3) per operation and mode.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import httpx
import schemathesis  # a dev dependency: a broken install fails the run, never skips it

from jiuzhu_devtools.testing import TEST_SECRET, LiveStack
from jiuzhu_kit.settings import KitSettings
from tests.fuzzing import BY_NAME, CONTRACTOR_ORG, NATIONAL, ROLES, SUMMARY, fuzz_cases
from tests.fuzzing.around import positive_strategy_kwargs
from tests.fuzzing.examples import Example, examples, role_for
from tests.fuzzing.fuzz_world import World, build

EXAMPLES = int(os.environ.get("JIUZHU_GATEWAY_FUZZ_EXAMPLES", "3"))


def _merged(base: str) -> dict[str, Any]:
    """The merged contract once every service's part has been fetched."""
    deadline = time.monotonic() + 30
    while True:
        doc: dict[str, Any] = httpx.get(f"{base}/openapi.json", timeout=10).json()
        if not doc.get("x-jiuzhu-missing") or time.monotonic() > deadline:
            return doc
        time.sleep(0.5)


def _service_op(path: str) -> tuple[str, str] | None:
    """(service, its own path) of a merged path: /api/<service>/x → /x, /api/public/<service>/x → /public/x."""
    parts = path.split("/", 4)  # "", "api", service or "public", ...
    if len(parts) > 3 and parts[2] == "public" and parts[3] in BY_NAME:
        return parts[3], "/public" + ("/" + parts[4] if len(parts) > 4 else "")
    if len(parts) > 2 and parts[2] in BY_NAME:
        return parts[2], "/" + "/".join(parts[3:])
    return None


def _example(world: World, method: str, path: str, token: Callable[..., str]) -> tuple[Example | None, str]:
    """The service operation's example (None for the gateway's own) and the bearer to send it with."""
    own = _service_op(path)
    if own is None:
        return None, token(list(ROLES), NATIONAL, sub="gateway-fuzzer", org=CONTRACTOR_ORG)
    service, local = own
    label = f"{method} {local}"
    ex = examples(service, world).get(label, Example())
    role = role_for(service, label, ex)
    org = ex.org or (world.contractors["A"] if role == "contractor" else None)
    return ex, token(role, ex.div, sub=f"gateway-fuzzer-{role}", org=org)


def test_gateway_never_answers_5xx(live_stack: LiveStack, token: Callable[..., str]) -> None:
    doc = _merged(live_stack.gateway)
    assert not doc.get("x-jiuzhu-missing"), doc.get("x-jiuzhu-missing")
    schema = schemathesis.openapi.from_dict(doc)
    world = build(live_stack.gateway, KitSettings(JWT_SECRET=TEST_SECRET, DATABASE_URL=""))
    server_errors: list[str] = []
    operations = reached = 0
    for result in schema.get_all_operations():
        op = result.ok()
        operations += 1
        ex, tok = _example(world, op.method.upper(), op.path, token)
        bearer = f"Bearer {tok}"
        statuses: set[int] = set()

        def check(
            case: Any, mode: Any, op: Any = op, bearer: str = bearer, statuses: set[int] = statuses
        ) -> None:
            if not schema.is_security_param_negated(case):
                case.headers = {**(case.headers or {}), "Authorization": bearer}
            r = case.call(base_url=live_stack.gateway, timeout=30)
            statuses.add(r.status_code)
            if r.status_code >= 500:
                server_errors.append(
                    f"{op.label} [{mode.value}] → {r.status_code} {r.text[:200]}\n{case.as_curl_command()[:600]}"
                )

        positive = None
        if ex is not None:
            from schemathesis import GenerationMode

            explicit: dict[str, Any] = {"path_parameters": ex.path, "query": ex.query}
            if ex.body is not None:
                explicit |= {"body": ex.body, "media_type": "application/json"}
            check(op.Case(**explicit), GenerationMode.POSITIVE)
            positive = positive_strategy_kwargs(ex)
        fuzz_cases(op, EXAMPLES, check, positive)
        reached += any(200 <= s < 300 for s in statuses)
    SUMMARY.append(f"fuzz gateway: {reached}/{operations} operations reached a 2xx")
    assert operations > 100, f"only {operations} operations in the merged contract"
    assert not server_errors, "\n\n".join(server_errors)
    assert reached >= 0.8 * operations, f"only {reached}/{operations} operations reached a 2xx"
