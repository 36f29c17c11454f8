from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_gateway.apikeys.models import ApiKey


class ApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, key: ApiKey) -> ApiKey:
        self.session.add(key)
        await self.session.flush()
        await self.session.refresh(key)
        return key

    async def get(self, key_uuid: uuid.UUID, *, for_update: bool = False) -> ApiKey | None:
        stmt = select(ApiKey).where(ApiKey.id == key_uuid)
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def list(self, division_prefix: str, include_revoked: bool) -> list[ApiKey]:
        stmt = select(ApiKey).where(ApiKey.division.startswith(division_prefix, autoescape=True))
        if not include_revoked:
            stmt = stmt.where(ApiKey.revoked_at.is_(None))
        return list((await self.session.execute(stmt.order_by(ApiKey.created_at, ApiKey.id))).scalars())
