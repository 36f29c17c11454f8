"""Revocation reaching a gateway: by NOTIFY while its listener is connected, by the key cache time
while it is not, and at once (every cached key looked up again) when the listener comes back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest
import pytest_asyncio

from jiuzhu_devtools.testing import TEST_SECRET, asyncpg_dsn
from jiuzhu_gateway.credentials import REVOKED_CHANNEL, Authenticator, hash_secret
from jiuzhu_gateway.errors import ApiKeyInvalid
from jiuzhu_gateway.revocations import RevocationListener
from jiuzhu_gateway.settings import GatewaySettings
from jiuzhu_kit.db import make_engine, make_sessionmaker

CACHE = 0.6  # seconds: the fallback bound in these tests


@pytest_asyncio.fixture(loop_scope="session")
async def gateway_auth(database_url: str) -> AsyncIterator[Authenticator]:
    cfg = GatewaySettings(DATABASE_URL=database_url, JWT_SECRET=TEST_SECRET, api_key_cache_seconds=CACHE)
    engine = make_engine(cfg, "test-revocations")
    maker = make_sessionmaker(engine)
    try:
        yield Authenticator(cfg, lambda: maker)
    finally:
        await engine.dispose()


async def _issue(dsn: str, key_id: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO gateway.api_key (id, key_id, secret_hash, name, roles, division, created_by, version)"
            " VALUES (gen_random_uuid(), $1, $2, 'test', ARRAY['bureau'], '350802', 'test', 1)",
            key_id,
            hash_secret("s3cret"),
        )
    finally:
        await conn.close()
    return f"jzk_{key_id}_s3cret"


async def _revoke(dsn: str, key_id: str, notify: bool) -> None:
    """As the admin API on another gateway: the row, and the notification in the same transaction."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute("UPDATE gateway.api_key SET revoked_at = now() WHERE key_id = $1", key_id)
            if notify:
                await conn.execute("SELECT pg_notify($1, $2)", REVOKED_CHANNEL, key_id)
    finally:
        await conn.close()


async def _refused_after(auth: Authenticator, presented: str, limit: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < limit:
        try:
            await auth.authenticate(None, presented.encode())
        except ApiKeyInvalid:
            return time.monotonic() - start
        await asyncio.sleep(0.01)
    raise AssertionError(f"still accepted after {limit} s")


async def test_a_notified_revocation_bites_before_the_cache_expires(
    database_url: str, gateway_auth: Authenticator
) -> None:
    dsn = asyncpg_dsn(database_url)
    gateway_auth.settings.api_key_cache_seconds = 600  # only the notification can end it in time
    listener = RevocationListener(dsn, {}, gateway_auth)
    await listener.start()
    try:
        await asyncio.wait_for(listener.connected.wait(), 10)
        key = await _issue(dsn, "notified01")
        assert (await gateway_auth.authenticate(None, key.encode())).principal == "apikey:notified01"
        await _revoke(dsn, "notified01", notify=True)
        assert await _refused_after(gateway_auth, key, 1.0) < 1.0
        assert listener.received == 1
    finally:
        gateway_auth.settings.api_key_cache_seconds = CACHE
        await listener.close()


async def test_without_a_listener_the_cache_time_bounds_it_and_reconnecting_clears_it(
    database_url: str, gateway_auth: Authenticator
) -> None:
    dsn = asyncpg_dsn(database_url)
    key = await _issue(dsn, "fallback01")
    await gateway_auth.authenticate(None, key.encode())  # cached for CACHE seconds
    await _revoke(dsn, "fallback01", notify=True)  # nobody listens: the notification is lost
    took = await _refused_after(gateway_auth, key, CACHE + 1.0)
    assert took <= CACHE + 0.1
    # Cached again, then revoked while the listener is away; when it connects, nothing cached survives.
    other = await _issue(dsn, "fallback02")
    gateway_auth.settings.api_key_cache_seconds = 600
    try:
        await gateway_auth.authenticate(None, other.encode())
        await _revoke(dsn, "fallback02", notify=True)
        listener = RevocationListener(dsn, {}, gateway_auth)
        await listener.start()
        try:
            await asyncio.wait_for(listener.connected.wait(), 10)
            with pytest.raises(ApiKeyInvalid):
                await gateway_auth.authenticate(None, other.encode())
        finally:
            await listener.close()
    finally:
        gateway_auth.settings.api_key_cache_seconds = CACHE
