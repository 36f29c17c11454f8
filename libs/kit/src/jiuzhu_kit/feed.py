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
(calendar years, local rule packs) are not in the feed. Where a policy decides on the jurisdiction
alone (`ReadPolicy.decides_on_jurisdiction`: projects, plans, …), the page's own query makes the
same decision on the current row and writes the change's JSON (`page_json`): a drain of a million
changes then spends its time in Postgres's C, not in a Python loop over every row.

`next_cursor` is always the position to resume from (a feed has no last page): after the last
change examined, which may be beyond the last one shown when the reader may not see the rest.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    ColumnClause,
    ColumnElement,
    Select,
    String,
    Table,
    Uuid,
    any_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit import divisions
from jiuzhu_kit.auth import Principal, PrincipalDep, RoleForbidden
from jiuzhu_kit.db import SessionDep, uow_of
from jiuzhu_kit.errors import responses
from jiuzhu_kit.lean import Decline, LeanRequest, LeanRoute
from jiuzhu_kit.pagination import CursorInvalid, decode_cursor
from jiuzhu_kit.policy import ReadPolicy

MAX_LIMIT = 1000  # a synchroniser drains in big pages
MAX_CURSOR = 512  # characters of `cursor`, and of `aggregate_type`

# Transactions below this id have all ended: the feed's horizon.
HORIZON: ColumnClause[Any] = literal_column("(pg_snapshot_xmin(pg_current_snapshot())::text)::bigint")

# The event columns a page reads (and `data` with `expand=true`).
WINDOW = frozenset(
    {"id", "xid", "aggregate_type", "aggregate_id", "seq", "action", "occurred_at", "jurisdiction"}
)

# A change as `Change` JSON, written by Postgres from the window `w` (feed.page_json): the position
# is `position()`'s base64url of `[xid,id]`, the time as pydantic writes it (UTC as `Z`, micro-
# seconds only when there are any). `{aggregate}`: the expanded aggregate's SQL, or 'null'.
CHANGE_JSON = """format(
    '{{"position":"%s","aggregate_type":%s,"aggregate_id":%s,"revision":%s,"event":%s,"occurred_at":"%s","division":%s,"aggregate":%s}}',
    rtrim(translate(encode(convert_to('[' || w.xid || ',' || w.id || ']', 'UTF8'), 'base64'), '+/', '-_'), '='),
    to_json(w.aggregate_type), to_json(w.aggregate_id), w.seq, to_json(w.action),
    to_char(w.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
        || coalesce(nullif(to_char(w.occurred_at AT TIME ZONE 'UTC', '.US'), '.000000'), '') || 'Z',
    coalesce(to_json(w.jurisdiction)::text, 'null'), {aggregate})"""

# Rows the policy decides on, by aggregate id (a payment's row is its contract, a challenge's its project).
Loader = Callable[[AsyncSession, Sequence[str]], Awaitable[Mapping[str, Any]]]

# str(uuid.UUID): how every aggregate id is written into the audit log.
_UUID_PATTERN: ColumnElement[str] = literal_column(
    "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'"
)


@dataclass(frozen=True)
class Source:
    """One aggregate type in the feed: its read policy and how to load the rows it decides on.
    `through` (child model, its column naming the parent) when the policy decides on a parent's row
    (a challenge on its project): lets the page's SQL find that row too (`division`)."""

    policy: ReadPolicy[Any]
    load: Loader
    through: tuple[Any, str] | None = None

    def division(self, aggregate_id: ColumnElement[Any]) -> ColumnElement[Any] | None:
        """SQL: the aggregate's current jurisdiction (NULL once it no longer exists), when its
        policy decides on that alone (`ReadPolicy.decides_on_jurisdiction`); None: the policy
        decides in Python, on the row `load` reads."""
        policy = self.policy
        if not policy.decides_on_jurisdiction:
            return None
        model: Any = policy.model
        # An id that is no UUID names no record (as `by_id` skips it) instead of failing the cast.
        # A pattern, not pg_input_is_valid: that is PostgreSQL 16's, and 15 is still supported.
        key = case((aggregate_id.op("~")(_UUID_PATTERN), cast(aggregate_id, Uuid())))
        query = select(getattr(model, policy.division_attr))
        if self.through is None:
            return query.where(model.id == key).scalar_subquery()
        child, parent_attr = self.through
        return (
            query.join(child, getattr(child, parent_attr) == model.id)
            .where(child.id == key)
            .scalar_subquery()
        )


def jurisdictional(policy: ReadPolicy[Any], through: tuple[Any, str] | None = None) -> Source:
    """The source of an aggregate whose policy decides on the jurisdiction alone (of its own row,
    or of its parent's `through` (child model, parent column)): the feed decides its changes in
    the page's SQL; webhooks load its rows narrow (the id and the jurisdiction column)."""
    if not policy.decides_on_jurisdiction:
        raise ValueError(f"{type(policy).__name__} decides on more than the jurisdiction")
    rows = by_id(policy.model, policy.division_attr)
    return Source(policy, rows if through is None else via(through[0], through[1], rows), through)


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
        self._statements: dict[tuple[tuple[str, ...], bool, bool], Select[Any]] = {}

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

    def _statement(self, kinds: tuple[str, ...], *, expand: bool, after: bool) -> Select[Any]:
        """The page's query for these types (built once per shape; the reader's prefix, the
        cursor and the limit are parameters). Its window is the events after the cursor below the
        horizon; each gets a verdict (true/false when its policy decides on the jurisdiction
        alone, NULL when Python decides). Rows come back as runs, each starting at a row Python
        decides (its event id) and holding the JSON of the changes shown after it, joined: a
        page of projects is one row. `last` is the window's last position."""
        key = (kinds, expand, after)
        if (cached := self._statements.get(key)) is not None:
            return cached
        t = self.table
        window = select(*(c for c in t.c if c.name in WINDOW or (expand and c.name == "data")))
        window = window.where(t.c.xid < HORIZON, t.c.aggregate_type.in_(kinds))
        if after:
            window = window.where(
                tuple_(t.c.xid, t.c.id) > tuple_(bindparam("after_xid"), bindparam("after_id"))
            )
        prefix = bindparam("prefix", type_=String())
        verdicts = {  # Principal.covers in SQL: the record's current division starts with the reader's prefix
            kind: func.coalesce(func.starts_with(division, prefix), False)
            for kind in kinds
            if (division := self.sources[kind].division(t.c.aggregate_id)) is not None
        }
        # A CASE runs only the branch of the row's type: one index probe per row (of the window
        # only: the LIMIT below stops the scan first).
        verdict = case(verdicts, value=t.c.aggregate_type) if verdicts else cast(null(), Boolean())
        e = (
            window.add_columns(verdict.label("ok"))
            .order_by(t.c.xid, t.c.id)
            .limit(bindparam("limit"))
            .subquery("e")
        )
        undecided = e.c.ok.is_(None)
        if len(verdicts) < len(kinds):  # a new run at each row Python decides
            run: ColumnElement[Any] = func.count().filter(undecided).over(order_by=(e.c.xid, e.c.id))
        else:
            run = literal_column("0")
        w = select(e, run.label("run")).subquery("w")
        doc: ColumnElement[str] = literal_column(
            CHANGE_JSON.format(aggregate="coalesce(w.data::text, 'null')" if expand else "'null'")
        )
        query = (
            select(
                func.string_agg(doc, aggregate_order_by(literal_column("','"), w.c.xid, w.c.id))
                .filter(w.c.ok)
                .label("docs"),
                func.max(pg_array([w.c.xid, w.c.id])).label("last"),
                func.max(w.c.id).filter(w.c.ok.is_(None)).label("undecided"),
            )
            .group_by(w.c.run)
            .order_by(w.c.run)
        )
        self._statements[key] = query
        return query

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
        """One page as `ChangesPage` JSON. One query reads the page's window of events and, for
        the aggregate types whose policy decides on the jurisdiction alone (`Source.division`),
        decides them and writes their JSON, joined (`_statement`). The rows of the other types
        are read again by id and decided as the webhooks decide them (`decide`)."""
        kinds = self.readable(principal, only)
        params: dict[str, Any] = {"limit": limit, "prefix": divisions.prefix(principal.division)}
        if cursor:
            params["after_xid"], params["after_id"] = parse_position(cursor)
        runs = (
            await session.execute(self._statement(tuple(kinds), expand=expand, after=bool(cursor)), params)
        ).all()
        if not runs:
            return to_json({"items": [], "next_cursor": cursor})
        shown = await self._decided(
            session, principal, [r.undecided for r in runs if r.undecided is not None], expand
        )
        items: list[str] = []
        for docs, _, event_id in runs:
            if event_id is not None and (item := shown.get(event_id)) is not None:
                items.append(item)
            if docs is not None:
                items.append(docs)
        next_cursor = position(*runs[-1].last)
        return f'{{"items":[{",".join(items)}],"next_cursor":"{next_cursor}"}}'.encode()

    async def _decided(
        self, session: AsyncSession, principal: Principal, ids: list[int], expand: bool
    ) -> dict[int, str]:
        """The JSON of the changes among these events that Python decides and shows, by event id."""
        if not ids:
            return {}
        t = self.table
        columns = [c for c in t.c if c.name in WINDOW or (expand and c.name == "data")]
        result = await session.execute(select(*columns).where(t.c.id == any_array(ids, BigInteger())))
        rows = [dict(r) for r in result.mappings().all()]
        ids_at = {position(r["xid"], r["id"]): r["id"] for r in rows}
        out = {}
        for item in await self.decide(session, principal, rows, expand=expand):
            item["occurred_at"] = _iso(item["occurred_at"])
            out[ids_at[item["position"]]] = to_json(item).decode()
        return out

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
                max_length=MAX_CURSOR,
                description="上一页的 `next_cursor` 或某条变更的 `position`；不传从头读取。",
            ),
        ] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="每页最多条数 at most this many")] = 100,
        expand: Annotated[
            bool, Query(description="附带每次变更后的完整记录 the aggregate with each change")
        ] = False,
        aggregate_type: Annotated[
            str | None,
            Query(
                max_length=MAX_CURSOR,
                description="只读这些记录类型（逗号分隔） only these aggregate types, comma-separated",
            ),
        ] = None,
    ) -> Response:
        """Every committed change of this service's aggregates you may read, in commit order: a
        consumer paging with `next_cursor` sees each change exactly once, never a gap."""
        only = _types(aggregate_type)
        body = await feed.page_json(session, principal, cursor=cursor, limit=limit, expand=expand, only=only)
        # Serialised once, straight from the rows (built from our own columns): no model per
        # change and no validation against `ChangesPage`, which cost more than the page's query.
        return Response(body, media_type="application/json")

    return router


def _types(aggregate_type: str | None) -> set[str] | None:
    return {k.strip() for k in aggregate_type.split(",")} if aggregate_type else None


_LIMIT = re.compile(r"[1-9][0-9]{0,3}")
_FLAGS = {"true": True, "false": False}


def changes_lean_route(feed: Feed) -> LeanRoute:
    """`GET /changes` without FastAPI (jiuzhu_kit.lean) in the plain case: a drain asks for a page
    of 1,000 changes after another, and FastAPI's routing and dependency solving cost as much as
    the page's own Python. It takes the query only when each parameter appears at most once and in
    its plain form (a limit as digits within range, expand `true`/`false`, the lengths within
    bounds, no other parameter): anything else is declined, and the FastAPI route above (the
    reference) answers it, a 422 included."""

    async def handle(req: LeanRequest) -> tuple[int, bytes]:
        params = parse_qsl(req.query.decode("latin-1"), keep_blank_values=True)  # as Starlette reads it
        query = dict(params)
        if len(query) < len(params) or not query.keys() <= {"cursor", "limit", "expand", "aggregate_type"}:
            raise Decline()
        limit, expand = query.get("limit", "100"), _FLAGS.get(query.get("expand", "false"))
        cursor, kinds = query.get("cursor"), query.get("aggregate_type")
        if (
            not _LIMIT.fullmatch(limit)
            or int(limit) > MAX_LIMIT
            or expand is None
            or len(cursor or "") > MAX_CURSOR
            or len(kinds or "") > MAX_CURSOR
        ):
            raise Decline()
        session = uow_of(req.scope).session
        body = await feed.page_json(
            session, req.principal, cursor=cursor, limit=int(limit), expand=expand, only=_types(kinds)
        )
        return 200, body

    return LeanRoute("GET", "/changes", handle, query=True)
