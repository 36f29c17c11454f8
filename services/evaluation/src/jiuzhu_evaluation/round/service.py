"""Round rules: open (purchaser, in jurisdiction), score (each party, with evidence), close when all
required parties are in. A closed round is immutable: only an upheld appeal reopens it (review.py).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_evaluation.round import access, scoring
from jiuzhu_evaluation.round.models import TRANSITIONS, EvaluationRound, PartyScore, RoundStatus
from jiuzhu_evaluation.round.policy import POLICY
from jiuzhu_evaluation.round.policy import RoundNotFound as RoundNotFound  # the service's refusal too
from jiuzhu_evaluation.round.repository import RoundRepository
from jiuzhu_evaluation.round.schemas import RoundIn, RoundOut, ScoresIn
from jiuzhu_evaluation.survey import service as surveys
from jiuzhu_evaluation.survey import stats as survey_stats
from jiuzhu_evaluation.survey.models import Survey
from jiuzhu_evaluation.survey.repository import SurveyRepository
from jiuzhu_evaluation.template import rules
from jiuzhu_evaluation.template import service as templates
from jiuzhu_evaluation.template.models import IndicatorTemplate
from jiuzhu_kit import clock
from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.errors import BadRequest, Conflict, Exists, FieldError, Forbidden, ValidationFailed

AGGREGATE = "evaluation_round"


class RoundExists(Exists):
    code = "ROUND_EXISTS"
    zh = "该合同在此期间已有评价轮次"
    en = "This contract already has a round for this period"


class RoundNotOpen(Conflict):
    code = "ROUND_NOT_OPEN"
    zh = "评价轮次已关闭（状态 {status}），评分不可更改"
    en = "The round is not open (status {status}); scores cannot change"


class InvalidTransition(Conflict):
    code = "ROUND_TRANSITION_NOT_ALLOWED"
    zh = "评价轮次不能从 {src} 变为 {dst}"
    en = "A round cannot go from {src} to {dst}"


class RoundIncomplete(Conflict):
    code = "ROUND_INCOMPLETE"
    zh = "尚有必需的评价主体未提交评分: {missing}"
    en = "Required parties have not scored yet: {missing}"


class RecipientWeightTooLow(BadRequest):
    code = "RECIPIENT_WEIGHT_BELOW_FLOOR"
    zh = "服务对象评价权重 {weight}% 低于下限 {floor}%（侧重服务对象满意度，seed 001 一(六)）"
    en = "Recipients' weight {weight}% is below the floor {floor}% (seed 001 一(六))"


class TemplateUnsuitable(BadRequest):
    code = "TEMPLATE_UNSUITABLE"
    zh = "模板不适用: {why}"
    en = "Template unsuitable: {why}"


class PartyNotInRound(BadRequest):
    code = "PARTY_NOT_IN_ROUND"
    zh = "本轮评价不包括该评价主体"
    en = "This party is not part of the round"


class PartyForbidden(Forbidden):
    code = "PARTY_FORBIDDEN"
    zh = "无权以该评价主体身份评分"
    en = "You may not score as this party"


class SurveyDataMissing(Conflict):
    code = "SURVEY_DATA_MISSING"
    zh = "该合同本期尚无满意度问卷数据"
    en = "No survey data for this contract and period"


def _transition(r: EvaluationRound, dst: RoundStatus) -> None:
    src = RoundStatus(r.status)
    if dst not in TRANSITIONS.get(src, frozenset()):
        raise InvalidTransition(src=src.value, dst=dst.value)
    r.status = dst.value


def _missing(r: EvaluationRound, got: set[str]) -> list[str]:
    """The required parties whose sheet is not in `got`, in the round's order."""
    return [p["party"] for p in r.parties if p["required"] and p["party"] not in got]


def snapshot(r: EvaluationRound, sheets: list[PartyScore] | None = None) -> RoundOut:
    out = RoundOut.model_validate(r)
    if sheets is not None:
        got = {s.party for s in sheets}
        out.submitted_parties = sorted(got)
        out.missing_parties = sorted(_missing(r, got))
    return out


async def _audit(
    session: AsyncSession,
    audit: AuditLog,
    principal: Principal,
    r: EvaluationRound,
    action: str,
    reason: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    data = snapshot(r).model_dump(mode="json")
    if extra:
        data["event"] = extra
    await audit.record(
        session,
        POLICY,
        r,
        action,
        principal,
        data=data,
        reason=reason,
    )


async def open_round(
    session: AsyncSession,
    audit: AuditLog,
    principal: Principal,
    body: RoundIn,
    floor: Decimal,
    appeal_days: int,
    contract_check: str = "skipped",
) -> EvaluationRound:
    principal.ensure_covers(body.purchaser_division)  # a bureau opens rounds for its own purchases only
    recipients = next(p for p in body.parties if p.party == "recipients")
    if recipients.weight < floor:
        raise RecipientWeightTooLow(weight=recipients.weight, floor=floor)
    if not recipients.required:
        raise RecipientWeightTooLow(weight=recipients.weight, floor=floor)
    t = await templates.get(session, body.template_id)
    if t.kind != "project":
        raise TemplateUnsuitable(why="轮次须使用项目评价模板 (kind=project)")
    dims = {d["key"] for d in t.dimensions}
    for p in body.parties:
        unknown = set(p.dimensions or ()) - dims
        if unknown:
            raise TemplateUnsuitable(why=f"{p.party} 的维度不在模板中: {', '.join(sorted(unknown))}")
    repo = RoundRepository(session)
    if (found := await repo.by_contract_period(body.contract_id, body.period)) is not None:
        raise RoundExists(
            existing=(found.id, f"/rounds/{found.id}") if POLICY.readable(principal, found) else None
        )
    r = EvaluationRound(
        contract_id=body.contract_id,
        period_kind=body.period_kind,
        period=body.period,
        contractor_uscc=body.contractor_uscc,
        purchaser_division=body.purchaser_division,
        template_id=t.id,
        template_code=t.code,
        template_version=t.version,
        parties=[p.model_dump(mode="json") for p in body.parties],
        status=RoundStatus.OPEN.value,
        revision=1,
        appeal_working_days=body.appeal_working_days or appeal_days,
        previous_results=[],
        opened_by=principal.sub,
        contract_check=contract_check,
    )
    await repo.add(r)
    await _audit(session, audit, principal, r, "round.opened")
    return r


async def get_round(
    session: AsyncSession, principal: Principal, round_id: uuid.UUID, *, lock: bool = False
) -> EvaluationRound:
    """The round if `principal` may read it (round/policy.py), else its refusal."""
    return POLICY.check(principal, await RoundRepository(session).get(round_id, lock=lock))


async def _values(
    session: AsyncSession, r: EvaluationRound, t: IndicatorTemplate, party: dict[str, Any], body: ScoresIn
) -> tuple[dict[str, Decimal], dict[str, Decimal], Survey | None]:
    """(values entered or computed, 0–100 scores, the survey they came from, locked) for every
    indicator the party scores."""
    wanted = templates.party_indicators(t, party)
    keys = {i["key"] for i in wanted}
    stats = None
    survey = None
    if body.from_survey or any(i["type"] == "computed" for i in wanted):
        survey = await SurveyRepository(session).by_contract_period(r.contract_id, r.period, lock=True)
        stats = await survey_stats.for_contract_period(session, r.contract_id, r.period)
    values = dict(body.values)
    errors = [
        FieldError(pointer=f"#/values/{k}", code="UNKNOWN_INDICATOR", detail="该评价主体不评此指标")
        for k in values
        if k not in keys
    ]
    if body.from_survey:
        if party["party"] != "recipients":
            raise PartyForbidden()
        if stats is None:
            raise SurveyDataMissing()
        for i in wanted:
            q = stats["questions"].get(i["key"])
            if i["type"] == "likert" and q is not None and q["mean"] is not None and i["key"] not in values:
                values[i["key"]] = Decimal(q["mean"])
    for i in wanted:
        if i["type"] == "computed":
            if stats is None:
                raise SurveyDataMissing()
            values[i["key"]] = Decimal(stats["computed"][i["config"]["source"]])
    scores: dict[str, Decimal] = {}
    for i in wanted:
        if i["key"] not in values:
            errors.append(
                FieldError(pointer=f"#/values/{i['key']}", code="MISSING", detail="缺少该指标的评分")
            )
            continue
        try:
            scores[i["key"]] = rules.indicator_score(i["type"], i["config"], values[i["key"]])
        except ValueError as exc:
            errors.append(FieldError(pointer=f"#/values/{i['key']}", code="OUT_OF_RANGE", detail=str(exc)))
    if errors:
        raise ValidationFailed(errors)
    return values, scores, survey if stats is not None else None


def _compute(r: EvaluationRound, t: IndicatorTemplate, sheets: list[PartyScore]) -> dict[str, Any]:
    weights = {p["party"]: Decimal(p["weight"]) for p in r.parties}
    scores = {s.party: {k: Decimal(v) for k, v in s.scores.items()} for s in sheets}
    result = scoring.compute(t.dimensions, templates.bands(t), weights, scores)
    result["template"] = {"id": str(t.id), "code": t.code, "version": t.version}
    result["revision"] = r.revision
    return result


async def close(session: AsyncSession, audit: AuditLog, principal: Principal, r: EvaluationRound) -> None:
    sheets = await RoundRepository(session).sheets(r.id)
    missing = _missing(r, {s.party for s in sheets})
    if missing:
        raise RoundIncomplete(missing=", ".join(missing))
    t = await templates.get(session, r.template_id)
    _transition(r, RoundStatus.CLOSED)
    r.result = _compute(r, t, sheets)
    r.total = Decimal(r.result["total"])
    r.grade = r.result["grade"]
    r.passed = r.result["passed"]
    r.closed_at = clock.now()
    await session.flush()
    await _audit(session, audit, principal, r, "round.closed")


async def close_round(
    session: AsyncSession, audit: AuditLog, principal: Principal, round_id: uuid.UUID
) -> EvaluationRound:
    """The purchaser closes the round (row locked) once every required party is in."""
    r = await get_round(session, principal, round_id, lock=True)
    principal.ensure_covers(r.purchaser_division)
    await close(session, audit, principal, r)
    return r


async def submit(
    session: AsyncSession, audit: AuditLog, principal: Principal, round_id: uuid.UUID, body: ScoresIn
) -> tuple[EvaluationRound, PartyScore]:
    r = await get_round(session, principal, round_id, lock=True)  # serialises sheets and the close
    if r.status != RoundStatus.OPEN:
        raise RoundNotOpen(status=r.status)
    party = next((p for p in r.parties if p["party"] == body.party), None)
    if party is None:
        raise PartyNotInRound()
    if not access.can_score(principal, r, party):
        raise PartyForbidden()
    t = await templates.get(session, r.template_id)
    values, scores, survey = await _values(session, r, t, party, body)
    repo = RoundRepository(session)
    sheet = await repo.sheet(r.id, body.party)
    fields = dict(
        revision=r.revision,
        values={k: str(v) for k, v in values.items()},
        scores={k: str(v) for k, v in scores.items()},
        evidence=[e.model_dump(mode="json") for e in body.evidence],
        comment=body.comment,
        submitted_by=principal.sub,
        submitted_at=clock.now(),
    )
    if sheet is None:
        sheet = PartyScore(round_id=r.id, party=body.party, **fields)
        await repo.add(sheet)
    else:
        for k, v in fields.items():
            setattr(sheet, k, v)
        await session.flush()
    await _audit(
        session,
        audit,
        principal,
        r,
        "round.scored",
        extra={"party": body.party, "values": sheet.values, "evidence": sheet.evidence},
    )
    if survey is not None:
        # The score is a snapshot of the survey: close it, so the published aggregates (公示) stay
        # the ones the score was computed from.
        await surveys.close_for_scoring(session, audit, principal, survey)
    sheets = await repo.sheets(r.id)
    if {s.party for s in sheets} >= {p["party"] for p in r.parties}:
        await close(session, audit, principal, r)  # every party is in: the round closes itself
    return r, sheet
