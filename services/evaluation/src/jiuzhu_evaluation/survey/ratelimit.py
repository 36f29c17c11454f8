"""A small in-process sliding-window limiter (per replica; see the report for the wanted kit version)."""

from __future__ import annotations

import time
from collections import deque

from jiuzhu_kit.errors import RateLimited

__all__ = ["RateLimited", "SlidingWindow"]


class SlidingWindow:
    def __init__(self, limit: int, window_seconds: float = 60.0, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window_seconds
        self.max_keys = max_keys
        self.hits: dict[str, deque[float]] = {}

    def check(self, key: str, now: float | None = None) -> None:
        t = time.monotonic() if now is None else now
        q = self.hits.get(key)
        if q is None:
            if len(self.hits) >= self.max_keys:  # bounded memory: forget the oldest keys
                for k in list(self.hits)[: self.max_keys // 10]:
                    del self.hits[k]
            q = self.hits[key] = deque()
        while q and q[0] <= t - self.window:
            q.popleft()
        if len(q) >= self.limit:
            raise RateLimited(retry_after=max(1, int(q[0] + self.window - t) + 1))
        q.append(t)
