"""One way to assemble a Jiuzhu service: lifespan, middleware, errors, health, metrics, calendar."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, Field
from sqlalchemy import text
from starlette.types import Scope

from jiuzhu_kit import clock, headerlimit, tracing
from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import TokenVerifier
from jiuzhu_kit.calendar import CalendarStore, calendar_router
from jiuzhu_kit.contract import declare_problems, operation_id
from jiuzhu_kit.db import classify_db_error, make_engine, make_sessionmaker, plain_dsn
from jiuzhu_kit.errors import problem_response
from jiuzhu_kit.examples import CaptureExamples, capture_directory
from jiuzhu_kit.examples import load as load_examples
from jiuzhu_kit.feed import Feed, Source, changes_lean_route, changes_router
from jiuzhu_kit.handlers import install_error_handlers
from jiuzhu_kit.idempotency import IdempotentReplay, idempotency_guard, replay_handler
from jiuzhu_kit.lean import LeanRoute
from jiuzhu_kit.middleware import KitMiddleware
from jiuzhu_kit.observability import LiveGauges, Metrics, configure_logging
from jiuzhu_kit.settings import KitSettings
from jiuzhu_kit.singleton import Leader
from jiuzhu_kit.strictjson import strict_json_guard
from jiuzhu_kit.tables import KitTables
from jiuzhu_kit.transparency.api import transparency_router
from jiuzhu_kit.transparency.heads import load_key
from jiuzhu_kit.transparency.log import Publisher, TransparencyLog
from jiuzhu_kit.webhooks import Sender, Webhooks
from jiuzhu_kit.webhooks_api import webhooks_router
from jiuzhu_kit.writepool import WritePool


class Health(BaseModel):
    """Liveness (`ok`) or readiness (`ready`) of one process."""

    status: Literal["ok", "ready"] = Field(description="`ok`: the process answers; `ready`: and its database")
    service: str = Field(description="the process: a service's name or `gateway`", examples=["procurement"])
    version: str = Field(description="its version", examples=["0.1.0"])
    database: Literal["ok"] | None = Field(default=None, description="`ok` when the database answered")


SHUTDOWN_STEP_SECONDS = 10.0


async def _bounded(step: str, done: Awaitable[None]) -> bool:
    """One step of the shutdown, given SHUTDOWN_STEP_SECONDS: a step that never ends (a pool
    waiting for a connection nobody releases) must not keep the process, or a test's teardown,
    forever. False, and a warning naming the step, when it did not end in time."""
    try:
        async with asyncio.timeout(SHUTDOWN_STEP_SECONDS):
            await done
    except TimeoutError:
        logging.getLogger("jiuzhu.app").warning(
            "shutdown: %s did not end in %ss", step, SHUTDOWN_STEP_SECONDS
        )
        return False
    return True


def _maker(scope: Scope) -> Any:
    return scope["app"].state.sessionmaker


# The database-side gauges (LiveGauges): one round trip per scrape, bounded by the scrape's timeout.
_LIVE_SQL = """
SELECT
  (SELECT coalesce(extract(epoch FROM now() - min(xact_start)), 0) FROM pg_stat_activity
    WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()) AS feed_lag
"""
_WEBHOOK_SQL = """
SELECT
  (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0) FROM "{schema}".webhook_delivery
    WHERE status = 'pending') AS delivery_lag,
  (SELECT count(*) FROM "{schema}".webhook_outbox) AS outbox
"""


async def sample_live(app: FastAPI, live: LiveGauges) -> None:
    """Read the pools and the database-side lags into the live gauges (on a scrape only)."""
    engine = app.state.engine
    pool = engine.pool
    settings: KitSettings = app.state.settings
    in_use = pool.checkedout()
    live.set("db_pool_connections", ("engine", "in_use"), in_use)
    live.set("db_pool_connections", ("engine", "idle"), pool.checkedin())
    live.set("db_pool_connections", ("engine", "max"), settings.db_pool_size + settings.db_max_overflow)
    write = app.state.write_pool.pool
    size, idle = (write.get_size(), write.get_idle_size()) if write is not None else (0, 0)
    live.set("db_pool_connections", ("write", "in_use"), size - idle)
    live.set("db_pool_connections", ("write", "idle"), idle)
    live.set("db_pool_connections", ("write", "max"), settings.db_pool_size)
    try:
        async with asyncio.timeout(2), engine.connect() as conn:
            row = (await conn.execute(text(_LIVE_SQL))).one()
            live.set("feed_horizon_lag_seconds", (), row.feed_lag)
            if getattr(app.state, "webhooks", None) is not None:
                schema = app.state.tables.audit.schema
                hooks = (await conn.execute(text(_WEBHOOK_SQL.format(schema=schema)))).one()
                live.set("webhook_delivery_lag_seconds", (), hooks.delivery_lag)
                live.set("webhook_outbox_backlog", (), hooks.outbox)
    except Exception:
        pass


def create_app(
    *,
    service: str,
    title: str,
    version: str,
    description: str,
    settings: KitSettings,
    tables: KitTables,
    routers: Sequence[APIRouter],
    openapi_tags: list[dict[str, Any]] | None = None,
    on_startup: Callable[[FastAPI], Awaitable[None]] | None = None,
    on_shutdown: Callable[[FastAPI], Awaitable[None]] | None = None,
    configure_logs: bool = True,
    problem_contract: bool = False,
    body_limits: Mapping[str, int] | None = None,
    lean_routes: Sequence[LeanRoute] = (),
    feed_sources: Mapping[str, Source] | None = None,
    gateway_prefix: str | None = None,
    response_enums: Mapping[str, Sequence[str]] | None = None,
    examples_file: Path | None = None,
) -> FastAPI:
    """Assemble a service. `problem_contract=True` makes the OpenAPI declare the kit's real error
    responses (see contract.py); it is opt-in only so each service regenerates its openapi.json
    when it turns it on. `body_limits` raises the request-size limit for bulk routes (path template
    → bytes); every other route has `settings.max_body_bytes`. `lean_routes` serve the plain case of
    a hot write without FastAPI (lean.py), on their own connection pool (`app.state.write_pool`);
    `feed_sources` (aggregate type → read policy and loader) serve the changes feed (feed.py) and
    the webhooks (webhooks.py), whose sender then runs inside this process;
    `settings.lean_routes = False` turns them off (the FastAPI routes then answer everything).
    `gateway_prefix`: where the gateway serves the service (`/api/<service>` unless named), the
    contract's `servers`. `response_enums`: `Schema.property` → its values (a machine's states)
    where the model holds a plain string. `examples_file`: the service's examples captured from
    tests (examples.py), put into its OpenAPI."""
    if configure_logs:
        configure_logging(service, settings.log_level)
    if settings.clock:  # the process clock starts now (validated, and refused in prod, by the settings)
        clock.configure(settings.clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings, service)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        try:
            if on_startup is not None:
                await on_startup(app)
            if sender is not None:
                sender.start_with(app.state.sessionmaker)
            if transparency is not None and settings.transparency_publisher:
                app.state.transparency_leader = Leader(
                    plain_dsn(settings.database_url),
                    f"transparency:{service}",
                    Publisher(transparency, app.state.sessionmaker),
                    every=settings.transparency_publish_seconds,
                    connect_options={"server_settings": {"application_name": f"{service}-transparency"}},
                )
                await app.state.transparency_leader.start()
            # Everything loaded so far (modules, models, schemas, routes) lives as long as the
            # process: move it out of the collector's sight, so full collections under load scan
            # only what requests allocate (perf: ~10% of a busy worker's CPU was gc before).
            gc.freeze()
            yield
        finally:
            gc.unfreeze()  # several apps may come and go in one process (tests)
            if on_shutdown is not None:
                await _bounded("on_shutdown", on_shutdown(app))
            if sender is not None:
                await _bounded("webhook sender", sender.stop())
            leader = getattr(app.state, "transparency_leader", None)
            if leader is not None:
                await _bounded("transparency publisher", leader.close())
            if not await _bounded("write pool", app.state.write_pool.close()):
                app.state.write_pool.terminate()
            await _bounded("engine", engine.dispose())
            tracing.shutdown()

    # FastAPIOffline: FastAPI whose /docs and /redoc load Swagger UI and ReDoc from the package
    # (`/static-offline-docs/…`), not a CDN: they work on intranets without internet.
    app = FastAPIOffline(
        title=title,
        version=version,
        description=description,
        lifespan=lifespan,
        openapi_tags=openapi_tags,
        dependencies=[Depends(strict_json_guard), Depends(idempotency_guard)],
        # No redirect to the slash-less path: it would be built from the Host the caller sent (behind
        # the gateway, the service's own address). A trailing slash is a 404 problem instead.
        redirect_slashes=False,
        generate_unique_id_function=operation_id,  # `listProjects`, not FastAPI's path-long default
        telemetry=tracing.FASTAPI_TELEMETRY,  # ours only (jiuzhu_kit.tracing)
    )
    app.state.settings = settings
    app.state.service = service
    app.state.token_verifier = TokenVerifier(settings)
    app.state.tables = tables
    app.state.audit = AuditLog(tables.audit)
    app.state.idempotency_table = tables.idempotency
    app.state.write_pool = WritePool(settings, service)
    if tables.calendar_day is not None and tables.calendar_year is not None:
        app.state.calendar_store = CalendarStore(tables.calendar_day, tables.calendar_year, app.state.audit)

    sender: Sender | None = None
    if feed_sources is not None:
        feed = Feed(tables.audit, feed_sources)
        app.state.feed = feed
        lean_routes = [*lean_routes, changes_lean_route(feed)]  # a drain's pages (feed.py)
        if tables.webhooks is not None:
            app.state.webhooks = Webhooks(service, tables.webhooks, feed, settings)
            if settings.webhook_sender:
                sender = Sender(app.state.webhooks)

    # Public chain heads (jiuzhu_kit.transparency): a key that will not load stops start-up.
    transparency: TransparencyLog | None = None
    if tables.transparency is not None:
        key = load_key(settings.transparency_key, service, settings.environment)
        transparency = TransparencyLog(service, tables.transparency, tables.audit, key)
        app.state.transparency = transparency

    install_error_handlers(app)  # database errors included, raw asyncpg ones from the hot paths too
    app.add_exception_handler(IdempotentReplay, replay_handler)

    metrics = Metrics(service)
    metrics.live = LiveGauges(service)
    app.state.metrics = metrics
    # Request id → body limit → access log → unit of work, as one layer (see middleware.py).
    app.add_middleware(
        KitMiddleware,
        metrics=metrics,
        maker_from_scope=_maker,
        max_body=settings.max_body_bytes,
        body_overrides=body_limits,
        lean_routes=lean_routes if settings.lean_routes else (),
        header_limits=settings.header_limits,
        clock_header=settings.clock_header,
    )
    headerlimit.configure(settings.header_limits)  # the protocol's, when uvicorn runs ours

    ops = APIRouter(tags=["operations"])

    @ops.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        """Alive: the process answers."""
        return Health(status="ok", service=service, version=version)

    @ops.get("/readyz", response_model=Health, responses={503: {"description": "database unreachable"}})
    async def readyz(request: Request) -> Any:
        """Ready: the database answers within 2 s."""
        try:
            async with asyncio.timeout(2):
                async with request.app.state.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except Exception as exc:  # any failure means not ready
            from jiuzhu_kit.db import DatabaseUnavailable

            return problem_response(request, classify_db_error(exc) or DatabaseUnavailable())
        return Health(status="ready", service=service, version=version, database="ok")

    async def scrape(request: Request) -> Response:
        assert metrics.live is not None
        await sample_live(request.app, metrics.live)
        return metrics.endpoint(request)

    ops.add_api_route("/metrics", scrape, methods=["GET"], include_in_schema=False)
    app.include_router(ops)
    if tables.calendar_day is not None:
        app.include_router(calendar_router())
    for router in routers:
        app.include_router(router)
    if feed_sources is not None:
        app.include_router(changes_router(app.state.feed))
        if tables.webhooks is not None:
            app.include_router(webhooks_router())
    if transparency is not None:
        app.include_router(transparency_router())
    if problem_contract:
        declare_problems(
            app,
            server=gateway_prefix or f"/api/{service}",
            enums=response_enums,
            examples=load_examples(examples_file),
        )
    directory = capture_directory(settings.environment)
    if directory is not None:  # outermost: it sees the route template after routing
        app.add_middleware(CaptureExamples, service=service, directory=directory)
    if tracing.configure(settings.otlp_endpoint, service, settings.trace_sample_ratio):
        tracing.instrument(app, service)  # outermost: the span covers everything below
    return app
