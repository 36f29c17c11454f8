"""The merged changes feed: the three services' feeds (jiuzhu_kit.feed) as one, with one cursor.

The composite cursor holds each service's own position. A page asks every service for a page from
its position and interleaves them by time; each service's changes keep their own (commit) order,
and a service's position advances only past the changes this page hands out (or, when all of its
page was handed out, to where that service's page ended). So the guarantee of each service's feed
— every committed change exactly once, never a gap — holds for the merged one. Each service
decides what the caller sees with its own read policies; a service whose feed refuses the caller's
role (403) contributes nothing, and only a caller all three refuse gets 403.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel

from jiuzhu_gateway import SERVICES
from jiuzhu_gateway.errors import UpstreamUnavailable
from jiuzhu_gateway.upstream import Upstream
from jiuzhu_kit.auth import RoleForbidden
from jiuzhu_kit.feed import Change
from jiuzhu_kit.pagination import CursorInvalid, decode_cursor, encode_cursor


class MergedChange(Change):
    """变更 One change of the merged changes feed (all services)."""

    service: str


class MergedPage(BaseModel):
    """A page of the merged feed; `next_cursor` is always the position to resume from."""

    items: list[MergedChange]
    next_cursor: str | None = None


def parse(cursor: str | None) -> dict[str, str | None]:
    if not cursor:
        return dict.fromkeys(SERVICES)
    parts = decode_cursor(cursor)
    if len(parts) != len(SERVICES) or not all(p is None or isinstance(p, str) for p in parts):
        raise CursorInvalid()
    return dict(zip(SERVICES, parts, strict=True))


async def _page(
    client: httpx.AsyncClient, up: Upstream, authorization: str, cursor: str | None, limit: int, expand: bool
) -> dict[str, Any] | None:
    params: dict[str, Any] = {"limit": limit, "expand": "true" if expand else "false"}
    if cursor:
        params["cursor"] = cursor
    try:
        r = await client.get(f"{up.base}/changes", params=params, headers={"Authorization": authorization})
    except httpx.HTTPError as exc:
        raise UpstreamUnavailable() from exc
    if r.status_code == 403:
        return None
    if r.status_code == 400 and r.json().get("code") == CursorInvalid.code:
        raise CursorInvalid()
    if r.status_code != 200:
        raise UpstreamUnavailable()
    body: dict[str, Any] = r.json()
    return body


async def merged(
    client: httpx.AsyncClient,
    upstreams: dict[str, Upstream],
    authorization: str,
    cursor: str | None,
    limit: int,
    expand: bool,
) -> MergedPage:
    positions = parse(cursor)
    pages = await asyncio.gather(
        *(_page(client, upstreams[s], authorization, positions[s], limit, expand) for s in SERVICES)
    )
    if all(p is None for p in pages):
        raise RoleForbidden()
    queues = {s: (p["items"] if p else []) for s, p in zip(SERVICES, pages, strict=True)}
    taken = dict.fromkeys(SERVICES, 0)
    out: list[MergedChange] = []
    while len(out) < limit:
        heads = [
            (datetime.fromisoformat(q[taken[s]]["occurred_at"]), s)
            for s, q in queues.items()
            if taken[s] < len(q)
        ]
        if not heads:
            break
        _, s = min(heads)
        out.append(MergedChange(**queues[s][taken[s]], service=s))
        taken[s] += 1
    after = []
    for s, page in zip(SERVICES, pages, strict=True):
        if page is None:
            after.append(positions[s])
        elif taken[s] == len(page["items"]):
            after.append(page["next_cursor"])
        else:  # taken < len: resume after the last change handed out (taken ≥ 0)
            after.append(page["items"][taken[s] - 1]["position"] if taken[s] else positions[s])
    return MergedPage(items=out, next_cursor=encode_cursor(after) if any(after) else None)
