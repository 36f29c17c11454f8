"""Postgres stopped and restarted under load: clean 503s, nothing half-written, recovery without restart."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from jiuzhu_devtools.pg import ensure_database, ensure_embedded, stop_embedded
from jiuzhu_devtools.testing import LiveStack, asyncpg_dsn, audit_chains
from jiuzhu_kit.audit import verify_chain

STAFFING = {
    "on": "2019-06-01",
    "county": {"division_code": "440103", "townships": [{"name": "甲镇", "assisted_households": 301}]},
}


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[tuple[Path, str]]:
    """A Postgres of this test's own, so stopping it disturbs nothing else."""
    with tempfile.TemporaryDirectory(prefix="jiuzhu-fault-pg-") as tmp:
        path = Path(tmp) / "pg"
        url = ensure_database(ensure_embedded(path), "faults")
        from jiuzhu_devtools.migrate import migrate_all

        migrate_all(url)
        try:
            yield path, url
        finally:
            stop_embedded(path)


async def _write(c: httpx.AsyncClient, headers: dict[str, str], i: int) -> httpx.Response | None:
    try:
        return await c.post(
            "/api/staffing/scenarios",
            json={"division_code": "440103", "name": f"load-{i}", "inputs": STAFFING},
            headers=headers,
        )
    except httpx.TransportError:
        return None


async def test_database_outage_under_load(
    own_postgres: tuple[Path, str], auth: Callable[..., dict[str, str]]
) -> None:
    path, url = own_postgres
    stack = LiveStack(url)
    try:
        stack.wait_ready()
        h = auth("bureau", "440103")
        statuses: list[int] = []
        async with httpx.AsyncClient(base_url=stack.gateway, timeout=30) as c:
            before = await asyncio.gather(*(_write(c, h, i) for i in range(20)))
            codes = [r.status_code if r is not None else None for r in before]
            assert codes == [201] * 20, [
                (c, r.text[:200]) for c, r in zip(codes, before, strict=True) if c != 201 and r
            ]

            loop = asyncio.get_running_loop()
            stop = loop.run_in_executor(None, stop_embedded, path)
            i = 100
            deadline = time.monotonic() + 20
            while not stop.done() and time.monotonic() < deadline:
                got = await asyncio.gather(*(_write(c, h, i + k) for k in range(4)))
                statuses += [r.status_code for r in got if r is not None]
                i += 4
            await stop
            # With the database gone: a clean problem, never a 500 or a hang.
            down = await asyncio.gather(*(_write(c, h, 1000 + k) for k in range(5)))
            for r in down:
                assert r is not None and r.status_code == 503, r and r.text
                assert r.headers["content-type"].startswith("application/problem+json")
                assert r.json()["code"] == "DATABASE_UNAVAILABLE", r.text
            ready = await c.get("/api/staffing/readyz")
            assert ready.status_code == 503
            # An API key is looked up in the gateway's own table: the same clean 503, not a bare 500.
            keyed = await c.get("/api/staffing/scenarios", headers={"x-api-key": "jzk_k0000001_secret"})
            assert keyed.status_code == 503, keyed.text
            assert keyed.headers["content-type"].startswith("application/problem+json")
            assert keyed.json()["code"] == "DATABASE_UNAVAILABLE"

            await loop.run_in_executor(None, ensure_embedded, path)
            recovered = None
            for _ in range(40):
                r = await _write(c, h, 5000)
                if r is not None and r.status_code == 201:
                    recovered = r
                    break
                await asyncio.sleep(0.25)
            assert recovered is not None, "services did not recover without a restart"
        assert set(statuses) <= {201, 503}, statuses
    finally:
        stack.close()

    # Nothing half-written: every stored scenario has exactly its one audit event, chain intact.
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        ids = [str(r["id"]) for r in await conn.fetch("SELECT id FROM staffing.scenario")]
    finally:
        await conn.close()
    by_agg = (await audit_chains(url, "staffing", "scenario")).get("scenario", {})
    assert set(by_agg) == set(ids)
    for evs in by_agg.values():
        assert len(evs) == 1
        assert verify_chain(evs).ok


async def _seed_projects(url: str, n: int) -> list[str]:
    """`n` projects whose bidding has closed (the next step, qualification review, has no handler)."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        plan = await conn.fetchval(
            "INSERT INTO procurement.purchase_plan (id, division_code, year, title, status, budget_lines, total,"
            " created_by, version) VALUES (gen_random_uuid(), '440103', 2024, 'faults', 'approved', '[]', 0,"
            " 'test', 1) ON CONFLICT (division_code, year) DO UPDATE SET title = EXCLUDED.title RETURNING id"
        )
        rows = await conn.fetch(
            "INSERT INTO procurement.project (id, plan_id, division_code, title, purchase_form, items, budget,"
            " funding_source, declared_on, status, method, round, created_by, version)"
            " SELECT gen_random_uuid(), $1, '440103', 'faults', 'service_contract', '[\"AS01\"]', 100000,"
            " 'working_funds', DATE '2024-01-02', 'bidding_closed', 'open_tender', 1, 'test', 1"
            " FROM generate_series(1, $2) RETURNING id",
            plan,
            n,
        )
        return [str(r["id"]) for r in rows]
    finally:
        await conn.close()


async def test_transitions_on_the_write_pool_survive_an_outage(
    own_postgres: tuple[Path, str], auth: Callable[..., dict[str, str]]
) -> None:
    """The lean transition route's own pool (jiuzhu_kit.writepool): 503 while the database is down,
    working again once it is back, without restarting the service; nothing half-written."""
    from jiuzhu_devtools.testing import TEST_SECRET, service_client
    from jiuzhu_procurement.app import create
    from jiuzhu_procurement.settings import Settings

    path, url = own_postgres
    ids = await _seed_projects(url, 40)
    h = auth("bureau", "440103")
    settings = Settings(DATABASE_URL=url, JWT_SECRET=TEST_SECRET, JIUZHU_ENVIRONMENT="test")
    loop = asyncio.get_running_loop()

    async def move(c: httpx.AsyncClient, pid: str) -> httpx.Response:
        return await c.post(f"/projects/{pid}/transitions", json={"to": "qualification_review"}, headers=h)

    async with service_client(create(settings)) as c:
        warm = await asyncio.gather(*(move(c, pid) for pid in ids[:8]))  # opens write-pool connections
        assert [r.status_code for r in warm] == [200] * 8
        await loop.run_in_executor(None, stop_embedded, path)
        try:
            down = await asyncio.gather(*(move(c, pid) for pid in ids[8:16]))
            for r in down:
                assert r.status_code == 503, r.text
                assert r.headers["content-type"].startswith("application/problem+json")
                assert r.json()["code"] == "DATABASE_UNAVAILABLE", r.text
        finally:
            await loop.run_in_executor(None, ensure_embedded, path)
        recovered: list[int] = []
        for pid in ids[16:]:
            recovered.append((await move(c, pid)).status_code)
            if recovered[-1] == 200:
                break
            await asyncio.sleep(0.25)
        assert recovered and recovered[-1] == 200, recovered
        again = await asyncio.gather(*(move(c, pid) for pid in ids[8:16]))  # the refused ones, now
        assert [r.status_code for r in again] == [200] * 8

    # Nothing half-written: a project moved iff it has its one audit event, and every chain verifies.
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        moved = {
            str(r["id"])
            for r in await conn.fetch(
                "SELECT id FROM procurement.project WHERE status = 'qualification_review'"
            )
        }
    finally:
        await conn.close()
    by_agg = (await audit_chains(url, "procurement", "project")).get("project", {})
    assert set(by_agg) == moved and len(moved) >= 17
    assert all(len(evs) == 1 and verify_chain(evs).ok for evs in by_agg.values())


# ---- Postgres restarted while the services are idle ------------------------------------------


async def _seed_idle(url: str, n: int) -> tuple[list[str], list[str]]:
    """`n` draft plans (the plan transition's target: submit, no handler) and `n` projects whose
    bidding has closed (the project transition: lean route when lean routes are on)."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch(
            "INSERT INTO procurement.purchase_plan (id, division_code, year, title, status, budget_lines,"
            " total, created_by, version)"
            " SELECT gen_random_uuid(), '440104', base.y + g, 'idle restart', 'draft', '[]', 0, 'test', 1"
            " FROM generate_series(1, $1) g,"
            " (SELECT coalesce(max(year), 2014) AS y FROM procurement.purchase_plan"
            "  WHERE division_code = '440104') base RETURNING id",
            n,
        )
    finally:
        await conn.close()
    return [str(r["id"]) for r in rows], await _seed_projects(url, n)


Call = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


def _route_families(
    auth: Callable[..., dict[str, str]], plans: list[str], projects: list[str]
) -> dict[str, tuple[Call, int]]:
    """Every route family and pool, as (one request, the status it answers when the database is up).
    Each call takes the next seeded aggregate, so a transition never repeats on the same row."""
    bureau = auth("bureau", "440100")
    admin = auth("admin", "440100", sub="admin-idle")
    plan_ids, project_ids = iter(plans), iter(projects)
    n = iter(range(10**6))

    def plan_transition(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        pid = next(plan_ids)
        return c.post(f"/api/procurement/plans/{pid}/transitions", json={"to": "submitted"}, headers=bureau)

    def project_transition(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        pid = next(project_ids)
        body = {"to": "qualification_review"}
        return c.post(f"/api/procurement/projects/{pid}/transitions", json=body, headers=bureau)

    def scenario_write(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        body = {"division_code": "440103", "name": f"idle-{next(n)}", "inputs": STAFFING}
        return c.post("/api/staffing/scenarios", json=body, headers=bureau)

    def api_key_create(c: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        body = {"name": f"idle-{next(n)}", "roles": ["bureau"], "division": "440103"}
        return c.post("/api/gateway/api-keys", json=body, headers=admin)

    return {
        "plan transition": (plan_transition, 200),
        "project transition": (project_transition, 200),
        "staffing write": (scenario_write, 201),
        "staffing read": (lambda c: c.get("/api/staffing/scenarios", headers=bureau), 200),
        "procurement read": (lambda c: c.get(f"/api/procurement/plans/{plans[0]}", headers=bureau), 200),
        "evaluation read": (lambda c: c.get("/api/evaluation/rounds", headers=bureau), 200),
        "gateway api-key list": (lambda c: c.get("/api/gateway/api-keys", headers=admin), 200),
        "gateway api-key create": (api_key_create, 201),
        # The gateway looks an unknown key up in its own table: 401 means the database answered.
        "gateway api-key lookup": (
            lambda c: c.get("/api/staffing/scenarios", headers={"x-api-key": f"jzk_k{next(n):07d}_no"}),
            401,
        ),
    }


async def _idle_restart_round(
    c: httpx.AsyncClient, path: Path, routes: dict[str, tuple[Call, int]], warm: int, after: int
) -> dict[str, list[tuple[int, str | None]]]:
    """Warm every pool, restart Postgres, let the services sit idle, then send each route `after`
    requests one after another; what each answered (status, problem code)."""
    for name, (call, ok) in routes.items():
        got = await asyncio.gather(*(call(c) for _ in range(warm)))  # `warm` connections per pool
        assert [r.status_code for r in got] == [ok] * warm, (name, [r.text[:200] for r in got])
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, stop_embedded, path)
    await loop.run_in_executor(None, ensure_embedded, path)
    await asyncio.sleep(1)  # idle: every pooled connection is now dead
    seen: dict[str, list[tuple[int, str | None]]] = {}
    for name, (call, _) in routes.items():
        for _ in range(after):
            try:
                r = await call(c)
            except httpx.TransportError as exc:  # a reset or a truncated response
                pytest.fail(f"{name}: the connection broke: {exc!r}; so far {seen}")
            code = r.json().get("code") if r.status_code >= 400 else None
            seen.setdefault(name, []).append((r.status_code, code))
    return seen


async def test_every_pool_recovers_after_an_idle_restart(
    own_postgres: tuple[Path, str], auth: Callable[..., dict[str, str]]
) -> None:
    """Postgres restarts while nothing is running: each route's next request may get one 503
    DATABASE_UNAVAILABLE problem (no more: the pool drops its dead connections), never a 500, and
    the client's connection always gets a complete response. With procurement's lean routes on
    (the write pool) and off (the FastAPI routes on the engine's pool)."""
    warm, after = 4, 8
    path, url = own_postgres
    stack = LiveStack(url, {"PROCUREMENT_LEAN_ROUTES": "true"})
    try:
        stack.wait_ready()
        for lean in (True, False):
            if not lean:  # only procurement reads the setting: restart it alone
                stack.stop("procurement")
                stack.env["PROCUREMENT_LEAN_ROUTES"] = "false"
                stack.start("procurement")
                stack.wait_ready()
            plans, projects = await _seed_idle(url, warm + after)
            routes = _route_families(auth, plans, projects)
            async with httpx.AsyncClient(base_url=stack.gateway, timeout=30) as c:
                seen = await _idle_restart_round(c, path, routes, warm, after)
            for name, (_, ok) in routes.items():
                got = seen[name]
                first = got[0] if got[0][0] != ok else None
                assert first in (None, (503, "DATABASE_UNAVAILABLE")), (lean, name, got)
                want = (ok, None if ok < 400 else "API_KEY_INVALID")
                assert got[1:] == [want] * (after - 1), (lean, name, got)
    finally:
        stack.close()
