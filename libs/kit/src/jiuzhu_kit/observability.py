"""Request ids, JSON logs and Prometheus metrics, as plain ASGI middleware."""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import re
import sys
import time
import uuid
from bisect import bisect_left
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# Set by jiuzhu_kit.tracing when tracing is on: the current span's (trace_id, span_id) for log lines.
# None while it is off, so a log line then costs no context lookup.
trace_ids: Callable[[], tuple[str, str] | None] | None = None

_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def new_request_id() -> str:
    return uuid.uuid4().hex


def sane_request_id(incoming: bytes) -> str | None:
    """The caller's `X-Request-ID` if it is sane, else None."""
    text = incoming.decode("latin-1")
    # fullmatch: with match, `$` would also accept a trailing newline
    return text if _VALID_REQUEST_ID.fullmatch(text) else None


def request_id_for(incoming: bytes) -> str:
    """The caller's `X-Request-ID` if it is sane, else a new one."""
    return sane_request_id(incoming) or new_request_id()


class RequestIdMiddleware:
    """Accept a sane `X-Request-ID` or make one; echo it; expose it to logs and handlers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id_for(dict(scope["headers"]).get(b"x-request-id", b""))
        scope.setdefault("state", {})["request_id"] = rid
        token = request_id_var.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        if trace_ids is not None:
            ids = trace_ids()
            if ids is not None:
                out["trace_id"], out["span_id"] = ids
        for key in ("service", "method", "path", "status", "duration_ms", "principal", "route"):
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def configure_logging(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Our own access log (below) carries the request id; uvicorn's would not.
    logging.getLogger("uvicorn.access").disabled = True


LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    """Per-app registry so several apps can live in one test process."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests",
            ["service", "method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["service", "method", "route"],
            registry=self.registry,
            buckets=LATENCY_BUCKETS,
        )
        self.service = service
        self.live: LiveGauges | None = None  # read at scrape time (app.py samples them first)
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        # observe_later/count_later: (method, route, status) → [count, sum, per-bucket counts]
        self._pending: dict[tuple[str, str, int], list[Any]] = {}
        self._pending_counts: dict[Any, int] = {}
        self._flush_loop: asyncio.AbstractEventLoop | None = None  # where the next flush is due

    def observe(self, method: str, route: str, status: int, elapsed: float) -> None:
        """One request's samples: the request counter and the latency histogram."""
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:  # labels() takes a lock and builds tuples: once per label set
            children = (
                self.requests.labels(self.service, method, route, str(status)),
                self.latency.labels(self.service, method, route),
            )
            if len(self._children) < 10_000:  # route templates keep this small; a guard anyway
                self._children[key] = children
        children[0].inc()
        children[1].observe(elapsed)

    # prometheus_client takes a lock for every inc and observe (three for one request's samples):
    # at tens of thousands of answers a second on the gateway's cache hits that was a fifth of a hit's
    # time (bench/public_lists.py). A hot path counts in plain numbers instead; they reach the registry
    # in bulk before every scrape and at most FLUSH_SECONDS after the first (under multiprocess mode
    # another worker may answer the scrape, and reads only what was written to the files).
    FLUSH_SECONDS = 1.0

    def observe_later(self, method: str, route: str, status: int, elapsed: float) -> None:
        """`observe`, added to the registry at the next flush (same samples, same buckets)."""
        key = (method, route, status)
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = [0, 0.0, [0] * (len(LATENCY_BUCKETS) + 1)]
            self._arm_flush()
        pending[0] += 1
        pending[1] += elapsed
        pending[2][bisect_left(LATENCY_BUCKETS, elapsed)] += 1  # as Histogram.observe: amount ≤ bound

    def count_later(self, counter: Any) -> None:
        """`counter.inc()` (a labelled child or an unlabelled counter), at the next flush."""
        pending = self._pending_counts
        if not pending:
            self._arm_flush()
        pending[counter] = pending.get(counter, 0) + 1

    def flush(self) -> None:
        self._flush_loop = None
        pending, self._pending = self._pending, {}
        counts, self._pending_counts = self._pending_counts, {}
        for (method, route, status), (n, total, buckets) in pending.items():
            requests = self.requests.labels(self.service, method, route, str(status))
            latency = self.latency.labels(self.service, method, route)
            requests.inc(n)
            # Histogram has no bulk observe: its sum and bucket values, as observe() adds to them
            latency._sum.inc(total)
            for i, c in enumerate(buckets):
                if c:
                    latency._buckets[i].inc(c)
        for counter, n in counts.items():
            counter.inc(n)

    def _arm_flush(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a synchronous caller): now
            self.flush()
            return
        if self._flush_loop is not loop:  # (a loop closed with a flush due never runs it: armed anew)
            self._flush_loop = loop
            loop.call_later(self.FLUSH_SECONDS, self.flush)

    def endpoint(self, request: Request) -> Response:
        return Response(self.exposition(), media_type=CONTENT_TYPE_LATEST)

    def exposition(self) -> bytes:
        """This process's metrics (and the live gauges, when `live` is set); under `uvicorn --workers N` with PROMETHEUS_MULTIPROC_DIR set (an
        empty directory per pod, e.g. an emptyDir), every worker's counters and histograms summed
        (prometheus_client's multiprocess mode: each worker writes its samples to files there), so
        whichever worker answers the scrape reports the whole process group. Gauges computed on
        the spot (the gateway's breaker state) are per worker and not in that sum."""
        self.flush()
        extra = self.live.exposition() if self.live is not None else b""
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            return bytes(generate_latest(self.registry)) + extra
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return bytes(generate_latest(registry)) + extra


class AccessLogMiddleware:
    """One log line and one metric sample per request, labelled by route template (bounded cardinality)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self.log = logging.getLogger("jiuzhu.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            self.record(scope, status, time.perf_counter() - start)

    def record(self, scope: Scope, status: int, elapsed: float) -> None:
        """The request's metric samples and its access-log line."""
        route = scope.get("route")
        template = getattr(route, "path", None) or "<unmatched>"
        method = scope["method"]
        self.metrics.observe(method, template, status, elapsed)
        if not self.log.isEnabledFor(logging.INFO):
            return
        principal = scope.get("state", {}).get("principal_sub")
        self.log.info(
            "%s %s %s",
            method,
            scope["path"],
            status,
            extra={
                "service": self.metrics.service,
                "method": method,
                "path": scope["path"],
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "principal": principal,
            },
        )


class LiveGauges:
    """Gauges read when /metrics is scraped, never on a request's path (a Prometheus collector over
    the last readings; no multiprocess files, so per answering worker under `--workers N`, like the
    gateway's breaker state):

    - `db_pool_connections{service,pool,state}`: the request pool (`pool="engine"`, SQLAlchemy's)
      and the lean routes' write pool (`pool="write"`, asyncpg's), `state` = in_use | idle | max;
    - `webhook_delivery_lag_seconds{service}`: the age of the oldest delivery still pending (0 when
      none), and `webhook_outbox_backlog{service}`: committed changes not yet fanned out to deliveries;
    - `feed_horizon_lag_seconds{service}`: how long the oldest transaction still running in the
      database (one that has written) has held the changes feed's horizon back: a change committed
      meanwhile is not yet in the feed (jiuzhu_kit.feed).
    """

    def __init__(self, service: str) -> None:
        self.service = service
        self.values: dict[str, dict[tuple[str, ...], float]] = {}
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    HELP = {
        "db_pool_connections": ("Database pool connections by state", ("service", "pool", "state")),
        "webhook_delivery_lag_seconds": ("Age of the oldest pending webhook delivery", ("service",)),
        "webhook_outbox_backlog": (
            "Committed changes not yet fanned out to webhook deliveries",
            ("service",),
        ),
        "feed_horizon_lag_seconds": (
            "How long the oldest running writing transaction has held the changes feed back",
            ("service",),
        ),
    }

    def set(self, name: str, labels: tuple[str, ...], value: float) -> None:
        self.values.setdefault(name, {})[(self.service, *labels)] = float(value)

    def collect(self) -> Any:
        from prometheus_client.core import GaugeMetricFamily

        for name, samples in self.values.items():
            doc, labels = self.HELP[name]
            family = GaugeMetricFamily(name, doc, labels=list(labels))
            for key, value in samples.items():
                family.add_metric(list(key), value)
            yield family

    def exposition(self) -> bytes:
        return bytes(generate_latest(self.registry))
