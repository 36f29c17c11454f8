"""Postgres stopped and restarted under load: clean 503s, nothing half-written, recovery without restart."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable, Iterator
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
                assert r.json()["code"] in {"DATABASE_UNAVAILABLE", "SERVICE_UNAVAILABLE"}
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
                assert r.json()["code"] in {"DATABASE_UNAVAILABLE", "SERVICE_UNAVAILABLE"}
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
