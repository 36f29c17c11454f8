"""The transparency log of one service in its own schema: entries, tree nodes, signed heads; the
publisher that appends and signs (jiuzhu_kit.transparency explains the design)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    func,
    insert,
    select,
    text,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jiuzhu_kit.feed import HORIZON
from jiuzhu_kit.transparency import heads, merkle

log = logging.getLogger("jiuzhu.transparency")

BATCH = 10_000  # audit events read per query while appending


class TransparencyTables:
    """The log's tables: entries (one per audit event), the complete subtrees of the Merkle tree
    over them (level 0: the leaf hashes), and the signed heads. All append-only."""

    def __init__(self, metadata: MetaData) -> None:
        self.entry = Table(
            "transparency_entry",
            metadata,
            Column("idx", BigInteger, primary_key=True, autoincrement=False),
            Column("aggregate_type", String(64), nullable=False),
            Column("aggregate_id", String(128), nullable=False),
            Column("revision", Integer, nullable=False),
            Column("chain_hash", String(64), nullable=False),
            # The audit event's feed position: where the next append resumes.
            Column("event_xid", BigInteger, nullable=False),
            Column("event_id", BigInteger, nullable=False),
            Index("transparency_entry_aggregate", "aggregate_type", "aggregate_id", "revision"),
        )
        self.node = Table(
            "transparency_node",
            metadata,
            Column("level", SmallInteger, primary_key=True, autoincrement=False),
            Column("idx", BigInteger, primary_key=True, autoincrement=False),
            Column("hash", LargeBinary(32), nullable=False),
        )
        self.head = Table(
            "transparency_head",
            metadata,
            Column("sequence", BigInteger, primary_key=True, autoincrement=False),
            Column("tree_size", BigInteger, nullable=False),
            Column("root_hash", String(64), nullable=False),
            Column("timestamp", BigInteger, nullable=False),
            Column("published_at", DateTime(timezone=True), nullable=False),
            Column("key_id", String(64), nullable=False),
            Column("signature", String(128), nullable=False),
            Column("trigger", String(16), nullable=False),
        )

    @property
    def names(self) -> tuple[str, ...]:
        return (self.entry.name, self.node.name, self.head.name)


def append_only_ddl(schema: str) -> list[str]:
    """A trigger on each log table refusing UPDATE, DELETE and TRUNCATE (as the audit log's)."""
    out = [
        f"""
        CREATE OR REPLACE FUNCTION "{schema}".transparency_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
        END $$;
        """
    ]
    for name in ("transparency_entry", "transparency_node", "transparency_head"):
        out += [
            f'CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON "{schema}".{name} '
            f'FOR EACH ROW EXECUTE FUNCTION "{schema}".transparency_append_only()',
            f'CREATE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON "{schema}".{name} '
            f'FOR EACH STATEMENT EXECUTE FUNCTION "{schema}".transparency_append_only()',
        ]
    return out


@dataclass(frozen=True)
class Head:
    service: str
    sequence: int
    tree_size: int
    root_hash: str
    timestamp: int
    published_at: datetime
    key_id: str
    signature: str
    trigger: str

    def signed(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "sequence": self.sequence,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "timestamp": self.timestamp,
            "signature": self.signature,
        }


class TransparencyLog:
    """One service's log: append the audit events that ended, sign heads, answer proofs."""

    def __init__(
        self, service: str, tables: TransparencyTables, audit: Table, key: Ed25519PrivateKey
    ) -> None:
        self.service = service
        self.t = tables
        self.audit = audit
        self.key = key
        self.public_key = key.public_key()
        self.key_id = heads.key_id(self.public_key)

    def _head(self, row: Any) -> Head:
        return Head(
            service=self.service,
            sequence=row.sequence,
            tree_size=row.tree_size,
            root_hash=row.root_hash,
            timestamp=row.timestamp,
            published_at=row.published_at,
            key_id=row.key_id,
            signature=row.signature,
            trigger=row.trigger,
        )

    async def latest(self, session: AsyncSession) -> Head | None:
        h = self.t.head
        row = (await session.execute(select(h).order_by(h.c.sequence.desc()).limit(1))).first()
        return None if row is None else self._head(row)

    async def head(self, session: AsyncSession, sequence: int) -> Head | None:
        h = self.t.head
        row = (await session.execute(select(h).where(h.c.sequence == sequence))).first()
        return None if row is None else self._head(row)

    async def size(self, session: AsyncSession) -> int:
        e = self.t.entry
        return int(await session.scalar(select(func.coalesce(func.max(e.c.idx) + 1, 0))) or 0)

    async def nodes(self, session: AsyncSession, keys: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        if not keys:
            return {}
        n = self.t.node
        rows = await session.execute(
            select(n.c.level, n.c.idx, n.c.hash).where(tuple_(n.c.level, n.c.idx).in_(sorted(keys)))
        )
        return {(r.level, r.idx): bytes(r.hash) for r in rows}

    async def _compute(self, session: AsyncSession, compute: Any) -> Any:
        """Run `compute(perfect)` on the stored subtrees it reads (fetched in one query)."""
        got = await self.nodes(session, merkle.needed(compute))
        return compute(merkle.lookup(got))

    async def lock(self, session: AsyncSession) -> None:
        """The publish lock, held until the session's transaction ends: one appender at a time."""
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))"),
            {"name": f"transparency-publish:{self.t.head.schema}"},
        )

    async def catch_up(self, maker: async_sessionmaker[AsyncSession]) -> None:
        """Append a backlog one batch per transaction, so the publication's own transaction is
        short: an open transaction that has written holds back the commit horizon, and the changes
        feed serves nothing committed after it until it ends (a first run over a million events
        took minutes)."""
        while True:
            async with maker() as session, session.begin():
                await self.lock(session)
                _, more = await self._append(session, max_batches=1)
            if not more:
                return

    async def append(self, session: AsyncSession) -> int:
        """Append the audit events of every transaction that has ended since the last append (the
        feed's order and horizon); the new tree size. Call under the publish lock."""
        size, _ = await self._append(session)
        return size

    async def _append(self, session: AsyncSession, max_batches: int | None = None) -> tuple[int, bool]:
        """append(), at most `max_batches` batches: (the tree size, whether events may remain)."""
        e, a = self.t.entry, self.audit
        batches = 0
        size = await self.size(session)
        last: tuple[int, int] | None = None
        if size:
            at = (await session.execute(select(e.c.event_xid, e.c.event_id).where(e.c.idx == size - 1))).one()
            last = (at.event_xid, at.event_id)
        while True:
            query = select(a.c.id, a.c.xid, a.c.aggregate_type, a.c.aggregate_id, a.c.seq, a.c.hash).where(
                a.c.xid < HORIZON
            )
            if last is not None:
                query = query.where(tuple_(a.c.xid, a.c.id) > tuple_(last[0], last[1]))
            events = (await session.execute(query.order_by(a.c.xid, a.c.id).limit(BATCH))).all()
            if not events:
                return size, False
            rows = [
                {
                    "idx": size + i,
                    "aggregate_type": ev.aggregate_type,
                    "aggregate_id": ev.aggregate_id,
                    "revision": ev.seq,
                    "chain_hash": ev.hash,
                    "event_xid": ev.xid,
                    "event_id": ev.id,
                }
                for i, ev in enumerate(events)
            ]
            leaves = [
                heads.entry_leaf_hash(r["aggregate_type"], r["aggregate_id"], r["revision"], r["chain_hash"])
                for r in rows
            ]
            old = await self.nodes(session, merkle.frontier(size, size + len(leaves)))
            made = merkle.new_nodes(size, leaves, merkle.lookup(old))
            await session.execute(insert(e), rows)
            await session.execute(
                insert(self.t.node),
                [{"level": k[0], "idx": k[1], "hash": v} for k, v in sorted(made.items())],
            )
            size += len(rows)
            last = (events[-1].xid, events[-1].id)
            batches += 1
            if len(events) < BATCH:
                return size, False
            if max_batches is not None and batches >= max_batches:
                return size, True

    async def publish(self, session: AsyncSession, trigger: str) -> Head | None:
        """Append, then sign and store a head, in the caller's transaction. `periodic` publishes
        only when the log grew (or has no head yet); `on_demand` always does."""
        await self.lock(session)
        previous = await self.latest(session)
        size = await self.append(session)
        if trigger == "periodic" and previous is not None and previous.tree_size == size:
            return None
        root_hash = (await self._compute(session, lambda p: merkle.root(p, size))).hex()
        sequence = 1 if previous is None else previous.sequence + 1
        now = datetime.now(UTC)
        timestamp = int(now.timestamp() * 1000)
        if previous is not None and timestamp <= previous.timestamp:
            timestamp = previous.timestamp + 1  # strictly increasing, whatever the clock did
        message = heads.signed_message(self.service, sequence, size, root_hash, timestamp)
        row = {
            "sequence": sequence,
            "tree_size": size,
            "root_hash": root_hash,
            "timestamp": timestamp,
            "published_at": now,
            "key_id": self.key_id,
            "signature": heads.sign(self.key, message),
            "trigger": trigger,
        }
        await session.execute(insert(self.t.head).values(**row))
        return Head(service=self.service, **row)

    async def entries(self, session: AsyncSession, start: int, end: int) -> list[Any]:
        e = self.t.entry
        rows = await session.execute(
            select(e.c.idx, e.c.aggregate_type, e.c.aggregate_id, e.c.revision, e.c.chain_hash)
            .where(e.c.idx >= start, e.c.idx < end)
            .order_by(e.c.idx)
        )
        return list(rows.all())

    async def entry_of(
        self,
        session: AsyncSession,
        aggregate_type: str,
        aggregate_id: str,
        tree_size: int,
        revision: int | None,
    ) -> Any:
        """The aggregate's entry in the tree of `tree_size`: its latest revision there, or the one asked."""
        e = self.t.entry
        query = select(e.c.idx, e.c.aggregate_type, e.c.aggregate_id, e.c.revision, e.c.chain_hash).where(
            e.c.aggregate_type == aggregate_type, e.c.aggregate_id == aggregate_id, e.c.idx < tree_size
        )
        if revision is not None:
            query = query.where(e.c.revision == revision)
        return (await session.execute(query.order_by(e.c.revision.desc(), e.c.idx.desc()).limit(1))).first()

    async def inclusion(self, session: AsyncSession, index: int, tree_size: int) -> list[bytes]:
        path: list[bytes] = await self._compute(session, lambda p: merkle.inclusion_path(p, index, tree_size))
        return path

    async def consistency(self, session: AsyncSession, first: int, second: int) -> list[bytes]:
        proof: list[bytes] = await self._compute(
            session, lambda p: merkle.consistency_proof(p, first, second)
        )
        return proof


class Publisher:
    """The periodic publication: a job for jiuzhu_kit.singleton.Leader (one replica publishes)."""

    def __init__(self, log_: TransparencyLog, maker: async_sessionmaker[AsyncSession]) -> None:
        self.log = log_
        self.maker = maker

    async def __call__(self) -> None:
        await self.log.catch_up(self.maker)
        async with self.maker() as session, session.begin():
            head = await self.log.publish(session, "periodic")
        if head is not None:
            log.info("published tree head %s of %s entries", head.sequence, head.tree_size)
