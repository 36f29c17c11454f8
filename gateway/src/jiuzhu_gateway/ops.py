"""The gateway's operational endpoints: health, readiness of every service, metrics, docs."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated, Any, Literal

import fastapi_offline
import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import text

from jiuzhu_gateway import VERSION
from jiuzhu_gateway.upstream import Upstream
from jiuzhu_kit.app import Health
from jiuzhu_kit.auth import Principal, Role, require_roles

router = APIRouter(tags=["gateway"])


class ServiceReadiness(BaseModel):
    """One service as the gateway sees it."""

    status: Literal["ready", "unavailable", "not_ready"] = Field(description="its /readyz, or unreachable")
    http_status: int | None = Field(description="what its /readyz answered (none if unreachable)")
    latency_ms: float | None = Field(description="how long its /readyz took, in milliseconds")
    circuit: Literal["closed", "open", "half_open"] = Field(description="the gateway's circuit breaker to it")


class Readiness(BaseModel):
    """The gateway's readiness (its own key store) and, for information, every service behind it."""

    status: Literal["ready", "degraded", "not_ready"] = Field(
        description="`not_ready` (503): the gateway's own key store is unreachable; `degraded` (200): the "
        "gateway is ready but a service behind it is not; `ready` (200): everything is"
    )
    service: str = Field(description="always `gateway`")
    version: str = Field(description="the gateway's version")
    database: Literal["ok", "unavailable", "not_configured"] = Field(description="the API-key store")
    services: dict[str, ServiceReadiness] = Field(description="by service name")


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """Alive: the gateway process answers."""
    return Health(status="ok", service="gateway", version=VERSION)


async def _probe(client: httpx.AsyncClient, up: Upstream) -> ServiceReadiness:
    start = time.perf_counter()
    status: Literal["ready", "unavailable", "not_ready"]
    try:
        r = await client.get(f"{up.base}/readyz")
        status = "ready" if r.status_code == 200 else "not_ready"
        code: int | None = r.status_code
    except httpx.HTTPError:
        status, code = "unavailable", None
    return ServiceReadiness(
        status=status,
        http_status=code,
        latency_ms=round((time.perf_counter() - start) * 1000, 1) if code else None,
        circuit=up.breaker.state.value,
    )


async def _database(request: Request) -> str:
    engine = request.app.state.engine
    if engine is None:
        return "not_configured"
    try:
        async with asyncio.timeout(2):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
    except Exception:  # any failure means the key store is unreachable
        return "unavailable"
    return "ok"


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "the gateway's own key store is unreachable"}},
)
async def readyz(request: Request) -> Any:
    """Ready: the gateway's own store answers (503 `not_ready` when not). Every service's /readyz (2 s
    each) is reported in the body, `degraded` when one is not ready, but does not fail the gateway's
    readiness: one service down must not pull the gateway out of rotation and with it every healthy
    service behind it (each service's own readiness probe takes that service out; calls to it get the
    gateway's 502/503 problem meanwhile). /healthz stays the liveness check."""
    upstreams: dict[str, Upstream] = request.app.state.upstreams
    async with httpx.AsyncClient(timeout=2) as client:
        probes = await asyncio.gather(*(_probe(client, up) for up in upstreams.values()))
    services = dict(zip(upstreams, probes, strict=True))
    database = await _database(request)
    ready = database != "unavailable"
    status: Literal["ready", "degraded", "not_ready"] = "not_ready"
    if ready:
        status = "ready" if all(p.status == "ready" for p in probes) else "degraded"
    out = Readiness(
        status=status,
        service="gateway",
        version=VERSION,
        database=database,
        services=services,
    )
    return JSONResponse(out.model_dump(), status_code=200 if ready else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    return request.app.state.metrics.endpoint(request)  # type: ignore[no-any-return]


@router.get("/openapi.json", include_in_schema=False)
async def openapi(request: Request) -> JSONResponse:
    """The merged contract of every service behind the gateway, prefixes applied."""
    return JSONResponse(await request.app.state.openapi.get())


# Swagger UI's assets from the package (fastapi-offline ships them), never a CDN: /docs must work on
# a government intranet without internet. The services serve theirs under the same path.
DOCS_STATIC = "/static-offline-docs"
DOCS_ASSETS = Path(fastapi_offline.__file__).parent / "static"


@router.get("/docs", include_in_schema=False)
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Jiuzhu API",
        swagger_js_url=f"{DOCS_STATIC}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_STATIC}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_STATIC}/favicon.png",
    )


@router.post("/api/gateway/openapi/refresh", status_code=204)
async def refresh_openapi(
    request: Request, principal: Annotated[Principal, Depends(require_roles(Role.ADMIN))]
) -> Response:
    """Fetch every service's contract again now (admin), instead of waiting for the cache to expire."""
    await request.app.state.openapi.refresh()
    return Response(status_code=204)
