"""Who is calling: a JWT bearer token (verified exactly as the services do) or an API key.

A key-authenticated call is forwarded with a short-lived JWT the gateway mints for the key's roles
and jurisdiction (jiuzhu_kit.auth.issue_token), so services verify one kind of credential only.
Both verifications are cached in memory: a token until it expires (the verifier's cache), a key for
`api_key_cache_seconds`. A revocation drops the key at once on the gateway that revoked it and, through
Postgres NOTIFY on `REVOKED_CHANNEL` (revocations.py), on every other gateway as soon as the
notification arrives; the cache time bounds it only while a gateway's listener is disconnected.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from jiuzhu_gateway.apikeys.models import ApiKey
from jiuzhu_gateway.errors import ApiKeyInvalid
from jiuzhu_gateway.settings import GatewaySettings
from jiuzhu_kit.auth import TokenInvalid, TokenVerifier, issue_token
from jiuzhu_kit.db import classify_db_error
from jiuzhu_kit.errors import Unauthorized

log = logging.getLogger("jiuzhu.gateway.auth")

KEY_PREFIX = "jzk_"
CACHE_MAX = 10_000
REVOKED_CHANNEL = "jiuzhu_gateway_api_key_revoked"  # payload: the key_id


@dataclass(frozen=True)
class Caller:
    principal: str  # for logs and rate limits: the token's `sub`, or `apikey:<key_id>`
    authorization: str  # the Authorization header the services receive
    portal: bool = False  # an API key holding the role `portal` (higher limits on public reads)


@dataclass(frozen=True)
class ResolvedKey:
    id: str
    key_id: str
    roles: tuple[str, ...]
    division: str
    org: str | None
    expires_at: float | None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(presented: str) -> tuple[str, str] | None:
    """`jzk_<key_id>_<secret>` → (key_id, secret)."""
    if not presented.startswith(KEY_PREFIX):
        return None
    key_id, sep, secret = presented[len(KEY_PREFIX) :].partition("_")
    if not sep or not key_id or not secret or len(key_id) > 16:
        return None
    return key_id, secret


class Authenticator:
    def __init__(
        self,
        settings: GatewaySettings,
        sessionmaker: Callable[[], async_sessionmaker[AsyncSession] | None],
    ) -> None:
        self.settings = settings
        self.verifier = TokenVerifier(settings)
        self.sessionmaker = sessionmaker
        self._keys: dict[str, tuple[float, ResolvedKey | None]] = {}  # presented key → (until, key)
        self._minted: dict[str, tuple[float, str]] = {}  # key_id → (refresh after, header)
        self._touched: dict[str, float] = {}
        self._epoch = 0  # bumped by every forget: a lookup that raced a revocation is not cached
        self._tasks: set[asyncio.Task[None]] = set()

    async def authenticate(self, authorization: bytes | None, api_key: bytes | None) -> Caller:
        """Raises a DomainError (401) when the credential is missing, invalid, expired or revoked."""
        if api_key is not None:
            return await self._by_key(api_key.decode("latin-1").strip())
        if authorization is None:
            raise Unauthorized()
        header = authorization.decode("latin-1")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenInvalid()
        # Cached by the verifier until the token expires; raises TokenInvalid / TokenExpired.
        principal = self.verifier.verify(token.strip())
        return Caller(principal.sub, header)

    async def _by_key(self, presented: str) -> Caller:
        now = time.time()
        cached = self._keys.get(presented)
        if cached is not None and cached[0] > now:
            key = cached[1]
        else:
            epoch = self._epoch
            key = await self._lookup(presented)
            if epoch == self._epoch:
                if len(self._keys) >= CACHE_MAX:
                    self._prune(now)
                self._keys[presented] = (now + self.settings.api_key_cache_seconds, key)
        if key is None or (key.expires_at is not None and key.expires_at <= now):
            raise ApiKeyInvalid()
        self._touch(key, now)
        return Caller(f"apikey:{key.key_id}", self._token_for(key, now), "portal" in key.roles)

    async def _lookup(self, presented: str) -> ResolvedKey | None:
        parts = split_key(presented)
        maker = self.sessionmaker()
        if parts is None or maker is None:
            return None
        key_id, secret = parts
        try:
            async with maker() as session:
                row = (
                    await session.execute(select(ApiKey).where(ApiKey.key_id == key_id))
                ).scalar_one_or_none()
        except Exception as exc:  # the proxy answers domain errors only: a 503 problem, not a bare 500
            mapped = classify_db_error(exc)
            if mapped is None:
                raise
            raise mapped from exc
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.secret_hash, hash_secret(secret)):
            return None
        return ResolvedKey(
            id=str(row.id),
            key_id=row.key_id,
            roles=tuple(row.roles),
            division=row.division,
            org=row.org,
            expires_at=row.expires_at.timestamp() if row.expires_at else None,
        )

    def _token_for(self, key: ResolvedKey, now: float) -> str:
        minted = self._minted.get(key.key_id)
        if minted is not None and minted[0] > now:
            return minted[1]
        ttl = self.settings.api_key_token_ttl_seconds
        if key.expires_at is not None:
            ttl = max(1, min(ttl, int(key.expires_at - now)))
        token = issue_token(
            self.settings, f"apikey:{key.key_id}", key.roles, key.division, org=key.org, ttl_seconds=ttl
        )
        header = f"Bearer {token}"
        self._minted[key.key_id] = (now + ttl / 2, header)  # never forward a nearly expired token
        return header

    def forget(self, key_id: str) -> None:
        """Called on revocation (here or, by NOTIFY, on another gateway): the key stops working on
        this process immediately."""
        self._epoch += 1
        prefix = f"{KEY_PREFIX}{key_id}_"
        for presented in [p for p in self._keys if p.startswith(prefix)]:
            del self._keys[presented]
        self._minted.pop(key_id, None)

    def forget_all(self) -> None:
        """Revocations may have been missed (the listener was away): look every key up again."""
        self._epoch += 1
        self._keys.clear()
        self._minted.clear()

    def _prune(self, now: float) -> None:
        """Bounded caches: drop what expired; still full, start afresh."""
        for presented in [p for p, (until, _) in self._keys.items() if until <= now]:
            del self._keys[presented]
        if len(self._keys) >= CACHE_MAX:
            self._keys.clear()
        for key_id in [k for k, (until, _) in self._minted.items() if until <= now]:
            del self._minted[key_id]
        touched_before = now - self.settings.api_key_touch_seconds
        for key_id in [k for k, at in self._touched.items() if at < touched_before]:
            del self._touched[key_id]

    def _touch(self, key: ResolvedKey, now: float) -> None:
        """Record last use, at most once per `api_key_touch_seconds` per key, off the request path."""
        if now - self._touched.get(key.key_id, 0.0) < self.settings.api_key_touch_seconds:
            return
        self._touched[key.key_id] = now
        maker = self.sessionmaker()
        if maker is None:
            return

        async def write() -> None:
            try:
                async with maker() as session:
                    await session.execute(
                        update(ApiKey)
                        .where(ApiKey.key_id == key.key_id)
                        .values(last_used_at=datetime.fromtimestamp(now, UTC))
                        .execution_options(synchronize_session=False)
                    )
                    await session.commit()
            except Exception:  # a lost touch must never fail a request
                log.warning("could not record last use of key %s", key.key_id, exc_info=True)

        task = asyncio.create_task(write())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
