"""Template rules: versions are immutable; a new version is a new row; every write is audited."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_evaluation.template import builtin, rules
from jiuzhu_evaluation.template.entries import BANDS, band_dict
from jiuzhu_evaluation.template.models import IndicatorTemplate
from jiuzhu_evaluation.template.policy import (
    TemplateNotFound as TemplateNotFound,  # the service's refusal too
)
from jiuzhu_evaluation.template.repository import TemplateRepository
from jiuzhu_evaluation.template.schemas import GradeBandIn, TemplateBody, TemplateIn, TemplateOut
from jiuzhu_kit import clock
from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import Principal, Role
from jiuzhu_kit.errors import Conflict, Forbidden
from jiuzhu_kit.rules.book import RuleBook

AGGREGATE = "indicator_template"
NATIONAL = "000000"


class TemplateCodeTaken(Conflict):
    code = "TEMPLATE_CODE_TAKEN"
    zh = "模板代码已存在，请新建版本"
    en = "The template code exists; create a new version instead"


class BuiltinNotSeeded(Conflict):
    code = "BUILTIN_TEMPLATE_NOT_SEEDED"
    zh = "规则所定的内置模板 {template} 第 {version} 版尚未入库（需先执行数据库迁移）"
    en = "The built-in template {template} version {version} the rules name is not in the database yet (a migration is due)"


class TemplateNotOwned(Forbidden):
    code = "TEMPLATE_NOT_OWNED"
    zh = "只能为本辖区的模板新建版本（内置模板仅管理员可修订）"
    en = "Only the owning jurisdiction may version this template (built-ins: admin only)"


def _row(
    code: str, version: int, body: TemplateBody, principal: Principal, book: RuleBook[Any], division: str
) -> IndicatorTemplate:
    """A new row; without bands of its own, the template takes the rule `grade_bands` in force for
    `division` today (rulebook/data), so a dated change of the bands reaches new templates."""
    dumped = body.model_dump(mode="json")
    if body.grade_bands is None:
        bands = book.at(division, clock.today()).rule(BANDS).value
        dumped["grade_bands"] = [GradeBandIn(**band_dict(b)).model_dump(mode="json") for b in bands]
    return IndicatorTemplate(
        code=code,
        version=version,
        name=body.name,
        kind=body.kind,
        description=body.description,
        citation=body.citation,
        dimensions=dumped["dimensions"],
        grade_bands=dumped["grade_bands"],
        builtin=False,
        owner_division=principal.division,
        created_by=principal.sub,
    )


async def _audit(
    session: AsyncSession, audit: AuditLog, principal: Principal, t: IndicatorTemplate, action: str
) -> None:
    await audit.append(
        session,
        aggregate_type=AGGREGATE,
        aggregate_id=t.code,
        action=action,
        actor=principal,
        data=TemplateOut.model_validate(t).model_dump(mode="json"),
    )


async def create(
    session: AsyncSession, audit: AuditLog, principal: Principal, book: RuleBook[Any], data: TemplateIn
) -> IndicatorTemplate:
    repo = TemplateRepository(session)
    if await repo.latest(data.code) is not None:
        raise TemplateCodeTaken()
    t = await repo.add(_row(data.code, 1, data, principal, book, principal.division))
    await _audit(session, audit, principal, t, "template.created")
    return t


async def new_version(
    session: AsyncSession,
    audit: AuditLog,
    principal: Principal,
    book: RuleBook[Any],
    code: str,
    data: TemplateBody,
) -> IndicatorTemplate:
    repo = TemplateRepository(session)
    current = await repo.latest(code, lock=True)  # serialise concurrent versioning of one code
    if current is None:
        raise TemplateNotFound()
    if current.owner_division is None:
        if not principal.has(Role.ADMIN):
            raise TemplateNotOwned()
    else:
        principal.ensure_covers(current.owner_division)  # another county's template: jurisdiction
    division = current.owner_division or NATIONAL  # a built-in's bands: the national rules'
    t = _row(code, current.version + 1, data, principal, book, division)
    t.owner_division = current.owner_division
    t = await repo.add(t)
    await _audit(session, audit, principal, t, "template.versioned")
    return t


async def get(session: AsyncSession, template_id: uuid.UUID) -> IndicatorTemplate:
    t = await TemplateRepository(session).get(template_id)
    if t is None:
        raise TemplateNotFound()
    return t


async def get_by_code(session: AsyncSession, code: str, version: int | None) -> IndicatorTemplate:
    repo = TemplateRepository(session)
    t = await (repo.latest(code) if version is None else repo.by_version(code, version))
    if t is None:
        raise TemplateNotFound()
    return t


async def default_in_force(
    session: AsyncSession, book: RuleBook[Any], division: str, on: date, kind: str
) -> IndicatorTemplate:
    """The built-in template of `kind` that the rules in force for `division` on `on` name
    (`indicator_templates`, marked default): a dated change of the rules switches it."""
    chosen = builtin.default_in_force(book.at(division, on), kind)
    t = await TemplateRepository(session).get(builtin.builtin_id(chosen.code, chosen.version))
    if t is None:
        raise BuiltinNotSeeded(template=chosen.code, version=chosen.version)
    return t


def latest() -> Select[Any]:
    """Every template's newest version (built-ins included), for the list."""
    return TemplateRepository.newest_versions()


def bands(t: IndicatorTemplate) -> list[rules.GradeBand]:
    """The template's grade bands, as the scoring rules take them."""
    return [
        rules.GradeBand(b["code"], b["label"], Decimal(b["min_score"]), b["passed"]) for b in t.grade_bands
    ]


def party_indicators(t: IndicatorTemplate, party: dict[str, Any]) -> list[dict[str, Any]]:
    """The indicators a round party scores: those of its dimensions (all if it names none)."""
    wanted = party.get("dimensions")
    return [i for d in t.dimensions if wanted is None or d["key"] in wanted for i in d["indicators"]]
