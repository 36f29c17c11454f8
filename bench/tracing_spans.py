"""What one span costs in OpenTelemetry's Python SDK, made and exported as jiuzhu_kit.tracing does
(issue 19: why tracing every request cannot stay within 10 % of a read that costs ≈ 1.4 ms of CPU).

Run: `.venv/bin/python -m bench.tracing_spans` (≈ 20 s; in-process, a collector stub on loopback).

One traced request as the service makes it for a public list read — a SERVER span with the
attributes RequestSpans sets and two CLIENT spans with the asyncpg instrumentation's — repeated,
the CPU of the whole process (the batch exporter's thread included) divided per request:
- `made`: spans made and ended, no processor;
- `made + exported`: the batch processor and the OTLP/HTTP exporter to a stub answering 200;
- `encoded`: the exporter's protobuf encoding alone (`encode_spans`, per span), the largest part.
Process CPU time, not wall time: the figure holds on a loaded machine (the noise is the CPU's speed).

Measured 2026-12-05 on the shared 2-core machine (two runs): made 28–29 µs a span, made + exported
85–88 µs a span (a 3-span request 256–265 µs), of which the encoding 32–40 µs. A read that costs 1.4 ms traced with
four spans pays ≈ 0.35 ms in the SDK alone: the 10 % bar holds at a sampled share, not for every
request (bench/tracing_workers.py measures both through real processes).
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind

from bench.common import print_table, row

REQUESTS = 20_000
CLIENT_SPANS = 2
SERVER = {
    "http.request.method": "GET",
    "url.path": "/public/announcements",
    "url.scheme": "http",
    "jiuzhu.service": "procurement",
}
CLIENT = {
    "db.system": "postgresql",
    "db.name": "jiuzhu",
    "db.user": "jiuzhu",
    "net.peer.name": "postgres-rw",
    "net.peer.port": 5432,
    "net.transport": "ip_tcp",
    "db.statement": "SELECT project.id, project.title FROM procurement.project"
    " WHERE project.division_code LIKE $1 ORDER BY project.announced_at DESC LIMIT $2",
}


class _Stub(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _requests(provider: TracerProvider, n: int) -> float:
    """CPU seconds of this process for `n` traced requests, whatever was queued flushed."""
    tracer = provider.get_tracer("bench")
    start = time.process_time()
    for _ in range(n):
        span = tracer.start_span("GET", kind=SpanKind.SERVER, attributes=SERVER)
        with trace.use_span(span, end_on_exit=True):
            span.set_attribute("http.response.status_code", 200)
            span.set_attribute("jiuzhu.request_id", "0123456789abcdef0123456789abcdef")
            span.set_attribute("http.route", "/public/announcements")
            span.update_name("GET /public/announcements")
            for _ in range(CLIENT_SPANS):
                with tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT, attributes=CLIENT):
                    pass
    provider.force_flush()
    return time.process_time() - start


class _Keep(SpanExporter):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def export(self, spans: Any) -> SpanExportResult:
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS


def main() -> list[dict[str, Any]]:
    resource = Resource.create({"service.name": "jiuzhu-bench"})
    spans = 1 + CLIENT_SPANS

    made = _requests(TracerProvider(resource=resource), REQUESTS) / REQUESTS

    stub = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    exporting = TracerProvider(resource=resource)
    exporter = OTLPSpanExporter(endpoint=f"http://127.0.0.1:{stub.server_address[1]}/v1/traces")
    # A queue that never drops: every span made is exported and counted.
    exporting.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=spans * REQUESTS))
    exported = _requests(exporting, REQUESTS) / REQUESTS
    exporting.shutdown()
    stub.shutdown()

    keep = _Keep()
    kept = TracerProvider(resource=resource)
    kept.add_span_processor(BatchSpanProcessor(keep, max_queue_size=spans * 1000))
    _requests(kept, 1000)
    batch = keep.spans[:512]
    start = time.process_time()
    for _ in range(40):
        encode_spans(batch).SerializePartialToString()
    encoded = (time.process_time() - start) / 40 / len(batch)

    us = 1e6
    return [
        row(f"a request's {spans} spans made and ended, no export", made * us, "µs CPU"),
        row(f"a request's {spans} spans made and exported (OTLP/HTTP to a stub)", exported * us, "µs CPU"),
        row("one span made", made / spans * us, "µs CPU"),
        row("one span made and exported", exported / spans * us, "µs CPU"),
        row("one span's protobuf encoding (encode_spans)", encoded * us, "µs CPU", exported / spans * us),
    ]


if __name__ == "__main__":
    print_table(main(), "OpenTelemetry SDK: CPU per span, made and exported as jiuzhu_kit.tracing does")
