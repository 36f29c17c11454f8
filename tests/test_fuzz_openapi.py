"""Property-based fuzzing of every service's committed OpenAPI contract (schemathesis).

For each operation schemathesis generates schema-valid (positive) and schema-violating (negative)
requests; each is sent in-process to the real app on the real test database with a token that
holds every role at national level (so the fuzzer gets past auth and into the code). Checks:

- no 5xx, ever (`not_a_server_error`);
- every response is declared by the contract: status code, content type (errors are
  `application/problem+json`), body schema and headers;
- schema-violating requests are refused (4xx), unless the violation is one a server may ignore.

`positive_data_acceptance` is left out on purpose: business rules (division codes that exist,
dates inside a calendar, weights that add up) are stricter than any JSON Schema can say, so a
schema-valid request is often rightly a 422/409. Stateful checks are left to the workflow tests.

Bounded: `JIUZHU_FUZZ_EXAMPLES` (default 8) examples per operation and mode, derandomized, no
shrinking, no example database: the same inputs on every run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi import checks as oas

from tests.fuzzing import (
    CONTRACTOR_ORG,
    NATIONAL,
    ROLES,
    SERVICE_NAMES,
    SERVICES,
    fuzz_cases,
    make_app,
    operations,
)

EXAMPLES = int(os.environ.get("JIUZHU_FUZZ_EXAMPLES", "8"))
CONFORMANCE = [
    oas.status_code_conformance,
    oas.content_type_conformance,
    oas.response_schema_conformance,
    oas.response_headers_conformance,
    oas.negative_data_rejection,
]
CHECKS = [not_a_server_error, *CONFORMANCE]
SCHEMAS = {s.name: schemathesis.openapi.from_path(s.openapi_path) for s in SERVICES}


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

    def report(self, pred: Callable[[Found], bool]) -> str:
        seen: dict[tuple[str, int], Found] = {}
        for f in self.found:
            if pred(f):
                seen.setdefault((f.check, f.status), f)
        return "\n\n".join(
            f"[{f.mode}] {f.check} → {f.status}\n{f.message}\n{f.reproduce}" for f in seen.values()
        )


def _fuzz(service: str, method: str, path: str, app: FastAPI, token: str) -> Outcome:
    schema = SCHEMAS[service]
    op = schema[path][method]
    out = Outcome()

    def check(case: Any, mode: Any) -> None:
        # The token goes on every case except those whose point is a missing/bad credential.
        if not schema.is_security_param_negated(case):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
        response = case.call(app=app)
        out.requests += 1
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

    fuzz_cases(op, EXAMPLES, check)
    return out


_RESULTS: dict[str, dict[str, Outcome]] = {}


@pytest.fixture(scope="module")
def fuzz_apps(database_url: str) -> Iterator[dict[str, FastAPI]]:
    from schemathesis.python.asgi import shutdown_lifespans

    apps = {s.name: make_app(s.name, database_url) for s in SERVICES}
    try:
        yield apps
    finally:
        shutdown_lifespans()  # dispose the engines schemathesis' ASGI transport started


@pytest.fixture(scope="module")
def fuzz_token(token: Callable[..., str]) -> str:
    return token(list(ROLES), NATIONAL, sub="fuzzer", org=CONTRACTOR_ORG)


def _outcomes(service: str, apps: dict[str, FastAPI], tok: str) -> dict[str, Outcome]:
    """Every operation of the service, fuzzed once per run (both tests read the same outcomes).
    One test per service, not per operation: per-test database cleaning would double the time."""
    if service not in _RESULTS:
        _RESULTS[service] = {
            f"{method} {path}": _fuzz(service, method, path, apps[service], tok)
            for method, path in operations(service)
        }
    return _RESULTS[service]


def _report(outcomes: dict[str, Outcome], pred: Callable[[Found], bool]) -> str:
    return "\n\n".join(
        f"== {label}\n{out.report(pred)}"
        for label, out in outcomes.items()
        if any(pred(f) for f in out.found)
    )


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_no_server_error(service: str, fuzz_apps: dict[str, FastAPI], fuzz_token: str) -> None:
    outcomes = _outcomes(service, fuzz_apps, fuzz_token)
    assert outcomes, f"{service}: no operations in its contract"
    for label, out in outcomes.items():
        assert out.requests > 0, label
        assert set(out.statuses) - {401, 403}, f"{label}: the fuzzer never got past auth: {out.statuses}"
    assert not any(f.status >= 500 for o in outcomes.values() for f in o.found), _report(
        outcomes, lambda f: f.status >= 500
    )


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_responses_conform_to_contract(service: str, fuzz_apps: dict[str, FastAPI], fuzz_token: str) -> None:
    outcomes = _outcomes(service, fuzz_apps, fuzz_token)
    assert not any(f.status < 500 for o in outcomes.values() for f in o.found), _report(
        outcomes, lambda f: f.status < 500
    )
