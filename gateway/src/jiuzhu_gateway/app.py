"""The gateway (`uvicorn --factory jiuzhu_gateway.app:create`).

Two parts behind one ASGI callable:
- the proxy path (/api/staffing|procurement|evaluation/…, /api/public/<service>/…): plain ASGI,
  see proxy.py;
- everything else — /healthz, /readyz, /metrics, /openapi.json, /docs and the admin API under
  /api/gateway/ — a small FastAPI app built from the kit's pieces (errors, unit of work, audit).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from jiuzhu_gateway import SERVICES, VERSION
from jiuzhu_gateway.apikeys.endpoints import router as api_keys_router
from jiuzhu_gateway.cache import PublicCache
from jiuzhu_gateway.cache.early import EarlyHits
from jiuzhu_gateway.changes.endpoints import router as changes_router
from jiuzhu_gateway.cors import Cors
from jiuzhu_gateway.credentials import Authenticator
from jiuzhu_gateway.db import kit
from jiuzhu_gateway.locations import Locations
from jiuzhu_gateway.openapi_merge import MergedOpenAPI
from jiuzhu_gateway.ops import DOCS_ASSETS, DOCS_STATIC
from jiuzhu_gateway.ops import router as ops_router
from jiuzhu_gateway.proxy import Proxy
from jiuzhu_gateway.ratelimit import RateLimits
from jiuzhu_gateway.revocations import RevocationListener
from jiuzhu_gateway.settings import GatewaySettings
from jiuzhu_gateway.telemetry import Telemetry
from jiuzhu_gateway.upstream import Upstream
from jiuzhu_kit import clock, headerlimit, tracing
from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import TokenVerifier
from jiuzhu_kit.contract import declare_problems, operation_id
from jiuzhu_kit.db import UnitOfWorkMiddleware, connect_args, make_engine, make_sessionmaker, plain_dsn
from jiuzhu_kit.examples import CaptureExamples, capture_directory
from jiuzhu_kit.examples import load as load_examples
from jiuzhu_kit.handlers import install_error_handlers
from jiuzhu_kit.headerlimit import HeaderLimits
from jiuzhu_kit.observability import AccessLogMiddleware, Metrics, RequestIdMiddleware, configure_logging


class Gateway:
    """Dispatch: proxied routes straight to the proxy, the rest to the FastAPI app."""

    def __init__(self, inner: FastAPI, proxy: Proxy, header_limits: HeaderLimits) -> None:
        self.inner = inner
        self.proxy = proxy
        self.header_limits = header_limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # Before anything, and so never forwarded (the protocol refuses most of these earlier).
            refusal = self.header_limits.refusal(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            route = self.proxy.match(scope["path"])
            if route is not None:
                await self.proxy(scope, receive, send, route)
                return
        await self.inner(scope, receive, send)


def _configure_logs(level: str) -> None:
    configure_logging("gateway", level)  # the access lines' "route" is one of the kit's fields
    logging.getLogger("httpx").setLevel(logging.WARNING)  # readiness probes and OpenAPI fetches


def create(settings: GatewaySettings | None = None) -> ASGIApp:
    cfg = settings or GatewaySettings()
    _configure_logs(cfg.log_level)
    traced = tracing.configure(cfg.otlp_endpoint, "gateway", cfg.trace_sample_ratio)
    metrics = Metrics("gateway")
    telemetry = Telemetry(metrics, cfg.access_log)
    upstreams = {s: Upstream(s, getattr(cfg, f"upstream_{s}"), cfg) for s in SERVICES}
    locations = Locations({name: up.origin for name, up in upstreams.items()})
    for up in upstreams.values():
        up.locations = locations
    for name, up in upstreams.items():
        telemetry.breaker_open.labels(name).set_function(up.breaker.is_open)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(cfg, "gateway") if cfg.database_url else None
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine) if engine is not None else None
        app.state.openapi.prefetch()
        await limits.start()
        if revocations is not None:
            await revocations.start()
        try:
            yield
        finally:
            if revocations is not None:
                await revocations.close()
            await limits.close()
            await app.state.openapi.close()
            feed_client = getattr(app.state, "feed_client", None)
            if feed_client is not None:
                await feed_client.aclose()
            for up in upstreams.values():
                await up.close()
            if engine is not None:
                await engine.dispose()
            tracing.shutdown()

    inner = FastAPI(
        title="Jiuzhu gateway",
        version=VERSION,
        lifespan=lifespan,
        openapi_url=None,  # /openapi.json is the merged contract (ops.py)
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,  # short camelCase ids, as the services'
        telemetry=tracing.FASTAPI_TELEMETRY,  # ours only, around the whole gateway (jiuzhu_kit.tracing)
    )
    auth = Authenticator(cfg, lambda: getattr(inner.state, "sessionmaker", None))
    limits = RateLimits(cfg)
    revocations = (
        RevocationListener(plain_dsn(cfg.database_url), connect_args(cfg, "gateway-listen"), auth)
        if cfg.database_url
        else None
    )
    cache = PublicCache(cfg, metrics, None if not cfg.clock_header else clock.HEADER.lower().encode())
    proxy = Proxy(cfg, upstreams, auth, limits, telemetry, cache)
    inner.state.rate_limits = limits
    inner.state.revocations = revocations
    inner.state.settings = cfg
    inner.state.service = "gateway"
    inner.state.token_verifier = TokenVerifier(cfg)
    inner.state.tables = kit
    inner.state.audit = AuditLog(kit.audit)
    inner.state.metrics = metrics
    inner.state.upstreams = upstreams
    inner.state.authenticator = auth
    inner.state.openapi = MergedOpenAPI(cfg, inner)
    install_error_handlers(inner)
    inner.add_middleware(UnitOfWorkMiddleware, maker_from_scope=lambda scope: scope["app"].state.sessionmaker)
    inner.add_middleware(AccessLogMiddleware, metrics=metrics)
    inner.add_middleware(RequestIdMiddleware)
    inner.include_router(ops_router)
    inner.mount(DOCS_STATIC, StaticFiles(directory=DOCS_ASSETS), name="docs-assets")
    inner.include_router(api_keys_router)
    inner.include_router(changes_router)
    # the admin API declares the problems it really sends, and the examples tests captured
    declare_problems(
        inner, server="/", examples=load_examples(Path(__file__).parent / "contract_examples.json")
    )
    directory = capture_directory(cfg.environment)
    if directory is not None:  # outermost: it sees the route template after routing
        inner.add_middleware(CaptureExamples, service="gateway", directory=directory)

    headerlimit.configure(cfg.header_limits)  # the protocol's, when uvicorn runs ours
    # Cache hits answered by that protocol before the ASGI app. Those make no span when tracing is on
    # (no upstream, nothing to follow; the hits metric counts them); a request that carries a
    # `traceparent` goes the ordinary way and is traced as its caller asks.
    headerlimit.answer_early(EarlyHits(proxy, cache) if cache.enabled else None)
    app: ASGIApp = Gateway(inner, proxy, cfg.header_limits)
    # Preflights answered before authentication: allowed origins get CORS headers, others a 403 problem.
    app = Cors(app, cfg.cors_origins)
    if traced:  # outermost: one SERVER span per request, the services' spans its children (proxy.py)
        app = tracing.wrap(app, "gateway")
    return app
