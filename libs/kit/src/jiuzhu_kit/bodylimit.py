"""Request-size limit as plain ASGI, answering with the kit's 413 problem.

Not FastAPI's `max_body_size`: Starlette's RequestBodyLimitMiddleware replaces any response to an
over-long declared Content-Length with a text/plain 413, so clients would get no problem+json.

- a declared Content-Length over the limit is refused before the app runs (nothing read);
- a chunked body is counted as it arrives and refused as soon as it passes the limit;
- the limit is `KitSettings.max_body_bytes`; bulk routes get their own (`create_app(body_limits=…)`,
  keyed by path template, e.g. `/surveys/{survey_id}/responses/bulk`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jiuzhu_kit.errors import DomainError, problem_response


class PayloadTooLarge(DomainError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413
    zh = "请求体过大（上限 {limit} 字节）"
    en = "The request body is too large (limit {limit} bytes)"


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a streamed body passes the limit; FastAPI re-raises HTTPException
    from body parsing, and the kit's handler renders it as the 413 problem."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


def _template(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", path)
    return re.compile("^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, default: int, overrides: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.default = default
        self.overrides = [(_template(p), n) for p, n in (overrides or {}).items()]

    def limit_for(self, path: str) -> int:
        for pattern, limit in self.overrides:
            if pattern.match(path):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_long = int(declared) > limit
            except ValueError:
                too_long = False  # the server refuses a malformed Content-Length itself
            if too_long:
                response = problem_response(Request(scope), PayloadTooLarge(limit=limit))
                await response(scope, receive, send)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge()
            return message

        await self.app(scope, counted, send)
