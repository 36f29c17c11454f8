"""The transparency log (jiuzhu_kit.transparency) at scale: publishing a head over 100,000 audit
events, then a head after 1,000 more, and the proofs a public reader asks for.

Run: `.venv/bin/python -m bench.transparency_log` (database server as the other benchmarks: a
scratch database migrated for procurement, dropped afterwards). BENCH_TRANSPARENCY_EVENTS audit
events (100,000) of 10,000 aggregates are copied in; the publisher appends them, stores the tree's
complete subtrees and signs a head (the first publication of a log that size); then 1,000 more
events and a second head (the periodic case); then inclusion proofs for random aggregates and a
consistency proof between the two heads, each built from one query of stored subtrees. The
reference of the incremental head is the first head's time per 1,000 entries.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from bench.common import print_table, row, scratch_database
from jiuzhu_kit.settings import to_async_url
from jiuzhu_kit.transparency import heads, merkle
from jiuzhu_kit.transparency.log import TransparencyLog

N = int(os.environ.get("BENCH_TRANSPARENCY_EVENTS", "100000"))
AGGREGATES = 10_000
MORE = 1_000
PROOFS = 200


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _copy(dsn: str, start: int, count: int, seqs: dict[str, int]) -> None:
    at = datetime(2026, 6, 15, tzinfo=UTC)
    records = []
    for i in range(start, start + count):
        agg = f"00000000-0000-4000-8000-{i % AGGREGATES:012d}"
        seq = seqs[agg] = seqs.get(agg, 0) + 1
        h = hashlib.sha256(f"{agg}:{seq}".encode()).hexdigest()
        records.append(
            ("plan", agg, seq, "plan.bench", "bench", "", "640181", None, None, at, None, None, "0" * 64, h)
        )
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table(
            "audit_event",
            schema_name="procurement",
            columns=[
                "aggregate_type", "aggregate_id", "seq", "action", "actor", "actor_roles", "jurisdiction",
                "request_id", "reason", "occurred_at", "data", "changes", "prev_hash", "hash",
            ],
            records=records,
        )  # fmt: skip
    finally:
        await conn.close()


async def _run(url: str) -> list[dict[str, Any]]:
    from jiuzhu_procurement.db import kit

    assert kit.transparency is not None
    engine = create_async_engine(to_async_url(url))
    maker = async_sessionmaker(engine, expire_on_commit=False)
    log = TransparencyLog("procurement", kit.transparency, kit.audit, heads.dev_key("procurement"))
    seqs: dict[str, int] = {}
    try:
        await _copy(_dsn(url), 0, N, seqs)
        t0 = time.perf_counter()
        async with maker() as session, session.begin():
            first = await log.publish(session, "on_demand")
        first_s = time.perf_counter() - t0
        await _copy(_dsn(url), N, MORE, seqs)
        t0 = time.perf_counter()
        async with maker() as session, session.begin():
            second = await log.publish(session, "periodic")
        second_s = time.perf_counter() - t0
        assert first is not None and second is not None and second.tree_size == N + MORE
        rng = random.Random(7)
        inclusion = []
        async with maker() as session:
            for _ in range(PROOFS):
                agg = f"00000000-0000-4000-8000-{rng.randrange(AGGREGATES):012d}"
                t0 = time.perf_counter()
                entry = await log.entry_of(session, "plan", agg, second.tree_size, None)
                path = await log.inclusion(session, entry.idx, second.tree_size)
                inclusion.append((time.perf_counter() - t0) * 1000)
                leaf = heads.entry_leaf_hash("plan", agg, entry.revision, entry.chain_hash)
                assert merkle.verify_inclusion(
                    leaf, entry.idx, second.tree_size, path, bytes.fromhex(second.root_hash)
                )
            t0 = time.perf_counter()
            proof = await log.consistency(session, first.tree_size, second.tree_size)
            consistency_ms = (time.perf_counter() - t0) * 1000
        assert merkle.verify_consistency(
            first.tree_size,
            second.tree_size,
            bytes.fromhex(first.root_hash),
            bytes.fromhex(second.root_hash),
            proof,
        )
    finally:
        await engine.dispose()
    per_thousand = first_s / N * MORE
    return [
        row(f"first head over {N:,} events", first_s, "s"),
        row(f"next head after {MORE:,} more", second_s, "s", per_thousand),
        row("inclusion proof p50", statistics.median(inclusion), "ms"),
        row("inclusion proof p99", sorted(inclusion)[int(len(inclusion) * 0.99) - 1], "ms"),
        row("consistency proof", consistency_ms, "ms"),
    ]


def main() -> list[dict[str, Any]]:
    with scratch_database("transparency", ["jiuzhu_procurement"]) as url:
        return asyncio.run(_run(url))


if __name__ == "__main__":
    print_table(main(), "transparency log")
