"""OpenTelemetry tracing: gateway → service → Postgres, exported by OTLP/HTTP (protobuf) when configured.

Off unless an endpoint is set (`JIUZHU_OTLP_ENDPOINT`, or OpenTelemetry's own
`OTEL_EXPORTER_OTLP_ENDPOINT`: the collector's base URL, spans go to `<endpoint>/v1/traces`). Off
means nothing is installed: no middleware, no asyncpg patch, no context lookup in the log formatter;
the only cost is the one `if` at startup (bench/tracing_workers.py measures it).

On (`install(app, settings, service)` once per process):
- one TracerProvider per process (`service.name` = `jiuzhu-<service>`), a batch span processor and
  the OTLP/HTTP exporter. Only requests start traces: a query outside any request (the shared
  limiter's sync, the webhook sender's poll) is not traced, else every replica would send a trace
  every 0.2 s;
- sampled before anything is made for a request (`RequestSpans`, outermost): one that carries a
  valid W3C `traceparent` follows its sampled flag (a service follows the gateway), another is
  traced with the chance `JIUZHU_TRACE_SAMPLE_RATIO`. A request not traced runs with OpenTelemetry's
  instrumentation suppressed, so it pays for no span, attribute or context (the SDK's own sampling
  decides only after the driver patch has collected a statement's attributes); the gateway then
  forwards a `traceparent` flagged not-sampled, so the service skips it too;
- a SERVER span per traced request (`RequestSpans`), continuing the caller's trace; named
  `METHOD <route template>` once routed; with the request id as the attribute `jiuzhu.request_id`
  (the `X-Request-ID` the response carries, the caller's or a new one);
- a CLIENT span per Postgres statement (asyncpg instrumentation: SQLAlchemy's queries and the lean
  routes' raw asyncpg pool alike), child of the request's span; BEGIN/COMMIT/ROLLBACK make none;
- JSON log lines carry `trace_id` and `span_id` (observability.JsonFormatter).
The gateway forwards the trace context to the services itself (`inject_headers`): its upstream
client is its own (h1.py), so no HTTP-client instrumentation would see those calls.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Sequence
from typing import Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
)
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from opentelemetry.util.types import Attributes
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jiuzhu_kit import observability

log = logging.getLogger("jiuzhu.tracing")

REQUEST_ID_ATTRIBUTE = "jiuzhu.request_id"
# Probes and scrapes are not traced: every few seconds from every kubelet and Prometheus.
EXCLUDED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_PROPAGATION_HEADERS = frozenset({b"traceparent", b"tracestate", b"baggage"})

_provider: Any = None  # the process's TracerProvider once installed
_ratio = 1.0  # the share of requests without a caller's decision that are traced

# FastAPI (≥ 0.165) has telemetry of its own that starts as soon as a tracer provider is set: a
# second SERVER span where ours is not (the gateway's own routes, the excluded probes) and spans per
# dependency, endpoint and serialisation. One instrumentation, ours, which also covers the
# gateway's proxy path that FastAPI never sees: every app passes this to FastAPI(telemetry=…).
FASTAPI_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "auto_configure": False,
}


def enabled() -> bool:
    """Whether this process traces (an endpoint was configured and `install` ran)."""
    return _provider is not None


class RequestsOnly(Sampler):
    """The root sampler: a trace starts only at a request (a SERVER span). Which requests is decided
    before the span by `RequestSpans`; a request that reaches the SDK is one to trace."""

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        if kind != SpanKind.SERVER:
            return SamplingResult(Decision.DROP)
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)

    def get_description(self) -> str:
        return "RequestsOnly"


_TRANSACTION_CONTROL = frozenset({"BEGIN", "BEGIN;", "COMMIT", "COMMIT;", "ROLLBACK", "ROLLBACK;"})


class JiuzhuSampler(Sampler):
    """Requests start traces (RequestsOnly); a span inside one follows it (parent-based); a
    transaction's BEGIN/COMMIT/ROLLBACK make no span of their own (half of a read's statements, and
    nothing a reader of the trace needs: the queries between them are there)."""

    def __init__(self) -> None:
        self.inner = ParentBased(root=RequestsOnly())

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        if kind == SpanKind.CLIENT and name in _TRANSACTION_CONTROL:
            return SamplingResult(Decision.DROP)
        return self.inner.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        inner: str = self.inner.get_description()  # type: ignore[no-untyped-call]
        return f"JiuzhuSampler({inner})"


def traces_url(endpoint: str) -> str:
    """The collector's base URL → its OTLP/HTTP traces URL (a full `/v1/traces` URL is kept)."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else f"{endpoint}/v1/traces"


def configure(endpoint: str, service: str, sample_ratio: float = 1.0) -> bool:
    """Set up the process's tracer provider, exporter and the asyncpg instrumentation, once, and
    the share of requests traced (`RequestSpans`). False (and nothing installed) when no endpoint is
    configured."""
    global _provider, _ratio
    if not endpoint:
        return False
    if _provider is not None:
        return True
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": f"jiuzhu-{service}", "service.namespace": "jiuzhu"}),
        sampler=JiuzhuSampler(),
    )
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_url(endpoint), timeout=5))
    )
    trace.set_tracer_provider(provider)
    AsyncPGInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    _provider = provider
    _ratio = sample_ratio
    observability.trace_ids = current_ids
    log.info("tracing on: OTLP/HTTP to %s", traces_url(endpoint))
    return True


def shutdown() -> None:
    """Send what is buffered (the process is ending)."""
    if _provider is not None:
        _provider.force_flush(5_000)


def wrap(app: ASGIApp, service: str) -> ASGIApp:
    """The app inside a SERVER span per traced request (call only when `enabled()`)."""
    return RequestSpans(app, service, _ratio)


def instrument(app: Starlette, service: str) -> None:
    """The same on a FastAPI/Starlette app, as its outermost middleware (call last)."""
    app.add_middleware(RequestSpans, service=service, ratio=_ratio)


# W3C Trace Context §3.2: version 00, a non-zero trace id and parent id, the flags (bit 0: sampled).
_TRACEPARENT = re.compile(rb"00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-([0-9a-f]{2})")


def caller_decision(headers: Sequence[tuple[bytes, bytes]]) -> bool | None:
    """The sampled flag of the request's `traceparent`; None without a valid one (then the request
    is a root: W3C says an invalid traceparent is ignored)."""
    for key, value in headers:
        if key == b"traceparent":
            m = _TRACEPARENT.fullmatch(value.strip())
            return None if m is None else bool(int(m.group(1), 16) & 1)
    return None


class RequestSpans:
    """Outermost: decides whether a request is traced before anything is made for it, then makes its
    one SERVER span.

    Not traced (the caller's `traceparent` says so, the ratio's dice say so, or a probe): the app runs
    with OpenTelemetry's instrumentation suppressed, which the asyncpg patch checks first, so no span,
    attribute or context is made for it. Traced: a SERVER span continuing the caller's trace, with
    the stable HTTP attributes a reader needs (method, path, scheme, route, status), the request id
    and the service; named `METHOD <route template>` once routed.

    Ours rather than OpenTelemetry's ASGI middleware, measured (CPU per request, scratch run of
    bench/tracing_workers.py's read): that middleware cost the gateway 0.20 ms a request — as much
    as the whole proxied request without it — collecting ~15 attributes and metrics nobody reads,
    and it decides sampling only after collecting them."""

    def __init__(self, app: ASGIApp, service: str, ratio: float) -> None:
        self.app = app
        self.service = service
        self.ratio = ratio
        self.tracer = trace.get_tracer("jiuzhu_kit.tracing", tracer_provider=_provider)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
        elif self.traced(scope):
            await self._traced(scope, receive, send)
        else:
            scope["jiuzhu.untraced"] = True  # the gateway forwards the decision (inject_headers)
            with suppress_instrumentation():
                await self.app(scope, receive, send)

    def traced(self, scope: Scope) -> bool:
        if scope["path"] in EXCLUDED_PATHS:
            return False
        decided = caller_decision(scope["headers"])
        if decided is not None:
            return decided
        return self.ratio >= 1.0 or random.random() < self.ratio

    async def _traced(self, scope: Scope, receive: Receive, send: Send) -> None:
        carrier = {
            k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k in _PROPAGATION_HEADERS
        }
        method = scope["method"]
        span = self.tracer.start_span(
            method,
            context=propagate.extract(carrier),
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": method,
                "url.path": scope["path"],
                "url.scheme": scope.get("scheme", "http"),
                "jiuzhu.service": self.service,
            },
        )

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                span.set_attribute("http.response.status_code", status)
                if status >= 500:  # a server span's error (4xx are the client's)
                    span.set_status(Status(StatusCode.ERROR))
                for key, value in message.get("headers", ()):
                    if key.lower() == b"x-request-id":
                        span.set_attribute(REQUEST_ID_ATTRIBUTE, value.decode("latin-1"))
                        break
                route = scope.get("route")
                template = getattr(route, "path", None) or scope.get("jiuzhu.route")
                if template:
                    span.set_attribute("http.route", template)
                    span.update_name(f"{method} {template}")
            await send(message)

        with trace.use_span(span, end_on_exit=True):  # an escaping exception is recorded, status ERROR
            await self.app(scope, receive, send_and_note)


def inject_headers(out: list[tuple[bytes, bytes]], scope: Scope) -> list[tuple[bytes, bytes]]:
    """Request headers for an upstream call: the caller's trace headers replaced by the current
    span's context (`traceparent`, `tracestate`), so the service's span is the gateway's child. A
    request not traced forwards that decision: the caller's valid `traceparent` as it came, or a
    new one flagged not-sampled, so the service does not roll its own dice."""
    if scope.get("jiuzhu.untraced"):
        if caller_decision(out) is not None:
            return out
        kept = [(k, v) for k, v in out if k not in _PROPAGATION_HEADERS]
        trace_id, span_id = random.getrandbits(128) or 1, random.getrandbits(64) or 1
        kept.append((b"traceparent", f"00-{trace_id:032x}-{span_id:016x}-00".encode()))
        return kept
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    if not carrier:
        return out
    kept = [(k, v) for k, v in out if k not in _PROPAGATION_HEADERS]
    kept.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in carrier.items())
    return kept


def current_ids() -> tuple[str, str] | None:
    """The current span's (trace_id, span_id) in hex, for log lines; None outside a sampled span."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")
