"""`/rules/local-packs…`: submit, review and read local rule packs (rules/local.py).

Mount this router before `rules_router`: its paths would otherwise be read as a pack id."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, ConfigDict, Field

from jiuzhu_kit.audit_api import AuditEventOut, history_of
from jiuzhu_kit.auth import JurisdictionForbidden, Principal, Role, RoleForbidden, require_roles
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses
from jiuzhu_kit.rules.local import (
    POLICY,
    LocalPackExists,
    LocalPackInvalid,
    LocalPackNotFound,
    LocalPacks,
    LocalPackWrongState,
    ReviewerIsSubmitter,
)

Submitter = Annotated[Principal, Depends(require_roles(Role.BUREAU))]
Reader = Annotated[Principal, Depends(require_roles(Role.BUREAU, Role.FINANCE, Role.AUDITOR))]


class LocalPackIn(BaseModel):
    """地方规则包 A local rule pack submitted by a bureau."""

    model_config = ConfigDict(extra="forbid")

    pack: dict[str, Any] = Field(description="the pack, in the same format as the rule-pack files")


class LocalPackDecisionIn(BaseModel):
    """地方规则包审批 The decision on a local rule pack."""

    model_config = ConfigDict(extra="forbid")

    to: Literal["published", "withdrawn"]
    reason: str | None = Field(default=None, max_length=2000)


class LocalPackOut(BaseModel):
    """地方规则包 A local rule pack and its state."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    pack_id: str
    version: int
    jurisdiction: str
    status: str
    body: dict[str, Any]
    submitted_by: str
    submitted_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None


def local_packs_router(local_of: Callable[[Request], LocalPacks]) -> APIRouter:
    router = APIRouter(prefix="/rules/local-packs", tags=["rules"])

    async def rebuild(request: Request, session: Any) -> None:
        request.app.state.rules = await local_of(request).build(session)

    @router.post(
        "",
        response_model=LocalPackOut,
        status_code=status.HTTP_201_CREATED,
        responses=responses(LocalPackInvalid, LocalPackExists, JurisdictionForbidden, RoleForbidden),
    )
    async def submit_local_pack(
        request: Request, session: SessionDep, principal: Submitter, body: LocalPackIn
    ) -> LocalPackOut:
        """A bureau submits its own rules (e.g. a county's guidance catalogue per level, seed 004 四(二))
        as a draft: validated against the format, what its level may set, and the packs in force."""
        row = await local_of(request).submit(session, principal, body.pack)
        return LocalPackOut.model_validate(row)

    @router.get("", response_model=list[LocalPackOut], responses=responses(RoleForbidden))
    async def list_local_packs(
        request: Request, session: SessionDep, principal: Reader
    ) -> list[LocalPackOut]:
        """Local packs in your jurisdiction, newest first (drafts included)."""
        return [LocalPackOut.model_validate(r) for r in await local_of(request).list(session, principal)]

    @router.get(
        "/{pack_uuid}", response_model=LocalPackOut, responses=responses(LocalPackNotFound, RoleForbidden)
    )
    async def get_local_pack(
        request: Request, session: SessionDep, principal: Reader, pack_uuid: uuid.UUID
    ) -> LocalPackOut:
        """One local rule pack (地方规则包) record: its content, status and who decided it."""
        return LocalPackOut.model_validate(
            POLICY.check(principal, await local_of(request).get(session, pack_uuid))
        )

    @router.post(
        "/{pack_uuid}/transitions",
        response_model=LocalPackOut,
        responses=responses(
            LocalPackNotFound, LocalPackWrongState, ReviewerIsSubmitter, LocalPackInvalid, RoleForbidden
        ),
    )
    async def decide_local_pack(
        request: Request,
        session: SessionDep,
        principal: Submitter,
        pack_uuid: uuid.UUID,
        body: LocalPackDecisionIn,
    ) -> LocalPackOut:
        """Review: `published` puts the pack in force (from its `effective_from`) without a restart;
        `withdrawn` takes it out. The reviewer is not the submitter."""
        row = await local_of(request).decide(session, principal, pack_uuid, body.to, body.reason)
        await rebuild(request, session)
        return LocalPackOut.model_validate(row)

    @router.get(
        "/{pack_uuid}/events",
        response_model=list[AuditEventOut],
        responses=responses(LocalPackNotFound, RoleForbidden),
    )
    async def local_pack_events(
        request: Request, session: SessionDep, principal: Reader, pack_uuid: uuid.UUID
    ) -> list[AuditEventOut]:
        """Every audit event of this local rule pack (drafted, published, withdrawn)."""
        row = await local_of(request).get(session, pack_uuid)
        return await history_of(request, session, POLICY, principal, row, pack_uuid)

    return router
