"""Paging shared by every list endpoint: keyset cursors (`CursorPage`), and the older limit/offset
`Page` that lists move off as they gain cursors."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, Select, tuple_
from sqlalchemy.orm import QueryableAttribute

from jiuzhu_kit.errors import BadRequest

T = TypeVar("T")
R = TypeVar("R")

MAX_LIMIT = 500


class PageParams(BaseModel):
    limit: int = 50
    offset: int = 0


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


# --- Cursor (keyset) paging: the one paging shape for lists (records issue) -----------------------
#
# Offsets skip or repeat rows when records are written between two pages; a keyset cursor does
# not. The cursor is the last row's sort key, base64url-encoded JSON: opaque to clients, harmless
# if forged (the caller's read policy narrows the query before the cursor positions it).


class CursorInvalid(BadRequest):
    code = "CURSOR_INVALID"
    zh = "分页游标无效，请从第一页重新读取"
    en = "The page cursor is not valid; start again from the first page"


@dataclass(frozen=True)
class CursorParams:
    limit: int
    after: tuple[Any, ...] | None


async def cursor_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="每页条数 items per page", examples=[50])
    ] = 50,
    cursor: Annotated[
        str | None,
        Query(
            max_length=512,
            description="上一页返回的 `next_cursor`；不传则从第一页开始。The `next_cursor` of the previous page; omit for the first page.",
        ),
    ] = None,
) -> CursorParams:
    return CursorParams(limit=limit, after=decode_cursor(cursor) if cursor else None)


class CursorPage(BaseModel, Generic[T]):
    """One page of a list. `next_cursor` is absent on the last page."""

    # A parametrised page (CursorPage[ContractOut]) has no docstring of its own: say it in its schema.
    model_config = ConfigDict(
        json_schema_extra={
            "description": "一页列表 — one page of a list; pass `next_cursor` as `cursor` for the next (absent on the last)"
        }
    )

    items: list[T]
    next_cursor: str | None = None


def encode_cursor(key: Sequence[Any]) -> str:
    parts = [
        v.isoformat() if isinstance(v, (datetime, date)) else str(v) if isinstance(v, (UUID, Decimal)) else v
        for v in key
    ]
    raw = json.dumps(parts, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> tuple[Any, ...]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CursorInvalid() from exc
    if not isinstance(parts, list) or not parts or len(parts) > 8:
        raise CursorInvalid()
    if not all(isinstance(p, (str, int)) or p is None for p in parts):
        raise CursorInvalid()
    return tuple(parts)


def _typed(column: ColumnElement[Any], value: Any) -> Any:
    """A cursor value back to the column's Python type (a forged value that does not fit → 400)."""
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return value
    try:
        if value is None or isinstance(value, kind):
            return value
        if kind is datetime:
            return datetime.fromisoformat(value)
        if kind is date:
            return date.fromisoformat(value)
        if kind is UUID:
            return UUID(value)
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise CursorInvalid() from exc


def keyset(
    query: Select[Any],
    params: CursorParams,
    *columns: ColumnElement[Any] | QueryableAttribute[Any],
    descending: bool = True,
) -> Select[Any]:
    """Order `query` by `order` (the last column must be unique, e.g. the id), start after the
    cursor, and fetch one row more than the limit so `cursor_page` knows whether more follow."""
    order = [c.expression if isinstance(c, QueryableAttribute) else c for c in columns]
    if params.after is not None:
        if len(params.after) != len(order):
            raise CursorInvalid()
        after = tuple(_typed(c, v) for c, v in zip(order, params.after, strict=True))
        cmp = tuple_(*order) < tuple_(*after) if descending else tuple_(*order) > tuple_(*after)
        query = query.where(cmp)
    return query.order_by(*(c.desc() if descending else c.asc() for c in order)).limit(params.limit + 1)


def cursor_page(
    rows: Sequence[R],
    params: CursorParams,
    key: Callable[[R], Sequence[Any]],
    out: Callable[[R], T],
    keep: Callable[[R], bool] | None = None,
) -> CursorPage[T]:
    """The page for rows fetched with `keyset`: `key` gives a row's sort key (same order as there).
    `keep` (the read policy's `may_read`) drops a row the SQL narrowing let through; the cursor still
    follows the last row fetched, so a page may be short but no row is skipped or repeated."""
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return CursorPage(
        items=[out(r) for r in rows if keep is None or keep(r)],
        next_cursor=encode_cursor(key(rows[-1])) if more and rows else None,
    )
