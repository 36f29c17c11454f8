"""Evaluation rounds (one per contract and period), the parties' score sheets, and appeals."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from jiuzhu_evaluation.db import Base


class RoundStatus(StrEnum):
    """评价轮次状态 The states of an evaluation round."""

    OPEN = "open"  # parties are scoring
    CLOSED = "closed"  # every required party is in; result computed; immutable
    PUBLISHED = "published"  # 公示; the appeal window runs
    APPEALED = "appealed"  # the contractor appealed; review pending


# The only legal moves (anything else is refused). An upheld appeal reopens scoring (new revision).
TRANSITIONS: dict[RoundStatus, frozenset[RoundStatus]] = {
    RoundStatus.OPEN: frozenset({RoundStatus.CLOSED}),
    RoundStatus.CLOSED: frozenset({RoundStatus.PUBLISHED}),
    RoundStatus.PUBLISHED: frozenset({RoundStatus.APPEALED}),
    RoundStatus.APPEALED: frozenset({RoundStatus.PUBLISHED, RoundStatus.OPEN}),
}


class EvaluationRound(Base):
    __tablename__ = "evaluation_round"
    __table_args__ = (UniqueConstraint("contract_id", "period"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    contract_id: Mapped[uuid.UUID] = mapped_column(index=True)
    period_kind: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(16))
    contractor_uscc: Mapped[str] = mapped_column(String(18), index=True)
    purchaser_division: Mapped[str] = mapped_column(String(12), index=True)
    template_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("indicator_template.id"))
    template_code: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[int] = mapped_column(Integer)
    parties: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    # matched | not_found | unavailable | skipped: what procurement said when the round opened
    contract_check: Mapped[str] = mapped_column(String(16), server_default="skipped")
    status: Mapped[str] = mapped_column(String(16), default=RoundStatus.OPEN.value)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    appeal_working_days: Mapped[int] = mapped_column(Integer)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    previous_results: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    total: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), nullable=True)
    grade: Mapped[str | None] = mapped_column(String(20), nullable=True)
    passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    appeal_deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    opened_by: Mapped[str] = mapped_column(String(256))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class PartyScore(Base):
    """One party's score sheet for one revision of a round (replaced while the round is open)."""

    __tablename__ = "party_score"
    __table_args__ = (UniqueConstraint("round_id", "party"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    round_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evaluation_round.id", ondelete="CASCADE"))
    party: Mapped[str] = mapped_column(String(32))
    revision: Mapped[int] = mapped_column(Integer)
    values: Mapped[dict[str, str]] = mapped_column(JSONB)
    scores: Mapped[dict[str, str]] = mapped_column(JSONB)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    submitted_by: Mapped[str] = mapped_column(String(256))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Appeal(Base):
    __tablename__ = "round_appeal"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    round_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("evaluation_round.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    contractor_uscc: Mapped[str] = mapped_column(String(18))
    reason: Mapped[str] = mapped_column(Text)
    filed_by: Mapped[str] = mapped_column(String(256))
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | dismissed | upheld
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(256), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


# List sorts and filters (records issue; migration 0004_list_indexes).
Index("ix_evaluation_round_opened_id", EvaluationRound.opened_at, EvaluationRound.id)
