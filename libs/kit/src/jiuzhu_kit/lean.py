"""Lean routes: a service's busiest write served without FastAPI's per-request machinery.

Why: on the workflow transition route (bench/procurement_transitions.py, 2 cores) FastAPI's
routing, dependency solving and middleware stack cost more CPU than the six SQL statements the
request exists for. A lean route answers the plain, well-formed case itself and hands everything
else to the FastAPI route of the same path, which stays the reference (and the OpenAPI entry):

- the kit's pipeline still runs around it (request id, body limit, access log, unit of work);
- it is taken only for its method and path (no NUL), a JSON body, no query string and no
  Idempotency-Key; a read route (`query=True`: a GET such as the changes feed) instead takes its
  input from the query string, with no body and no NUL in the query;
- the bearer token is verified with the app's TokenVerifier and the body passes the strict-JSON
  check; if either fails, or the handler raises `Decline` (malformed input), the FastAPI route
  gets the request with its body replayed and answers with its own problem (401, 422, …);
- errors raised by the handler are rendered exactly as the app's exception handlers render them.

A handler may raise `Decline` only before it has written anything.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jiuzhu_kit.auth import Principal, TokenVerifier
from jiuzhu_kit.bodylimit import BodyTooLarge
from jiuzhu_kit.db import problem_for
from jiuzhu_kit.errors import DomainError, problem_response
from jiuzhu_kit.idempotency import HEADER as IDEMPOTENCY_HEADER
from jiuzhu_kit.strictjson import JsonAmbiguous, NulCharacter, UnpairedSurrogate, check_json

_AUTHORIZATION = b"authorization"
_CONTENT_TYPE = b"content-type"
_IDEMPOTENCY = IDEMPOTENCY_HEADER.encode()
_JSON_HEADERS = [(b"content-type", b"application/json")]


class Decline(Exception):
    """The lean handler will not answer this request; the FastAPI route will."""


@dataclass(frozen=True)
class LeanRequest:
    scope: Scope
    params: dict[str, str]
    body: bytes
    principal: Principal
    authorization: str  # the header as sent (service-to-service calls forward it)
    query: bytes = b""  # the raw query string (read routes)

    @property
    def app(self) -> Any:
        return self.scope["app"]


# Returns the status and the JSON body of a successful answer.
LeanHandler = Callable[[LeanRequest], Awaitable[tuple[int, bytes]]]


@dataclass(frozen=True)
class LeanRoute:
    method: str
    path: str  # the FastAPI route's template, e.g. "/projects/{project_id}/transitions"
    handler: LeanHandler
    # How each path parameter must look to be served here (default: one path segment).
    param_patterns: tuple[tuple[str, str], ...] = ()
    query: bool = False  # a read: its input is the query string, never a body

    def compile(self) -> re.Pattern[str]:
        patterns = dict(self.param_patterns)
        parts = re.split(r"\{([^}]+)\}", self.path)
        regex = "".join(
            re.escape(p) if i % 2 == 0 else f"(?P<{p}>{patterns.get(p, '[^/]+')})"
            for i, p in enumerate(parts)
        )
        return re.compile(f"^{regex}$")


UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def _json_media(value: bytes) -> bool:
    media = value.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or media.endswith(b"+json")


def _bearer(value: bytes | None) -> str | None:
    # As FastAPI's HTTPBearer reads the header: scheme (any case), one space, credentials.
    if not value:
        return None
    scheme, _, credentials = value.decode("latin-1").partition(" ")
    return credentials if scheme.lower() == "bearer" and credentials else None


class LeanRoutes:
    """Chooses, per request, a lean route or the FastAPI app (`fallback`)."""

    def __init__(self, routes: Sequence[LeanRoute], fallback: ASGIApp) -> None:
        self.routes = [(r, r.compile()) for r in routes]
        self.fallback = fallback

    def app_for(self, scope: Scope) -> ASGIApp:
        if not self.routes or "\x00" in scope["path"]:
            return self.fallback  # FastAPI's guards answer a NUL in the path (strictjson.py)
        query: bytes = scope["query_string"]
        for route, pattern in self.routes:
            if scope["method"] != route.method or (query and not route.query):
                continue
            match = pattern.fullmatch(scope["path"])
            if match is None:
                continue
            if route.query:  # a NUL in the query: FastAPI's guard answers it too
                return (
                    self.fallback
                    if b"%00" in query or b"\x00" in query
                    else _Bound(self, route, match.groupdict())
                )
            content_type = b""
            for name, value in scope["headers"]:
                if name == _IDEMPOTENCY:
                    return self.fallback
                if name == _CONTENT_TYPE:
                    content_type = value
            if not _json_media(content_type):
                return self.fallback
            return _Bound(self, route, match.groupdict())
        return self.fallback


class _Bound:
    def __init__(self, routes: LeanRoutes, route: LeanRoute, params: dict[str, str]) -> None:
        self.routes, self.route, self.params = routes, route, params

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self.route  # the access log and metrics label requests by `route.path`
        chunks: list[bytes] = []
        try:
            while True:
                message = await receive()
                if message["type"] != "http.request":  # gone mid-body: as FastAPI would handle it
                    await self.routes.fallback(scope, _replay_then(chunks, message), send)
                    return
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except BodyTooLarge:
            await self.routes.fallback(scope, _raising(BodyTooLarge()), send)
            return
        body = b"".join(chunks)
        authorization = _header(scope, _AUTHORIZATION)
        principal = _principal(scope, authorization)
        plain = not body if self.route.query else self._strict(body)
        if authorization is None or principal is None or not plain:
            await self.routes.fallback(scope, _replay(body, receive), send)
            return
        scope.setdefault("state", {})["principal_sub"] = principal.sub
        request = LeanRequest(
            scope, self.params, body, principal, authorization.decode("latin-1"), scope["query_string"]
        )
        try:
            status, out = await self.route.handler(request)
        except Decline:
            await self.routes.fallback(scope, _replay(body, receive), send)
            return
        except Exception as exc:  # rendered as the app's exception handlers would
            await _problem(scope, exc)(scope, receive, send)
            return
        headers = [(b"content-length", str(len(out)).encode()), *_JSON_HEADERS]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": out, "more_body": False})

    @staticmethod
    def _strict(body: bytes) -> bool:
        try:
            check_json(body)
        except (JsonAmbiguous, NulCharacter, UnpairedSurrogate):
            return False
        return True


def _header(scope: Scope, name: bytes) -> bytes | None:
    """The first such header, as Starlette's `request.headers.get` reads it."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _principal(scope: Scope, authorization: bytes | None) -> Principal | None:
    token = _bearer(authorization)
    verifier = getattr(scope["app"].state, "token_verifier", None)
    if token is None or not isinstance(verifier, TokenVerifier):
        return None
    try:
        return verifier.verify(token)
    except DomainError:
        return None


def _problem(scope: Scope, exc: Exception) -> ASGIApp:
    return problem_response(Request(scope), problem_for(exc, "unhandled error"))


def _replay(body: bytes, then: Receive) -> Receive:
    """The body already read, then the connection's own `receive` (which waits for a disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await then()

    return receive


def _replay_then(chunks: list[bytes], last: Message) -> Receive:
    messages: list[Message] = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
    messages.append(last)

    async def receive() -> Message:
        return messages.pop(0) if len(messages) > 1 else messages[0]

    return receive


def _raising(exc: Exception) -> Receive:
    async def receive() -> Message:
        raise exc

    return receive
