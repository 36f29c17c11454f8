"""A transition is one transaction: if its audit event cannot be written, the row change is undone.

Guards the raw-SQL hot path (lock, update, audit append on the session's asyncpg connection): those
statements must run inside the request's transaction, not each in its own autocommit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import asyncpg
import httpx
import pytest_asyncio

from jiuzhu_devtools.testing import asyncpg_dsn, test_today

from .conftest import Kit

GD_COUNTY = "440103"

TRIGGER = """
CREATE OR REPLACE FUNCTION procurement.test_fail_bidding_closed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.action LIKE 'project.%' AND NEW.data->>'status' = 'bidding_closed' THEN
        RAISE EXCEPTION 'audit store refused (test)' USING ERRCODE = 'P0001';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER test_fail_bidding_closed BEFORE INSERT ON procurement.audit_event
    FOR EACH ROW EXECUTE FUNCTION procurement.test_fail_bidding_closed();
"""


@pytest_asyncio.fixture(loop_scope="session")
async def failing_audit(database_url: str) -> AsyncIterator[None]:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await conn.execute(TRIGGER)
        yield
    finally:
        await conn.execute("DROP TRIGGER IF EXISTS test_fail_bidding_closed ON procurement.audit_event")
        await conn.execute("DROP FUNCTION IF EXISTS procurement.test_fail_bidding_closed()")
        await conn.close()


async def test_failed_audit_append_undoes_the_transition(
    client: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    kit: Kit,
    database_url: str,
    failing_audit: None,
) -> None:
    plan = await kit.plan(GD_COUNTY, test_today().year)
    pid = (await kit.project(GD_COUNTY, plan, budget="100000.00")).json()["id"]
    await kit.jump("project", pid, status="announced", method="open_tender")
    h = auth("bureau", GD_COUNTY)
    before = (await client.get(f"/projects/{pid}/events", headers=h)).json()

    r = await client.post(f"/projects/{pid}/transitions", json={"to": "bidding_closed"}, headers=h)
    assert r.status_code >= 500 and r.headers["content-type"].startswith("application/problem+json")

    after = (await client.get(f"/projects/{pid}", headers=h)).json()
    assert after["status"] == "announced"  # the UPDATE was rolled back with the failed audit insert
    assert (await client.get(f"/projects/{pid}/events", headers=h)).json() == before
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        status = await conn.fetchval("SELECT status FROM procurement.project WHERE id = $1::uuid", pid)
        # The Leaders' locks (tree-head publisher, documents sweep) are held for the process's life.
        locks = await conn.fetchval(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND a.application_name NOT LIKE '%-transparency'"
            " AND a.application_name NOT LIKE '%-documents-sweep'"
        )
    finally:
        await conn.close()
    assert status == "announced" and locks == 0
