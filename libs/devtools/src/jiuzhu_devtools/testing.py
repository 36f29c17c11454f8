"""Pytest plugin shared by every test suite: a real Postgres database, migrated, cleaned per test.

- `database_url`: a fresh database on TEST_DATABASE_URL's server (or the embedded test server),
  migrated with every service's alembic history, dropped at the end of the run (`fresh_database()`
  makes another, for a module whose processes must be alone on theirs).
- `clean_db` (autouse): empties every non-reference table before each test.
- `token`: mints JWTs; `service_client`: an httpx client on a service app with its lifespan run.
- `audit_chains`: a schema's audit log as hash chains, ready for `verify_chain`.
- `LiveStack` / `live_stack`: the whole system as real processes; `free_port`: a loopback port.
- the suite clock (testclock.py): `JIUZHU_CLOCK` for every app and process, `test_today()` /
  `test_now()` for the tests, provisional calendars where the clock's years have none.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from jiuzhu_devtools.pg import asyncpg_dsn as asyncpg_dsn  # re-exported: the tests import it from here
from jiuzhu_devtools.testclock import ANNOUNCE_DAYS_BACK as ANNOUNCE_DAYS_BACK
from jiuzhu_devtools.testclock import SUITE_CLOCK as SUITE_CLOCK  # re-exported, as are those below
from jiuzhu_devtools.testclock import announce_clock as announce_clock
from jiuzhu_devtools.testclock import clock_at as clock_at
from jiuzhu_devtools.testclock import ensure_calendars, install
from jiuzhu_devtools.testclock import test_now as test_now
from jiuzhu_devtools.testclock import test_today as test_today
from jiuzhu_kit.auth import issue_token
from jiuzhu_kit.settings import KitSettings

TEST_SECRET = "test-secret-0123456789-abcdefghijklmnop"
SCHEMAS = ("staffing", "procurement", "evaluation", "gateway", "kit_test")
KEEP = frozenset({"alembic_version", "calendar_day", "calendar_year"})


def pytest_configure(config: pytest.Config) -> None:
    install()  # before any app is made or process started


def server_url() -> str:
    """The Postgres server tests make their databases on: TEST_DATABASE_URL or the embedded one."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    from jiuzhu_devtools.pg import data_dir, ensure_embedded

    return ensure_embedded(data_dir("test"))


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new database on the test server, migrated, with the clock's calendars; dropped after."""
    from jiuzhu_devtools.migrate import migrate_all
    from jiuzhu_devtools.pg import drop_database, ensure_database

    server = server_url()
    name = f"jiuzhu_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = ensure_database(server, name)
    try:
        migrate_all(url)
        asyncio.run(ensure_calendars(asyncpg_dsn(url)))
        yield url
    finally:
        drop_database(server, name)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


async def truncate_all(url: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch(
            """
            SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1::text[])
              AND coalesce(obj_description(c.oid, 'pg_class'), '') NOT LIKE 'reference%'
            """,
            list(SCHEMAS),
        )
        names = [f'"{r["nspname"]}"."{r["relname"]}"' for r in rows if r["relname"] not in KEEP]
        for attempt in range(10) if names else ():
            try:
                async with conn.transaction():
                    # Bypass the audit log's append-only trigger: test isolation only.
                    await conn.execute("SET LOCAL session_replication_role = replica")
                    await conn.execute(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")
                break
            except asyncpg.DeadlockDetectedError:
                # A service's background work (webhook sender, shared limiter sync) still writing:
                # Postgres chose the truncation as the victim; try again once that work has moved on
                # (five immediate retries all lost to one sender's claims once).
                if attempt == 9:
                    raise
                await asyncio.sleep(0.05 * (attempt + 1))
    finally:
        await conn.close()


async def audit_chains(
    url: str, schema: str, aggregate_type: str | None = None
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The audit log of one schema as chains: {aggregate_type: {aggregate_id: events in seq order}},
    each event a dict with `data` and `changes` decoded from JSON (ready for `verify_chain`)."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch(
            f"SELECT * FROM {schema}.audit_event WHERE $1::text IS NULL OR aggregate_type = $1"  # noqa: S608
            " ORDER BY aggregate_type, aggregate_id, seq",
            aggregate_type,
        )
    finally:
        await conn.close()
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for row in rows:
        ev = dict(row)
        for key in ("data", "changes"):
            if isinstance(ev[key], str):
                ev[key] = json.loads(ev[key])
        out.setdefault(ev["aggregate_type"], {}).setdefault(ev["aggregate_id"], []).append(ev)
    return out


@pytest_asyncio.fixture(autouse=True, loop_scope="session")
async def clean_db(request: pytest.FixtureRequest) -> None:
    """Every test that touches the database starts from empty (reference tables kept)."""
    if "database_url" in request.fixturenames:
        await truncate_all(request.getfixturevalue("database_url"))


@pytest.fixture(scope="session")
def token_settings() -> KitSettings:
    return KitSettings(JWT_SECRET=TEST_SECRET, DATABASE_URL="")


@pytest.fixture(scope="session")
def token(token_settings: KitSettings) -> Callable[..., str]:
    def make(
        roles: str | list[str] = "bureau",
        div: str = "350802",
        sub: str | None = None,
        org: str | None = None,
        ttl: int = 3600,
    ) -> str:
        rl = [roles] if isinstance(roles, str) else roles
        return issue_token(
            token_settings, sub or f"user-{'-'.join(rl)}-{div}", rl, div, org=org, ttl_seconds=ttl
        )

    return make


@pytest.fixture(scope="session")
def auth(token: Callable[..., str]) -> Callable[..., dict[str, str]]:
    def make(roles: str | list[str] = "bureau", div: str = "350802", **kw: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {token(roles, div, **kw)}"}

    return make


@asynccontextmanager
async def service_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client with the app's lifespan run (engine made, disposed after)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


# ---- the whole system as real processes ------------------------------------------------------


_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port free now and never handed out before by this process: the OS may offer a
    port it just released again, and a test's gateway and its fake upstream once got the same one
    (gateway/tests/test_harden.py, 25 failures at the 2026-12-24 clock)."""
    import socket

    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port


class LiveStack:
    """Three services and the gateway as uvicorn processes on loopback, on the test database.

    `replicas=N` starts N of each (process names `staffing`, `staffing#2`, …, `gateway`,
    `gateway#2`, …): gateway i routes to replica i of every service, and a service calls replica i of
    another, so two gateways are two whole paths through the system on one database."""

    def __init__(self, database_url: str, extra_env: dict[str, str] | None = None, replicas: int = 1) -> None:
        import sys

        from jiuzhu_devtools.run import service_env
        from jiuzhu_devtools.services import SERVICES, UVICORN_HTTP

        self.replicas = replicas
        self.replica_ports = {s.schema: [free_port() for _ in range(replicas)] for s in SERVICES}
        self.ports = {schema: ports[0] for schema, ports in self.replica_ports.items()}
        self.gateway_ports = [free_port() for _ in range(replicas)]
        self.gateway_port = self.gateway_ports[0]
        env = service_env(database_url)
        env.update({"JWT_SECRET": TEST_SECRET, "JIUZHU_ENVIRONMENT": "test", "JIUZHU_LOG_LEVEL": "WARNING"})
        env["JIUZHU_CLOCK"] = SUITE_CLOCK  # each process starts its clock there (extra_env may differ)
        env["GATEWAY_LOG_LEVEL"] = "WARNING"
        # Webhook retries in seconds, not hours: the tests watch a receiver recover and an endpoint
        # that never answers get disabled (tests/test_webhooks.py).
        env.update(
            {
                "JIUZHU_WEBHOOK_RETRY_BASE_SECONDS": "0.2",
                "JIUZHU_WEBHOOK_RETRY_CAP_SECONDS": "1",
                "JIUZHU_WEBHOOK_RETRY_WINDOW_SECONDS": "6",
                "JIUZHU_WEBHOOK_POLL_SECONDS": "0.2",
            }
        )
        # The whole suite's stories share this gateway from one address within minutes: its read
        # limits would throttle the suite itself. The limits are tested on their own gateways
        # (gateway/tests); public writes (survey answers) keep their production limit.
        env["GATEWAY_RATE_LIMIT_PRINCIPAL"] = "100000/minute"
        env["GATEWAY_RATE_LIMIT_PUBLIC"] = "100000/minute"
        # Published links (OCDS package URIs) name the gateway the suite talks to.
        env["PROCUREMENT_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{self.gateway_port}/api/procurement"
        for s in SERVICES:
            env[f"{s.env_prefix}LOG_LEVEL"] = "WARNING"
        env.update(extra_env or {})
        base = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "--host",
            "127.0.0.1",
            "--no-access-log",
            "--log-level",
            "warning",
            "--http",
            UVICORN_HTTP,
        ]
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.commands: dict[str, list[str]] = {}
        self.envs: dict[str, dict[str, str]] = {}
        for i in range(replicas):
            routes = dict(env)
            for s in SERVICES:
                url = f"http://127.0.0.1:{self.replica_ports[s.schema][i]}"
                if f"GATEWAY_UPSTREAM_{s.schema.upper()}" not in (extra_env or {}):
                    routes[f"GATEWAY_UPSTREAM_{s.schema.upper()}"] = url
                if f"{s.schema.upper()}_SERVICE_URL" not in (extra_env or {}):
                    routes[f"{s.schema.upper()}_SERVICE_URL"] = url
            for s in SERVICES:
                name = _replica(s.schema, i)
                self.commands[name] = [*base, "--port", str(self.replica_ports[s.schema][i]), s.app]
                self.envs[name] = routes
            name = _replica("gateway", i)
            self.commands[name] = [*base, "--port", str(self.gateway_ports[i]), "jiuzhu_gateway.app:create"]
            self.envs[name] = routes
        self.env = self.envs["gateway"]
        for name in self.commands:
            self.start(name)

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def gateways(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.gateway_ports]

    def url(self, schema: str, replica: int = 0) -> str:
        return f"http://127.0.0.1:{self.replica_ports[schema][replica]}"

    def start(self, name: str) -> None:
        self.procs[name] = subprocess.Popen(self.commands[name], env=self.envs[name])

    def stop(self, name: str) -> None:
        proc = self.procs[name]
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except Exception:
                proc.kill()

    def wait_ready(self, timeout: float = 240) -> None:
        # Generous: on a shared 2-core machine under load a process can take 30 s to import.
        from jiuzhu_devtools.run import wait_ready

        urls = [f"{self.url(s, i)}/readyz" for s in self.replica_ports for i in range(self.replicas)]
        wait_ready(urls + [f"{g}/healthz" for g in self.gateways], timeout)

    def close(self) -> None:
        for name in list(self.procs):
            self.stop(name)


def _replica(name: str, index: int) -> str:
    return name if index == 0 else f"{name}#{index + 1}"


@pytest.fixture(scope="session")
def live_stack(database_url: str) -> Iterator[LiveStack]:
    stack = LiveStack(database_url)
    try:
        stack.wait_ready()
        yield stack
    finally:
        stack.close()
