"""A contract's evaluation schedule: each period the rule asks for, and whether its round came.

Seed 002 六(二) makes the half-yearly evaluation the basis for releasing funds, so a period that
ended without a published round is listed as missing — the bureau sees it before the contractor's
payment stalls on it."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_evaluation.round.models import EvaluationRound, RoundStatus
from jiuzhu_evaluation.round.policy import POLICY as ROUNDS
from jiuzhu_evaluation.schedule.contract_terms import ContractTerms
from jiuzhu_evaluation.schedule.periods import Period, periods
from jiuzhu_evaluation.schedule.schemas import MissingRoundOut, ScheduledPeriodOut, ScheduleOut
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.pagination import CursorInvalid, CursorPage, CursorParams, cursor_page
from jiuzhu_kit.rules.book import Rule, RuleBook

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


def _periods(
    book: RuleBook[Any], c: ContractTerms, by_period: dict[str, EvaluationRound], as_of: date
) -> tuple[Rule, list[ScheduledPeriodOut]]:
    # The frequency in force where the contract is and when its term began: a later change of the
    # rule does not re-cut a running contract's periods.
    rule = book.at(c.division_code, c.term_start).rule(RULE)
    return rule, [
        _status(p, by_period.get(p.code), as_of) for p in periods(c.term_start, c.last_day, int(rule.value))
    ]


async def schedule(
    session: AsyncSession, book: RuleBook[Any], principal: Principal, c: ContractTerms, as_of: date
) -> ScheduleOut:
    rows = (
        await session.execute(
            ROUNDS.narrow(principal, select(EvaluationRound)).where(EvaluationRound.contract_id == c.id)
        )
    ).scalars()
    rule, scheduled = _periods(book, c, {r.period: r for r in rows}, as_of)
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
        periods=scheduled,
    )


def _key(m: MissingRoundOut) -> tuple[str, str, str]:
    """Oldest first: by the day the period ended, then contract and period (unique)."""
    return (m.ends_on.isoformat(), str(m.contract_id), m.period)


async def missing(
    session: AsyncSession,
    book: RuleBook[Any],
    principal: Principal,
    contracts: list[ContractTerms],
    as_of: date,
    page: CursorParams,
) -> CursorPage[MissingRoundOut]:
    """The periods that ended with no round, across `contracts` (those the caller may read in
    procurement), each as its contract's schedule shows it: the same rule, the same rounds (read
    through the rounds' own policy)."""
    after = page.after
    if after is not None and (len(after) != 3 or not all(isinstance(v, str) for v in after)):
        raise CursorInvalid()
    by_contract: dict[uuid.UUID, dict[str, EvaluationRound]] = {c.id: {} for c in contracts}
    if by_contract:
        rows = (
            await session.execute(
                ROUNDS.narrow(principal, select(EvaluationRound)).where(
                    EvaluationRound.contract_id.in_(list(by_contract))
                )
            )
        ).scalars()
        for r in rows:
            by_contract[r.contract_id][r.period] = r
    items: list[MissingRoundOut] = []
    for c in contracts:
        rule, scheduled = _periods(book, c, by_contract[c.id], as_of)
        items.extend(
            MissingRoundOut(
                contract_id=c.id,
                purchaser_division=c.division_code,
                contractor_uscc=c.contractor_uscc,
                period_kind=p.period_kind,
                period=p.period,
                starts_on=p.starts_on,
                ends_on=p.ends_on,
                days_overdue=p.days_overdue or 0,
                evaluations_per_year=int(rule.value),
                basis=rule.cite,
            )
            for p in scheduled
            if p.status == "missing"
        )
    items.sort(key=_key)
    rest = [m for m in items if after is None or _key(m) > tuple(after)]
    return cursor_page(rest[: page.limit + 1], page, _key, lambda m: m)
