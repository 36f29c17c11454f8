from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_evaluation.round.models import Appeal, EvaluationRound, PartyScore


class RoundRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, obj: EvaluationRound | PartyScore | Appeal) -> None:
        self.session.add(obj)
        await self.session.flush()

    async def get(self, round_id: uuid.UUID, *, lock: bool = False) -> EvaluationRound | None:
        q = select(EvaluationRound).where(EvaluationRound.id == round_id)
        if lock:
            q = q.with_for_update()
        return (await self.session.execute(q)).scalar_one_or_none()

    async def by_contract_period(self, contract_id: uuid.UUID, period: str) -> EvaluationRound | None:
        q = select(EvaluationRound).where(
            EvaluationRound.contract_id == contract_id, EvaluationRound.period == period
        )
        return (await self.session.execute(q)).scalar_one_or_none()

    async def sheets(self, round_id: uuid.UUID) -> list[PartyScore]:
        q = select(PartyScore).where(PartyScore.round_id == round_id).order_by(PartyScore.party)
        return list((await self.session.execute(q)).scalars())

    async def sheets_of(self, round_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[PartyScore]]:
        """Every listed round's score sheets in one query (a list page must not query per round)."""
        out: dict[uuid.UUID, list[PartyScore]] = {rid: [] for rid in round_ids}
        if round_ids:
            q = select(PartyScore).where(PartyScore.round_id.in_(round_ids)).order_by(PartyScore.party)
            for sheet in (await self.session.execute(q)).scalars():
                out[sheet.round_id].append(sheet)
        return out

    async def sheet(self, round_id: uuid.UUID, party: str) -> PartyScore | None:
        q = select(PartyScore).where(PartyScore.round_id == round_id, PartyScore.party == party)
        return (await self.session.execute(q)).scalar_one_or_none()

    async def drop_sheets(self, round_id: uuid.UUID, parties: list[str]) -> None:
        await self.session.execute(
            delete(PartyScore).where(PartyScore.round_id == round_id, PartyScore.party.in_(parties))
        )

    async def appeals(self, round_id: uuid.UUID) -> list[Appeal]:
        q = select(Appeal).where(Appeal.round_id == round_id).order_by(Appeal.filed_at, Appeal.id)
        return list((await self.session.execute(q)).scalars())

    async def appeal(self, round_id: uuid.UUID, appeal_id: uuid.UUID) -> Appeal | None:
        q = select(Appeal).where(Appeal.round_id == round_id, Appeal.id == appeal_id).with_for_update()
        return (await self.session.execute(q)).scalar_one_or_none()

    async def published_for_contractor(self, uscc: str) -> list[EvaluationRound]:
        q = (
            select(EvaluationRound)
            .where(EvaluationRound.contractor_uscc == uscc, EvaluationRound.published_at.is_not(None))
            .where(EvaluationRound.total.is_not(None))
            .order_by(EvaluationRound.published_at, EvaluationRound.id)
        )
        return list((await self.session.execute(q)).scalars())
