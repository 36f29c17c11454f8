"""All survey SQL. Code use and answer intake are set-based: one statement per step, any batch size."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_evaluation.survey.models import Survey, SurveyCode

_USE_CODES = text(
    """
    UPDATE evaluation.survey_code SET used = true
    WHERE survey_id = :sid AND code_hash = ANY(:hashes) AND NOT used
    RETURNING code_hash
    """
)
_NEW_RESPONSES = text(
    """
    INSERT INTO evaluation.survey_response (survey_id, submitted_on, channel)
    SELECT :sid, :day, :channel FROM generate_series(1, :n)
    RETURNING id
    """
)
_NEW_ANSWERS = text(
    """
    INSERT INTO evaluation.survey_answer (response_id, survey_id, question, value)
    SELECT r, :sid, q, v FROM unnest(CAST(:rids AS bigint[]), CAST(:qs AS smallint[]), CAST(:vs AS smallint[]))
        AS t(r, q, v)
    """
)


class SurveyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, survey: Survey) -> Survey:
        self.session.add(survey)
        await self.session.flush()
        return survey

    async def get(self, survey_id: uuid.UUID) -> Survey | None:
        return await self.session.get(Survey, survey_id)

    async def by_contract_period(
        self, contract_id: uuid.UUID, period: str, *, lock: bool = False
    ) -> Survey | None:
        q = select(Survey).where(Survey.contract_id == contract_id, Survey.period == period)
        if lock:  # taking the recipients' score from it: no answer may slip in meanwhile
            q = q.with_for_update().execution_options(populate_existing=True)
        return (await self.session.execute(q)).scalar_one_or_none()

    async def status_for_intake(self, survey_id: uuid.UUID) -> str | None:
        """The survey's committed status, held (FOR SHARE) until this intake commits: answers go
        on in parallel, but wait for (and then see) a close by a round taking its score."""
        q = select(Survey.status).where(Survey.id == survey_id).with_for_update(read=True)
        return (await self.session.execute(q)).scalar_one_or_none()

    async def code_exists(self, survey_id: uuid.UUID, code_hash: bytes) -> bool:
        """Whether the code was issued for this survey (used or not)."""
        q = select(SurveyCode.used).where(
            SurveyCode.survey_id == survey_id, SurveyCode.code_hash == code_hash
        )
        return (await self.session.execute(q)).scalar_one_or_none() is not None

    async def add_codes(self, survey_id: uuid.UUID, hashes: list[bytes]) -> None:
        await self.session.execute(
            insert(SurveyCode).on_conflict_do_nothing(),
            [{"survey_id": survey_id, "code_hash": h} for h in hashes],
        )

    async def use_codes(self, survey_id: uuid.UUID, hashes: list[bytes]) -> set[bytes]:
        """Mark unused codes used; returns those this call won. A concurrent call for the same code
        waits on the row lock, then sees `used` and does not win it (one answer per code)."""
        rows = await self.session.execute(_USE_CODES, {"sid": survey_id, "hashes": hashes})
        return {bytes(r[0]) for r in rows}

    async def add_responses(
        self, survey_id: uuid.UUID, day: date, channel: str, answers: list[list[tuple[int, int]]]
    ) -> None:
        if not answers:
            return
        ids = [
            r[0]
            for r in await self.session.execute(
                _NEW_RESPONSES, {"sid": survey_id, "day": day, "channel": channel, "n": len(answers)}
            )
        ]
        rids: list[int] = []
        qs: list[int] = []
        vs: list[int] = []
        for rid, items in zip(ids, answers, strict=True):
            for q, v in items:
                rids.append(rid)
                qs.append(q)
                vs.append(v)
        await self.session.execute(_NEW_ANSWERS, {"sid": survey_id, "rids": rids, "qs": qs, "vs": vs})

    async def open_survey_ids(self) -> list[uuid.UUID]:
        return list((await self.session.execute(select(Survey.id).where(Survey.status == "open"))).scalars())

    async def find_code(self, candidates: dict[bytes, uuid.UUID]) -> tuple[uuid.UUID, bool] | None:
        """Which of the candidate (hash → survey) pairs was issued, and whether it is used."""
        if not candidates:
            return None
        q = select(SurveyCode.code_hash, SurveyCode.survey_id, SurveyCode.used).where(
            SurveyCode.code_hash.in_(list(candidates))
        )
        for h, sid, used in (await self.session.execute(q)).all():
            if candidates.get(bytes(h)) == sid:
                return sid, bool(used)
        return None
