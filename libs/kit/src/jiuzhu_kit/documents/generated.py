"""Generated documents (a contract, an award notice, a plan, an evaluation report) kept in step
with the data they show.

A service registers its `Generator`s with `install(app, …)`. `POST …/documents/generated` stores
the first version (`generate`); from then on every committed write to the aggregate (any event
appended to its audit chain in the request's transaction, audit.touched) re-renders it before the
commit, in the same transaction: new bytes are a new version superseding the last (its hash in the
chain), the same bytes store nothing (the renderers are deterministic), a write that rolls back
regenerates nothing. A generator may also follow another aggregate's writes (`follows`: a project's
budget changes its plan's commitments), given as a query of the owner ids those writes reach.

Cost: a transaction that wrote no aggregate a generator watches runs no query; one that did runs one
query on the documents' owner index, and renders only what already has a generated document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy import ColumnElement, Select, and_, any_, func, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.audit import Actor, AuditLog, touched
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.documents.api import ATTACHED, DocumentOut, Documents, Owner, _out, store_made
from jiuzhu_kit.errors import Conflict


@dataclass(frozen=True)
class Rendered:
    """A generated document as it is now: whose it is and its bytes."""

    owner: Owner
    data: bytes
    media_type: str
    document_type: str
    language: str = "zh"


# (app, session, owner id) → the document now, or the aggregate's refusal. A Conflict (409: nothing to
# show any more, an award cleared by a redone review) leaves the last version as the record of what
# was issued when it comes from a regeneration; any other refusal (a peer down: 503) fails the write.
Render = Callable[[Any, AsyncSession, str], Awaitable[Rendered]]


@dataclass(frozen=True)
class Generator:
    """One generated document: the owner kind it is attached to, the audit chain whose writes change
    it (`aggregate`, the owner's own), its title (how it is found among the owner's documents) and
    how it is rendered. `follows`: another chain's type → the query of the owner ids its ids reach."""

    owner_kind: str
    aggregate: str
    title: str
    render: Render
    follows: Mapping[str, Callable[[list[str]], Select[Any]]] = field(default_factory=dict)


def install(app: FastAPI, generators: Sequence[Generator]) -> None:
    """Regenerate `generators`' documents before each request's commit (the unit of work's hooks)."""
    docs: Documents = app.state.documents
    docs.generators = tuple(generators)
    watched = {g.aggregate for g in generators} | {t for g in generators for t in g.follows}

    async def hook(session: AsyncSession, status: int, headers: Any, body: bytes) -> None:
        await regenerate(app, session, watched)

    app.state.commit_hooks = [*getattr(app.state, "commit_hooks", ()), hook]


async def regenerate(app: Any, session: AsyncSession, watched: set[str]) -> int:
    """Store a new version of each generated document the transaction's writes changed. Returns how
    many new versions were stored."""
    written = touched(session)
    hits = {k: v for k, v in written.items() if k[0] in watched and v[0] != ATTACHED}
    written.clear()
    if not hits:
        return 0
    docs: Documents = app.state.documents
    ids: dict[str, list[str]] = {}
    actors: dict[tuple[str, str], Actor] = {}
    for (kind, key), (_, actor) in hits.items():
        ids.setdefault(kind, []).append(key)
        actors[(kind, key)] = actor
    query = _having_generated(docs, ids)
    if query is None:
        return 0
    rows = (await session.execute(query)).all()
    by_key = {(g.owner_kind, g.title): g for g in docs.generators}
    fallback = next(iter(actors.values()))
    stored = 0
    for owner_type, owner_id, title in sorted(rows):
        g = by_key[(owner_type, title)]
        actor = actors.get((g.aggregate, owner_id), fallback)  # who wrote: the new version is theirs
        try:
            _, new = await _store(app, session, actor, g, owner_id)
        except Conflict:
            continue
        stored += new
    written.clear()  # the versions just stored touched their chains: not a reason to run again
    return stored


def _having_generated(docs: Documents, ids: Mapping[str, list[str]]) -> Select[Any] | None:
    """The generated documents (owner type, owner id, title) that writes to `ids` (chain type →
    ids) may change: one query on the owner index; None when no generator watches those chains."""
    table = docs.table
    conds: list[ColumnElement[bool]] = []
    for g in docs.generators:
        mine = table.c.owner_type == g.owner_kind, table.c.title == g.title
        if g.aggregate in ids:
            conds.append(and_(*mine, table.c.owner_id.in_(ids[g.aggregate])))
        for kind, reach in g.follows.items():
            if kind in ids:
                reached = func.array(reach(ids[kind]).scalar_subquery())  # an index condition, see _lean_sql
                conds.append(and_(*mine, table.c.owner_id == any_(reached)))
    if not conds:
        return None
    return (
        select(table.c.owner_type, table.c.owner_id, table.c.title)
        .where(table.c.superseded_by.is_(None), or_(*conds))
        .distinct()
    )


async def affected(app: Any, con: Any, aggregate: str, key: str) -> bool:
    """Whether a write to `aggregate` `key` made on a bare asyncpg connection (a lean route's write
    pool, which has no session to regenerate in) changed a generated document: the caller then
    rolls back and writes again through the session, whose commit regenerates it. One indexed
    query, its SQL built once per chain type (compiling it per request cost ≈ 3 ms)."""
    docs = getattr(app.state, "documents", None)
    if not isinstance(docs, Documents) or not docs.generators:
        return False
    if aggregate not in docs.lean_sql:
        docs.lean_sql[aggregate] = _lean_sql(docs, aggregate)
    sql = docs.lean_sql[aggregate]
    return sql is not None and await con.fetchrow(sql, key) is not None


_SENTINEL = "00000000-0000-4000-8000-00000000d0c5"


def _lean_sql(docs: Documents, aggregate: str) -> str | None:
    """`_having_generated` for one id of `aggregate` as asyncpg SQL with that id as `$1` (text)."""
    table = docs.table
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]

    def literal(clause: Any) -> str:
        return str(clause.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))

    conds = []
    for g in docs.generators:
        mine = literal(and_(table.c.owner_type == g.owner_kind, table.c.title == g.title))
        if g.aggregate == aggregate:
            conds.append(f"({mine} AND {table.c.owner_id.name} = $1::text)")
        if aggregate in g.follows:
            reach = literal(g.follows[aggregate]([_SENTINEL])).replace(f"'{_SENTINEL}'", "($1::text)::uuid")
            # = ANY(ARRAY(…)): an index condition (IN (…) made it a filter over every such document).
            conds.append(f"({mine} AND {table.c.owner_id.name} = ANY(ARRAY({reach})))")
    if not conds:
        return None
    name = f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'
    return f"SELECT 1 FROM {name} WHERE superseded_by IS NULL AND ({' OR '.join(conds)}) LIMIT 1"  # noqa: S608


async def _store(
    app: Any, session: AsyncSession, actor: Actor, g: Generator, owner_id: str
) -> tuple[dict[str, Any], bool]:
    made = await g.render(app, session, owner_id)
    audit: AuditLog = app.state.audit
    return await store_made(
        app.state.documents,
        audit,
        app.state.settings,
        session,
        actor,
        made.owner,
        made.data,
        media_type=made.media_type,
        document_type=made.document_type,
        title=g.title,
        language=made.language,
    )


async def generate(
    request: Request, session: AsyncSession, principal: Principal, g: Generator, owner_id: str
) -> DocumentOut:
    """`POST …/documents/generated`: the document from the owner's data now (the caller's access
    already checked), stored as its first version or a new one when the data changed."""
    values, _ = await _store(request.app, session, Actor.of(principal), g, owner_id)
    return _out(request, values)
