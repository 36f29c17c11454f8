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
from starlette.responses import Response
from starlette.types import Message, Receive, Scope

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


class BodyLimits:
    """The request-size rule; the kit's pipeline (middleware.py) applies it to every request."""

    def __init__(self, default: int, overrides: Mapping[str, int] | None = None) -> None:
        self.default = default
        self.overrides = [(_template(p), n) for p, n in (overrides or {}).items()]

    def limit_for(self, path: str) -> int:
        for pattern, limit in self.overrides:
            if pattern.fullmatch(path):
                return limit
        return self.default

    @staticmethod
    def refusal(scope: Scope, declared: bytes | None, limit: int) -> Response | None:
        """The 413 problem for a declared Content-Length over the limit (before anything is read)."""
        if declared is None:
            return None
        try:
            too_long = int(declared) > limit
        except ValueError:
            return None  # the server refuses a malformed Content-Length itself
        return problem_response(Request(scope), PayloadTooLarge(limit=limit)) if too_long else None

    @staticmethod
    def counting(receive: Receive, limit: int) -> Receive:
        """`receive` that raises BodyTooLarge as soon as a streamed body passes the limit."""
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge()
            return message

        return counted
