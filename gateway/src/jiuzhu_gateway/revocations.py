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
from typing import Any

from jiuzhu_gateway.credentials import REVOKED_CHANNEL, Authenticator
from jiuzhu_kit.db import Dedicated, listen


class RevocationListener:
    RETRY_SECONDS = 1.0

    def __init__(self, dsn: str, connect_options: dict[str, Any], auth: Authenticator) -> None:
        self.db = Dedicated(dsn, connect_options)
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

    def _listening(self) -> None:
        self.auth.forget_all()  # anything revoked while no one listened
        self.connected.set()

    async def _run(self) -> None:
        await listen(
            self.db,
            REVOKED_CHANNEL,
            self._on_notify,
            listening=self._listening,
            lost=self.connected.clear,
            retry_seconds=self.RETRY_SECONDS,
        )
