"""The gateway's refusals: stable codes rendered as RFC 9457 problems (jiuzhu_kit.errors)."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.types import Scope, Send

from jiuzhu_kit.errors import (
    PROBLEM_JSON,
    DomainError,
    ServiceUnavailable,
    Unauthorized,
    problem_body,
    request_lang,
)


class RouteNotFound(DomainError):
    code = "ROUTE_NOT_FOUND"
    status = 404
    zh = "网关未找到该路由"
    en = "No such route on the gateway"


class PathInvalid(DomainError):
    code = "PATH_INVALID"
    status = 400
    zh = "请求路径无效（含“.”“..”或空路径段）"
    en = "The request path is invalid (a '.', '..' or empty segment)"


class UpstreamUnavailable(DomainError):
    code = "UPSTREAM_UNAVAILABLE"
    status = 502
    zh = "上游服务（{service}）不可用"
    en = "The upstream service ({service}) is unavailable"


class UpstreamCircuitOpen(ServiceUnavailable):
    code = "UPSTREAM_CIRCUIT_OPEN"
    zh = "上游服务（{service}）暂时停止接收请求，请稍后重试"
    en = "The upstream service ({service}) is paused after repeated failures; retry later"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.params.get("retry_after", 1))}


class UpstreamTimeout(DomainError):
    code = "UPSTREAM_TIMEOUT"
    status = 504
    zh = "上游服务（{service}）响应超时"
    en = "The upstream service ({service}) did not answer in time"


class ApiKeyInvalid(Unauthorized):
    code = "API_KEY_INVALID"
    zh = "API 密钥无效或已吊销"
    en = "The API key is invalid or revoked"


def problem_bytes(err: DomainError, lang: str, path: str, request_id: str | None) -> bytes:
    return json.dumps(problem_body(err, lang, path, request_id), ensure_ascii=False).encode()


async def send_problem(scope: Scope, send: Send, err: DomainError, request_id: str) -> None:
    """The same body as jiuzhu_kit.errors.problem_response, sent from raw ASGI (the proxy path)."""
    body = problem_bytes(err, request_lang(Request(scope)), scope["path"], request_id)
    headers = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode("latin-1")),
        *((k.lower().encode(), v.encode("latin-1")) for k, v in err.headers().items()),
    ]
    await send({"type": "http.response.start", "status": err.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
