"""Staff assessment rules (seed 000 四(三)): yearly 合格以上 → continue (and the +5% raise of
seed 000 二(七)); 不合格 → not renewed; after the 3-year term, renewal only on a qualified
comprehensive assessment — read here as: three annual assessments, none unqualified, and their
mean total graded 合格 or better on the same template's bands.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_evaluation.round import scoring
from jiuzhu_evaluation.staff import repository
from jiuzhu_evaluation.staff.models import StaffAssessment
from jiuzhu_evaluation.staff.policy import POLICY
from jiuzhu_evaluation.staff.policy import NoAssessments as NoAssessments  # the service's refusal too
from jiuzhu_evaluation.staff.schemas import AssessmentIn, AssessmentOut, RenewalOut
from jiuzhu_evaluation.template import rules
from jiuzhu_evaluation.template import service as templates
from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.errors import BadRequest, Exists, FieldError, ValidationFailed
from jiuzhu_kit.rules.book import RuleBook

BASIS = "seed 000 四(三): 年度考核合格以上继续聘用，不合格者不再续聘；3年合同期满经综合考核合格的可以续聘"


class AssessmentExists(Exists):
    code = "STAFF_ASSESSMENT_EXISTS"
    zh = "该人员本年度已有考核结果"
    en = "This staff member already has an assessment for that year"


class NotStaffTemplate(BadRequest):
    code = "TEMPLATE_NOT_STAFF"
    zh = "年度考核须使用人员考核模板 (kind=staff)，且不含计算型指标"
    en = "Annual assessments need a staff template without computed indicators"


def score(dimensions: list[dict[str, Any]], values: dict[str, Decimal]) -> tuple[dict[str, Decimal], Decimal]:
    indicators = {i["key"]: i for d in dimensions for i in d["indicators"]}
    errors = [
        FieldError(pointer=f"#/values/{k}", code="UNKNOWN_INDICATOR", detail="模板中没有此指标")
        for k in values
        if k not in indicators
    ]
    scores: dict[str, Decimal] = {}
    for key, i in indicators.items():
        if key not in values:
            errors.append(FieldError(pointer=f"#/values/{key}", code="MISSING", detail="缺少该指标的评分"))
            continue
        try:
            scores[key] = rules.indicator_score(i["type"], i["config"], values[key])
        except ValueError as exc:
            errors.append(FieldError(pointer=f"#/values/{key}", code="OUT_OF_RANGE", detail=str(exc)))
    if errors:
        raise ValidationFailed(errors)
    total = rules.weighted((Decimal(d["weight"]), scoring.dimension_score(d, scores)) for d in dimensions)
    return scores, total


async def assess(
    session: AsyncSession, audit: AuditLog, principal: Principal, book: RuleBook[Any], body: AssessmentIn
) -> StaffAssessment:
    principal.ensure_covers(body.division_code)
    t = await (
        templates.get(session, body.template_id)
        if body.template_id
        # The staff template the rules in force that year name (rulebook/data, indicator_templates).
        else templates.default_in_force(session, book, body.division_code, date(body.year, 1, 1), "staff")
    )
    if t.kind != "staff" or any(i["type"] == "computed" for d in t.dimensions for i in d["indicators"]):
        raise NotStaffTemplate()
    scores, total = score(t.dimensions, body.values)
    rounded = rules.round_score(total)
    band = rules.grade_of(rounded, templates.bands(t))
    if (found := await repository.existing(session, body.contract_id, body.staff_ref, body.year)) is not None:
        # No single read route: the link is the list narrowed to this staff member's assessments.
        href = f"/staff-assessments?contract_id={found.contract_id}&staff_ref={quote(found.staff_ref)}"
        raise AssessmentExists(existing=(found.id, href) if POLICY.readable(principal, found) else None)
    a = StaffAssessment(
        contract_id=body.contract_id,
        staff_ref=body.staff_ref,
        division_code=body.division_code,
        year=body.year,
        template_id=t.id,
        template_code=t.code,
        template_version=t.version,
        values={k: str(v) for k, v in body.values.items()},
        scores={k: str(v) for k, v in scores.items()},
        total=rounded,
        grade=band.label,
        qualified=band.passed,
        evidence=[e.model_dump(mode="json") for e in body.evidence],
        assessed_by=principal.sub,
    )
    session.add(a)
    await session.flush()  # the unique constraint settles a concurrent duplicate (409 DUPLICATE)
    await audit.record(
        session,
        POLICY,
        a,
        "staff.assessed",
        principal,
        data=AssessmentOut.model_validate(a).model_dump(mode="json"),
    )
    return a


async def listing(
    session: AsyncSession, principal: Principal, contract_id: uuid.UUID, staff_ref: str | None = None
) -> list[StaffAssessment]:
    q = POLICY.narrow(principal, repository.of_contract(contract_id, staff_ref))
    return list((await session.execute(q)).scalars())


async def renewal(
    session: AsyncSession, book: RuleBook[Any], principal: Principal, contract_id: uuid.UUID, staff_ref: str
) -> RenewalOut:
    rows = await listing(session, principal, contract_id, staff_ref)
    if not rows:
        raise NoAssessments()
    years = [a.year for a in rows]
    # The contract term in force where and when the staff member started (rulebook/data).
    term = book.at(rows[0].division_code, date(rows[0].year, 1, 1)).rule("staff_contract_years")
    term_years = int(term.value)
    base = dict(
        staff_ref=staff_ref,
        contract_id=contract_id,
        years_assessed=years,
        basis=f"{BASIS}; 合同期 {term_years} 年（{term.cite}）",
    )
    failed = [a.year for a in rows if not a.qualified]
    if failed:
        return RenewalOut(
            **base,
            continue_next_year=False,
            term_complete=len(rows) >= term_years,
            comprehensive_total=None,
            comprehensive_grade=None,
            eligible_for_renewal=False,
            reason=f"{failed[0]} 年度考核不合格，不再续聘",
        )
    if len(rows) < term_years:
        return RenewalOut(
            **base,
            continue_next_year=True,
            term_complete=False,
            comprehensive_total=None,
            comprehensive_grade=None,
            eligible_for_renewal=None,
            reason=f"已考核 {len(rows)} 年，均合格以上，继续聘用；合同期未满 {term_years} 年",
        )
    last = rows[-term_years:]
    mean = rules.round_score(sum((a.total for a in last), Decimal(0)) / len(last))
    t = await templates.get(session, last[-1].template_id)
    band = rules.grade_of(mean, templates.bands(t))
    return RenewalOut(
        **base,
        continue_next_year=band.passed,
        term_complete=True,
        comprehensive_total=f"{mean:.2f}",
        comprehensive_grade=band.label,
        eligible_for_renewal=band.passed,
        reason=f"{term_years} 年综合考核 {mean}（{band.label}），{'可以续聘' if band.passed else '不再续聘'}",
    )
