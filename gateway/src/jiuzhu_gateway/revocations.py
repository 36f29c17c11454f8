"""API-key revocations reach every gateway replica through Postgres LISTEN/NOTIFY.

The revocation's transaction sends `NOTIFY jiuzhu_gateway_api_key_revoked, '<key_id>'` (delivered
to listeners when it commits); each gateway keeps one connection listening and drops the key from
its cache when the notification arrives. Bound: while the listener is connected, a revoked key is
refused on every replica once the notification has travelled (milliseconds on one network, measured
by tests/test_replicas.py); while it is not (Postgres away, connection lost), within
`GATEWAY_API_KEY_CACHE_SECONDS` as before, and every cached key is looked up again the moment the
listener is back (notifications sent meanwhile are lost, so none is trusted).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg

from jiuzhu_gateway.credentials import REVOKED_CHANNEL, Authenticator
from jiuzhu_kit import waiting

log = logging.getLogger("jiuzhu.gateway.revocations")


class RevocationListener:
    RETRY_SECONDS = 1.0

    def __init__(self, dsn: str, connect_options: dict[str, Any], auth: Authenticator) -> None:
        self.dsn = dsn
        self.connect_options = connect_options
        self.auth = auth
        self.connected = asyncio.Event()
        self.received = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="api-key-revocations")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass

    def _on_notify(self, conn: Any, pid: int, channel: str, payload: str) -> None:
        self.received += 1
        self.auth.forget(payload)

    async def _run(self) -> None:
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self.dsn, **self.connect_options)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, ev=lost: ev.set())
                await conn.add_listener(REVOKED_CHANNEL, self._on_notify)
                self.auth.forget_all()  # anything revoked while no one listened
                self.connected.set()
                while not lost.is_set():
                    # A dead peer is noticed by the termination listener or, on a silent network,
                    # by this probe failing.
                    if not await waiting.wait(lost, 10):
                        await conn.fetchval("SELECT 1", timeout=5)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("revocation listener lost (%s): key cache time applies until it is back", exc)
            finally:
                self.connected.clear()
                if conn is not None and not conn.is_closed():
                    conn.terminate()
            await asyncio.sleep(self.RETRY_SECONDS)
