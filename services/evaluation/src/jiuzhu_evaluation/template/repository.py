from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_evaluation.template.models import IndicatorTemplate


class TemplateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, template: IndicatorTemplate) -> IndicatorTemplate:
        self.session.add(template)
        await self.session.flush()
        return template

    async def get(self, template_id: uuid.UUID) -> IndicatorTemplate | None:
        return await self.session.get(IndicatorTemplate, template_id)

    async def latest(self, code: str, *, lock: bool = False) -> IndicatorTemplate | None:
        q = (
            select(IndicatorTemplate)
            .where(IndicatorTemplate.code == code)
            .order_by(IndicatorTemplate.version.desc())
            .limit(1)
        )
        if lock:
            q = q.with_for_update()
        return (await self.session.execute(q)).scalar_one_or_none()

    async def by_version(self, code: str, version: int) -> IndicatorTemplate | None:
        q = select(IndicatorTemplate).where(
            IndicatorTemplate.code == code, IndicatorTemplate.version == version
        )
        return (await self.session.execute(q)).scalar_one_or_none()

    @staticmethod
    def newest_versions() -> Select[Any]:
        """Every template's newest version."""
        newest = (
            select(IndicatorTemplate.code, func.max(IndicatorTemplate.version).label("v"))
            .group_by(IndicatorTemplate.code)
            .subquery()
        )
        q = select(IndicatorTemplate).join(
            newest, (IndicatorTemplate.code == newest.c.code) & (IndicatorTemplate.version == newest.c.v)
        )
        return q
