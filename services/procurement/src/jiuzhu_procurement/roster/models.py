"""The roster (花名册): the workers a contract buys, and their training sessions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from jiuzhu_procurement.db import Base


class Worker(Base):
    """One person on a contract's roster. The ID number and the phone are stored only encrypted
    (roster/crypto.py); `id_number_index` is their blind index, unique per contract."""

    __tablename__ = "roster_worker"
    __table_args__ = (UniqueConstraint("contract_id", "id_number_index"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contract.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)  # the purchaser's (the contract's)
    contractor_uscc: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(50))
    id_number_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_index: Mapped[str] = mapped_column(String(64))
    phone_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    education: Mapped[str] = mapped_column(String(20))
    household_division: Mapped[str] = mapped_column(String(12))
    social_work_qualification: Mapped[str | None] = mapped_column(String(20), nullable=True)
    veteran: Mapped[bool] = mapped_column(Boolean, default=False)
    returning_graduate: Mapped[bool] = mapped_column(Boolean, default=False)
    unit_name: Mapped[str] = mapped_column(String(100))
    serves_division: Mapped[str] = mapped_column(String(12), index=True)  # the township or village served
    start_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    recruited_on: Mapped[date] = mapped_column(Date)
    dispatched_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    approved: Mapped[dict[str, str] | None] = mapped_column(JSONB, nullable=True)  # the bureau's: by, on
    # 不合格 in the year's assessment: the replacement due (seed 002 四(八); seed 000 四(三)).
    replacement_due: Mapped[dict[str, str] | None] = mapped_column(JSONB, nullable=True)
    replaces_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("roster_worker.id"), nullable=True)
    replaced_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("roster_worker.id"), nullable=True)
    replaced_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Training(Base):
    """One training session of a contract's workers (六(三); seed 000 三(三) induction)."""

    __tablename__ = "roster_training"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contract.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    contractor_uscc: Mapped[str] = mapped_column(String(18))
    on: Mapped[date] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    subject: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # induction | business
    organiser: Mapped[str] = mapped_column(String(200))
    attendees: Mapped[list[str]] = mapped_column(JSONB)  # worker ids
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
