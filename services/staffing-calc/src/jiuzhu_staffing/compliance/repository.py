from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_staffing.compliance.models import ComplianceReport


class ComplianceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, report: ComplianceReport) -> ComplianceReport:
        self.session.add(report)
        await self.session.flush()
        return report

    async def get(self, division: str, year: int, *, lock: bool = False) -> ComplianceReport | None:
        q = select(ComplianceReport).where(
            ComplianceReport.division_code == division, ComplianceReport.year == year
        )
        if lock:
            q = q.with_for_update()
        return (await self.session.execute(q)).scalar_one_or_none()

    async def under(self, prefix: str, year: int) -> list[ComplianceReport]:
        q = (
            select(ComplianceReport)
            .where(
                ComplianceReport.division_code.startswith(prefix, autoescape=True),
                ComplianceReport.year == year,
            )
            .order_by(ComplianceReport.division_code)
        )
        return list((await self.session.execute(q)).scalars())
