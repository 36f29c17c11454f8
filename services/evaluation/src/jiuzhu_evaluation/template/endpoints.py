from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status

from jiuzhu_evaluation.template import service
from jiuzhu_evaluation.template.models import IndicatorTemplate
from jiuzhu_evaluation.template.policy import POLICY
from jiuzhu_evaluation.template.repository import TemplateRepository
from jiuzhu_evaluation.template.schemas import TemplateBody, TemplateIn, TemplateOut
from jiuzhu_kit.audit_api import AuditEventOut, VerifyOut, history_of, verify_of
from jiuzhu_kit.auth import Principal, PrincipalDep, Role, require_roles
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses
from jiuzhu_kit.ids import DivisionCode
from jiuzhu_kit.listing import TextFilter, equal, in_division, matching
from jiuzhu_kit.pagination import CursorInvalid, CursorPage, CursorParams, cursor_page, cursor_params, keyset
from jiuzhu_kit.rules.book import NoPackInForce, RuleNotInForce, book_of

router = APIRouter(prefix="/templates", tags=["templates"])  # any authenticated reader: not confidential

Writer = Annotated[Principal, Depends(require_roles(Role.BUREAU))]


@router.get("", response_model=CursorPage[TemplateOut], responses=responses(CursorInvalid))
async def list_templates(
    session: SessionDep,
    principal: PrincipalDep,
    page: Annotated[CursorParams, Depends(cursor_params)],
    kind: Literal["project", "staff"] | None = None,
    q: TextFilter = None,
    division_code: Annotated[DivisionCode | None, Query(description="本地模板的所属区划（含下级）")] = None,
    builtin: bool | None = None,
) -> CursorPage[TemplateOut]:
    """The newest version of every template (built-ins included), by code; readable by every token."""
    query = equal(
        equal(POLICY.narrow(principal, service.latest()), IndicatorTemplate.kind, kind),
        IndicatorTemplate.builtin,
        builtin,
    )
    query = in_division(
        matching(query, q, IndicatorTemplate.name, IndicatorTemplate.code),
        IndicatorTemplate.owner_division,
        division_code,
    )
    cols = (IndicatorTemplate.code, IndicatorTemplate.id)
    rows = (await session.execute(keyset(query, page, *cols, descending=False))).scalars().all()
    return cursor_page(rows, page, lambda t: (t.code, t.id), TemplateOut.model_validate)


@router.post(
    "",
    response_model=TemplateOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(service.TemplateCodeTaken, NoPackInForce, RuleNotInForce),
)
async def create_template(
    request: Request, session: SessionDep, principal: Writer, body: TemplateIn
) -> TemplateOut:
    """A new template (version 1). Sibling weights must sum to exactly 100 (Decimal); audited.
    Without `grade_bands`, the bands in force today for the author's jurisdiction (rule
    `grade_bands`, GET /rules/in-force) are written into it."""
    t = await service.create(session, request.app.state.audit, principal, book_of(request), body)
    return TemplateOut.model_validate(t)


@router.post(
    "/by-code/{code}/versions",
    response_model=TemplateOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(service.TemplateNotFound, service.TemplateNotOwned, NoPackInForce, RuleNotInForce),
)
async def version_template(
    request: Request, session: SessionDep, principal: Writer, code: str, body: TemplateBody
) -> TemplateOut:
    """A new version of a template; earlier versions stay as they were (results keep theirs).
    Without `grade_bands`, the bands in force today for the template's jurisdiction."""
    t = await service.new_version(session, request.app.state.audit, principal, book_of(request), code, body)
    return TemplateOut.model_validate(t)


@router.get("/by-code/{code}", response_model=TemplateOut, responses=responses(service.TemplateNotFound))
async def template_by_code(
    session: SessionDep,
    principal: PrincipalDep,
    code: str,
    version: Annotated[int | None, Query(ge=1)] = None,
) -> TemplateOut:
    """The latest version of an indicator template, found by its code."""
    return TemplateOut.model_validate(await service.get_by_code(session, code, version))


@router.get(
    "/by-code/{code}/events",
    response_model=list[AuditEventOut],
    responses=responses(service.TemplateNotFound),
)
async def template_events(
    request: Request, session: SessionDep, principal: PrincipalDep, code: str
) -> list[AuditEventOut]:
    """Every audit event of the template with this code (who, when, what changed)."""
    row = await TemplateRepository(session).latest(code)
    return await history_of(request, session, POLICY, principal, row, code)


@router.get(
    "/by-code/{code}/events/verify",
    response_model=VerifyOut,
    responses=responses(service.TemplateNotFound),
)
async def verify_template_events(
    request: Request, session: SessionDep, principal: PrincipalDep, code: str
) -> VerifyOut:
    """Recompute the template's hash chain (every version of the code)."""
    row = await TemplateRepository(session).latest(code)
    return await verify_of(request, session, POLICY, principal, row, code)


@router.get("/{template_id}", response_model=TemplateOut, responses=responses(service.TemplateNotFound))
async def get_template(session: SessionDep, principal: PrincipalDep, template_id: uuid.UUID) -> TemplateOut:
    """One version of an indicator template: dimensions, indicators, weights and grade bands."""
    return TemplateOut.model_validate(await service.get(session, template_id))
