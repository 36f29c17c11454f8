"""Satisfaction surveys. Codes are stored only as keyed hashes and carry no person and no time;
responses carry no code and only the day: nothing links an answer to a recipient.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from jiuzhu_evaluation.db import Base


class Survey(Base):
    __tablename__ = "survey"
    __table_args__ = (UniqueConstraint("contract_id", "period"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    contract_id: Mapped[uuid.UUID] = mapped_column()
    period: Mapped[str] = mapped_column(String(16))
    contractor_uscc: Mapped[str] = mapped_column(String(18))
    purchaser_division: Mapped[str] = mapped_column(String(12), index=True)
    title: Mapped[str] = mapped_column(String(200))
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    points: Mapped[int] = mapped_column(SmallInteger)
    satisfied_min: Mapped[int] = mapped_column(SmallInteger)
    min_sample: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SurveyCode(Base):
    __tablename__ = "survey_code"

    survey_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("survey.id", ondelete="CASCADE"), primary_key=True
    )
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)


class SurveyResponse(Base):
    __tablename__ = "survey_response"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    survey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    submitted_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(16))


class SurveyAnswer(Base):
    __tablename__ = "survey_answer"

    response_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("survey_response.id", ondelete="CASCADE"), primary_key=True
    )
    question: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    survey_id: Mapped[uuid.UUID] = mapped_column(index=True)
    value: Mapped[int] = mapped_column(SmallInteger)


# List sorts and filters (records issue; migration 0004_list_indexes).
Index("ix_survey_created_id", Survey.created_at, Survey.id)
