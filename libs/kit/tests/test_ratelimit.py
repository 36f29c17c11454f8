"""The kit's rate-limit windows: bounded and expiring in memory; shared through Postgres within the
stated bound (limit × (1 + error)); alone, still limiting, when Postgres is away."""

from __future__ import annotations

import asyncio
import time

import asyncpg
from sqlalchemy import MetaData
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from jiuzhu_devtools.testing import asyncpg_dsn
from jiuzhu_kit.ratelimit import ClusterWindow, Limit, LocalWindow
from jiuzhu_kit.tables import rate_limit_tables

LIMIT = Limit(120, 60)


def test_a_local_window_forgets_expired_keys_and_stays_bounded() -> None:
    w = LocalWindow(max_keys=1000, prune_seconds=10)
    t0 = 6000.0
    for i in range(900):
        assert w.hit(LIMIT, (f"10.0.{i // 250}.{i % 250}", "survey"), t0) == 0
    assert len(w) == 900
    # Two windows later every one of them is over: the next new key sweeps them away.
    assert w.hit(LIMIT, ("10.9.9.9", "survey"), t0 + 120) == 0
    assert len(w) == 1
    # A flood of new addresses within one window never holds more than max_keys.
    for i in range(5000):
        w.hit(LIMIT, (f"addr-{i}",), t0 + 130)
    assert len(w) <= 1000


async def _replicas(windows: list[ClusterWindow]) -> None:
    for w in windows:
        w._beat = 0.0  # heartbeat on the next sync
    for _ in range(50):
        for w in windows:
            await w.sync()
        if all(w.replicas == len(windows) for w in windows):
            return
        await asyncio.sleep(0.05)
    raise AssertionError([w.replicas for w in windows])


async def _own_schema(dsn: str) -> str:
    """The counters in a schema of this test's own: a live stack's gateway in the same session
    heartbeats into `gateway` and would count as a third replica."""
    schema = "kit_ratelimit_test"
    metadata = MetaData(schema=schema)
    rate_limit_tables(metadata)
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    con = await asyncpg.connect(dsn)
    try:
        await con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
        for table in metadata.sorted_tables:
            await con.execute(str(CreateTable(table).compile(dialect=dialect)))
            for index in table.indexes:
                await con.execute(str(CreateIndex(index).compile(dialect=dialect)))
    finally:
        await con.close()
    return schema


async def test_two_cluster_windows_hold_one_limit_within_the_bound(database_url: str) -> None:
    dsn = asyncpg_dsn(database_url)
    schema = await _own_schema(dsn)
    a, b = (ClusterWindow(dsn, schema, {}, sync_seconds=0.2) for _ in range(2))
    await _replicas([a, b])
    assert a.slack(LIMIT) == 3  # ⌊120 × 5 % / 2⌋
    if time.time() % 60 > 50:  # the burst (well under a second) inside one fixed window
        await asyncio.sleep(61 - time.time() % 60)
    await a.start()
    await b.start()
    try:
        results = await asyncio.gather(*((a, b)[i % 2].acquire(LIMIT, ("k",)) for i in range(400)))
    finally:
        await a.close()
        await b.close()
    admitted = sum(1 for wait in results if wait == 0)
    assert 120 <= admitted <= 126, admitted
    assert a.syncs > 0 and b.syncs > 0 and not a.degraded and not b.degraded


async def test_without_postgres_a_cluster_window_limits_alone() -> None:
    w = ClusterWindow("postgresql://nobody@127.0.0.1:1/none", "gateway", {"timeout": 1}, sync_seconds=0.05)
    await w.start()
    try:
        results = [await w.acquire(Limit(10, 60), ("k",)) for _ in range(15)]
    finally:
        await w.close()
    assert w.degraded
    assert sum(1 for wait in results if wait == 0) == 10
