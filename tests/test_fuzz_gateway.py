"""Property-based fuzzing of the gateway's merged OpenAPI against the real processes (live_stack).

The gateway serves one contract built from the services' own (plus its admin API). Every
operation in it is fuzzed over real HTTP through the gateway with a token holding every role at
national level: no 5xx may come back (a 502/503/504 here would mean the proxy, not the caller,
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
import schemathesis

from jiuzhu_devtools.testing import LiveStack
from tests.fuzzing import CONTRACTOR_ORG, NATIONAL, ROLES, fuzz_cases

EXAMPLES = int(os.environ.get("JIUZHU_GATEWAY_FUZZ_EXAMPLES", "3"))


def _merged(base: str) -> dict[str, Any]:
    """The merged contract once every service's part has been fetched."""
    deadline = time.monotonic() + 30
    while True:
        doc: dict[str, Any] = httpx.get(f"{base}/openapi.json", timeout=10).json()
        if not doc.get("x-jiuzhu-missing") or time.monotonic() > deadline:
            return doc
        time.sleep(0.5)


def test_gateway_never_answers_5xx(live_stack: LiveStack, token: Callable[..., str]) -> None:
    doc = _merged(live_stack.gateway)
    assert not doc.get("x-jiuzhu-missing"), doc.get("x-jiuzhu-missing")
    schema = schemathesis.openapi.from_dict(doc)
    bearer = f"Bearer {token(list(ROLES), NATIONAL, sub='gateway-fuzzer', org=CONTRACTOR_ORG)}"
    server_errors: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        op = result.ok()
        operations += 1

        def check(case: Any, mode: Any, op: Any = op) -> None:
            if not schema.is_security_param_negated(case):
                case.headers = {**(case.headers or {}), "Authorization": bearer}
            r = case.call(base_url=live_stack.gateway, timeout=30)
            if r.status_code >= 500:
                server_errors.append(
                    f"{op.label} [{mode.value}] → {r.status_code} {r.text[:200]}\n{case.as_curl_command()[:600]}"
                )

        fuzz_cases(op, EXAMPLES, check)
    assert operations > 100, f"only {operations} operations in the merged contract"
    assert not server_errors, "\n\n".join(server_errors)
