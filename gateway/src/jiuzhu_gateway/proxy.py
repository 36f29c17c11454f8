"""The proxy path as plain ASGI: match a route, authenticate, rate-limit, forward, log, count.

Kept outside FastAPI's router and middleware stack on purpose: at thousands of requests per
second on two cores every microsecond per request shows in the throughput ratio.

Routes (prefix → upstream):
  /api/staffing/…            → staffing-calc /…          (credential required)
  /api/procurement/…         → procurement /…            (credential required)
  /api/evaluation/…          → evaluation /…             (credential required)
  /api/public/<service>/…    → <service> /public/…       (no credential; limited per client address)
A service's /healthz, /readyz, /openapi.json and /docs pass without a credential; /metrics is not
exposed through the gateway.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable

from starlette.types import Message, Receive, Scope, Send

from jiuzhu_gateway import SERVICES
from jiuzhu_gateway.cache import PublicCache
from jiuzhu_gateway.cache.policy import CONDITIONAL
from jiuzhu_gateway.cache.public import Renew
from jiuzhu_gateway.credentials import Authenticator, Caller
from jiuzhu_gateway.errors import ApiKeyInvalid, PathInvalid, RouteNotFound, send_problem
from jiuzhu_gateway.ratelimit import RateLimits
from jiuzhu_gateway.settings import GatewaySettings
from jiuzhu_gateway.telemetry import Telemetry
from jiuzhu_gateway.upstream import DROP_REQUEST, BodyStreamed, Route, Upstream
from jiuzhu_kit import clock, tracing
from jiuzhu_kit.errors import DomainError
from jiuzhu_kit.observability import new_request_id, request_id_for, request_id_var

log = logging.getLogger("jiuzhu.gateway")

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
HIDDEN_PATHS = frozenset({"/metrics"})
DOCS_ASSETS = "/static-offline-docs/"  # Swagger UI's script and CSS, from the package (no CDN)
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_CLOCK = clock.HEADER.lower().encode()


def parse_anonymous(specs: list[str]) -> list[tuple[str, str, re.Pattern[str]]]:
    """`POST evaluation /surveys/*/responses` → (method, service, regex on the upstream path)."""
    out = []
    for spec in specs:
        method, service, path = spec.split()
        if service not in SERVICES:
            raise ValueError(f"unknown service in anonymous route {spec!r}")
        pattern = "^" + "/".join("[^/]+" if p == "*" else re.escape(p) for p in path.split("/")) + "$"
        out.append((method.upper(), service, re.compile(pattern)))
    return out


def dropped_headers(settings: GatewaySettings) -> frozenset[bytes]:
    """Request headers never forwarded. Outside prod `X-Jiuzhu-Clock` passes unchanged (the services
    honour it, jiuzhu_kit.clock); in prod the services ignore it, and the gateway drops it too."""
    return DROP_REQUEST if settings.clock_header else DROP_REQUEST | {_CLOCK}


def build_routes(settings: GatewaySettings) -> list[Route]:
    routes = [
        Route(f"/api/public/{s}", s, "/public", True, settings.timeout_public, f"public-{s}")
        for s in SERVICES
    ]
    routes += [
        Route(f"/api/{s}", s, "", False, float(getattr(settings, f"timeout_{s}")), s) for s in SERVICES
    ]
    return routes


class Proxy:
    def __init__(
        self,
        settings: GatewaySettings,
        upstreams: dict[str, Upstream],
        auth: Authenticator,
        limits: RateLimits,
        telemetry: Telemetry,
        cache: PublicCache,
    ) -> None:
        self.settings = settings
        self.routes = build_routes(settings)
        self.upstreams = upstreams
        self.auth = auth
        self.limits = limits
        self.telemetry = telemetry
        self.cache = cache
        self.anonymous = parse_anonymous(settings.anonymous_routes)
        self.public_reads = parse_anonymous(settings.public_reads)
        self.drop = dropped_headers(settings)
        self.traced = tracing.enabled()

    def match(self, path: str) -> Route | None:
        if not path.startswith("/api/"):
            return None
        for route in self.routes:
            if route.matches(path):
                return route
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send, route: Route) -> None:
        start = time.perf_counter()
        if self.traced:  # the span's name: the route, not the path with its ids
            scope["jiuzhu.route"] = f"{route.prefix}/{{path}}"
        headers: dict[bytes, bytes] = {}
        out: list[tuple[bytes, bytes]] = []
        for k, v in scope["headers"]:
            headers[k] = v
            if k not in self.drop and not k.startswith(b"x-forwarded-"):
                out.append((k, v))
        connection = headers.get(b"connection")
        if connection is not None:  # headers the client named as hop-by-hop (RFC 9110 7.6.1)
            named = {t.strip().lower() for t in connection.split(b",")}
            out = [(k, v) for k, v in out if k not in named]
        rid_s = request_id_for(headers.get(b"x-request-id") or b"")
        rid = rid_s.encode("latin-1")
        token = request_id_var.set(rid_s)
        status = 500
        principal = "-"
        try:
            try:
                caller, public_read = await self._admit(scope, route, headers)
                if caller is not None:
                    principal = caller.principal
                    out.append((b"authorization", caller.authorization.encode("latin-1")))
                else:
                    principal = "public" if route.public else "-"
                self._forwarded(scope, headers, out, route)
                out.append((b"x-request-id", rid))
                if self.traced:  # the service's span continues this request's trace
                    out = tracing.inject_headers(out, scope)
                upstream = self.upstreams[route.service]
                if public_read and self.cache.usable(scope, headers):

                    def fetch(to: Send, fill: bool) -> Awaitable[int]:
                        sent = [h for h in out if h[0] not in CONDITIONAL] if fill else out
                        return upstream.forward(scope, receive, to, route, sent, rid)

                    renew = _renewer(upstream, scope, route, out)
                    status = await self.cache.serve(scope, send, headers, rid, route.service, fetch, renew)
                else:
                    status = await upstream.forward(scope, receive, send, route, out, rid)
            except DomainError as err:
                status = err.status
                await send_problem(scope, send, err, rid_s)
                if status >= 502:
                    self.telemetry.upstream_failure(route.service, err.code)
            except BodyStreamed as exc:
                log.warning("upstream %s failed mid-response: %s", route.service, exc)
                self.telemetry.upstream_failure(route.service, "STREAM_BROKEN")
                raise
            except asyncio.CancelledError:
                status = 499  # the client went away
                raise
        finally:
            if scope["method"] not in SAFE and not 400 <= status < 499:
                self.cache.flush()  # a write went through (or may have): public answers may differ now
            self.telemetry.record(scope, route.label, status, time.perf_counter() - start, principal)
            request_id_var.reset(token)

    async def _admit(
        self, scope: Scope, route: Route, headers: dict[bytes, bytes]
    ) -> tuple[Caller | None, bool]:
        """Authenticate and rate-limit: (the caller, None for calls that need no credential; whether
        it is a read of public data)."""
        rest = scope["path"][len(route.prefix) :] or "/"
        if "/." in rest or "//" in rest:
            _check_segments(rest)
        # `/api/<service>/public/…` is the same public route (the per-service contract's `servers`
        # is `/api/<service>`, so a client built from it calls this form).
        if route.public or rest.startswith("/public/"):
            if scope["method"] in SAFE:
                await self._public_read(scope, route, headers)
                return None, True
            # survey answers and other public writes: a much tighter budget, per address
            await self.limits.enforce(self.limits.public_write, "public", route.service, _client(scope))
            return None, False
        if rest in HIDDEN_PATHS:
            raise RouteNotFound()
        if (rest in OPEN_PATHS or rest.startswith(DOCS_ASSETS)) and scope["method"] in SAFE:
            return None, False
        method = scope["method"]
        credential = b"authorization" in headers or b"x-api-key" in headers
        for m, service, pattern in self.public_reads:
            # A credential sent with a public read is checked and forwarded: the service may show
            # a signed-in caller more (its own local rule packs, `GET …/rules/local-packs`).
            if not credential and m == method and service == route.service and pattern.match(rest):
                await self._public_read(scope, route, headers)
                return None, True
        for m, service, pattern in self.anonymous:
            if m == method and service == route.service and pattern.match(rest):
                await self.limits.enforce(
                    self.limits.public_write, "anonymous", route.service, _client(scope)
                )
                return None, False
        api_key = headers.get(b"x-api-key")
        if api_key is None:
            caller = await self.auth.authenticate(headers.get(b"authorization"), None)
        else:
            caller = await self._by_key(scope, api_key)
        await self.limits.enforce(self.limits.principal, "principal", caller.principal)
        return caller, False

    async def _public_read(self, scope: Scope, route: Route, headers: dict[bytes, bytes]) -> None:
        """Anonymous: limited per client address. A portal naming itself with an API key of role
        `portal` is limited per key, higher (another valid key: per key as on private routes); a
        wrong key is refused (401), not quietly read as anonymous. The public routes get no
        credential either way."""
        api_key = headers.get(b"x-api-key")
        if api_key is None:
            await self.limits.enforce(self.limits.public, "public", route.service, _client(scope))
            return
        caller = await self._by_key(scope, api_key)
        limit = self.limits.portal if caller.portal else self.limits.principal
        await self.limits.enforce(limit, "principal", caller.principal)

    async def _by_key(self, scope: Scope, api_key: bytes) -> Caller:
        """API-key callers, with wrong keys throttled per client address."""
        addr = _client(scope)
        await self.limits.enforce(self.limits.key_failures, "key-failures", addr, count=False)
        try:
            return await self.auth.authenticate(None, api_key)
        except ApiKeyInvalid:
            await self.limits.check(self.limits.key_failures, "key-failures", addr)
            raise

    def _forwarded(
        self, scope: Scope, headers: dict[bytes, bytes], out: list[tuple[bytes, bytes]], route: Route
    ) -> None:
        """X-Forwarded-*: the client as uvicorn established it (proxy headers only from trusted hops)."""
        out.append((b"x-forwarded-for", _client(scope).encode("latin-1")))
        out.append((b"x-forwarded-proto", scope.get("scheme", "http").encode("latin-1")))
        host = headers.get(b"host")
        if host is not None:
            out.append((b"x-forwarded-host", host))
        out.append((b"x-forwarded-prefix", route.prefix.encode()))


def _renewer(upstream: Upstream, scope: Scope, route: Route, out: list[tuple[bytes, bytes]]) -> Renew:
    """The same GET again as the gateway's own request (a new request id, no conditionals, no
    client connection kept alive by it), to renew a cache entry in the background."""
    copy = {
        k: scope[k] for k in ("type", "method", "path", "raw_path", "query_string", "client") if k in scope
    }
    copy["headers"] = []  # no body
    sent = [h for h in out if h[0] not in CONDITIONAL and h[0] != b"x-request-id"]

    async def renew(to: Send) -> int:
        rid = new_request_id().encode()
        return await upstream.forward(copy, _no_body, to, route, [*sent, (b"x-request-id", rid)], rid)

    return renew


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _check_segments(rest: str) -> None:
    """Refuse `.`/`..` and empty segments (however encoded): an upstream or a proxy in between
    that normalises them would reach another path than the one the gateway checked (`/x/../metrics`).
    A trailing slash stays (the service answers it: 404)."""
    segments = rest.split("/")[1:-1] + [s for s in rest.split("/")[-1:] if s]
    if any(s in ("", ".", "..") for s in segments):
        raise PathInvalid()


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
