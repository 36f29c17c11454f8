"""Contractor rules: registration with a valid code, who may contract (debarment: debarment/)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import Principal, Role, RoleForbidden
from jiuzhu_kit.errors import Conflict, Exists, FieldError, ValidationFailed
from jiuzhu_procurement.contractor import uscc as uscc_rules
from jiuzhu_procurement.contractor.models import Contractor
from jiuzhu_procurement.contractor.policy import POLICY
from jiuzhu_procurement.contractor.policy import (
    ContractorNotFound as ContractorNotFound,  # the service's refusal too
)
from jiuzhu_procurement.contractor.schemas import ContractorIn, ContractorOut
from jiuzhu_procurement.debarment.models import Debarment

AGGREGATE = "contractor"
ELIGIBLE = ("social_organization", "public_institution_class2", "enterprise")
ELIGIBILITY_RULE = "seed 000 二(3); 闽民保〔2018〕58号 一(二); 沪 三(三)"


class InvalidUsccError(ValidationFailed):
    code = "USCC_INVALID"
    zh = "统一社会信用代码无效"
    en = "The unified social credit code is invalid"


class ContractorNotEligible(Conflict):
    code = "CONTRACTOR_NOT_ELIGIBLE"
    zh = "该主体不能承接政府购买社会救助服务：{why}（{rule}）"
    en = "This entity may not contract for purchased social-assistance services: {why_en} ({rule})"


class ContractorExists(Exists):
    code = "CONTRACTOR_EXISTS"
    zh = "该统一社会信用代码已登记"
    en = "A contractor with this code is already registered"


def entity_type_of(info: uscc_rules.UsccInfo, public_class: str | None) -> str:
    if info.entity_class == "public_institution":
        if public_class is None:
            raise ContractorNotEligible(
                why="事业单位须声明分类（公益二类或生产经营类）",
                why_en="a public institution must declare its class (class 2 or production/operation)",
                rule=ELIGIBILITY_RULE,
            )
        if public_class == "class1":
            raise ContractorNotEligible(
                why="公益一类事业单位不得承接",
                why_en="class-1 public institutions may not",
                rule=ELIGIBILITY_RULE,
            )
        # 生产经营类 institutions contract as enterprises would (seed 000 二(3)).
        return "public_institution_class2" if public_class == "class2" else "enterprise"
    if info.entity_class not in ELIGIBLE:
        raise ContractorNotEligible(
            why=f"{info.authority}登记的{info.kind_zh}不属于社会组织、公益二类事业单位或企业",
            why_en=f"{info.entity_class} is not a social organisation, class-2 public institution or enterprise",
            rule=ELIGIBILITY_RULE,
        )
    return info.entity_class


def parse_uscc(code: str) -> uscc_rules.UsccInfo:
    try:
        return uscc_rules.parse(code)
    except uscc_rules.InvalidUscc as exc:
        raise InvalidUsccError([FieldError(pointer="#/uscc", code="USCC_INVALID", detail=str(exc))]) from exc


async def register(
    session: AsyncSession, audit: AuditLog, principal: Principal, body: ContractorIn
) -> Contractor:
    info = parse_uscc(body.uscc)
    # A contractor registers itself; bureaus and admins may register on its behalf.
    if (
        principal.has(Role.CONTRACTOR)
        and not principal.has(Role.BUREAU, Role.ADMIN)
        and principal.org != info.code
    ):
        raise RoleForbidden()
    if not body.capacities.independent_liability:
        raise ContractorNotEligible(
            why="不具备独立承担民事责任的能力", why_en="no independent civil liability", rule=ELIGIBILITY_RULE
        )
    entity_type = entity_type_of(info, body.public_institution_class)
    if found := (await session.execute(select(Contractor.id).where(Contractor.uscc == info.code))).scalar():
        # The registry is national and read by every token (contractor/policy.py): always named.
        raise ContractorExists(existing=(found, f"/contractors/{info.code}"))
    c = Contractor(
        uscc=info.code,
        name=body.name,
        entity_type=entity_type,
        registration_kind=f"{info.authority}/{info.kind_zh}",
        division_code=info.division_code,
        small_enterprise=body.small_enterprise,
        legal_representative=body.legal_representative,
        contact_phone=body.contact_phone,
        capacities=body.capacities.model_dump(),
        registered_by=principal.sub,
    )
    session.add(c)
    await session.flush()
    await audit.record(
        session,
        POLICY,
        c,
        "contractor.registered",
        principal,
        jurisdiction=principal.division,
    )
    return c


async def find_by_uscc(session: AsyncSession, code: str) -> Contractor | None:
    return (
        await session.execute(select(Contractor).where(Contractor.uscc == code.upper()))
    ).scalar_one_or_none()


async def get_by_uscc(session: AsyncSession, code: str) -> Contractor:
    c = await find_by_uscc(session, code)
    if c is None:
        raise ContractorNotFound()
    return c


def capacity_gaps(c: Contractor) -> list[str]:
    """What the contractor's declared capacities lack for any purchased service (seed 000 二(3))."""
    cap = c.capacities
    gaps = []
    if not cap.get("facilities"):
        gaps.append("facilities")
    if int(cap.get("staff_count") or 0) < 1:
        gaps.append("staff")
    if not cap.get("finance_system"):
        gaps.append("finance_system")
    if not cap.get("governance"):
        gaps.append("governance")
    return gaps


def out(c: Contractor, principal: Principal | None, debarment: Debarment | None) -> ContractorOut:
    """The contractor as `principal` (None: the public) may see it (contractor/policy.py)."""
    o = ContractorOut.model_validate(c)
    o.debarred = debarment is not None
    o.debarred_until = debarment.effective_until if debarment else None
    view = POLICY.view(principal, c)
    return o if view.full else ContractorOut.model_validate(view.apply(o.model_dump()))
