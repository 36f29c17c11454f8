"""A bare asyncpg pool for the hot write routes (lean.py), beside the SQLAlchemy engine.

Measured on the transition route (bench/procurement_transitions.py, 2 cores): checking out an ORM
session, beginning and committing costs ≈0.2 ms of CPU more per request than taking a connection
from this pool, and that was the largest single cost left once FastAPI was out of the way. Only
statements the kit or a service writes by hand run here (the row lock, the update, the audit
append); anything that needs the ORM still uses the request's session.

Connections look the same as the engine's: the same server settings (timeouts, application name
plus `-write`, so they can be told apart in pg_stat_activity) and SQLAlchemy's JSON/JSONB codecs
(JSON text in, Python values out), so one statement gives the same values on either pool.
No reset query on release (asyncpg's default, `RESET ALL` and co., is a round trip per request):
nothing here sets session state; asyncpg still rolls back a transaction left open.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import asyncpg

from jiuzhu_kit.db import DatabaseUnavailable, classify_db_error, connect_args, plain_dsn
from jiuzhu_kit.settings import KitSettings


def _json_out(value: bytes) -> Any:
    return json.loads(value.decode())


def _jsonb_in(text: str) -> bytes:
    return b"\x01" + text.encode()  # binary jsonb starts with its format version, 1


def _jsonb_out(value: bytes) -> Any:
    return json.loads(value[1:].decode())


async def _init(con: asyncpg.Connection) -> None:
    # As SQLAlchemy's asyncpg dialect sets them up (setup_asyncpg_json_codec / _jsonb_codec).
    await con.set_type_codec(
        "json", encoder=str.encode, decoder=_json_out, schema="pg_catalog", format="binary"
    )
    await con.set_type_codec(
        "jsonb", encoder=_jsonb_in, decoder=_jsonb_out, schema="pg_catalog", format="binary"
    )


async def _no_reset_query(con: asyncpg.Connection) -> None:
    # The pool still rolls back a transaction left open (asyncpg's Connection._reset) before this.
    return None


class WritePool:
    """Opened lazily (no connection until the first hot write), closed with the app."""

    def __init__(self, settings: KitSettings, application_name: str) -> None:
        self._dsn = plain_dsn(settings.database_url)
        self._max = settings.db_pool_size
        self._options = connect_args(settings, f"{application_name}-write")
        self._pool: asyncpg.Pool | None = None

    async def _open(self) -> asyncpg.Pool:
        if self._pool is None:
            options = dict(self._options)
            pool = await asyncpg.create_pool(
                self._dsn,
                min_size=0,
                max_size=self._max,
                max_inactive_connection_lifetime=300,
                init=_init,
                reset=_no_reset_query,
                timeout=options.pop("timeout"),
                **options,
            )
            if self._pool is None:  # another request may have opened it while this one waited
                self._pool = pool
            else:
                await pool.close()
        return self._pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        """A connection in a transaction: committed when the block ends, rolled back if it raises.

        asyncpg's pool replaces a connection it knows is closed on acquire and terminates one that
        is closed or cannot be reset on release. One that died unnoticed while idle (Postgres
        restarted a moment ago) fails on BEGIN with a connection error: nothing has run on it, so
        one fresh connection is tried before the request gives up with a 503."""
        pool = await self._open()
        for attempt in (1, 2):
            async with pool.acquire() as con:
                tx = con.transaction()
                try:
                    await tx.start()
                except Exception as exc:
                    # (Not `con.is_closed()`: the pool may already have taken a closed one back.)
                    if attempt == 2 or not isinstance(classify_db_error(exc), DatabaseUnavailable):
                        raise
                    continue  # released: the pool terminates a closed connection
                try:
                    yield con
                except BaseException:
                    # As asyncpg's Transaction.__aexit__, but the block's own error is the one
                    # raised: a dead connection cannot roll back, and the pool then terminates it.
                    with suppress(Exception):
                        await tx.rollback()
                    raise
                await tx.commit()
                return

    @property
    def pool(self) -> asyncpg.Pool | None:
        """The asyncpg pool once opened (for its gauges), else None."""
        return self._pool

    async def close(self) -> None:
        pool = self._pool
        if pool is not None:
            await pool.close()  # waits for every connection to be released
            self._pool = None

    def terminate(self) -> None:
        """Close every connection now, released or not (a close that did not end)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.terminate()
