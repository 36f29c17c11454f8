from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_staffing.scenario.models import Scenario


class ScenarioRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, scenario: Scenario) -> Scenario:
        self.session.add(scenario)
        await self.session.flush()
        return scenario

    async def get(self, scenario_id: uuid.UUID) -> Scenario | None:
        return (
            await self.session.execute(select(Scenario).where(Scenario.id == scenario_id))
        ).scalar_one_or_none()

    async def snapshot(self, scenario_id: uuid.UUID) -> dict[str, Any] | None:
        return (
            await self.session.execute(select(Scenario.pack_snapshot).where(Scenario.id == scenario_id))
        ).scalar_one_or_none()

    async def search(
        self, division_prefix: str, kind: str | None, limit: int, offset: int
    ) -> tuple[list[Scenario], int]:
        """Scenarios in a jurisdiction's subtree, newest first, with the total for paging."""
        where = [Scenario.division_code.startswith(division_prefix, autoescape=True)]
        if kind:
            where.append(Scenario.kind == kind)
        total = (
            await self.session.execute(select(func.count()).select_from(Scenario).where(*where))
        ).scalar_one()
        rows = await self.session.execute(
            select(Scenario)
            .where(*where)
            .order_by(Scenario.created_at.desc(), Scenario.id)
            .limit(limit)
            .offset(offset)
        )
        return list(rows.scalars()), int(total)
