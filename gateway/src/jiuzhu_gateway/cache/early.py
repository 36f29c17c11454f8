"""Cache hits answered in the server's protocol, before any ASGI machinery (jiuzhu_kit.headerlimit's
`answer_early`): the same answer, the same rate limit and metrics as through the proxy (proxy.py →
PublicCache.serve), without the per-request task, scope, middleware and send/receive calls — at
tens of thousands of answers a second those are most of the cost (bench/public_lists.py).

Anything unusual goes the ordinary way, which answers it fully: a miss or an expired entry, a
credential, a CORS request, an RFC 7239 `Forwarded`, a conditional the ordinary way handles
(`Cache-Control: no-cache`), an encoded path, a limit reached (the ordinary way sends the 429).
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass

from jiuzhu_gateway.cache.public import HIT, PublicCache, fresh
from jiuzhu_gateway.cache.store import Entry
from jiuzhu_gateway.proxy import Proxy
from jiuzhu_gateway.upstream import Route
from jiuzhu_kit.headerlimit import Head
from jiuzhu_kit.observability import request_id_var, sane_request_id
from jiuzhu_kit.ratelimit import LocalWindow

# Request headers that send a request the ordinary way: a credential (never from cache), a cookie,
# CORS (its headers are added around the proxy), a body, a demand for a fresh answer, a trace to
# continue, the test clock. A load balancer's X-Forwarded-* are not among them (behind an Ingress
# every request has them): the protocol hands the hook the client the app would see, and nothing
# else in a cached answer depends on them (the proxy forwards its own X-Forwarded-*).
ORDINARY = frozenset(
    {
        b"authorization",
        b"x-api-key",
        b"cookie",
        b"origin",
        b"forwarded",
        b"content-length",
        b"transfer-encoding",
        b"cache-control",
        b"pragma",
        b"traceparent",
    }
)
PUBLIC = b"/api/public/"


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a head asks for, worked out once per head (kept on it: jiuzhu_kit.headerlimit.Head.memo)."""

    route: Route
    path: str
    target: str
    headers: dict[bytes, bytes]  # the last of repeated headers, as the proxy reads them
    request_id: str | None  # the caller's when sane; None: a new one per answer
    limit_key_prefix: tuple[str, str]


_ORDINARY_WAY = object()  # the head's plan: not for an early answer


class EarlyHits:
    def __init__(self, proxy: Proxy, cache: PublicCache) -> None:
        self.proxy = proxy
        self.cache = cache
        self.ordinary = ORDINARY | ({cache.clock_header} if cache.clock_header else set())
        self.window: LocalWindow = proxy.limits.window
        self.limit = proxy.limits.public
        self.routes = {r.prefix: r for r in proxy.routes if r.public}  # /api/public/<service>

    def __call__(self, head: Head, client: tuple[str, int] | None) -> tuple[bytes, bytes] | None:
        start = time.perf_counter()
        plan = head.memo
        if plan is None:
            plan = head.memo = self._plan(head)
        if plan is _ORDINARY_WAY:
            return None
        assert isinstance(plan, _Plan)
        store = self.cache.store
        key = store.key(plan.target, plan.headers)
        now = time.monotonic()
        entry = store.get(key, now) if key is not None else None
        if entry is None:
            return None
        # The per-address limit of anonymous public reads, as PublicCache's callers apply it; over
        # it (or the shared counters due for a sync), the ordinary way decides and answers.
        if self.window.hit(self.limit, (*plan.limit_key_prefix, client[0] if client else "unknown")):
            return None
        # uuid4 reads the OS's randomness (a system call) on every request: a request id needs
        # uniqueness, not secrecy — the same 32 hex digits, from the process's generator.
        rid = plan.request_id or f"{random.getrandbits(128):032x}"
        not_modified = fresh(entry, plan.headers)
        wire = _head(entry, not_modified) + b"x-request-id: %s\r\nage: %d\r\nx-cache: %s\r\n" % (
            rid.encode("latin-1"),
            now - entry.stored_at,
            HIT,
        )
        status = 304 if not_modified else entry.status
        telemetry = self.proxy.telemetry
        metrics = telemetry.metrics
        metrics.count_later(self.cache.hits)
        self.cache.renew_soon(plan.target, entry, now)
        if telemetry.access_log and telemetry.log.isEnabledFor(logging.INFO):
            token = request_id_var.set(rid)  # the access line names the request
            try:
                scope = {"method": "GET", "path": plan.path}
                telemetry.record(scope, plan.route.label, status, time.perf_counter() - start, "public")
            finally:
                request_id_var.reset(token)
        else:
            metrics.observe_later("GET", plan.route.label, status, time.perf_counter() - start)
        return wire, b"" if not_modified else entry.body

    def _plan(self, head: Head) -> _Plan | object:
        url = head.target
        if not url.startswith(PUBLIC) or b"%" in url or b"#" in url:
            return _ORDINARY_WAY
        raw_path, _, query = url.partition(b"?")
        try:
            path = raw_path.decode("ascii")
        except UnicodeDecodeError:
            return _ORDINARY_WAY
        end = path.find("/", len(PUBLIC))
        route = self.routes.get(path[:end] if end > 0 else path)  # as Route.matches, one lookup
        if route is None:
            return _ORDINARY_WAY
        rest = path[len(route.prefix) :]
        if "/." in rest or "//" in rest:
            return _ORDINARY_WAY
        headers = dict(head.headers)
        if not self.ordinary.isdisjoint(headers):
            return _ORDINARY_WAY
        incoming = headers.get(b"x-request-id")
        return _Plan(
            route=route,
            path=path,
            target=path + "?" + query.decode("latin-1") if query else path,
            headers=headers,
            request_id=sane_request_id(incoming) if incoming is not None else None,
            limit_key_prefix=("public", route.service),
        )


def _head(entry: Entry, not_modified: bool) -> bytes:
    """The status line and stored headers on the wire, made once per entry."""
    if not_modified:
        if entry.wire_304 is None:
            entry.wire_304 = _lines(b"HTTP/1.1 304 Not Modified\r\n", _cors(entry.not_modified))
        return entry.wire_304
    if entry.wire is None:
        status_line = b"HTTP/1.1 %d %s\r\n" % (entry.status, _reason(entry.status))
        entry.wire = _lines(status_line, _cors(entry.headers))
    return entry.wire


def _cors(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """What the gateway's CORS layer (cors.py, Starlette's) does to an answer to a request without
    `Origin` — the only ones answered here: `Origin` joins `Vary`, in one header where the first was."""
    varies = [v for k, v in headers if k == b"vary"]
    vary = b", ".join([*varies, b"Origin"])
    if not varies:
        return [*headers, (b"vary", vary)]
    out, placed = [], False
    for k, v in headers:
        if k == b"vary":
            if not placed:
                out.append((k, vary))
                placed = True
        else:
            out.append((k, v))
    return out


def _lines(status_line: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    return status_line + b"".join(k + b": " + v + b"\r\n" for k, v in headers)


def _reason(status: int) -> bytes:
    from http import HTTPStatus

    return HTTPStatus(status).phrase.encode("ascii")
