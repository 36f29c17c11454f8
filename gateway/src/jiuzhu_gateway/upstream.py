"""Forwarding one request to one upstream service, streaming both ways.

Which client, measured on a 2-core machine (wrk, 32 connections, a small JSON GET, one uvicorn
worker; bench/gateway_proxy.py): a straightforward httpx.AsyncClient proxy keeps ≈5% of direct
throughput (≈80 ms median), httpx on an aiohttp transport ≈30%, an aiohttp ClientSession 65–83%
while the services were slower — but only 36–48% once they reached ≈5,000 req/s, its per-request
bookkeeping being a third of the gateway's CPU. So the hop uses h1.py: httptools (the C parser
uvicorn uses) on an asyncio protocol with a keep-alive pool, raw header bytes straight through.
httpx stays everywhere else (tests, service-to-service calls, the gateway's own /readyz and
OpenAPI fetches) where a request is not on the hot path.

What this module guarantees per request:
- one keep-alive pool per upstream, no cookie handling at all (nothing leaks between users);
- hop-by-hop headers (RFC 9110 7.6.1, plus any named in `Connection`) and cookies stripped;
- small bodies (≤ 64 KiB) buffered and, for idempotent methods, retried once on a connection
  failure; larger bodies streamed upstream as they arrive, never retried; responses streamed back;
- transport failure → 502, breaker open → 503 with Retry-After, no answer in time → 504.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from starlette.types import Receive, Scope, Send

from jiuzhu_gateway.breaker import CircuitBreaker
from jiuzhu_gateway.errors import UpstreamCircuitOpen, UpstreamTimeout, UpstreamUnavailable
from jiuzhu_gateway.h1 import Connection, Pool, UpstreamError, request_head, send_stream
from jiuzhu_gateway.locations import Locations
from jiuzhu_gateway.settings import GatewaySettings

log = logging.getLogger("jiuzhu.gateway.upstream")

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Never forwarded upstream: set by the proxy itself, or a cookie meant for another user/site.
# `expect`: the gateway's own server already answered any 100-continue; the body is ours to send.
# content-length: set again from the body actually sent.
DROP_REQUEST = HOP_BY_HOP | {
    b"host",
    b"cookie",
    b"x-api-key",
    b"authorization",
    b"x-request-id",
    b"expect",
    b"content-length",
}
# date/server: the gateway's own server adds them; forwarding the upstream's would duplicate them.
DROP_RESPONSE = HOP_BY_HOP | {b"set-cookie", b"set-cookie2", b"date", b"server"}
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
BUFFER_LIMIT = 64 * 1024
PATH_SAFE = "/!$&'()*+,;=:@"  # RFC 3986 pchar besides unreserved; `%`, `?`, `#` are always encoded


class BodyStreamed(Exception):
    """The response had started when the upstream failed: nothing more can be said to the client."""


@dataclass(frozen=True)
class Route:
    prefix: str  # gateway prefix, e.g. "/api/public/evaluation"
    service: str  # upstream name: staffing | procurement | evaluation
    upstream_prefix: str  # prepended upstream: "" or "/public"
    public: bool
    timeout: float
    label: str  # metrics / access-log label

    def matches(self, path: str) -> bool:
        n = len(self.prefix)
        return path.startswith(self.prefix) and (len(path) == n or path[n] == "/")


class Upstream:
    def __init__(self, name: str, base_url: str, settings: GatewaySettings) -> None:
        self.name = name
        self.base = base_url.rstrip("/")
        parts = urlsplit(self.base)
        if parts.scheme != "http" or not parts.hostname or parts.path not in ("", "/"):
            raise ValueError(f"upstream {name}: expected http://host:port, got {base_url!r}")
        self.settings = settings
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_reset_seconds)
        self.pool = Pool(
            parts.hostname,
            parts.port or 80,
            settings.pool_size_per_upstream,
            settings.keepalive_seconds,
            settings.connect_timeout,
        )
        # Upstream addresses in a Location, mapped to the gateway's paths (app.create sets all).
        self.locations = Locations({name: self.origin})

    @property
    def origin(self) -> str:
        return f"{self.pool.host.lower()}:{self.pool.port}"

    async def close(self) -> None:
        self.pool.close()

    async def forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        route: Route,
        headers: list[tuple[bytes, bytes]],
        request_id: bytes,
    ) -> int:
        """Send the request upstream and stream the answer back; returns the status sent.

        Raises a DomainError (nothing sent yet) or BodyStreamed (response already under way).
        """
        if not self.breaker.allow():
            raise UpstreamCircuitOpen(service=self.name, retry_after=self.breaker.retry_after())
        method: str = scope["method"]
        body, replayable, length = await _request_body(scope, receive)
        out = [(b"host", self.pool.host_header), *headers]
        if isinstance(body, bytes):
            if body or method in ("POST", "PUT", "PATCH"):
                out.append((b"content-length", str(len(body)).encode()))
        elif length is not None:
            out.append((b"content-length", length))
        else:
            out.append((b"transfer-encoding", b"chunked"))
        head = request_head(method, self._target(scope, route), out)
        attempts = 1 + self.settings.retries if (replayable and method in IDEMPOTENT) else 1
        replay_safe = replayable and (
            method in IDEMPOTENT or any(k == b"idempotency-key" for k, _ in headers)
        )
        verdict = False
        stale_retried = False
        try:
            attempt = 0
            while True:
                conn: Connection | None = None
                try:
                    conn = await self.pool.acquire(fresh=stale_retried)
                    async with asyncio.timeout(route.timeout):
                        if isinstance(body, bytes):
                            await conn.write(head + body)
                        else:
                            await conn.write(head)
                            await send_stream(conn, body, chunked=length is None)
                        await conn.head()
                except TimeoutError as exc:
                    if conn is not None:
                        conn.close()
                    self.breaker.failure()
                    verdict = True
                    raise UpstreamTimeout(service=self.name) from exc
                except UpstreamError as exc:
                    if conn is not None:
                        conn.close()
                    if conn is not None and _stale(conn, replay_safe) and not stale_retried:
                        # A pooled connection the upstream had closed: it never answered this
                        # request, so one more try on a new connection (not counted as a failure).
                        stale_retried = True
                        log.info("retrying %s %s on a new connection after %s", method, scope["path"], exc)
                        continue
                    if attempt + 1 < attempts:
                        attempt += 1
                        log.info("retrying %s %s after %s", method, scope["path"], exc)
                        await asyncio.sleep(0.05)
                        continue
                    self.breaker.failure()
                    verdict = True
                    raise UpstreamUnavailable(service=self.name) from exc
                self.breaker.success()
                verdict = True
                try:
                    return await _relay(conn, send, request_id, method, route.timeout, self)
                finally:
                    if method == "HEAD":  # the parser would wait for a body that never comes
                        conn.close()
                    else:
                        self.pool.release(conn)
        finally:
            if not verdict:
                self.breaker.release()

    def _target(self, scope: Scope, route: Route) -> bytes:
        """The path the gateway routed on (decoded once, by uvicorn), encoded again so the upstream
        decodes it to exactly that: `%256d` reaches it as `%6d`, never as `m`."""
        raw: bytes = scope.get("raw_path") or b""
        prefix = route.prefix.encode()
        rest = raw[len(prefix) :]  # the client's bytes after a literal prefix decode to the routed path
        if not raw.startswith(prefix) or rest[:1] not in (b"", b"/"):
            # the prefix was encoded (`/api/procuremen%74/…`, `/api/x%2F…`): encode the decoded rest
            rest = quote(scope["path"][len(route.prefix) :], safe=PATH_SAFE).encode("ascii")
        target = route.upstream_prefix.encode() + rest or b"/"
        qs: bytes = scope["query_string"]
        return target + b"?" + qs if qs else target


def _stale(conn: Connection, replay_safe: bool) -> bool:
    """Failed on a reused pooled connection before any byte of the answer: the upstream had closed
    it. Sending again is safe when nothing of the request went out, or the request may be replayed
    (idempotent method or an Idempotency-Key, body buffered) — a POST the upstream may have read
    before the close is never sent twice."""
    return conn.reused and not conn.received and (not conn.sent or replay_safe)


async def _request_body(
    scope: Scope, receive: Receive
) -> tuple[bytes | AsyncIterator[bytes], bool, bytes | None]:
    """(body, replayable, declared length): buffered when small, else a stream."""
    length: bytes | None = None
    chunked = False
    for k, v in scope["headers"]:
        if k == b"content-length":
            length = v
        elif k == b"transfer-encoding":
            chunked = True
    if length is None and not chunked:
        return b"", True, None
    if length is not None and length.isdigit() and int(length) <= BUFFER_LIMIT:
        parts = []
        more = True
        while more:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                raise asyncio.CancelledError("client went away")
            parts.append(msg.get("body", b""))
            more = msg.get("more_body", False)
        return b"".join(parts), True, None

    async def stream() -> AsyncIterator[bytes]:
        more = True
        while more:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                raise asyncio.CancelledError("client went away")
            chunk = msg.get("body", b"")
            if chunk:
                yield chunk
            more = msg.get("more_body", False)

    return stream(), False, None if chunked else length


def _response_headers(
    raw: Iterable[tuple[bytes, bytes]], request_id: bytes, up: Upstream
) -> list[tuple[bytes, bytes]]:
    out = []
    seen_rid = False
    conn_named: set[bytes] = set()
    for k, v in raw:
        if k == b"connection":
            conn_named.update(t.strip().lower() for t in v.split(b","))
        if k in DROP_RESPONSE:
            continue
        if k == b"x-request-id":
            seen_rid = True
        elif k == b"location" or k == b"content-location":
            v = up.locations.public(v, up.name)
        out.append((k, v))
    if conn_named:
        out = [(k, v) for k, v in out if k not in conn_named]
    if not seen_rid:
        out.append((b"x-request-id", request_id))
    return out


async def _relay(
    conn: Connection, send: Send, request_id: bytes, method: str, idle_seconds: float, up: Upstream
) -> int:
    service = up.name
    headers = _response_headers(conn.headers, request_id, up)
    status = conn.status
    length = next((int(v) for k, v in headers if k == b"content-length" and v.isdigit()), None)
    if method == "HEAD" or status in (204, 304) or (length is not None and length <= BUFFER_LIMIT):
        # Small answer: read it whole, send it in one message (the common JSON case; fewer writes).
        parts = []
        if method != "HEAD":
            try:
                async with asyncio.timeout(idle_seconds):
                    while (chunk := await conn.read()) is not None:
                        parts.append(chunk)
            except TimeoutError as exc:
                raise UpstreamTimeout(service=service) from exc
            except UpstreamError as exc:
                raise UpstreamUnavailable(service=service) from exc
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"".join(parts), "more_body": False})
        return status
    await send({"type": "http.response.start", "status": status, "headers": headers})
    while True:
        try:
            async with asyncio.timeout(idle_seconds):
                chunk = await conn.read()
        except (TimeoutError, UpstreamError) as exc:
            raise BodyStreamed(repr(exc)) from exc
        if chunk is None:
            break
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})
    return status
