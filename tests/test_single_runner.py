"""What must run once stays once with two replicas: a periodic job under one leader (advisory lock),
two migrators started together (the `migrate:<schema>` lock)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg
from alembic.script import ScriptDirectory

from jiuzhu_devtools.pg import drop_database, ensure_database
from jiuzhu_devtools.testing import asyncpg_dsn, server_url
from jiuzhu_kit.migrations import alembic_config
from jiuzhu_kit.singleton import Leader


async def test_two_replicas_run_a_periodic_job_once_and_the_other_takes_over(database_url: str) -> None:
    runs: list[tuple[str, float, float]] = []  # (replica, start, end)

    def job(replica: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            start = time.monotonic()
            await asyncio.sleep(0.03)  # long enough that two runs at once would overlap
            runs.append((replica, start, time.monotonic()))

        return run

    name = f"test:periodic:{uuid.uuid4().hex[:6]}"
    dsn = asyncpg_dsn(database_url)
    a, b = Leader(dsn, name, job("a"), every=0.05), Leader(dsn, name, job("b"), every=0.05)
    await a.start()
    await asyncio.sleep(0.3)  # a holds the lock first
    await b.start()
    try:
        await asyncio.sleep(1.0)
        assert a.leading and not b.leading
        assert {r for r, _, _ in runs} == {"a"} and len(runs) >= 10
        handed_over = time.monotonic()
        await a.close()  # the leader goes away (its session ends: the lock with it)
        await asyncio.sleep(0.5)
        assert b.leading
        after = [r for r in runs if r[1] > handed_over]
        assert after and {r for r, _, _ in after} == {"b"}
        assert min(s for _, s, _ in after) - handed_over < 0.2  # within a few periods
    finally:
        await a.close()
        await b.close()
    ordered = sorted(runs, key=lambda r: r[1])
    assert all(x[2] <= y[1] for x, y in zip(ordered, ordered[1:], strict=False))  # never two at once


async def _gateway_schema(url: str) -> tuple[str, int]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return (
            await conn.fetchval("SELECT version_num FROM gateway.alembic_version"),
            await conn.fetchval("SELECT count(*) FROM gateway.rate_limit_window"),
        )
    finally:
        await conn.close()


def test_two_migrators_at_once_leave_one_schema_at_head() -> None:
    server = server_url()
    name = f"jiuzhu_migrate_twice_{uuid.uuid4().hex[:6]}"
    url = ensure_database(server, name)
    env = {**os.environ, "DATABASE_URL": url}
    cmd = [sys.executable, "-m", "jiuzhu_kit.migrations", "jiuzhu_gateway"]
    try:
        # Two migrate jobs at once (a Job retried while the first still runs, two `make run`s).
        procs = [
            subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)
        ]
        outs = [p.communicate(timeout=300) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], [err.decode()[-2000:] for _, err in outs]
        head = ScriptDirectory.from_config(
            alembic_config("jiuzhu_gateway:migrations", url)
        ).get_current_head()
        assert asyncio.run(_gateway_schema(url)) == (head, 0)
    finally:
        drop_database(server, name)
