"""Rate limits: a sliding-window counter per key, in one process (`LocalWindow`) or shared by every
replica through Postgres (`ClusterWindow`); both bounded in memory, and a key expires.

Sliding-window counter: this fixed window's count plus the previous window's, weighted by how much
of it still overlaps (the approximation Cloudflare and the `limits` library use), O(1) per hit. Not
the `limits` library itself: its in-memory storage starts a timer thread per key expiry, which
measured at ~10% of the gateway's CPU per request (bench/gateway_proxy.py).

The cluster policy is Kong's rate-limiting `cluster` policy with a sync rate: hits are counted in
process and pushed to `<schema>.rate_limit_window` in one statement every `sync_seconds`, which
answers each key's total over all replicas. A replica admits on its last view of that total plus its
own hits not yet synced. What the other replicas cannot see is bounded: a replica runs at most
`slack` hits ahead of its last sync per key, then a request waits for the next sync (one round
trip, shared by every key waiting): slack = max(1, ⌊amount × error / replicas⌋), `replicas` being
the replicas that synced in the last `LIVE_SECONDS`. So per key and window all replicas together
admit at most amount + replicas × slack: amount × (1 + error) once amount × error ≥ replicas, else
amount + replicas. A key hit less than `slack` times per sync interval on a replica never waits:
the hot path makes no round trip. Postgres unreachable (or a sync slower than `SYNC_TIMEOUT`):
each replica counts on its own (together at most replicas × amount) until a sync succeeds again.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
import uuid
from typing import Any, Literal, NamedTuple

from jiuzhu_kit import waiting
from jiuzhu_kit.db import Dedicated
from jiuzhu_kit.errors import RateLimited

log = logging.getLogger("jiuzhu.ratelimit")

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(?:(\d+)\s*)?(second|minute|hour|day)s?\s*$")

Policy = Literal["local", "cluster"]


class Limit(NamedTuple):  # hashed on every hit: a tuple's hash is C, a frozen dataclass's Python
    amount: int
    window: float  # seconds

    @classmethod
    def parse(cls, spec: str) -> Limit:
        """`120/minute`, `5/second`, `1000/2 hours`."""
        m = _SPEC.match(spec)
        if not m:
            raise ValueError(f"bad rate limit {spec!r}: expected e.g. '120/minute'")
        return cls(int(m.group(1)), int(m.group(2) or 1) * _UNITS[m.group(3)])


Key = tuple[Limit, tuple[str, ...]]
# entry: [window index, previous window's count, this window's count, window length,
#         this window's hits not yet synced (cluster only)]
IDX, PREV, CURR, LEN, UNSYNCED = range(5)
_NEED_SYNC = -1.0


def retry_after(wait: float) -> int:
    """Whole seconds for Retry-After (0: allowed)."""
    return max(1, math.ceil(wait)) if wait > 0 else 0


class LocalWindow:
    """Counters in this process only: at most `max_keys`, a key dropped once its two windows are over
    (looked for at most every `prune_seconds`, when a new key arrives); over `max_keys` even then,
    the oldest tenth is dropped (they count from zero again)."""

    def __init__(self, max_keys: int = 100_000, prune_seconds: float = 10.0) -> None:
        self.max_keys = max_keys
        self.prune_seconds = prune_seconds
        self._counts: dict[Key, list[float]] = {}
        self._pruned = 0.0

    def __len__(self) -> int:
        return len(self._counts)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def acquire(self, limit: Limit, key: tuple[str, ...], count: bool = True) -> float:
        """Count one request (or only look, `count=False`); 0 when allowed, else seconds to wait."""
        return self.hit(limit, key, count=count)

    def hit(self, limit: Limit, key: tuple[str, ...], now: float | None = None, count: bool = True) -> float:
        t = time.time() if now is None else now
        index = t // limit.window
        full = (limit, key)  # each limit counts on its own, even for the same caller
        entry = self._counts.get(full)
        if entry is None:
            self._make_room(t)
            entry = self._counts[full] = [index, 0.0, 0.0, limit.window, 0.0]
        elif entry[IDX] != index:
            self._roll(full, entry, index)
        elapsed = (t - index * limit.window) / limit.window  # share of this window gone by
        prev, curr = entry[PREV], entry[CURR]
        if prev * (1 - elapsed) + curr + 1 <= limit.amount:
            if count:
                if not self._may_count(full, entry, limit, index):
                    return _NEED_SYNC
                entry[CURR] = curr + 1
            return 0.0
        if curr + 1 > limit.amount or prev <= 0:  # only the next window can help
            return (index + 1) * limit.window - t
        # the previous window's weight must fall until one more fits
        needed = 1 - (limit.amount - curr - 1) / prev
        return max(0.0, (needed - elapsed) * limit.window)

    def _may_count(self, full: Key, entry: list[float], limit: Limit, index: float) -> bool:
        return True

    def _roll(self, full: Key, entry: list[float], index: float) -> None:
        entry[PREV] = entry[CURR] if entry[IDX] == index - 1 else 0.0
        entry[CURR] = 0.0
        entry[UNSYNCED] = 0.0
        entry[IDX] = index

    def _make_room(self, now: float) -> None:
        if now - self._pruned < self.prune_seconds and len(self._counts) < self.max_keys:
            return
        self._pruned = now
        # A key whose last two windows are over counts zero anyway: drop it.
        stale = [k for k, v in self._counts.items() if now >= (v[IDX] + 2) * v[LEN]]
        for k in stale:
            del self._counts[k]
        if len(self._counts) >= self.max_keys:
            for k in list(self._counts)[: max(1, self.max_keys // 10)]:
                del self._counts[k]


class ClusterWindow(LocalWindow):
    """The local counters, synced with the other replicas through `<schema>.rate_limit_window`."""

    HEARTBEAT_SECONDS = 2.0
    LIVE_SECONDS = 10.0
    SYNC_TIMEOUT = 2.0

    def __init__(
        self,
        dsn: str,
        schema: str,
        connect_options: dict[str, Any],
        sync_seconds: float = 0.2,
        error: float = 0.05,
        max_keys: int = 100_000,
    ) -> None:
        super().__init__(max_keys)
        self.dsn = dsn
        self.schema = schema
        self.connect_options = connect_options
        self.sync_seconds = sync_seconds
        self.error = error
        self.replica = f"{uuid.uuid4().hex[:12]}"
        self.replicas = 1
        self.degraded = False  # the last sync failed: count alone until one succeeds
        self._dirty: dict[tuple[Key, int], int] = {}  # (key, window index) → hits not yet synced
        self._stale_prev: set[Key] = set()  # keys whose previous window others may have added to
        self._db = Dedicated(dsn, connect_options)
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._round: asyncio.Future[None] | None = None
        self._beat = 0.0
        self.syncs = 0

    # ---- the request path -------------------------------------------------------------------

    async def acquire(self, limit: Limit, key: tuple[str, ...], count: bool = True) -> float:
        while True:
            wait = self.hit(limit, key, count=count)
            if wait != _NEED_SYNC:
                return wait
            await self._next_sync()

    def slack(self, limit: Limit) -> int:
        return max(1, int(limit.amount * self.error / max(1, self.replicas)))

    def _may_count(self, full: Key, entry: list[float], limit: Limit, index: float) -> bool:
        if not self.degraded and self._task is not None and entry[UNSYNCED] >= self.slack(limit):
            return False
        entry[UNSYNCED] += 1
        dk = (full, int(index))
        self._dirty[dk] = self._dirty.get(dk, 0) + 1
        return True

    def _roll(self, full: Key, entry: list[float], index: float) -> None:
        super()._roll(full, entry, index)
        self._stale_prev.add(full)  # the others' hits in the window just closed: read at the next sync

    async def _next_sync(self) -> None:
        """Wait for a sync that starts after now (one round trip, whatever the number of waiters)."""
        if self._round is None:
            self._round = asyncio.get_running_loop().create_future()
        done = self._round
        self._wake.set()
        try:
            async with asyncio.timeout(self.SYNC_TIMEOUT):
                await asyncio.shield(done)
        except TimeoutError:
            self.degraded = True

    # ---- the sync -----------------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"ratelimit-sync-{self.schema}")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        await self._db.close()

    async def _run(self) -> None:
        while True:
            await waiting.wait(self._wake, self.sync_seconds)
            self._wake.clear()
            done, self._round = self._round, None
            try:
                await self.sync()
                self.degraded = False
            except asyncio.CancelledError:
                raise
            except Exception:
                if not self.degraded:
                    log.warning("rate-limit sync failed: counting in this process only", exc_info=True)
                self.degraded = True
                await self._db.close()
            finally:
                if done is not None and not done.done():
                    done.set_result(None)

    async def sync(self) -> None:
        """Push the hits counted since the last sync, read back the totals (and the previous window
        of keys that just rolled over); every `HEARTBEAT_SECONDS`, count the live replicas and drop
        expired rows."""
        now = time.time()
        if now - self._beat >= self.HEARTBEAT_SECONDS:
            conn = await self._db.get()
            self.replicas = int(await conn.fetchval(self._sql_heartbeat, self.replica, self.LIVE_SECONDS))
            self._beat = now
        if not self._dirty and not self._stale_prev:
            return
        sent, self._dirty = self._dirty, {}
        stale, self._stale_prev = self._stale_prev, set()
        rows: dict[tuple[str, int], tuple[Key, int]] = {}
        for (full, index), hits in sent.items():
            rows[(_bucket(full), index)] = (full, hits)
        for full in stale:
            entry = self._counts.get(full)
            if entry is not None:
                rows.setdefault((_bucket(full), int(entry[IDX]) - 1), (full, 0))
        ordered = sorted(rows)  # one lock order for every replica: no deadlocks between syncs
        try:
            conn = await self._db.get()
            result = await conn.fetch(
                self._sql_sync,
                [b for b, _ in ordered],
                [w for _, w in ordered],
                [rows[k][1] for k in ordered],
                [(w + 2) * rows[(b, w)][0][0].window for b, w in ordered],
            )
        except BaseException:
            for dk, hits in sent.items():  # counted again next time (unless its windows are over)
                if now < (dk[1] + 2) * dk[0][0].window:
                    self._dirty[dk] = self._dirty.get(dk, 0) + hits
            self._stale_prev |= stale
            raise
        self.syncs += 1
        for r in result:
            full, hits = rows[(r["bucket"], r["win"])]
            entry = self._counts.get(full)
            if entry is None:
                continue
            if entry[IDX] == r["win"]:  # this window: the total, plus own hits counted since
                entry[UNSYNCED] = max(0.0, entry[UNSYNCED] - hits)
                entry[CURR] = r["hits"] + entry[UNSYNCED]
            elif entry[IDX] == r["win"] + 1:  # the window before
                entry[PREV] = r["hits"] + self._dirty.get((full, r["win"]), 0)

    @property
    def _sql_heartbeat(self) -> str:
        s = self.schema
        return f"""
            WITH beat AS (
                INSERT INTO {s}.rate_limit_replica (replica, seen_at) VALUES ($1, now())
                ON CONFLICT (replica) DO UPDATE SET seen_at = now()
            ), expired AS (
                DELETE FROM {s}.rate_limit_window WHERE expires_at < now()
            ), gone AS (
                DELETE FROM {s}.rate_limit_replica WHERE seen_at < now() - interval '1 hour'
            )
            SELECT count(*) + 1 FROM {s}.rate_limit_replica
            WHERE replica <> $1 AND seen_at > now() - make_interval(secs => $2)
        """  # noqa: S608 (the schema is ours)

    @property
    def _sql_sync(self) -> str:
        s = self.schema
        return f"""
            WITH d AS (
                SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::float8[])
                    AS d(bucket, win, hits, expires)
            ), up AS (
                INSERT INTO {s}.rate_limit_window AS w (bucket, win, hits, expires_at)
                SELECT bucket, win, hits, to_timestamp(expires) FROM d WHERE hits > 0 ORDER BY bucket, win
                ON CONFLICT (bucket, win) DO UPDATE SET hits = w.hits + excluded.hits
                RETURNING w.bucket, w.win, w.hits
            )
            SELECT bucket, win, hits FROM up
            UNION ALL
            SELECT w.bucket, w.win, w.hits FROM {s}.rate_limit_window w
            JOIN d ON d.bucket = w.bucket AND d.win = w.win AND d.hits = 0
        """  # noqa: S608 (the schema is ours)


def _bucket(full: Key) -> str:
    limit, key = full
    return f"{limit.amount}/{limit.window:g}:" + "|".join(key)


def make_window(
    policy: Policy,
    *,
    database_url: str,
    schema: str,
    connect_options: dict[str, Any],
    sync_seconds: float = 0.2,
    error: float = 0.05,
    max_keys: int = 100_000,
) -> LocalWindow:
    """The window a setting names: `cluster` needs a database (without one it is `local`)."""
    if policy == "cluster" and database_url:
        from jiuzhu_kit.db import plain_dsn

        return ClusterWindow(plain_dsn(database_url), schema, connect_options, sync_seconds, error, max_keys)
    return LocalWindow(max_keys)


class Limiter:
    """One limit on one window: `await limiter.enforce(*key)` raises RateLimited (429 + Retry-After)."""

    def __init__(self, window: LocalWindow, limit: Limit) -> None:
        self.window = window
        self.limit = limit

    async def enforce(self, *key: str) -> None:
        wait = retry_after(await self.window.acquire(self.limit, key))
        if wait:
            raise RateLimited(retry_after=wait)
