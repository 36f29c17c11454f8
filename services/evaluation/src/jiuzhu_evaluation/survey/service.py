"""Survey rules: codes (hash only, one answer each, even under concurrency), anonymous intake,
results for those who may see them (the contractor sees aggregates only, never a response)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_evaluation.round.policy import POLICY as ROUNDS
from jiuzhu_evaluation.round.repository import RoundRepository
from jiuzhu_evaluation.survey.models import Survey
from jiuzhu_evaluation.survey.policy import POLICY
from jiuzhu_evaluation.survey.policy import SurveyNotFound as SurveyNotFound  # the service's refusal too
from jiuzhu_evaluation.survey.repository import SurveyRepository
from jiuzhu_evaluation.survey.schemas import AnswerIn, IntakeOut, Rejected, SurveyIn, SurveyOut
from jiuzhu_evaluation.template import service as templates
from jiuzhu_kit import clock
from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.errors import BadRequest, Conflict, Exists, Forbidden

AGGREGATE = "survey"
# Crockford-style alphabet without look-alikes (0/O, 1/I/L); 16 characters ≈ 80 bits.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LEN = 16


class SurveyExists(Exists):
    code = "SURVEY_EXISTS"
    zh = "该合同在此期间已有满意度问卷"
    en = "This contract already has a survey for this period"


class SurveyClosed(Conflict):
    code = "SURVEY_CLOSED"
    zh = "问卷已结束"
    en = "The survey is closed"


class CodeInvalid(BadRequest):
    code = "SURVEY_CODE_INVALID"
    zh = "问卷码无效"
    en = "The survey code is invalid"


class CodeUsed(Conflict):
    code = "SURVEY_CODE_USED"
    zh = "该问卷码已使用（每码仅可作答一次）"
    en = "This code has already been used (one answer per code)"


class AnswersInvalid(BadRequest):
    code = "SURVEY_ANSWERS_INVALID"
    zh = "答案无效: {why}"
    en = "Invalid answers: {why}"


class NoQuestions(BadRequest):
    code = "SURVEY_NO_QUESTIONS"
    zh = "服务对象评价的维度中没有李克特指标，请给出问题"
    en = "The recipients' dimensions have no likert indicators; give the questions"


def normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch not in "- ")


def code_hash(pepper: str, survey_id: uuid.UUID, code: str) -> bytes:
    return hmac.new(pepper.encode(), survey_id.bytes + normalise(code).encode(), hashlib.sha256).digest()


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LEN))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LEN, 4))


async def get(session: AsyncSession, principal: Principal | None, survey_id: uuid.UUID) -> Survey:
    """The survey if `principal` may read it (survey/policy.py); `None`: the anonymous answering
    path, which finds the survey by id and proves itself with a one-time code instead."""
    s = await SurveyRepository(session).get(survey_id)
    if principal is None:
        if s is None:
            raise SurveyNotFound()
        return s
    return POLICY.check(principal, s)


async def _audit(
    session: AsyncSession,
    audit: AuditLog,
    actor: Principal | None,
    s: Survey,
    action: str,
    data: dict[str, object] | None = None,
) -> None:
    await audit.record(
        session,
        POLICY,
        s,
        action,
        actor,
        data=data if data is not None else SurveyOut.model_validate(s).model_dump(mode="json"),
    )


async def create(session: AsyncSession, audit: AuditLog, principal: Principal, body: SurveyIn) -> Survey:
    questions = [q.model_dump() for q in body.questions]
    if body.round_id is not None:
        r = ROUNDS.check(principal, await RoundRepository(session).get(body.round_id))
        contract_id, period, uscc, division = r.contract_id, r.period, r.contractor_uscc, r.purchaser_division
        if not questions:
            t = await templates.get(session, r.template_id)
            party = next(p for p in r.parties if p["party"] == "recipients")
            questions = [
                {"key": i["key"], "text": i["name"]}
                for i in templates.party_indicators(t, party)
                if i["type"] == "likert"
            ]
            if not questions:
                raise NoQuestions()
    else:
        assert body.contract_id and body.period and body.contractor_uscc and body.purchaser_division
        contract_id, period = body.contract_id, body.period
        uscc, division = body.contractor_uscc, body.purchaser_division
    principal.ensure_covers(division)
    repo = SurveyRepository(session)
    if (found := await repo.by_contract_period(contract_id, period)) is not None:
        raise SurveyExists(
            existing=(found.id, f"/surveys/{found.id}") if POLICY.readable(principal, found) else None
        )
    s = await repo.add(
        Survey(
            contract_id=contract_id,
            period=period,
            contractor_uscc=uscc,
            purchaser_division=division,
            title=body.title,
            questions=questions,
            points=body.points,
            satisfied_min=body.satisfied_min,
            min_sample=body.min_sample,
            status="open",
            created_by=principal.sub,
        )
    )
    await _audit(session, audit, principal, s, "survey.created")
    return s


async def issue_codes(
    session: AsyncSession,
    audit: AuditLog,
    principal: Principal,
    pepper: str,
    survey_id: uuid.UUID,
    count: int,
) -> list[str]:
    s = await get(session, principal, survey_id)
    if not principal.covers(s.purchaser_division):  # the caller holds bureau (or admin)
        raise Forbidden()
    if s.status != "open":
        raise SurveyClosed()
    codes = [new_code() for _ in range(count)]
    await SurveyRepository(session).add_codes(s.id, [code_hash(pepper, s.id, c) for c in codes])
    # The codes themselves are never stored or logged; the audit records how many were issued.
    await _audit(session, audit, principal, s, "survey.codes_issued", {"count": count})
    return codes


async def close_for_scoring(session: AsyncSession, audit: AuditLog, principal: Principal, s: Survey) -> None:
    """The recipients' score was taken from this survey (row locked by the caller): later answers
    could no longer change the score, only the published aggregates beside it, so none are taken."""
    if s.status == "open":
        s.status = "closed"
        await session.flush()
        await _audit(session, audit, principal, s, "survey.closed")


async def close(session: AsyncSession, audit: AuditLog, principal: Principal, survey_id: uuid.UUID) -> Survey:
    s = await get(session, principal, survey_id)
    principal.ensure_covers(s.purchaser_division)
    s.status = "closed"
    await session.flush()
    await _audit(session, audit, principal, s, "survey.closed")
    return s


def _index(s: Survey) -> dict[str, int]:
    """Question key → its position in the survey."""
    return {q["key"]: n for n, q in enumerate(s.questions)}


def _answers(s: Survey, index: dict[str, int], item: AnswerIn) -> list[tuple[int, int]] | str:
    out = []
    for key, value in item.answers.items():
        if key not in index:
            return f"未知问题 {key}"
        if not 1 <= value <= s.points:
            return f"{key} 的取值须在 1–{s.points} 之间"
        out.append((index[key], value))
    return out


async def intake(
    session: AsyncSession,
    audit: AuditLog,
    actor: Principal | None,
    pepper: str,
    s: Survey,
    items: list[AnswerIn],
    channel: str,
) -> IntakeOut:
    if await SurveyRepository(session).status_for_intake(s.id) != "open":
        raise SurveyClosed()
    rejected: list[Rejected] = []
    pending: dict[bytes, tuple[int, list[tuple[int, int]]]] = {}
    index = _index(s)
    for n, item in enumerate(items):
        parsed = _answers(s, index, item)
        h = code_hash(pepper, s.id, item.code)
        if isinstance(parsed, str):
            rejected.append(Rejected(index=n, reason="ANSWERS_INVALID"))
        elif h in pending:
            rejected.append(Rejected(index=n, reason="DUPLICATE_IN_BATCH"))
        else:
            pending[h] = (n, parsed)
    repo = SurveyRepository(session)
    won = await repo.use_codes(s.id, list(pending)) if pending else set()
    for h, (n, _) in pending.items():
        if h not in won:
            rejected.append(Rejected(index=n, reason="CODE_USED_OR_INVALID"))
    accepted = [pending[h][1] for h in pending if h in won]
    day = clock.today()  # the day only: a timestamp would help re-identify a respondent
    await repo.add_responses(s.id, day, channel, accepted)
    if accepted:
        await _audit(
            session,
            audit,
            actor,
            s,
            "survey.responses_received",
            {"accepted": len(accepted), "rejected": len(rejected), "channel": channel},
        )
    return IntakeOut(accepted=len(accepted), rejected=sorted(rejected, key=lambda r: r.index))


async def intake_one(
    session: AsyncSession, audit: AuditLog, pepper: str, survey_id: uuid.UUID, item: AnswerIn
) -> IntakeOut:
    s = await get(session, None, survey_id)
    parsed = _answers(s, _index(s), item)
    if isinstance(parsed, str):
        raise AnswersInvalid(why=parsed)
    out = await intake(session, audit, None, pepper, s, [item], "direct")
    if out.rejected:
        # Tell used from unknown only for a code that exists (80-bit codes cannot be guessed).
        exists = await SurveyRepository(session).code_exists(s.id, code_hash(pepper, s.id, item.code))
        raise CodeUsed() if exists else CodeInvalid()
    return out
