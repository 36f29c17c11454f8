"""Gateway (platform skeleton): routes by prefix to the services, streaming both ways.

The gateway issue completes this (auth, API keys, rate limits, merged OpenAPI, breaker).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse

from jiuzhu_gateway import VERSION

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    upstream_staffing: str = "http://127.0.0.1:8101"
    upstream_procurement: str = "http://127.0.0.1:8102"
    upstream_evaluation: str = "http://127.0.0.1:8103"
    timeout_seconds: float = Field(default=30.0)


def _problem(status: int, code: str, zh: str) -> JSONResponse:
    return JSONResponse(
        {
            "type": f"https://jiuzhu.example/problems/{code.lower()}",
            "title": zh,
            "status": status,
            "code": code,
            "detail": zh,
        },
        status_code=status,
        media_type="application/problem+json",
    )


def create(settings: GatewaySettings | None = None) -> FastAPI:
    cfg = settings or GatewaySettings()
    routes = {
        "/api/staffing": cfg.upstream_staffing,
        "/api/procurement": cfg.upstream_procurement,
        "/api/evaluation": cfg.upstream_evaluation,
    }

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=cfg.timeout_seconds, follow_redirects=False) as client:
            app.state.client = client
            yield

    app = FastAPI(title="Jiuzhu gateway", version=VERSION, lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "gateway", "version": VERSION}

    @app.api_route(
        "/api/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
    )
    async def proxy(request: Request, path: str) -> Response:
        full = request.url.path
        match = next(((p, u) for p, u in routes.items() if full == p or full.startswith(p + "/")), None)
        if match is None:
            return _problem(404, "ROUTE_NOT_FOUND", "未找到路由")
        prefix, upstream = match
        client: httpx.AsyncClient = request.app.state.client
        headers = [
            (k, v)
            for k, v in request.headers.items()
            if k.lower() not in HOP_BY_HOP and k.lower() != "cookie"
        ]
        req = client.build_request(
            request.method,
            upstream + full[len(prefix) :] or "/",
            params=request.url.query,
            headers=headers,
            content=request.stream(),
        )
        try:
            resp = await client.send(req, stream=True)
        except httpx.TimeoutException:
            return _problem(504, "UPSTREAM_TIMEOUT", "上游服务超时")
        except httpx.TransportError:
            return _problem(502, "UPSTREAM_UNAVAILABLE", "上游服务不可用")
        out_headers = {
            k: v for k, v in resp.headers.items() if k.lower() not in HOP_BY_HOP and k.lower() != "set-cookie"
        }
        return StreamingResponse(
            resp.aiter_raw(),
            status_code=resp.status_code,
            headers=out_headers,
            background=BackgroundTask(resp.aclose),
        )

    return app
