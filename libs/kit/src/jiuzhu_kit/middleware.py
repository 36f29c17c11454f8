"""The kit's request pipeline as one ASGI layer: request id → body limit → access log → unit of work.

Same behaviour, in the same order, as stacking RequestIdMiddleware, a body-size limit,
AccessLogMiddleware and UnitOfWorkMiddleware (which stay, for apps that want only some of them,
like the gateway); the body-size rule itself lives in bodylimit.py. One layer instead of four: every `await` in a request resumes through each
layer's frame and every response message passes each layer's `send` wrapper; at a few thousand
writes per second per worker that was measurable (bench/procurement_transitions.py).

- request id: a sane incoming `X-Request-ID` or a new one; in `scope["state"]`, the log context
  and on every response;
- header limits (headerlimit.py): too many or too large headers → the 431 problem, before the app;
- clock: outside prod, an `X-Jiuzhu-Clock` instant is "now" for the whole request (clock.py);
  a malformed one is refused with the 400 CLOCK_INVALID problem before the app runs;
- body limit: a declared Content-Length over the route's limit is refused with the 413 problem
  before the app runs (not access-logged, as before: it never reached the app); a streamed body
  is counted as it arrives;
- access log: one JSON line (request id, principal, method, path, status, latency) and one metric
  sample per request, labelled by route template;
- unit of work: one lazy session; unsafe methods get their response only after the commit;
- then the app, or the lean route for this request if one was registered (lean.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jiuzhu_kit import clock
from jiuzhu_kit.bodylimit import BodyLimits
from jiuzhu_kit.db import UnitOfWorkMiddleware
from jiuzhu_kit.errors import problem_response
from jiuzhu_kit.headerlimit import HeaderLimits
from jiuzhu_kit.lean import LeanRoute, LeanRoutes
from jiuzhu_kit.observability import AccessLogMiddleware, Metrics, request_id_for, request_id_var

_REQUEST_ID = b"x-request-id"
_CONTENT_LENGTH = b"content-length"
_CLOCK = clock.HEADER.lower().encode()


class KitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics,
        maker_from_scope: Callable[[Scope], async_sessionmaker[AsyncSession]],
        max_body: int,
        body_overrides: Mapping[str, int] | None = None,
        lean_routes: Sequence[LeanRoute] = (),
        header_limits: HeaderLimits | None = None,
        clock_header: bool = False,
    ) -> None:
        self.app = app
        self.headers = header_limits or HeaderLimits()
        self.clock_header = clock_header  # False in prod: the header is then ignored
        self.lean = LeanRoutes(lean_routes, app)
        self.limits = BodyLimits(max_body, body_overrides)
        self.access = AccessLogMiddleware(app, metrics)
        self.uow = UnitOfWorkMiddleware(app, maker_from_scope)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = b""
        declared: bytes | None = None
        clock_raw: bytes | None = None
        for name, value in scope["headers"]:  # the last of repeated headers wins, as with dict()
            if name == _REQUEST_ID:
                incoming = value
            elif name == _CONTENT_LENGTH:
                declared = value
            elif name == _CLOCK:
                clock_raw = value
        rid = request_id_for(incoming)
        scope.setdefault("state", {})["request_id"] = rid
        token = request_id_var.set(rid)
        instant, clock_ok = self._clock(clock_raw)
        clock_token = clock.hold(instant)
        rid_header = (_REQUEST_ID, rid.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != _REQUEST_ID]
                headers.append(rid_header)
                message["headers"] = headers
            await send(message)

        try:
            if not clock_ok:
                await problem_response(Request(scope), clock.ClockInvalid())(scope, receive, send_with_id)
                return
            limit = self.limits.limit_for(scope["path"])
            refusal = self.headers.refusal(scope) or BodyLimits.refusal(scope, declared, limit)
            if refusal is not None:
                await refusal(scope, receive, send_with_id)
                return
            counted = BodyLimits.counting(receive, limit)
            start = time.perf_counter()
            status = 500

            async def capture(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send_with_id(message)

            try:
                await self.uow.run(scope, counted, capture, self.lean.app_for(scope))
            finally:
                self.access.record(scope, status, time.perf_counter() - start)
        finally:
            clock.release(clock_token)
            request_id_var.reset(token)

    def _clock(self, raw: bytes | None) -> tuple[datetime | None, bool]:
        """This request's clock override and whether the header (if honoured) was well formed."""
        if raw is None or not self.clock_header:
            return None, True
        try:
            return clock.parse_instant(raw.decode("latin-1")), True
        except ValueError:
            return None, False
