"""What the OCDS releases are built from, read from the database: a project's events and those of
its contracts and their payments (the audit log), its bids, the catalogue names of its items, the
titles of related projects. Only projects that were announced are published (the read policy of
the disclosure routes: nothing before the procurement announcement, sealed data never)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.audit import normalize, snapshot
from jiuzhu_kit.errors import NotFound
from jiuzhu_kit.rules.book import NoPackInForce
from jiuzhu_procurement.catalogue import service as catalogue
from jiuzhu_procurement.contract.models import Contract, Payment
from jiuzhu_procurement.disclosure import ocds
from jiuzhu_procurement.project.models import Bid, Project
from jiuzhu_procurement.rulebook.book import rules_at


def _item_names(app_state: Any, p: Project) -> dict[str, str]:
    """The catalogue names of the items, as in force for the purchaser on the declaration date (the
    rules the project was approved by)."""
    try:
        at = rules_at(app_state, p.division_code, p.declared_on)
    except NoPackInForce:
        return {}
    return {c.code: c.name_zh for c in catalogue.catalogue(at)}


async def _events(session: AsyncSession, app_state: Any, p: Project) -> list[ocds.Event]:
    table = app_state.audit.table
    contracts = [
        c for (c,) in (await session.execute(select(Contract.id).where(Contract.project_id == p.id))).all()
    ]
    payments = (
        [
            x
            for (x,) in (
                await session.execute(select(Payment.id).where(Payment.contract_id.in_(contracts)))
            ).all()
        ]
        if contracts
        else []
    )
    which = [and_(table.c.aggregate_type == "project", table.c.aggregate_id == str(p.id))]
    for kind, ids in (("contract", contracts), ("payment", payments)):
        if ids:
            which.append(
                and_(table.c.aggregate_type == kind, table.c.aggregate_id.in_([str(i) for i in ids]))
            )
    rows = await session.execute(
        select(
            table.c.id,
            table.c.aggregate_type,
            table.c.action,
            table.c.request_id,
            table.c.occurred_at,
            table.c.data,
        )
        .where(or_(*which))
        .order_by(table.c.id)
    )
    return [
        ocds.Event(r.id, r.aggregate_type, r.action, r.request_id, r.occurred_at, r.data or {}) for r in rows
    ]


class NotPublished(NotFound):
    code = "NOT_PUBLISHED"
    zh = "该项目尚未公开"
    en = "This project is not published"


async def published_releases(
    session: AsyncSession, app_state: Any, project_id: uuid.UUID
) -> tuple[str, list[dict[str, Any]]]:
    """The ocid and releases of a project the public may read: announced, with a recorded history
    (never empty for a project made through the API)."""
    p = (await session.execute(select(Project).where(Project.id == project_id))).scalar_one_or_none()
    if p is None or p.announced_on is None:
        raise NotPublished()
    ocid, rel = await releases(session, app_state, p)
    if not rel:
        raise NotPublished()
    return ocid, rel


async def releases(session: AsyncSession, app_state: Any, p: Project) -> tuple[str, list[dict[str, Any]]]:
    """The ocid and the releases of an announced project."""
    settings = app_state.settings
    bids = [
        normalize(snapshot(b))
        for b in (
            await session.execute(
                select(Bid)
                # Opened bids only: a sealed or withdrawn one has no bidder or price to publish, ever.
                .where(Bid.project_id == p.id, Bid.sealed.is_(None), Bid.withdrawn_at.is_(None))
                .order_by(Bid.submitted_at, Bid.id)  # a frozen clock submits several at one instant
            )
        )
        .scalars()
        .all()
    ]
    related = {p.replaces_project_id} | {
        uuid.UUID(x)
        for x in [((p.outcome or {}).get("taken_over") or {}).get("reprocurement_project_id")]
        if isinstance(x, str)
    }
    related.discard(None)
    titles = {
        str(i): t
        for i, t in (
            await session.execute(select(Project.id, Project.title).where(Project.id.in_(related)))
        ).all()
    }
    proc = ocds.Process(
        ocid_prefix=settings.ocid_prefix,
        project_id=str(p.id),
        base=settings.public_base_url.rstrip("/"),
        items=_item_names(app_state, p),
        bids=bids,
        titles=titles,
    )
    return proc.ocid, ocds.releases(proc, await _events(session, app_state, p))


def _start(d: date) -> datetime:
    return datetime.combine(d, time(), ocds.CST)


async def in_period(session: AsyncSession, app_state: Any, start: date, end: date) -> list[dict[str, Any]]:
    """Every published release dated from `start` to `end` (China days, both included), by date,
    then ocid and id. A release is dated no earlier than its project's declaration and no later than
    the last thing recorded about it, so only the announced projects declared by `end` with
    something recorded since `start` (or declared since then) are built."""
    table = app_state.audit.table
    since = (
        select(table.c.aggregate_type, table.c.aggregate_id)
        .where(
            table.c.occurred_at >= _start(start),
            table.c.aggregate_type.in_(("project", "contract", "payment")),
        )
        .distinct()
    )
    touched: dict[str, set[str]] = {"project": set(), "contract": set(), "payment": set()}
    for kind, agg in (await session.execute(since)).all():
        touched[kind].add(agg)
    ids = {uuid.UUID(x) for x in touched["project"]}
    if touched["payment"]:
        pay_contracts = select(Payment.contract_id).where(
            Payment.id.in_([uuid.UUID(x) for x in touched["payment"]])
        )
        touched["contract"] |= {str(c) for (c,) in (await session.execute(pay_contracts)).all()}
    if touched["contract"]:
        owners = select(Contract.project_id).where(
            Contract.id.in_([uuid.UUID(x) for x in touched["contract"]])
        )
        ids |= {pid for (pid,) in (await session.execute(owners)).all()}
    projects = (
        (
            await session.execute(
                select(Project)
                .where(
                    Project.announced_on.is_not(None),
                    Project.declared_on <= end,
                    or_(Project.id.in_(ids), Project.declared_on >= start),
                )
                .order_by(Project.id)
            )
        )
        .scalars()
        .all()
    )
    first, last = ocds.dt(start), ocds.dt(end)
    out = []
    for p in projects:
        _, rels = await releases(session, app_state, p)
        out += [r for r in rels if first <= r["date"] <= last]
    return sorted(out, key=lambda r: (r["date"], r["ocid"], r["id"]))
