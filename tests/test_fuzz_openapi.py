"""Property-based fuzzing of every service's committed OpenAPI contract (schemathesis).

First a world of real records is created through the gateway (`tests/fuzzing/fuzz_world.py`). For each
operation its explicit valid example (`tests/fuzzing/examples.py`: who sends it, path parameters
naming those records, query, body) is sent first; then schemathesis generates schema-valid
(positive) cases that start from the example (`tests/fuzzing/around.py`) and schema-violating
(negative) ones. Each is sent in-process to the real app on the real test database with a token
of the operation's role in the records' county (the peers are the live stack's processes). Checks:

- no 5xx, ever (`not_a_server_error`);
- every response is declared by the contract: status code, content type (errors are
  `application/problem+json`), body schema and headers;
- schema-violating requests are refused (4xx), unless the violation is one a server may ignore.

`positive_data_acceptance` is left out on purpose: business rules (division codes that exist,
dates inside a calendar, weights that add up) are stricter than any JSON Schema can say, so a
schema-valid request is often rightly a 422/409. What the examples must achieve instead: at least
`REACHED` of each service's operations answer a 2xx at least once (printed at the end of the run).

Bounded: `JIUZHU_FUZZ_EXAMPLES` (default 6) generated examples per operation and mode, derandomized,
no shrinking, no example database: the same inputs on every run.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis  # a dev dependency: a broken install fails the run, never skips it
from fastapi import FastAPI
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi import checks as oas

from jiuzhu_devtools.testing import TEST_SECRET, LiveStack, truncate_all
from jiuzhu_kit.settings import KitSettings
from tests.fuzzing import SERVICE_NAMES, SERVICES, SUMMARY, fuzz_cases, make_app, operations, spec
from tests.fuzzing.around import positive_strategy_kwargs
from tests.fuzzing.examples import Example, examples, role_for
from tests.fuzzing.fuzz_world import World, build

# The module fixture fuzzes every operation of every service (≈170 operations, explicit example
# plus generated cases each): on a loaded 2-core machine that is more than the suite's 300 s per test.
pytestmark = pytest.mark.timeout(1500)
EXAMPLES = int(os.environ.get("JIUZHU_FUZZ_EXAMPLES", "6"))
REACHED = 0.8  # share of a service's operations that must reach a 2xx
CONFORMANCE = [
    oas.status_code_conformance,
    oas.content_type_conformance,
    oas.response_schema_conformance,
    oas.response_headers_conformance,
    oas.negative_data_rejection,
]
CHECKS = [not_a_server_error, *CONFORMANCE]
# The service is called in-process at its own root, not through the gateway the contract's
# `servers` names (`/api/<service>`): the fuzzer reads the contract without them.
SCHEMAS = {
    s.name: schemathesis.openapi.from_dict({k: v for k, v in spec(s.name).items() if k != "servers"})
    for s in SERVICES
}


@dataclass
class Found:
    check: str
    status: int
    mode: str
    message: str
    reproduce: str


@dataclass
class Outcome:
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    found: list[Found] = field(default_factory=list)
    example: int = 0  # the explicit example's status

    @property
    def reached(self) -> bool:
        return any(200 <= s < 300 for s in self.statuses)

    def report(self, pred: Callable[[Found], bool]) -> str:
        seen: dict[tuple[str, int], Found] = {}
        for f in self.found:
            if pred(f):
                seen.setdefault((f.check, f.status), f)
        return "\n\n".join(
            f"[{f.mode}] {f.check} → {f.status}\n{f.message}\n{f.reproduce}" for f in seen.values()
        )


def _fuzz(service: str, method: str, path: str, app: FastAPI, ex: Example, bearer: str) -> Outcome:
    schema = SCHEMAS[service]
    op = schema[path][method]
    out = Outcome()

    def check(case: Any, mode: Any) -> None:
        # The token goes on every case except those whose point is a missing/bad credential.
        if not schema.is_security_param_negated(case):
            case.headers = {**(case.headers or {}), "Authorization": bearer}
        response = case.call(app=app)
        out.requests += 1
        out.example = out.example or response.status_code
        out.statuses[response.status_code] = out.statuses.get(response.status_code, 0) + 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (FailureGroup, Failure) as exc:
            failures = exc.exceptions if isinstance(exc, FailureGroup) else (exc,)
            for f in failures:
                out.found.append(
                    Found(
                        check=type(f).__name__,
                        status=response.status_code,
                        mode=mode.value,
                        message=str(f.title) + ": " + str(f.message)[:600],
                        reproduce=case.as_curl_command()[:800],
                    )
                )

    from schemathesis import GenerationMode

    explicit: dict[str, Any] = {"path_parameters": ex.path, "query": ex.query}
    if ex.body is not None:
        explicit |= {"body": ex.body, "media_type": "application/json"}
    check(op.Case(**explicit), GenerationMode.POSITIVE)
    fuzz_cases(op, EXAMPLES, check, positive_strategy_kwargs(ex))
    return out


Results = dict[str, dict[str, Outcome]]


@pytest.fixture(scope="module")
def fuzz_results(database_url: str, live_stack: LiveStack, token: Callable[..., str]) -> Iterator[Results]:
    """Every operation of every service fuzzed once, on a world built for it; the tests read the
    outcomes. Done here, not per test: the per-test database cleaning would remove the world."""
    from schemathesis.python.asgi import shutdown_lifespans

    asyncio.run(truncate_all(database_url))
    world = build(live_stack.gateway, KitSettings(JWT_SECRET=TEST_SECRET, DATABASE_URL=""))
    peers = {f"{s.upper()}_SERVICE_URL": live_stack.url(s) for s in live_stack.ports}
    results: Results = {}
    try:
        for s in SERVICES:
            app = make_app(s.name, database_url, **peers)
            results[s.name] = _fuzz_service(s.name, app, world, token)
            SUMMARY.append(_summary(s.name, results[s.name]))
        yield results
    finally:
        shutdown_lifespans()  # dispose the engines schemathesis' ASGI transport started


def _fuzz_service(service: str, app: FastAPI, world: World, token: Callable[..., str]) -> dict[str, Outcome]:
    table = examples(service, world)
    out = {}
    for method, path in operations(service):
        label = f"{method} {path}"
        ex = table.get(label, Example())
        role = role_for(service, label, ex)
        org = ex.org or (world.contractors["A"] if role == "contractor" else None)
        bearer = f"Bearer {token(role, ex.div, sub=f'fuzzer-{role}', org=org)}"
        out[label] = _fuzz(service, method, path, app, ex, bearer)
    return out


def _summary(service: str, outcomes: dict[str, Outcome]) -> str:
    reached = sum(o.reached for o in outcomes.values())
    created = sum(o.statuses.get(201, 0) for o in outcomes.values())
    missed = [f"{label} (example → {o.example})" for label, o in outcomes.items() if not o.reached]
    line = f"fuzz {service}: {reached}/{len(outcomes)} operations reached a 2xx, {created} × 201"
    return line + "".join(f"\n    never 2xx: {m}" for m in missed)


def _report(outcomes: dict[str, Outcome], pred: Callable[[Found], bool]) -> str:
    return "\n\n".join(
        f"== {label}\n{out.report(pred)}"
        for label, out in outcomes.items()
        if any(pred(f) for f in out.found)
    )


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_no_server_error(service: str, fuzz_results: Results) -> None:
    outcomes = fuzz_results[service]
    assert outcomes, f"{service}: no operations in its contract"
    for label, out in outcomes.items():
        assert out.requests > 0, label
        assert set(out.statuses) - {401, 403}, f"{label}: the fuzzer never got past auth: {out.statuses}"
    assert not any(f.status >= 500 for o in outcomes.values() for f in o.found), _report(
        outcomes, lambda f: f.status >= 500
    )


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_responses_conform_to_contract(service: str, fuzz_results: Results) -> None:
    outcomes = fuzz_results[service]
    assert not any(f.status < 500 for o in outcomes.values() for f in o.found), _report(
        outcomes, lambda f: f.status < 500
    )


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_most_operations_reach_their_success_path(service: str, fuzz_results: Results) -> None:
    """The examples keep the fuzzer past "no such record" and the business rules: a fuzz run that
    only ever sees 4xx proves little about the code behind them."""
    outcomes = fuzz_results[service]
    reached = sum(o.reached for o in outcomes.values())
    assert reached >= REACHED * len(outcomes), _summary(service, outcomes)
    if any(
        "201" in op.get("responses", {})
        for ops in SCHEMAS[service].raw_schema["paths"].values()
        for op in ops.values()
    ):
        assert any(o.statuses.get(201) for o in outcomes.values()), _summary(service, outcomes)
