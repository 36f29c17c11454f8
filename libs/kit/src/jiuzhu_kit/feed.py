"""The changes feed: every committed change of a service's aggregates, read from its audit log.

Position (the issue asked which mechanism; this one). Each audit event stores the id of the
transaction that wrote it (`xid`, `pg_current_xact_id()` as the column's default). A page serves
only events whose transaction id is below the oldest transaction still running,
`pg_snapshot_xmin(pg_current_snapshot())`: those transactions have all ended (committed or rolled
back), and a transaction that has yet to write gets a larger id, so the set of events below that
horizon never changes again. Served in (xid, id) order after the cursor, a consumer paging from
any position sees each committed change exactly once, with no gap, even when a transaction that
started earlier commits later: its events stay beyond the horizon until it ends. The order is
the writing transactions' ids, which is the commit order wherever it matters to a consumer (two
changes of one aggregate are serialised by its lock, so its revisions come in order). The cost: a
long transaction holds the feed back (never loses a change) until it ends.

Scope: each change is shown to a reader as its aggregate's history is (jiuzhu_kit.policy): the
aggregate type's read policy decides the role (as for a history), the record (`may_read` on the
aggregate's current row; a record the reader may not see, or that no longer exists, is skipped),
the event (`event_visible`) and the fields (`view`, for `?expand=true`). A role that reads none of
the service's aggregates gets 403 ROLE_FORBIDDEN. Events of kinds no source is registered for
(calendar years, local rule packs) are not in the feed.

`next_cursor` is always the position to resume from (a feed has no last page): after the last
change examined, which may be beyond the last one shown when the reader may not see the rest.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import ARRAY, ColumnClause, Table, Uuid, any_, bindparam, literal_column, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.auth import Principal, PrincipalDep, RoleForbidden
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses
from jiuzhu_kit.pagination import CursorInvalid, decode_cursor
from jiuzhu_kit.policy import ReadPolicy

MAX_LIMIT = 1000  # a synchroniser drains in big pages

# Transactions below this id have all ended: the feed's horizon.
HORIZON: ColumnClause[Any] = literal_column("(pg_snapshot_xmin(pg_current_snapshot())::text)::bigint")

# Rows the policy decides on, by aggregate id (a payment's row is its contract, a challenge's its project).
Loader = Callable[[AsyncSession, Sequence[str]], Awaitable[Mapping[str, Any]]]


@dataclass(frozen=True)
class Source:
    """One aggregate type in the feed: its read policy and how to load the rows it decides on."""

    policy: ReadPolicy[Any]
    load: Loader


def by_id(model: Any, *columns: str) -> Loader:
    """Rows of `model` keyed by their UUID `id` (the audit event's aggregate id). With `columns`,
    only those columns (and the id) are read, as plain rows: for an aggregate whose policy decides
    on them alone (e.g. a project's jurisdiction) — a page of 1,000 changes then costs a narrow
    index-friendly read instead of 1,000 whole ORM objects."""

    async def load(session: AsyncSession, ids: Sequence[str]) -> Mapping[str, Any]:
        keys = [k for k in (_uuid(i) for i in ids) if k]
        where = model.id == any_array(keys, Uuid())
        if columns:
            narrow = await session.execute(
                select(model.id, *(getattr(model, c) for c in columns)).where(where)
            )
            return {str(r.id): r for r in narrow.all()}
        rows = (await session.scalars(select(model).where(where))).all()
        return {str(r.id): r for r in rows}

    return load


def by_column(model: Any, attr: str) -> Loader:
    """Rows of an aggregate whose audit events are keyed by another column than its id (e.g. an
    indicator template's code, shared by its versions: the last version loaded decides)."""

    async def load(session: AsyncSession, ids: Sequence[str]) -> Mapping[str, Any]:
        column = getattr(model, attr)
        rows = (await session.scalars(select(model).where(column == any_array(list(ids), column.type)))).all()
        return {str(getattr(r, attr)): r for r in rows}

    return load


def via(model: Any, parent_attr: str, parent: Loader) -> Loader:
    """Rows of a parent aggregate keyed by the child's id: the child's policy decides on its parent
    (e.g. a payment on its contract)."""

    async def load(session: AsyncSession, ids: Sequence[str]) -> Mapping[str, Any]:
        keys = [k for k in (_uuid(i) for i in ids) if k]
        column = getattr(model, parent_attr)
        children = (
            await session.execute(select(model.id, column).where(model.id == any_array(keys, Uuid())))
        ).all()
        parent_of = {str(c[0]): str(c[1]) for c in children}
        parents = await parent(session, sorted(set(parent_of.values())))
        return {cid: parents[pid] for cid, pid in parent_of.items() if pid in parents}

    return load


def any_array(values: Sequence[Any], item: Any) -> Any:
    """`= ANY($1)` with the values as one array parameter: a page of 1,000 ids is one bind, not a
    thousand (an `IN` list is compiled and sent value by value)."""
    return any_(bindparam(None, list(values), type_=ARRAY(item)))


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


class Change(BaseModel):
    """One committed change of one aggregate."""

    position: str = Field(
        description="游标：从此变更之后继续读取。Resume after this change with `cursor=<position>`."
    )
    aggregate_type: str
    aggregate_id: str
    revision: int = Field(description="the aggregate's revision after this change (its history's seq)")
    event: str = Field(description="the event's name, e.g. `project.transition.announced`")
    occurred_at: datetime
    division: str | None = Field(description="the aggregate's jurisdiction (GB/T 2260)")
    aggregate: dict[str, Any] | None = Field(
        default=None, description="with `expand=true`: the aggregate at this revision, as you may see it"
    )


class ChangesPage(BaseModel):
    """A page of the feed. `next_cursor` is the position to resume from (null: nothing read yet)."""

    items: list[Change]
    next_cursor: str | None = None


def position(xid: int, event_id: int) -> str:
    """`encode_cursor([xid, event_id])` (two integers: its JSON is `[xid,id]`), computed directly:
    a page of 1,000 changes carries 1,000 positions."""
    raw = f"[{int(xid)},{int(event_id)}]".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def parse_position(cursor: str) -> tuple[int, int]:
    parts = decode_cursor(cursor)
    if len(parts) != 2 or not all(isinstance(p, int) and not isinstance(p, bool) for p in parts):
        raise CursorInvalid()
    return int(parts[0]), int(parts[1])


def _iso(at: datetime) -> str:
    """A time as pydantic writes it (UTC as `Z`), so the fast path's JSON equals the model's."""
    text = at.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, (Decimal, uuid.UUID, date)):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def to_json(value: Any) -> bytes:
    """Compact JSON of plain rows (json's C encoder; times as pydantic writes them): the feed's
    fast path and the webhooks' payloads."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_default).encode()


class Feed:
    """The changes of one service's audit table, for the aggregate types given."""

    def __init__(self, table: Table, sources: Mapping[str, Source]) -> None:
        self.table = table
        self.sources = dict(sources)

    def readable(self, principal: Principal, only: set[str] | None = None) -> list[str]:
        """The aggregate types whose history this reader's role may read (none at all → 403), of
        those asked for (`only`)."""
        out = []
        for kind, src in self.sources.items():
            try:
                src.policy.ensure_role(principal, history=True)
            except RoleForbidden:
                continue
            out.append(kind)
        if not out:
            raise RoleForbidden()
        return sorted(k for k in out if only is None or k in only)

    async def rows(
        self,
        session: AsyncSession,
        principal: Principal,
        *,
        cursor: str | None,
        limit: int,
        expand: bool,
        only: set[str] | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """The changes of one page this reader may see, as plain dicts of `Change`'s fields, and
        the cursor to resume from."""
        kinds = self.readable(principal, only)
        t = self.table
        query = select(
            t.c.id,
            t.c.xid,
            t.c.aggregate_type,
            t.c.aggregate_id,
            t.c.seq,
            t.c.action,
            t.c.occurred_at,
            t.c.jurisdiction,
            *((t.c.data,) if expand else ()),
        ).where(t.c.xid < HORIZON, t.c.aggregate_type.in_(kinds))
        if cursor:
            query = query.where(tuple_(t.c.xid, t.c.id) > tuple_(*parse_position(cursor)))
        result = await session.execute(query.order_by(t.c.xid, t.c.id).limit(limit))
        keys = list(result.keys())
        rows = [dict(zip(keys, r, strict=True)) for r in result.all()]
        if not rows:
            return [], cursor
        items = await self.decide(session, principal, rows, expand=expand)
        last = rows[-1]
        return items, position(last["xid"], last["id"])

    async def page(
        self,
        session: AsyncSession,
        principal: Principal,
        *,
        cursor: str | None,
        limit: int,
        expand: bool,
        only: set[str] | None = None,
    ) -> ChangesPage:
        items, next_cursor = await self.rows(
            session, principal, cursor=cursor, limit=limit, expand=expand, only=only
        )
        return ChangesPage(items=[Change.model_construct(**i) for i in items], next_cursor=next_cursor)

    async def page_json(
        self,
        session: AsyncSession,
        principal: Principal,
        *,
        cursor: str | None,
        limit: int,
        expand: bool,
        only: set[str] | None = None,
    ) -> bytes:
        """The page as `ChangesPage` JSON, written straight from the plain rows (json's C encoder;
        times as pydantic writes them): no model per change, nothing validated again."""
        items, next_cursor = await self.rows(
            session, principal, cursor=cursor, limit=limit, expand=expand, only=only
        )
        for i in items:
            i["occurred_at"] = _iso(i["occurred_at"])
        return to_json({"items": items, "next_cursor": next_cursor})

    async def visible(
        self, session: AsyncSession, principal: Principal, rows: list[dict[str, Any]], *, expand: bool
    ) -> list[Change]:
        """The events (audit rows) this reader may see, as changes: the one decision the feed and
        the webhooks share (each aggregate type's read policy, on the aggregate's current row)."""
        return [
            Change.model_construct(**i) for i in await self.decide(session, principal, rows, expand=expand)
        ]

    async def decide(
        self, session: AsyncSession, principal: Principal, rows: list[dict[str, Any]], *, expand: bool
    ) -> list[dict[str, Any]]:
        """`visible`'s decision, as plain dicts of `Change`'s fields."""
        allowed = set()
        for kind, source in self.sources.items():  # the role's decision, once per type for the page
            try:
                source.policy.ensure_role(principal, history=True)
            except RoleForbidden:
                continue
            allowed.add(kind)
        rows = [r for r in rows if r["aggregate_type"] in allowed]
        records = await self._records(session, rows)
        items = []
        for r in rows:
            kind = r["aggregate_type"]
            src = self.sources[kind]
            row = records[kind].get(r["aggregate_id"])
            if row is None or not src.policy.may_read(principal, row):
                continue
            if not src.policy.event_visible(principal, row, r):
                continue
            items.append(
                {
                    "position": position(r["xid"], r["id"]),
                    "aggregate_type": kind,
                    "aggregate_id": r["aggregate_id"],
                    "revision": r["seq"],
                    "event": r["action"],
                    "occurred_at": r["occurred_at"],
                    "division": r["jurisdiction"],
                    "aggregate": src.policy.view(principal, row).apply(r["data"]) if expand else None,
                }
            )
        return items

    async def _records(
        self, session: AsyncSession, rows: Iterable[Mapping[str, Any]]
    ) -> dict[str, Mapping[str, Any]]:
        """The current rows the policies decide on, loaded once per aggregate type for the page."""
        ids: dict[str, set[str]] = {}
        for r in rows:
            ids.setdefault(r["aggregate_type"], set()).add(r["aggregate_id"])
        return {kind: await self.sources[kind].load(session, sorted(keys)) for kind, keys in ids.items()}


def changes_router(feed: Feed) -> APIRouter:
    """GET /changes for one service."""
    router = APIRouter(tags=["changes"])

    @router.get("/changes", response_model=ChangesPage, responses=responses(RoleForbidden, CursorInvalid))
    async def list_changes(
        session: SessionDep,
        principal: PrincipalDep,
        cursor: Annotated[
            str | None,
            Query(
                max_length=512, description="上一页的 `next_cursor` 或某条变更的 `position`；不传从头读取。"
            ),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="每页最多条数 at most this many")] = 100,
        expand: Annotated[
            bool, Query(description="附带每次变更后的完整记录 the aggregate with each change")
        ] = False,
        aggregate_type: Annotated[
            str | None,
            Query(
                max_length=512,
                description="只读这些记录类型（逗号分隔） only these aggregate types, comma-separated",
            ),
        ] = None,
    ) -> Response:
        """Every committed change of this service's aggregates you may read, in commit order: a
        consumer paging with `next_cursor` sees each change exactly once, never a gap."""
        only = {k.strip() for k in aggregate_type.split(",")} if aggregate_type else None
        body = await feed.page_json(session, principal, cursor=cursor, limit=limit, expand=expand, only=only)
        # Serialised once, straight from the rows (built from our own columns): no model per
        # change and no validation against `ChangesPage`, which cost more than the page's query.
        return Response(body, media_type="application/json")

    return router
