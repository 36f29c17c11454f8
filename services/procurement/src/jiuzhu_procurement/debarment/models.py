"""Debarment cases (禁止参加政府采购 / 不良行为记录) against a registered contractor."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from jiuzhu_procurement.db import Base


class Debarment(Base):
    __tablename__ = "debarment"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    contractor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contractor.id"), index=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    # The reporting authority's division: who may act on the case. The effect is nationwide.
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    grounds: Mapped[str] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(String(256))
    reported_on: Mapped[date] = mapped_column(Date)
    response_due_on: Mapped[date] = mapped_column(Date)
    response: Mapped[str | None] = mapped_column(Text, nullable=True)
    responded_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    decision: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(256), nullable=True)
    term_years: Mapped[int | None] = mapped_column(Integer, nullable=True)
    effective_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    effective_until: Mapped[date | None] = mapped_column(Date, nullable=True)  # last day, inclusive
    fine_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# List sorts and filters (records issue; migration 0009_list_indexes).
Index("ix_debarment_created_id", Debarment.created_at, Debarment.id)
