"""Tracing through the real stack: one trace from the gateway through a service to Postgres.

The collector is a tiny OTLP/HTTP receiver in this test (POST /v1/traces, protobuf decoded with the
OpenTelemetry project's own message definitions); the processes export to it because
JIUZHU_OTLP_ENDPOINT names it. Also: log lines carry the trace ids, and with no endpoint nothing of
tracing is installed.
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider

from jiuzhu_devtools.testing import LiveStack, free_port
from jiuzhu_kit import observability, tracing

COUNTY = "441521"


class Collector:
    """Spans received, each as a dict: service, name, kind, trace_id, span_id, parent_id, attributes."""

    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                ok = (
                    self.path == "/v1/traces" and self.headers.get("Content-Type") == "application/x-protobuf"
                )
                if ok:
                    collector.receive(body)
                self.send_response(200 if ok else 404)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def receive(self, body: bytes) -> None:
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for rs in request.resource_spans:
            resource = {a.key: a.value.string_value for a in rs.resource.attributes}
            for ss in rs.scope_spans:
                for span in ss.spans:
                    attrs = {a.key: _value(a.value) for a in span.attributes}
                    with self.lock:
                        self.spans.append(
                            {
                                "service": resource.get("service.name"),
                                "name": span.name,
                                "kind": span.kind,
                                "trace_id": span.trace_id.hex(),
                                "span_id": span.span_id.hex(),
                                "parent_id": span.parent_span_id.hex(),
                                "attributes": attrs,
                            }
                        )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _value(v: Any) -> Any:
    kind = v.WhichOneof("value")
    return getattr(v, kind) if kind and kind != "array_value" else [_value(x) for x in v.array_value.values]


SERVER, CLIENT = 2, 3  # Span.SpanKind in the OTLP protobuf


@pytest.fixture(scope="module")
def traced(database_url: str) -> Iterator[tuple[LiveStack, Collector]]:
    collector = Collector()
    stack = LiveStack(
        database_url,
        {
            "JIUZHU_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.port}",
            "OTEL_BSP_SCHEDULE_DELAY": "200",  # export every 0.2 s, not every 5 s
        },
    )
    try:
        stack.wait_ready()
        yield stack, collector
    finally:
        stack.close()
        collector.close()


def test_one_trace_spans_gateway_service_and_postgres(
    traced: tuple[LiveStack, Collector], auth: Callable[..., dict[str, str]]
) -> None:
    stack, collector = traced
    rid = f"trace-{uuid.uuid4().hex[:12]}"
    # Generous: a process's first request imports and compiles what it had not yet (seconds on a
    # loaded 2-core machine).
    with httpx.Client(base_url=stack.gateway, timeout=60) as c:
        r = c.get("/api/procurement/projects", headers={**auth("bureau", COUNTY), "X-Request-ID": rid})
    assert r.status_code == 200, r.text
    assert r.headers["x-request-id"] == rid

    def spans_of_trace() -> list[dict[str, Any]]:
        with collector.lock:
            edge = [s for s in collector.spans if s["attributes"].get("jiuzhu.request_id") == rid]
            if not edge:
                return []
            trace_id = edge[0]["trace_id"]
            return [s for s in collector.spans if s["trace_id"] == trace_id]

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        spans = spans_of_trace()
        services = {s["service"] for s in spans}
        queries = [s for s in spans if s["kind"] == CLIENT and s["service"] == "jiuzhu-procurement"]
        if {"jiuzhu-gateway", "jiuzhu-procurement"} <= services and queries:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(json.dumps(spans_of_trace(), indent=1, ensure_ascii=False)[:4000])

    (gateway,) = [s for s in spans if s["service"] == "jiuzhu-gateway" and s["kind"] == SERVER]
    (service,) = [s for s in spans if s["service"] == "jiuzhu-procurement" and s["kind"] == SERVER]
    assert gateway["parent_id"] == ""  # the trace starts at the edge
    assert service["parent_id"] == gateway["span_id"]  # traceparent forwarded by the gateway
    assert gateway["attributes"]["jiuzhu.request_id"] == rid
    assert service["attributes"]["jiuzhu.request_id"] == rid  # the same id all the way down
    assert gateway["name"] == "GET /api/procurement/{path}"
    assert service["name"] == "GET /projects"
    assert service["attributes"]["http.route"] == "/projects"
    assert service["attributes"]["http.response.status_code"] == 200
    assert gateway["attributes"]["http.request.method"] == "GET"
    assert gateway["attributes"]["url.path"] == "/api/procurement/projects"
    # Postgres: the service's queries are children of its request span, statements named.
    assert all(q["parent_id"] == service["span_id"] for q in queries)
    assert any(q["attributes"].get("db.system") == "postgresql" for q in queries)
    assert any("project" in str(q["attributes"].get("db.statement", "")) for q in queries)


def test_probes_and_background_work_start_no_trace(traced: tuple[LiveStack, Collector]) -> None:
    """/healthz, /readyz and /metrics are excluded; the shared limiter's sync every 0.2 s and the
    webhook sender's poll run outside requests: no root span other than a request's."""
    stack, collector = traced
    with httpx.Client(timeout=60) as c:  # generous: first requests on a loaded 2-core machine
        for _ in range(3):
            assert c.get(f"{stack.gateway}/readyz").status_code == 200
            assert c.get(f"{stack.url('procurement')}/healthz").status_code == 200
    time.sleep(1.5)
    with collector.lock:
        roots = [s for s in collector.spans if s["parent_id"] == ""]
    assert all(s["kind"] == SERVER for s in roots), roots[:5]
    probes = [s for s in collector.spans if s["name"].endswith(("/healthz", "/readyz", "/metrics"))]
    assert not probes, probes[:5]


def test_cache_hits_answered_early_make_no_span_unless_the_caller_asks(
    traced: tuple[LiveStack, Collector],
) -> None:
    """With tracing on, the gateway still answers public cache hits before the ASGI app (untraced);
    a hit that carries a sampled traceparent is answered the ordinary way, and traced."""
    stack, collector = traced
    page = "/api/public/procurement/announcements?limit=5"
    hit, asked = f"hit-{uuid.uuid4().hex[:12]}", f"asked-{uuid.uuid4().hex[:12]}"
    trace_id = uuid.uuid4().hex
    with httpx.Client(base_url=stack.gateway, timeout=60) as c:
        assert c.get(page).status_code == 200  # fills the cache
        r = c.get(page, headers={"X-Request-ID": hit})
        assert r.status_code == 200 and r.headers["x-cache"] == "HIT", r.headers
        r = c.get(page, headers={"X-Request-ID": asked, "traceparent": f"00-{trace_id}-{CALLER_SPAN}-01"})
        assert r.status_code == 200, r.text

    def ours(rid: str) -> list[dict[str, Any]]:
        with collector.lock:
            return [s for s in collector.spans if s["attributes"].get("jiuzhu.request_id") == rid]

    deadline = time.monotonic() + 30
    while not ours(asked) and time.monotonic() < deadline:
        time.sleep(0.2)
    (span,) = [s for s in ours(asked) if s["service"] == "jiuzhu-gateway"]
    assert span["trace_id"] == trace_id and span["parent_id"] == CALLER_SPAN
    assert ours(hit) == []  # exported in the same batches as the asked one, had it made a span


def test_log_lines_carry_the_trace_ids() -> None:
    provider = TracerProvider()  # not the process's: this test process traces nothing itself
    record = logging.LogRecord("jiuzhu.test", logging.INFO, __file__, 1, "hello", None, None)
    saved = observability.trace_ids
    observability.trace_ids = tracing.current_ids
    try:
        assert "trace_id" not in json.loads(observability.JsonFormatter().format(record))
        with provider.get_tracer("t").start_as_current_span("request") as span:
            line = json.loads(observability.JsonFormatter().format(record))
        ctx = span.get_span_context()
        assert line["trace_id"] == format(ctx.trace_id, "032x")
        assert line["span_id"] == format(ctx.span_id, "016x")
    finally:
        observability.trace_ids = saved


def test_the_sampler_starts_traces_at_requests_and_skips_transaction_control() -> None:
    from opentelemetry.sdk.trace.sampling import Decision
    from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags, set_span_in_context

    sampler = tracing.JiuzhuSampler()
    parent = set_span_in_context(NonRecordingSpan(SpanContext(1, 2, True, TraceFlags(TraceFlags.SAMPLED))))
    assert sampler.should_sample(None, 7, "GET", SpanKind.SERVER).decision == Decision.RECORD_AND_SAMPLE
    assert sampler.should_sample(None, 7, "SELECT", SpanKind.CLIENT).decision == Decision.DROP  # no request
    assert sampler.should_sample(parent, 1, "SELECT", SpanKind.CLIENT).decision == Decision.RECORD_AND_SAMPLE
    assert sampler.should_sample(parent, 1, "BEGIN;", SpanKind.CLIENT).decision == Decision.DROP


TRACE_ID, CALLER_SPAN = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"


def test_a_valid_traceparent_carries_the_callers_decision() -> None:
    def decision(value: bytes) -> bool | None:
        return tracing.caller_decision([(b"accept", b"*/*"), (b"traceparent", value)])

    assert decision(f"00-{TRACE_ID}-{CALLER_SPAN}-01".encode()) is True
    assert decision(f"00-{TRACE_ID}-{CALLER_SPAN}-00".encode()) is False
    assert decision(f"00-{TRACE_ID}-{CALLER_SPAN}-03".encode()) is True  # other flag bits
    # Invalid ones are ignored (W3C Trace Context §3.2): the request is a root, the dice decide.
    assert decision(f"00-{'0' * 32}-{CALLER_SPAN}-01".encode()) is None  # zero trace id
    assert decision(f"00-{TRACE_ID}-{'0' * 16}-01".encode()) is None  # zero parent id
    assert decision(f"00-{TRACE_ID.upper()}-{CALLER_SPAN}-01".encode()) is None  # upper case
    assert decision(f"00-{TRACE_ID}-{CALLER_SPAN}-01-extra".encode()) is None
    assert tracing.caller_decision([(b"accept", b"*/*")]) is None


def test_a_request_not_traced_forwards_that_decision_upstream() -> None:
    """The gateway's request to a service: a new traceparent flagged not-sampled (so the service
    does not roll its own dice), or the caller's own when it came with one."""
    out = tracing.inject_headers([(b"accept", b"*/*"), (b"tracestate", b"v=1")], {"jiuzhu.untraced": True})
    (value,) = [v for k, v in out if k == b"traceparent"]
    assert tracing.caller_decision([(b"traceparent", value)]) is False
    assert (b"tracestate", b"v=1") not in out  # belongs to no trace now
    theirs = (b"traceparent", f"00-{TRACE_ID}-{CALLER_SPAN}-00".encode())
    assert tracing.inject_headers([theirs], {"jiuzhu.untraced": True}) == [theirs]


@pytest.fixture(scope="module")
def never_sampled(database_url: str) -> Iterator[tuple[LiveStack, Collector]]:
    collector = Collector()
    stack = LiveStack(
        database_url,
        {
            "JIUZHU_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.port}",
            "JIUZHU_TRACE_SAMPLE_RATIO": "0",
            "OTEL_BSP_SCHEDULE_DELAY": "200",
        },
    )
    try:
        stack.wait_ready()
        yield stack, collector
    finally:
        stack.close()
        collector.close()


def test_at_ratio_zero_only_a_caller_that_asks_is_traced(
    never_sampled: tuple[LiveStack, Collector], auth: Callable[..., dict[str, str]]
) -> None:
    stack, collector = never_sampled
    with httpx.Client(base_url=stack.gateway, timeout=60) as c:
        for _ in range(3):
            assert c.get("/api/procurement/projects", headers=auth("bureau", COUNTY)).status_code == 200
        time.sleep(1.5)  # three export intervals
        with collector.lock:
            assert collector.spans == []  # not one span, in the gateway, the service or Postgres
        sampled = f"00-{TRACE_ID}-{CALLER_SPAN}-01"
        r = c.get("/api/procurement/projects", headers={**auth("bureau", COUNTY), "traceparent": sampled})
        assert r.status_code == 200, r.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with collector.lock:
            spans = list(collector.spans)
        if {s["service"] for s in spans} >= {"jiuzhu-gateway", "jiuzhu-procurement"} and any(
            s["kind"] == CLIENT for s in spans
        ):
            break
        time.sleep(0.2)
    else:
        raise AssertionError(spans)
    assert {s["trace_id"] for s in spans} == {TRACE_ID}
    (gateway,) = [s for s in spans if s["service"] == "jiuzhu-gateway" and s["kind"] == SERVER]
    (service,) = [s for s in spans if s["service"] == "jiuzhu-procurement" and s["kind"] == SERVER]
    assert gateway["parent_id"] == CALLER_SPAN
    assert service["parent_id"] == gateway["span_id"]


def test_without_an_endpoint_nothing_is_installed(database_url: str) -> None:
    from tests.fuzzing import make_app

    app = make_app("procurement", database_url)
    assert not tracing.enabled()
    assert observability.trace_ids is None
    assert not any(m.cls is tracing.RequestSpans for m in app.user_middleware)  # type: ignore[attr-defined]
