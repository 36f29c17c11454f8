"""Admin API for API keys: /api/gateway/api-keys (admin role, within the admin's jurisdiction)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from jiuzhu_gateway.apikeys import service
from jiuzhu_gateway.apikeys.policy import POLICY
from jiuzhu_gateway.apikeys.repository import ApiKeyRepository
from jiuzhu_gateway.apikeys.schemas import ApiKeyCreated, ApiKeyIn, ApiKeyOut, ApiKeyRevoke
from jiuzhu_kit.audit_api import AuditEventOut, history_of
from jiuzhu_kit.auth import JurisdictionForbidden, Principal, Role, require_roles
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import responses

router = APIRouter(prefix="/api/gateway/api-keys", tags=["gateway · api keys"])

Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]


@router.post(
    "",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    responses=responses(JurisdictionForbidden, service.ApiKeyAdminRole, service.ApiKeyExpiryPast),
)
async def create_api_key(
    request: Request, session: SessionDep, principal: Admin, body: ApiKeyIn
) -> ApiKeyCreated:
    """Issue a key for a system integration. The full key is in this response only."""
    key, presented = await service.create(session, request.app.state.audit, principal, body)
    return ApiKeyCreated(**ApiKeyOut.model_validate(key).model_dump(), key=presented)


@router.get("", response_model=list[ApiKeyOut])
async def list_api_keys(
    session: SessionDep,
    principal: Admin,
    include_revoked: Annotated[bool, Query()] = False,
) -> list[ApiKeyOut]:
    """Keys in your jurisdiction, with their last use (never their secrets)."""
    return [ApiKeyOut.model_validate(k) for k in await service.list_keys(session, principal, include_revoked)]


@router.get("/{key_uuid}", response_model=ApiKeyOut, responses=responses(service.ApiKeyNotFound))
async def get_api_key(session: SessionDep, principal: Admin, key_uuid: uuid.UUID) -> ApiKeyOut:
    """One API key in your jurisdiction, with its last use (never its secret)."""
    return ApiKeyOut.model_validate(await service.get(session, principal, key_uuid))


@router.post(
    "/{key_uuid}/revoke",
    response_model=ApiKeyOut,
    responses=responses(service.ApiKeyNotFound, service.ApiKeyAlreadyRevoked),
)
async def revoke_api_key(
    request: Request, session: SessionDep, principal: Admin, key_uuid: uuid.UUID, body: ApiKeyRevoke
) -> ApiKeyOut:
    """Revoke a key at once (this gateway process immediately; others within their key cache time)."""
    key = await service.revoke(session, request.app.state.audit, principal, key_uuid, body.reason)
    request.app.state.authenticator.forget(key.key_id)
    return ApiKeyOut.model_validate(key)


@router.get(
    "/{key_uuid}/events", response_model=list[AuditEventOut], responses=responses(service.ApiKeyNotFound)
)
async def api_key_events(
    request: Request, session: SessionDep, principal: Admin, key_uuid: uuid.UUID
) -> list[AuditEventOut]:
    """The key's audit history: creation and revocation, by whom and why."""
    row = await ApiKeyRepository(session).get(key_uuid)
    return await history_of(request, session, POLICY, principal, row, key_uuid)
