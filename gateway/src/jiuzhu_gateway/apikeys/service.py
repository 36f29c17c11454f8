"""API-key rules: only an admin issues keys, within their own jurisdiction; keys never carry the
admin role; the secret is shown once and only its hash kept; revocation is final and audited."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_gateway.apikeys.models import ApiKey
from jiuzhu_gateway.apikeys.policy import POLICY
from jiuzhu_gateway.apikeys.policy import ApiKeyNotFound as ApiKeyNotFound  # the service's refusal too
from jiuzhu_gateway.apikeys.repository import ApiKeyRepository
from jiuzhu_gateway.apikeys.schemas import ApiKeyIn, ApiKeyOut
from jiuzhu_gateway.credentials import KEY_PREFIX, REVOKED_CHANNEL, hash_secret
from jiuzhu_kit import divisions
from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import Principal, Role
from jiuzhu_kit.errors import BadRequest, Conflict

AGGREGATE = "api_key"


class ApiKeyAdminRole(BadRequest):
    code = "API_KEY_ADMIN_ROLE"
    zh = "API 密钥不能授予管理员角色"
    en = "An API key cannot hold the admin role"


class ApiKeyExpiryPast(BadRequest):
    code = "API_KEY_EXPIRY_PAST"
    zh = "到期时间必须晚于当前时间"
    en = "The expiry must be in the future"


class ApiKeyAlreadyRevoked(Conflict):
    code = "API_KEY_ALREADY_REVOKED"
    zh = "该 API 密钥已吊销"
    en = "The API key is already revoked"


def _snapshot(key: ApiKey) -> dict[str, object]:
    return ApiKeyOut.model_validate(key).model_dump(mode="json", exclude={"last_used_at"})


async def create(
    session: AsyncSession, audit: AuditLog, principal: Principal, data: ApiKeyIn
) -> tuple[ApiKey, str]:
    principal.ensure_covers(data.division_code)
    if Role.ADMIN in data.roles:
        raise ApiKeyAdminRole()
    if data.expires_at is not None and data.expires_at <= datetime.now(UTC):
        raise ApiKeyExpiryPast()
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = await ApiKeyRepository(session).add(
        ApiKey(
            key_id=key_id,
            secret_hash=hash_secret(secret),
            name=data.name,
            roles=sorted({r.value for r in data.roles}),
            division=data.division_code,
            org=data.org,
            created_by=principal.sub,
            expires_at=data.expires_at,
        )
    )
    await audit.append(
        session,
        aggregate_type=AGGREGATE,
        aggregate_id=key.id,
        action="api_key.created",
        actor=principal,
        data=_snapshot(key),
        jurisdiction=key.division,
    )
    return key, f"{KEY_PREFIX}{key_id}_{secret}"


async def get(session: AsyncSession, principal: Principal, key_uuid: uuid.UUID) -> ApiKey:
    """The key if `principal` may read it (apikeys/policy.py), else its refusal."""
    return POLICY.check(principal, await ApiKeyRepository(session).get(key_uuid))


async def list_keys(session: AsyncSession, principal: Principal, include_revoked: bool) -> list[ApiKey]:
    return await ApiKeyRepository(session).list(divisions.prefix(principal.division), include_revoked)


async def revoke(
    session: AsyncSession, audit: AuditLog, principal: Principal, key_uuid: uuid.UUID, reason: str
) -> ApiKey:
    key = await ApiKeyRepository(session).get(key_uuid, for_update=True)
    if key is None or not principal.covers(key.division):
        raise ApiKeyNotFound()
    if key.revoked_at is not None:
        raise ApiKeyAlreadyRevoked()
    before = _snapshot(key)
    key.revoked_at = datetime.now(UTC)
    key.revoked_by = principal.sub
    await session.flush()
    await audit.append(
        session,
        aggregate_type=AGGREGATE,
        aggregate_id=key.id,
        action="api_key.revoked",
        actor=principal,
        data=_snapshot(key),
        before=before,
        reason=reason,
        jurisdiction=key.division,
    )
    # Every gateway's listener drops the key when this transaction commits (revocations.py).
    await session.execute(
        text("SELECT pg_notify(:channel, :key_id)"), {"channel": REVOKED_CHANNEL, "key_id": key.key_id}
    )
    return key
