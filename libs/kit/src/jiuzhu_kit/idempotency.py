"""`Idempotency-Key` for unsafe requests.

A key belongs to one principal (sub, roles, jurisdiction, organisation) on one method and path
(`key_scope`). Same key + same request → the stored response, no second write. Same key + another
request on that route → 422 IDEMPOTENCY_KEY_REUSED. The record is written in the request's own transaction, just before
it commits, so "written" and "remembered" cannot diverge; concurrent retries with one key wait on
an advisory lock and then replay the winner's response.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy import Table, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.auth import Principal, optional_principal
from jiuzhu_kit.db import SAFE_METHODS, get_uow
from jiuzhu_kit.errors import BadRequest, DomainError

HEADER = "idempotency-key"
REPLAY_HEADER = "Idempotent-Replayed"
# Headers worth replaying; hop-by-hop and per-request ones (request id) are not.
# documents/api.py marks its upload routes so (kept here: the kit's documents import this module's app).
STREAMED_BODY = "x-jiuzhu-streamed-body"
_KEPT_HEADERS = {b"content-type", b"location", b"etag", b"content-language"}


class IdempotencyKeyReused(DomainError):
    code = "IDEMPOTENCY_KEY_REUSED"
    status = 422
    zh = "该幂等键已用于另一个不同的请求"
    en = "This Idempotency-Key was already used for a different request"


class IdempotencyKeyInvalid(BadRequest):
    code = "IDEMPOTENCY_KEY_INVALID"
    zh = "幂等键应为 1 至 255 个可见字符"
    en = "Idempotency-Key must be 1 to 255 visible characters"


class IdempotentReplay(Exception):
    """Raised to short-circuit a request whose key already has a stored response."""

    def __init__(self, status: int, headers: list[list[str]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    return _digest(method.encode(), path.encode(), query.encode(), body)


def key_scope(principal: Principal | None, client_host: str, method: str, path: str) -> str:
    """Whose key, for which route: a key is replayed only to the same sub with the same roles,
    jurisdiction and organisation, on the same method and path. Scoped by `sub` alone, a county
    got back a 201 another county's token of the same sub had stored."""
    if principal is None:
        who = [b"anonymous", client_host.encode()]
    else:
        who = [
            b"principal",
            principal.sub.encode(),
            ",".join(sorted(principal.roles)).encode(),
            principal.division.encode(),
            (principal.org or "").encode(),
        ]
    return "v2:" + _digest(*who, method.encode(), path.encode())


def _table(request: Request) -> Table:
    table = getattr(request.app.state, "idempotency_table", None)
    assert isinstance(table, Table), "idempotency table not configured"
    return table


async def idempotency_guard(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)]
) -> None:
    """Global dependency: a no-op unless an unsafe request carries `Idempotency-Key`."""
    key = request.headers.get(HEADER)
    if key is None or request.method in SAFE_METHODS:
        return
    extra = getattr(request.scope.get("route"), "openapi_extra", None) or {}
    if extra.get(STREAMED_BODY):
        return  # a file upload: the route calls guard_streamed with the stored file's hash instead
    if not (1 <= len(key) <= 255) or not key.isprintable():
        raise IdempotencyKeyInvalid()
    body = await request.body()
    await _claim(
        request, principal, key, fingerprint(request.method, request.url.path, request.url.query, body)
    )


async def guard_streamed(request: Request, principal: Principal | None, body_sha256: str) -> None:
    """`Idempotency-Key` on a route whose body streams (a file upload, STREAMED_BODY): called by
    the route once the body is stored and hashed, with its sha256 standing for the body. Same key +
    same file → the stored response (the bytes, content addressed, are stored once anyway); another
    file → 422 IDEMPOTENCY_KEY_REUSED. A no-op without the header."""
    key = request.headers.get(HEADER)
    if key is None or request.method in SAFE_METHODS:
        return
    if not (1 <= len(key) <= 255) or not key.isprintable():
        raise IdempotencyKeyInvalid()
    fp = _digest(
        request.method.encode(),
        request.url.path.encode(),
        request.url.query.encode(),
        b"sha256:" + body_sha256.encode(),
    )
    await _claim(request, principal, key, fp)


async def _claim(request: Request, principal: Principal | None, key: str, fp: str) -> None:
    """Replay the stored response of (caller, route, key), refuse another request under it, or
    remember this one's response just before the request commits."""
    host = request.client.host if request.client else "?"
    owner = key_scope(principal, host, request.method, request.url.path)
    table = _table(request)
    uow = get_uow(request)
    session = uow.session
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"idem:{owner}:{key}"}
    )
    found = (
        await session.execute(
            select(table.c.fingerprint, table.c.status, table.c.headers, table.c.body).where(
                table.c.principal == owner, table.c.key == key
            )
        )
    ).first()
    if found is not None:
        if found.fingerprint != fp:
            raise IdempotencyKeyReused()
        raise IdempotentReplay(found.status, found.headers, found.body)

    async def remember(
        sess: AsyncSession, status: int, headers: list[tuple[bytes, bytes]], out: bytes
    ) -> None:
        kept = [[k.decode("latin-1"), v.decode("latin-1")] for k, v in headers if k.lower() in _KEPT_HEADERS]
        await sess.execute(
            table.insert().values(
                principal=owner, key=key, fingerprint=fp, status=status, headers=kept, body=out
            )
        )

    uow.before_commit.append(remember)


async def replay_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, IdempotentReplay)
    headers: dict[str, Any] = {k: v for k, v in exc.headers}
    headers[REPLAY_HEADER] = "true"
    media_type = headers.pop("content-type", None)
    return Response(content=exc.body, status_code=exc.status, headers=headers, media_type=media_type)
