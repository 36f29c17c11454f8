"""A contract's evaluation schedule: each period the rule asks for, and whether its round came.

Seed 002 六(二) makes the half-yearly evaluation the basis for releasing funds, so a period that
ended without a published round is listed as missing — the bureau sees it before the contractor's
payment stalls on it."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_evaluation.round.models import EvaluationRound, RoundStatus
from jiuzhu_evaluation.round.policy import POLICY as ROUNDS
from jiuzhu_evaluation.schedule.contract_terms import ContractTerms
from jiuzhu_evaluation.schedule.periods import Period, periods
from jiuzhu_evaluation.schedule.schemas import ScheduledPeriodOut, ScheduleOut
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.rules.book import RuleBook

RULE = "evaluations_per_year"
_DONE = {RoundStatus.PUBLISHED.value, RoundStatus.APPEALED.value}


def _status(p: Period, r: EvaluationRound | None, as_of: date) -> ScheduledPeriodOut:
    base: dict[str, Any] = dict(period_kind=p.kind, period=p.code, starts_on=p.starts, ends_on=p.ends)
    if r is not None and r.status in _DONE:
        return ScheduledPeriodOut(**base, status="published", round_id=r.id, grade=r.grade)
    if r is not None:
        return ScheduledPeriodOut(**base, status="in_progress", round_id=r.id)
    if as_of > p.ends:
        return ScheduledPeriodOut(**base, status="missing", days_overdue=(as_of - p.ends).days)
    return ScheduledPeriodOut(**base, status="running" if as_of >= p.starts else "upcoming")


async def schedule(
    session: AsyncSession, book: RuleBook[Any], principal: Principal, c: ContractTerms, as_of: date
) -> ScheduleOut:
    # The frequency in force where the contract is and when its term began: a later change of the
    # rule does not re-cut a running contract's periods.
    rule = book.at(c.division_code, c.term_start).rule(RULE)
    rows = (
        await session.execute(
            ROUNDS.narrow(principal, select(EvaluationRound)).where(EvaluationRound.contract_id == c.id)
        )
    ).scalars()
    by_period = {r.period: r for r in rows}
    return ScheduleOut(
        contract_id=c.id,
        purchaser_division=c.division_code,
        contractor_uscc=c.contractor_uscc,
        term_start=c.term_start,
        term_end=c.term_end,
        ended_on=c.ended_on,
        evaluations_per_year=int(rule.value),
        basis=str(rule.citation),
        verified=rule.verified,
        as_of=as_of,
        periods=[
            _status(p, by_period.get(p.code), as_of)
            for p in periods(c.term_start, c.last_day, int(rule.value))
        ],
    )
