"""Rate limits: per API key / token subject on private routes, per client address on public ones.

A sliding-window counter (the approximation Cloudflare and the `limits` library use: this window's
count plus the previous window's, weighted by how much of it still overlaps) kept in process memory,
O(1) per hit. Not the `limits` library itself: its in-memory storage starts a timer thread per key
expiry, which measured at ~10% of the gateway's CPU per request (bench/gateway_proxy.py).
With several gateway processes each enforces its own share; put a shared store behind this
(Redis) when the gateway is scaled out.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass

from jiuzhu_gateway.settings import GatewaySettings
from jiuzhu_kit.errors import RateLimited

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(?:(\d+)\s*)?(second|minute|hour|day)s?\s*$")


@dataclass(frozen=True)
class Limit:
    amount: int
    window: float  # seconds

    @classmethod
    def parse(cls, spec: str) -> Limit:
        """`120/minute`, `5/second`, `1000/2 hours`."""
        m = _SPEC.match(spec)
        if not m:
            raise ValueError(f"bad rate limit {spec!r}: expected e.g. '120/minute'")
        return cls(int(m.group(1)), int(m.group(2) or 1) * _UNITS[m.group(3)])


class SlidingWindow:
    def __init__(self) -> None:
        # key → [window index, previous window's count, this window's count, window length]
        self._counts: dict[tuple[Limit, tuple[str, ...]], list[float]] = {}
        self._hits = 0

    def hit(self, limit: Limit, key: tuple[str, ...], now: float | None = None, count: bool = True) -> float:
        """Count one request (or only look, `count=False`); 0 when allowed, else seconds until one would be."""
        t = time.time() if now is None else now
        index = t // limit.window
        full = (limit, key)  # each limit counts on its own, even for the same caller
        entry = self._counts.get(full)
        if entry is None:
            entry = self._counts[full] = [index, 0.0, 0.0, limit.window]
            self._maybe_prune(t)
        elif entry[0] != index:
            entry[1] = entry[2] if entry[0] == index - 1 else 0.0
            entry[2] = 0.0
            entry[0] = index
        elapsed = (t - index * limit.window) / limit.window  # share of this window gone by
        prev, curr = entry[1], entry[2]
        if prev * (1 - elapsed) + curr + 1 <= limit.amount:
            if count:
                entry[2] = curr + 1
            return 0.0
        if curr + 1 > limit.amount or prev <= 0:  # only the next window can help
            return (index + 1) * limit.window - t
        # the previous window's weight must fall until one more fits
        needed = 1 - (limit.amount - curr - 1) / prev
        return max(0.0, (needed - elapsed) * limit.window)

    def _maybe_prune(self, now: float) -> None:
        self._hits += 1
        if self._hits % 10_000:
            return
        # A key whose last two windows are over counts zero anyway: drop it.
        stale = [k for k, v in self._counts.items() if now >= (v[0] + 2) * v[3]]
        for k in stale:
            del self._counts[k]


class RateLimits:
    def __init__(self, settings: GatewaySettings) -> None:
        self.window = SlidingWindow()
        self.principal = Limit.parse(settings.rate_limit_principal)
        self.public = Limit.parse(settings.rate_limit_public)
        self.public_write = Limit.parse(settings.rate_limit_public_write)
        self.portal = Limit.parse(settings.rate_limit_portal)
        self.key_failures = Limit.parse(settings.rate_limit_api_key_failures)

    def check(self, limit: Limit, *key: str, count: bool = True) -> int:
        """0 when allowed, else whole seconds to wait (for Retry-After)."""
        wait = self.window.hit(limit, key, count=count)
        return max(1, math.ceil(wait)) if wait > 0 else 0

    def enforce(self, limit: Limit, *key: str, count: bool = True) -> None:
        """`check`, raising RateLimited (429 with Retry-After) when over the limit."""
        wait = self.check(limit, *key, count=count)
        if wait:
            raise RateLimited(retry_after=wait)
