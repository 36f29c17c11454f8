"""Work that must run once however many replicas run: one leader through a Postgres advisory lock.

`Leader(dsn, "procurement:overdue-check", job, every=60)` runs `job()` every `every` seconds on the
one replica that holds the session advisory lock named after the job; the others try again each
period. The lock lives as long as the leader's connection: a leader that dies or loses Postgres
drops it (the server ends the session), and another replica takes over within one period. A job
handed a batch of rows instead (a sender's outbox) should also claim them with
`FOR UPDATE SKIP LOCKED`, so a slow leader overlapping a new one never sends a row twice.

What runs on every replica needs none of this: the rate-limit sync (jiuzhu_kit.ratelimit) and the
rules refresh (jiuzhu_kit.rules.local) are per process; migrations hold `migrate:<schema>`
(jiuzhu_kit.migrations), so two migrators run one after the other and the second finds the head.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from jiuzhu_kit.db import Dedicated

log = logging.getLogger("jiuzhu.singleton")


class Leader:
    def __init__(
        self,
        dsn: str,
        name: str,
        job: Callable[[], Awaitable[None]],
        every: float,
        connect_options: dict[str, Any] | None = None,
    ) -> None:
        self.dsn = dsn
        self.name = name
        self.job = job
        self.every = every
        self.connect_options = connect_options or {}
        self.leading = False
        self.runs = 0
        self._db = Dedicated(dsn, self.connect_options)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"leader-{self.name}")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        await self._release()

    async def _release(self) -> None:
        self.leading = False
        await self._db.close()  # ends the session: the lock goes with it

    async def try_lead(self) -> bool:
        """Hold the lock (kept while this replica's connection lives), or learn that another does."""
        if not self._db.open:
            self.leading = False  # the lock went with the session
        conn = await self._db.get()
        if not self.leading:
            self.leading = bool(
                await conn.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", self.name)
            )
        else:  # still ours? (a connection silently gone would fail here)
            await conn.fetchval("SELECT 1")
        return self.leading

    async def _run(self) -> None:
        while True:
            try:
                if await self.try_lead():
                    await self.job()
                    self.runs += 1
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("%s: this run failed; trying again next period", self.name, exc_info=True)
                await self._release()
            await asyncio.sleep(self.every)
