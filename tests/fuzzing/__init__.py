"""Shared pieces of the fuzz, hostile-input and authorization-matrix tests.

Every service whose `openapi.json` exists is covered; the contract files are read, never a
hand-written list of endpoints. Apps run in-process on the test database (`make_app`), or as
real processes through the gateway (`live_stack`).
"""

from __future__ import annotations

import importlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import asyncpg
from fastapi import FastAPI

from jiuzhu_devtools.services import SERVICES as PROCESSES
from jiuzhu_devtools.testing import TEST_SECRET, asyncpg_dsn

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("admin", "bureau", "township", "finance", "auditor", "contractor", "evaluator", "portal")
NATIONAL = "000000"
SUMMARY: list[str] = []  # the fuzzers' reach, printed at the end of the run (tests/conftest.py)
CONTRACTOR_ORG = "91640181MA7F3K2P1X"


@dataclass(frozen=True)
class Service:
    name: str  # as in the gateway prefix /api/<name>/
    directory: str
    package: str

    @property
    def openapi_path(self) -> Path:
        return ROOT / self.directory / "openapi.json"


SERVICES = tuple(
    s
    for s in (Service(spec.schema, spec.directory, spec.package) for spec in PROCESSES)
    if (ROOT / s.directory / "openapi.json").exists()
)
BY_NAME = {s.name: s for s in SERVICES}
SERVICE_NAMES = [s.name for s in SERVICES]


@cache
def spec(service: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(BY_NAME[service].openapi_path.read_text(encoding="utf-8"))
    return data


def operations(service: str) -> list[tuple[str, str]]:
    """(METHOD, path) of every operation in the service's committed contract."""
    return [
        (method.upper(), path)
        for path, ops in spec(service)["paths"].items()
        for method in ops
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def make_app(service: str, database_url: str, **overrides: Any) -> FastAPI:
    """The service's app on the test database; rate limits opened up so fuzzing reaches the code."""
    pkg = BY_NAME[service].package
    settings_cls = importlib.import_module(f"{pkg}.settings").Settings
    fields = settings_cls.model_fields
    # Documents stay in the default store (.data/documents): the live stack's processes, which build
    # the fuzzers' world, write there too.
    extra: dict[str, Any] = {k: 10**6 for k in fields if k.endswith("rate_limit_per_minute")}
    settings = settings_cls(
        DATABASE_URL=database_url,
        JWT_SECRET=TEST_SECRET,
        JIUZHU_ENVIRONMENT="test",
        log_level="ERROR",
        **{**extra, **overrides},
    )
    app: FastAPI = importlib.import_module(f"{pkg}.app").create(settings)
    return app


def is_problem(response: Any) -> bool:
    """An RFC 9457 body with the kit's stable code."""
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return False
    body = response.json()
    return (
        isinstance(body, dict)
        and isinstance(body.get("code"), str)
        and body.get("status") == response.status_code
    )


def fill_path(service: str, method: str, path: str, value: str | None = None) -> str:
    """Concrete path: each parameter gets a plausible value of its type (or `value`)."""
    op = spec(service)["paths"][path][method.lower()]
    for p in op.get("parameters", []):
        if p["in"] != "path":
            continue
        schema = p.get("schema", {})
        if value is not None:
            v = value
        elif schema.get("format") == "uuid":
            v = str(uuid.uuid4())
        elif schema.get("type") == "integer":
            v = "2020"
        else:
            v = "440103"
        path = path.replace("{" + p["name"] + "}", quote(v, safe=""))
    return path


async def row_counts(database_url: str) -> dict[str, int]:
    """Rows in every non-reference table of every service schema (the audit log included)."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        tables = await conn.fetch(
            """
            SELECT n.nspname AS s, c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname IN ('staffing', 'procurement', 'evaluation')
              AND coalesce(obj_description(c.oid, 'pg_class'), '') NOT LIKE 'reference%'
              AND c.relname NOT LIKE 'rate\\_limit\\_%'  -- the shared limiter's counters, not records
              AND c.relname NOT LIKE 'transparency\\_%'  -- appended by the periodic publisher, on its own time
            """
        )
        return {
            f"{r['s']}.{r['t']}": int(await conn.fetchval(f'SELECT count(*) FROM "{r["s"]}"."{r["t"]}"'))
            for r in tables
        }
    finally:
        await conn.close()


def fuzz_cases(
    op: Any,
    examples: int,
    check: Callable[[Any, Any], None],
    positive: dict[str, Any] | None = None,
) -> None:
    """`check(case, mode)` on `examples` generated cases of a schemathesis operation, first
    schema-valid (positive) then schema-violating (negative) ones: derandomized, no shrinking, no
    example database, so the same inputs on every run. `positive`: keyword arguments of the
    positive strategy (fixed path parameters, hooks that start from an explicit example)."""
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        kwargs = (positive or {}) if mode == GenerationMode.POSITIVE else {}
        try:
            _in_mode(op.as_strategy(generation_mode=mode, **kwargs), mode, examples, check)()
        except Unsatisfiable:  # e.g. no way to violate an operation without inputs
            pass


def _in_mode(
    strategy: Any, mode: Any, examples: int, check: Callable[[Any, Any], None]
) -> Callable[[], None]:
    from hypothesis import HealthCheck, Phase, given, settings

    @given(case=strategy)
    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        check(case, mode)

    return run
