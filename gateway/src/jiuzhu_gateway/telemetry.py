"""Access log lines and Prometheus metrics for proxied calls (the gateway's own endpoints use the
kit's AccessLogMiddleware on the same registry)."""

from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge
from starlette.types import Scope

from jiuzhu_kit.observability import Metrics


class Telemetry:
    def __init__(self, metrics: Metrics, access_log: bool) -> None:
        self.metrics = metrics
        self.access_log = access_log
        self.log = logging.getLogger("jiuzhu.access")
        self.failures = Counter(
            "gateway_upstream_failures_total",
            "Upstream calls that ended in 502/503/504 or a broken stream",
            ["upstream", "code"],
            registry=metrics.registry,
        )
        self.breaker_open = Gauge(
            "gateway_circuit_open",
            "1 while the upstream's circuit breaker refuses calls",
            ["upstream"],
            registry=metrics.registry,
        )

    def record(self, scope: Scope, route: str, status: int, elapsed: float, principal: str) -> None:
        method: str = scope["method"]
        self.metrics.observe(method, route, status, elapsed)
        if self.access_log and self.log.isEnabledFor(logging.INFO):
            self.log.info(
                "%s %s %s",
                method,
                scope["path"],
                status,
                extra={
                    "service": "gateway",
                    "method": method,
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "principal": principal,
                },
            )

    def upstream_failure(self, upstream: str, code: str) -> None:
        self.failures.labels(upstream, code).inc()
