"""Rate limits: per API key / token subject on private routes, per client address on public ones.

The counters are the kit's (jiuzhu_kit.ratelimit): with `GATEWAY_RATE_LIMIT_POLICY=cluster` (the
default when a database is configured) every gateway replica shares them through
`gateway.rate_limit_window` — a local fast path synced every `GATEWAY_RATE_LIMIT_SYNC_SECONDS`, and
at most limit × (1 + `GATEWAY_RATE_LIMIT_CLUSTER_ERROR`) admitted per window over all replicas (or
limit + replicas, for limits under replicas / error); `local` counts in this process only.
"""

from __future__ import annotations

from jiuzhu_gateway import SCHEMA
from jiuzhu_gateway.settings import GatewaySettings
from jiuzhu_kit.db import connect_args
from jiuzhu_kit.errors import RateLimited
from jiuzhu_kit.ratelimit import Limit, LocalWindow, make_window, retry_after

__all__ = ["Limit", "RateLimits", "SlidingWindow"]

SlidingWindow = LocalWindow  # the per-process window (its unit tests use this name)


class RateLimits:
    def __init__(self, settings: GatewaySettings) -> None:
        self.window = make_window(
            settings.rate_limit_policy,
            database_url=settings.database_url,
            schema=SCHEMA,
            connect_options=connect_args(settings, "gateway-ratelimit"),
            sync_seconds=settings.rate_limit_sync_seconds,
            error=settings.rate_limit_cluster_error,
            max_keys=settings.rate_limit_max_keys,
        )
        self.principal = Limit.parse(settings.rate_limit_principal)
        self.public = Limit.parse(settings.rate_limit_public)
        self.public_write = Limit.parse(settings.rate_limit_public_write)
        self.portal = Limit.parse(settings.rate_limit_portal)
        self.key_failures = Limit.parse(settings.rate_limit_api_key_failures)

    async def start(self) -> None:
        await self.window.start()

    async def close(self) -> None:
        await self.window.close()

    async def check(self, limit: Limit, *key: str, count: bool = True) -> int:
        """0 when allowed, else whole seconds to wait (for Retry-After)."""
        return retry_after(await self.window.acquire(limit, key, count=count))

    async def enforce(self, limit: Limit, *key: str, count: bool = True) -> None:
        """`check`, raising RateLimited (429 with Retry-After) when over the limit."""
        wait = await self.check(limit, *key, count=count)
        if wait:
            raise RateLimited(retry_after=wait)
