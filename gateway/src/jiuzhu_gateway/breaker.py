"""A circuit breaker per upstream: stop hammering a failing service, probe it, recover by itself.

closed → (N consecutive transport failures) → open → (reset time passed) → half-open: one probe
request goes through; success closes the circuit, failure opens it again for another period.
Only transport failures and timeouts count: an upstream's own 5xx answer is still an answer.
"""

from __future__ import annotations

import time
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(self, failures: int, reset_seconds: float) -> None:
        self.threshold = max(1, failures)
        self.reset_seconds = reset_seconds
        self.failures = 0
        self.opened_at = 0.0
        self.probing = False
        self._open = False

    @property
    def state(self) -> BreakerState:
        if not self._open:
            return BreakerState.CLOSED
        if self.probing or time.monotonic() - self.opened_at >= self.reset_seconds:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def is_open(self) -> float:
        """For the metrics gauge: 1 while calls are refused or probed."""
        return 1.0 if self._open else 0.0

    def allow(self) -> bool:
        """May a request go upstream now? In half-open state only one probe at a time."""
        if not self._open:
            return True
        if self.probing or time.monotonic() - self.opened_at < self.reset_seconds:
            return False
        self.probing = True
        return True

    def retry_after(self) -> int:
        left = self.reset_seconds - (time.monotonic() - self.opened_at)
        return max(1, int(left + 0.999))

    def success(self) -> None:
        self.failures = 0
        self._open = False
        self.probing = False

    def failure(self) -> None:
        self.failures += 1
        if self.probing or self.failures >= self.threshold:
            self._open = True
            self.opened_at = time.monotonic()
        self.probing = False

    def release(self) -> None:
        """A request allowed through ended without a verdict (e.g. client went away)."""
        self.probing = False
