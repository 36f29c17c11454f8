"""Training records of a contract's workers, and the training the rules say is missing (灵政办发
〔2018〕201号 六(三): at least 2 sessions a year; seed 000 三(三): an induction for every worker)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import Principal, Role, RoleForbidden
from jiuzhu_kit.errors import Conflict
from jiuzhu_kit.rules.book import RuleBook
from jiuzhu_procurement.roster import rules
from jiuzhu_procurement.roster.machine import DISPATCHED
from jiuzhu_procurement.roster.models import Training, Worker
from jiuzhu_procurement.roster.policy import TRAINING_POLICY
from jiuzhu_procurement.roster.schemas import TrainingGapOut, TrainingIn, TrainingStatusOut
from jiuzhu_procurement.roster.service import readable_contract


class AttendeesUnknown(Conflict):
    code = "ROSTER_ATTENDEES_UNKNOWN"
    zh = "参训人员不在本合同花名册中：{ids}"
    en = "Attendees not on this contract's roster: {ids}"


async def record(
    session: AsyncSession,
    audit: AuditLog,
    principal: Principal,
    contract_id: uuid.UUID,
    body: TrainingIn,
) -> Training:
    """The contractor (which organises with the bureau) or the bureau records a session."""
    c = await readable_contract(session, principal, contract_id)
    party = principal.has(Role.CONTRACTOR) and principal.org == c.contractor_uscc
    if not (party or (principal.has(Role.BUREAU, Role.ADMIN) and principal.covers(c.division_code))):
        raise RoleForbidden()
    ids = {str(a) for a in body.attendees}
    known = {
        str(i)
        for i in (
            await session.execute(
                select(Worker.id).where(Worker.contract_id == c.id, Worker.id.in_(body.attendees))
            )
        ).scalars()
    }
    if ids - known:
        raise AttendeesUnknown(ids="、".join(sorted(ids - known)))
    t = Training(
        contract_id=c.id,
        division_code=c.division_code,
        contractor_uscc=c.contractor_uscc,
        on=body.on,
        hours=body.hours,
        subject=body.subject,
        kind=body.kind,
        organiser=body.organiser,
        attendees=sorted(ids),
        created_by=principal.sub,
    )
    session.add(t)
    await session.flush()
    await audit.record(session, TRAINING_POLICY, t, "roster_training.recorded", principal)
    return t


async def status(
    session: AsyncSession, book: RuleBook[Any], principal: Principal, contract_id: uuid.UUID, year: int
) -> TrainingStatusOut:
    """The year's sessions against the rules in force at the year's end (or the contract's end)."""
    c = await readable_contract(session, principal, contract_id)
    sessions: list[dict[str, Any]] = [
        {"on": t.on, "kind": t.kind, "attendees": t.attendees}
        for t in (await session.execute(select(Training).where(Training.contract_id == c.id))).scalars()
    ]
    workers = [
        (str(w.id), w.name)
        for w in (
            await session.execute(
                select(Worker)
                .where(Worker.contract_id == c.id, Worker.status.in_(DISPATCHED))
                .order_by(Worker.created_at, Worker.id)
            )
        ).scalars()
    ]
    on = min(date(year, 12, 31), c.ended_on or c.term_end)
    gaps = rules.training_gaps(book.at(c.division_code, on), year, sessions, workers)
    return TrainingStatusOut(
        contract_id=c.id,
        year=year,
        sessions=sum(1 for s in sessions if s["on"].year == year),
        missing=[
            TrainingGapOut(
                key=g.key,
                detail=g.detail,
                citation=g.citation,
                required=g.required,
                recorded=g.recorded,
                worker_ids=list(g.worker_ids),
            )
            for g in gaps
        ],
    )
