from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
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
