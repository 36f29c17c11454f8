"""CORS at the gateway's door: a preflight is answered here, before authentication and routing.

Starlette's middleware decides (origins from `GATEWAY_CORS_ORIGINS`, the methods and headers the
API uses); a refused preflight is a 403 problem (`CORS_FORBIDDEN`) instead of its plain-text 400,
and with no origins configured every preflight is refused that way (never a 401 from the proxy).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from jiuzhu_gateway.errors import send_problem
from jiuzhu_kit.errors import DomainError
from jiuzhu_kit.observability import request_id_for

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
HEADERS = [
    "Authorization",
    "X-API-Key",
    "X-Request-ID",
    "Content-Type",
    "Idempotency-Key",
    "Accept-Language",
]
EXPOSED = ["X-Request-ID", "Retry-After", "Location", "Idempotent-Replayed", "Content-Language"]


class CorsForbidden(DomainError):
    code = "CORS_FORBIDDEN"
    status = 403
    zh = "不允许该跨域请求（{failures}）"
    en = "Cross-origin request not allowed ({failures})"


class Cors(CORSMiddleware):
    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        super().__init__(
            app,
            allow_origins=origins,
            allow_methods=METHODS,
            allow_headers=HEADERS,
            expose_headers=EXPOSED,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            headers = Headers(scope=scope)
            if "origin" in headers and "access-control-request-method" in headers:
                response = self.preflight_response(request_headers=headers)
                if response.status_code == 200:
                    await response(scope, receive, send)
                    return
                failures = bytes(response.body).decode().removeprefix("Disallowed CORS ")
                rid = request_id_for(headers.get("x-request-id", "").encode("latin-1"))
                await send_problem(scope, send, CorsForbidden(failures=failures), rid)
                return
        await super().__call__(scope, receive, send)
