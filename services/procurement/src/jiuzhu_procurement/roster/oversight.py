"""What the purchaser's side watches across rosters (issue 16): who was in post on a day, by the
township or village served (the facts staffing-calc's compliance reports read instead of a typed
count, seed 000 三(二)); the workers whose replacement after a 不合格 assessment is overdue
(灵政办发〔2018〕201号 四(八)); the contracts whose year lacks the training the rules require
(六(三); seed 000 三(三)). Every read goes through the roster's read policy."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit import divisions
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.errors import DomainError
from jiuzhu_kit.rules.book import RuleBook
from jiuzhu_procurement.contract.models import Contract
from jiuzhu_procurement.roster import service, training
from jiuzhu_procurement.roster.models import Worker
from jiuzhu_procurement.roster.policy import POLICY
from jiuzhu_procurement.roster.schemas import (
    InPostContractOut,
    InPostOut,
    InPostUnitOut,
    TrainingStatusOut,
)

# A worker was in post on day D when they took post on or before D and had not left before D;
# `left` and `replaced` workers count for the days they served.
SERVED = ("in_post", "left", "replaced")
# A contract bound to the roster: it names its headcount (the dispatch deadline counts it) or
# its contractor keeps workers on it. Only where none exists may a county still type its count.
LIVE = ("signed", "ended", "terminated")


def in_post_on(on: date) -> Any:
    return and_(
        Worker.status.in_(SERVED),
        Worker.start_on.is_not(None),
        Worker.start_on <= on,
        or_(Worker.end_on.is_(None), Worker.end_on >= on),
    )


async def in_post(session: AsyncSession, principal: Principal, division: str, on: date) -> InPostOut:
    """Workers in post on `on` under the purchaser `division`, grouped by the division and unit they
    serve, and the roster-bound contracts in force that day (signed on or before, term not over)."""
    counted: Any = select(Worker.serves_division, Worker.unit_name, func.count()).where(
        Worker.division_code.startswith(divisions.prefix(division), autoescape=True), in_post_on(on)
    )
    counted = POLICY.narrow(principal, counted)
    rows: list[Any] = list(
        (
            await session.execute(
                counted.group_by(Worker.serves_division, Worker.unit_name).order_by(
                    Worker.serves_division, Worker.unit_name
                )
            )
        ).all()
    )
    with_roster = select(Worker.contract_id).where(Worker.contract_id == Contract.id).exists()
    contracts = [
        c
        for c in (
            await session.execute(
                select(Contract)
                .where(
                    Contract.division_code.startswith(divisions.prefix(division), autoescape=True),
                    Contract.status.in_(LIVE),
                    Contract.signed_on.is_not(None),
                    Contract.signed_on <= on,
                    func.coalesce(Contract.ended_on, Contract.term_end) >= on,
                    or_(Contract.headcount.is_not(None), with_roster),
                )
                .order_by(Contract.signed_on, Contract.id)
            )
        ).scalars()
        if service.may_read_roster(principal, c)
    ]
    units = [InPostUnitOut(serves_division=d, unit_name=u, workers=n) for d, u, n in rows]
    return InPostOut(
        division_code=division,
        on=on,
        contracts=[
            InPostContractOut(
                contract_id=c.id,
                purchaser_division=c.division_code,
                contractor_name=c.contractor_name,
                headcount=c.headcount,
            )
            for c in contracts
        ],
        units=units,
        total=sum(u.workers for u in units),
    )


def overdue_replacements(principal: Principal, division: str | None, on: date) -> Select[Any]:
    """四(八): a worker assessed 不合格 whose replacement fell due before `on` and was not recorded by
    then (a replacement recorded later clears it from that day on; a worker who left is not listed)."""
    day = on.isoformat()
    met = Worker.replacement_due["met_on"].astext
    q = POLICY.narrow(principal, select(Worker)).where(
        Worker.replacement_due.is_not(None),
        Worker.status != "left",
        Worker.replacement_due["due_on"].astext < day,
        or_(met.is_(None), met > day),
    )
    if division is not None:
        q = q.where(
            or_(
                Worker.division_code.startswith(divisions.prefix(division), autoescape=True),
                Worker.serves_division.startswith(divisions.prefix(division), autoescape=True),
            )
        )
    return q


def readable_contracts(principal: Principal, division: str | None, year: int) -> Select[Any]:
    """Contracts whose roster the caller may read and whose term touches `year` (the SQL side of
    service.may_read_roster; rows are checked again with it)."""
    POLICY.ensure_role(principal)
    q = select(Contract).where(
        Contract.status.in_(LIVE),
        Contract.term_start <= date(year, 12, 31),
        func.coalesce(Contract.ended_on, Contract.term_end) >= date(year, 1, 1),
        select(Worker.id).where(Worker.contract_id == Contract.id).exists(),
    )
    if division is not None:
        q = q.where(Contract.division_code.startswith(divisions.prefix(division), autoescape=True))
    return q


async def training_gaps(
    session: AsyncSession, book: RuleBook[Any], principal: Principal, contracts: list[Contract], year: int
) -> dict[uuid.UUID, TrainingStatusOut]:
    """The year's training status of each readable contract (training.status, one per contract)."""
    out: dict[uuid.UUID, TrainingStatusOut] = {}
    for c in contracts:
        if not service.may_read_roster(principal, c):
            continue
        try:
            out[c.id] = await training.status(session, book, principal, c.id, year)
        except DomainError:  # no rules in force there that year: nothing is required
            continue
    return out
