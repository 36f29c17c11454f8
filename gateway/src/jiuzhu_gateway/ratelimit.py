"""Rate limits: per API key / token subject on private routes, per client address on public ones.

A sliding-window counter (the `limits` library: O(1) per hit, two counters per key) in process
memory. With several gateway processes each enforces its own share; put a shared store
(`limits` supports Redis) behind it when the gateway is scaled out.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from jiuzhu_gateway.settings import GatewaySettings


class RateLimits:
    def __init__(self, settings: GatewaySettings) -> None:
        self.limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        self.principal: RateLimitItem = parse(settings.rate_limit_principal)
        self.public: RateLimitItem = parse(settings.rate_limit_public)
        self.public_write: RateLimitItem = parse(settings.rate_limit_public_write)

    def check(self, item: RateLimitItem, *key: str) -> int:
        """0 when allowed, else the seconds to wait (for Retry-After)."""
        if self.limiter.hit(item, *key):
            return 0
        stats = self.limiter.get_window_stats(item, *key)
        return max(1, math.ceil(stats.reset_time - time.time()))
