"""After the close: publication (公示), the contractor's appeal within N working days, the decision.

An appeal is recorded and puts the result under review; a dismissed appeal restores the published
result; an upheld one reopens scoring as a new revision (the previous result is kept).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_evaluation.round import access
from jiuzhu_evaluation.round.models import Appeal, EvaluationRound, RoundStatus
from jiuzhu_evaluation.round.repository import RoundRepository
from jiuzhu_evaluation.round.schemas import AppealDecisionIn, AppealIn, PublicationOut
from jiuzhu_evaluation.round.service import RoundNotFound, _audit, _transition, get_round
from jiuzhu_evaluation.survey import stats as survey_stats
from jiuzhu_kit import clock
from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import Principal, Role
from jiuzhu_kit.calendar import CalendarStore
from jiuzhu_kit.errors import Conflict, Forbidden, NotFound


class NotPublished(NotFound):
    code = "ROUND_NOT_PUBLISHED"
    zh = "该评价结果尚未公示"
    en = "The result has not been published"


class AppealWindowClosed(Conflict):
    code = "APPEAL_WINDOW_CLOSED"
    zh = "申诉期已于 {deadline} 届满"
    en = "The appeal period ended on {deadline}"


class AppealNotAllowed(Forbidden):
    code = "APPEAL_NOT_ALLOWED"
    zh = "只有被评价的承接主体可以申诉"
    en = "Only the evaluated contractor may appeal"


class AppealAlreadyFiled(Conflict):
    code = "APPEAL_ALREADY_FILED"
    zh = "本次公示的结果已申诉过"
    en = "This published result has already been appealed"


class AppealNotFound(NotFound):
    code = "APPEAL_NOT_FOUND"
    zh = "未找到该申诉"
    en = "Appeal not found"


class AppealDecided(Conflict):
    code = "APPEAL_ALREADY_DECIDED"
    zh = "该申诉已处理"
    en = "The appeal has already been decided"


async def publish(
    session: AsyncSession, audit: AuditLog, calendar: CalendarStore, principal: Principal, round_id: uuid.UUID
) -> EvaluationRound:
    r = await get_round(session, principal, round_id, lock=True)
    principal.ensure_covers(r.purchaser_division)
    day = clock.today()
    cal = await calendar.load(session, day, day + timedelta(days=r.appeal_working_days * 3 + 60))
    deadline = cal.add_working_days(day, r.appeal_working_days)  # 「届满」: the last day counts
    _transition(r, RoundStatus.PUBLISHED)
    r.published_at = clock.now()
    r.appeal_deadline = deadline
    await session.flush()
    await _audit(session, audit, principal, r, "round.published")
    return r


async def appeal(
    session: AsyncSession, audit: AuditLog, principal: Principal, round_id: uuid.UUID, body: AppealIn
) -> Appeal:
    r = await get_round(session, principal, round_id, lock=True)
    if not (principal.has(Role.CONTRACTOR) and principal.org == r.contractor_uscc):
        raise AppealNotAllowed()
    if r.appeal_deadline is not None and clock.today() > r.appeal_deadline:
        raise AppealWindowClosed(deadline=r.appeal_deadline.isoformat())
    if any(x.revision == r.revision for x in await RoundRepository(session).appeals(r.id)):
        raise AppealAlreadyFiled()
    _transition(r, RoundStatus.APPEALED)
    a = Appeal(
        round_id=r.id,
        revision=r.revision,
        contractor_uscc=r.contractor_uscc,
        reason=body.reason,
        filed_by=principal.sub,
        status="pending",
    )
    await RoundRepository(session).add(a)
    await _audit(
        session, audit, principal, r, "round.appealed", reason=body.reason, extra={"appeal_id": str(a.id)}
    )
    return a


async def decide(
    session: AsyncSession,
    audit: AuditLog,
    principal: Principal,
    round_id: uuid.UUID,
    appeal_id: uuid.UUID,
    body: AppealDecisionIn,
) -> tuple[EvaluationRound, Appeal]:
    r = await get_round(session, principal, round_id, lock=True)
    principal.ensure_covers(r.purchaser_division)
    repo = RoundRepository(session)
    a = await repo.appeal(r.id, appeal_id)
    if a is None:
        raise AppealNotFound()
    if a.status != "pending":
        raise AppealDecided()
    a.status = body.decision
    a.decision_reason = body.reason
    a.decided_by = principal.sub
    a.decided_at = clock.now()
    if body.decision == "dismissed":
        _transition(r, RoundStatus.PUBLISHED)
    else:
        _transition(r, RoundStatus.OPEN)
        r.previous_results = [*r.previous_results, {**(r.result or {}), "superseded_by_appeal": str(a.id)}]
        r.revision += 1
        r.result, r.total, r.grade, r.passed = None, None, None, None
        r.closed_at = r.published_at = None
        r.appeal_deadline = None
        known = {p["party"] for p in r.parties}
        await repo.drop_sheets(r.id, [p for p in body.rescore_parties if p in known])
    await session.flush()
    await _audit(
        session,
        audit,
        principal,
        r,
        f"round.appeal_{body.decision}",
        reason=body.reason,
        extra={"appeal_id": str(a.id), "rescore_parties": body.rescore_parties},
    )
    return r, a


async def publication_of(session: AsyncSession, principal: Principal, round_id: uuid.UUID) -> PublicationOut:
    """The published result, for every authenticated role; an unpublished round stays invisible
    outside its readers."""
    r = await RoundRepository(session).get(round_id)
    if r is None or (r.published_at is None and not access.can_read(principal, r)):
        raise RoundNotFound()
    return await publication(session, r)


async def publication(session: AsyncSession, r: EvaluationRound) -> PublicationOut:
    """The public view: parties by kind only; recipients as aggregates (anonymised)."""
    if (
        r.status not in (RoundStatus.PUBLISHED, RoundStatus.APPEALED)
        or r.result is None
        or r.published_at is None
    ):
        raise NotPublished()
    s = await survey_stats.for_contract_period(session, r.contract_id, r.period)
    recipients = None
    if s is not None:
        recipients = {
            k: s[k] for k in ("respondents", "response_rate", "mean", "share_satisfied", "small_sample")
        }
    return PublicationOut(
        round_id=r.id,
        contract_id=r.contract_id,
        period=r.period,
        contractor_uscc=r.contractor_uscc,
        purchaser_division=r.purchaser_division,
        template=f"{r.template_code} v{r.template_version}",
        total=r.result["total"],
        grade=r.result["grade"],
        dimensions=[
            {k: d[k] for k in ("dimension", "name", "weight", "score")} for d in r.result["dimensions"]
        ],
        party_weights=r.result["party_weights_used"],
        party_scores=r.result.get("by_party", {}),
        recipients=recipients,
        published_at=r.published_at,
        appeal_deadline=r.appeal_deadline or clock.today(),
        status=r.status,
    )
