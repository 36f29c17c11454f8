"""Pooled connections the server closed (Postgres restarted, a backend ended): each pool drops them
instead of failing requests on them, and what still fails is a 503 problem on a usable connection."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import EmulatedDBAPIException

from jiuzhu_devtools.testing import TEST_SECRET, asyncpg_dsn
from jiuzhu_kit.db import (
    DatabaseUnavailable,
    classify_db_error,
    make_engine,
    make_sessionmaker,
    session_driver,
)
from jiuzhu_kit.handlers import install_error_handlers
from jiuzhu_kit.settings import KitSettings
from jiuzhu_kit.writepool import WritePool


def _settings(url: str) -> KitSettings:
    return KitSettings(DATABASE_URL=url, JWT_SECRET=TEST_SECRET, JIUZHU_ENVIRONMENT="test")


async def _end_backend(url: str, pid: int) -> None:
    """What a Postgres restart does to each connection: the server ends the backend."""
    con = await asyncpg.connect(asyncpg_dsn(url))
    try:
        assert await con.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await con.close()


async def _until_closed(driver: Any) -> None:
    for _ in range(100):
        if driver.is_closed():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the client never saw the server close the connection")


async def test_the_engine_replaces_a_connection_closed_while_idle(database_url: str) -> None:
    # The plan transition's path: session_driver sends BEGIN straight to asyncpg, past SQLAlchemy's
    # disconnect handling; a dead pooled connection used to fail it (500) on every checkout.
    engine = make_engine(_settings(database_url), "kit-test-dead")
    maker = make_sessionmaker(engine)
    try:
        async with maker() as session:
            con = await session_driver(session)
            pid = await con.fetchval("SELECT pg_backend_pid()")
            await session.commit()
        await _end_backend(database_url, pid)
        await _until_closed(con)
        async with maker() as session:  # the same pooled connection, now closed: replaced in place
            fresh = await session_driver(session)
            assert fresh is not con and await fresh.fetchval("SELECT pg_backend_pid()") != pid
            await session.commit()
        await _end_backend(database_url, await fresh.fetchval("SELECT pg_backend_pid()"))
        await _until_closed(fresh)
        async with maker() as session:  # the same for a statement SQLAlchemy runs itself
            assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()


async def test_a_connection_dead_at_begin_is_a_503_and_leaves_the_pool(database_url: str) -> None:
    engine = make_engine(_settings(database_url), "kit-test-dead")
    maker = make_sessionmaker(engine)
    try:
        async with maker() as session:
            conn = await session.connection()  # checked out alive, dies before BEGIN
            driver = (await conn.get_raw_connection()).driver_connection
            await _end_backend(database_url, driver.get_server_pid())
            await _until_closed(driver)
            with pytest.raises(EmulatedDBAPIException) as raised:
                await session_driver(session)
            assert isinstance(classify_db_error(raised.value), DatabaseUnavailable)
            assert conn.invalidated  # not handed back to the pool
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        async with maker() as session:
            assert await (await session_driver(session)).fetchval("SELECT 1") == 1
    finally:
        await engine.dispose()


async def test_the_write_pool_begins_on_a_live_connection(database_url: str) -> None:
    pool = WritePool(_settings(database_url), "kit-test-dead")
    try:
        async with pool.transaction() as con:
            pid = await con.fetchval("SELECT pg_backend_pid()")
        # Used at once, before the client may have seen the close: BEGIN fails on the dead
        # connection and a fresh one is taken (or the pool replaces it on acquire).
        await _end_backend(database_url, pid)
        async with pool.transaction() as con:
            assert await con.fetchval("SELECT pg_backend_pid()") != pid
    finally:
        await pool.close()


def _failing_app(exc: Exception) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise exc

    return app


@pytest.mark.parametrize(
    "exc",
    [
        asyncpg.exceptions.InterfaceError("connection is closed"),
        asyncpg.exceptions.InternalClientError("cannot switch to state 12; another operation is in progress"),
        ConnectionResetError("reset by peer"),
    ],
    ids=["interface-error", "internal-client-error", "os-error"],
)
async def test_a_database_error_is_answered_without_reraising(exc: Exception) -> None:
    """Starlette's catch-all handler re-raises after answering, and uvicorn then drops the client's
    keep-alive connection; database errors are answered by their own handler, which does not."""
    transport = httpx.ASGITransport(app=_failing_app(exc), raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        r = await c.get("/boom")
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "DATABASE_UNAVAILABLE"
