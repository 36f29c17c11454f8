"""The periodic tree-head publication (jiuzhu_kit.transparency): two replicas' publishers under the
Leader lock publish each growth of the log once; a head only when the log grew; a transaction still
open when a head is published enters the next one (the feed's horizon), never lost, never twice;
the log's tables refuse UPDATE and DELETE."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from jiuzhu_devtools.testing import asyncpg_dsn
from jiuzhu_kit.audit import SYSTEM, AuditLog
from jiuzhu_kit.settings import to_async_url
from jiuzhu_kit.singleton import Leader
from jiuzhu_kit.transparency import heads, merkle
from jiuzhu_kit.transparency.log import Head, Publisher, TransparencyLog
from jiuzhu_procurement.db import kit as procurement_kit


async def _write(con: asyncpg.Connection, audit: AuditLog, plan: str, action: str) -> None:
    await audit.append(
        con, aggregate_type="plan", aggregate_id=plan, action=action, actor=SYSTEM, jurisdiction="440103"
    )


async def _until(log: TransparencyLog, session: AsyncSession, size: int) -> Head:
    for _ in range(200):
        head = await log.latest(session)
        if head is not None and head.tree_size >= size:
            assert head.tree_size == size
            return head
        await asyncio.sleep(0.05)
    raise AssertionError(f"no head of {size} entries")


async def test_replicas_publish_each_growth_once_and_a_late_commit_enters_the_next_head(
    database_url: str,
) -> None:
    assert procurement_kit.transparency is not None
    engine = create_async_engine(to_async_url(database_url))
    maker = async_sessionmaker(engine, expire_on_commit=False)
    log = TransparencyLog(
        "procurement", procurement_kit.transparency, procurement_kit.audit, heads.dev_key("procurement")
    )
    audit = AuditLog(procurement_kit.audit)
    dsn = asyncpg_dsn(database_url)
    head = procurement_kit.transparency.head
    name = f"test:transparency:{uuid.uuid4().hex[:6]}"
    replicas = [Leader(dsn, name, Publisher(log, maker), every=0.05) for _ in range(2)]
    con = await asyncpg.connect(dsn)
    late = await asyncpg.connect(dsn)
    plan, other = str(uuid.uuid4()), str(uuid.uuid4())
    try:
        for action in ("plan.created", "plan.submit"):
            await _write(con, audit, plan, action)
        # A transaction that writes now and commits after the next head.
        tx = late.transaction()
        await tx.start()
        await _write(late, audit, other, "plan.created")
        for r in replicas:
            await r.start()
        async with maker() as session:
            first = await _until(log, session, 2)
            await asyncio.sleep(0.3)  # more periods: nothing grew (the open transaction waits), no new head
            assert (await log.latest(session)) == first
            await tx.commit()
            await _write(con, audit, plan, "plan.approve")
            second = await _until(log, session, 4)
            await asyncio.sleep(0.3)
            assert (await log.latest(session)) == second
            sizes = (
                (await session.execute(select(head.c.tree_size).order_by(head.c.sequence))).scalars().all()
            )
            assert list(sizes) == sorted(set(sizes))  # a head only when the log grew, each growth once
            assert [r.leading for r in replicas].count(True) == 1
            entries = await log.entries(session, 0, 4)
        assert sorted((e.aggregate_id, e.revision) for e in entries) == sorted(
            [(plan, 1), (plan, 2), (plan, 3), (other, 1)]
        )
        rows = [
            {"aggregate_type": e.aggregate_type, "aggregate_id": e.aggregate_id, "revision": e.revision,
             "chain_hash": e.chain_hash}
            for e in entries
        ]  # fmt: skip
        assert heads.root_of_entries(rows[:2]) == first.root_hash
        assert heads.root_of_entries(rows) == second.root_hash
        tree = merkle.LeafTree(
            [
                heads.entry_leaf_hash(e.aggregate_type, e.aggregate_id, e.revision, e.chain_hash)
                for e in entries
            ]
        )
        proof = merkle.consistency_proof(tree.perfect, 2, 4)
        assert merkle.verify_consistency(
            2, 4, bytes.fromhex(first.root_hash), bytes.fromhex(second.root_hash), proof
        )
        for table in ("transparency_entry", "transparency_head", "transparency_node"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await con.execute(f"DELETE FROM procurement.{table}")
    finally:
        for r in replicas:
            await r.close()
        await con.close()
        await late.close()
        await engine.dispose()


async def test_a_backlog_is_appended_one_batch_per_transaction(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first publication over a long history commits batch by batch: an open transaction that has
    written holds back the commit horizon, and the changes feed would serve nothing newer until it
    ends. The head still covers every event, in the feed's order."""
    assert procurement_kit.transparency is not None
    monkeypatch.setattr("jiuzhu_kit.transparency.log.BATCH", 3)
    engine = create_async_engine(to_async_url(database_url))
    maker = async_sessionmaker(engine, expire_on_commit=False)
    log = TransparencyLog(
        "procurement", procurement_kit.transparency, procurement_kit.audit, heads.dev_key("procurement")
    )
    audit = AuditLog(procurement_kit.audit)
    con = await asyncpg.connect(asyncpg_dsn(database_url))
    plan = str(uuid.uuid4())
    try:
        for n in range(7):
            await _write(con, audit, plan, f"plan.step{n}")
        await Publisher(log, maker)()
        async with maker() as session:
            head = await log.latest(session)
            assert head is not None and head.tree_size == 7
            entries = await log.entries(session, 0, 7)
        assert [(e.aggregate_id, e.revision) for e in entries] == [(plan, n) for n in range(1, 8)]
        # 3 + 3 + 1 events: three transactions wrote the entries (the head's own appended none).
        writers = await con.fetchval("SELECT count(DISTINCT xmin::text) FROM procurement.transparency_entry")
        assert writers == 3
    finally:
        await con.close()
        await engine.dispose()
