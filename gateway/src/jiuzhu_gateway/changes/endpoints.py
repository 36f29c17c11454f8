"""GET /api/changes: the merged changes feed of the three services (service.py)."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import APIRouter, Query, Request

from jiuzhu_gateway.changes.service import MergedPage, merged
from jiuzhu_kit.auth import RoleForbidden
from jiuzhu_kit.errors import responses
from jiuzhu_kit.pagination import CursorInvalid

router = APIRouter(tags=["changes"])
MAX_LIMIT = 1000


def client_of(request: Request) -> httpx.AsyncClient:
    client = getattr(request.app.state, "feed_client", None)
    if client is None:
        client = request.app.state.feed_client = httpx.AsyncClient(timeout=30)
    assert isinstance(client, httpx.AsyncClient)
    return client


@router.get("/api/changes", response_model=MergedPage, responses=responses(RoleForbidden, CursorInvalid))
async def changes(
    request: Request,
    cursor: Annotated[
        str | None, Query(max_length=2048, description="上一页的 `next_cursor`；不传从头读取。")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="每页最多条数 at most this many")] = 100,
    expand: Annotated[
        bool, Query(description="附带每次变更后的完整记录 the aggregate with each change")
    ] = False,
) -> MergedPage:
    """Every committed change of all three services that you may read (JWT or API key), each
    service's in its commit order: page with `next_cursor` to see each change exactly once."""
    caller = await request.app.state.authenticator.authenticate(
        request.headers.get("authorization", "").encode("latin-1") or None,
        request.headers.get("x-api-key", "").encode("latin-1") or None,
    )
    return await merged(
        client_of(request), request.app.state.upstreams, caller.authorization, cursor, limit, expand
    )
