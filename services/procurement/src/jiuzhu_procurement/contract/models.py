"""Contracts (购买服务合同) and their scheduled payments."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
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
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from jiuzhu_procurement.db import Base


class Contract(Base):
    __tablename__ = "contract"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)  # the purchaser's
    contractor_uscc: Mapped[str] = mapped_column(String(18), index=True)
    contractor_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)
    subject: Mapped[str] = mapped_column(Text)
    service_standards: Mapped[str] = mapped_column(Text)
    quantity: Mapped[str] = mapped_column(String(200))
    price: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    term_start: Mapped[date] = mapped_column(Date)
    term_end: Mapped[date] = mapped_column(Date)
    term_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    payment_method: Mapped[str] = mapped_column(Text)
    payment_schedule: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    # The money terms fixed at drafting: the contractor's small-enterprise flag as it was when the
    # contract was concluded, the agreed payment term after acceptance, and the grade scale (rules.py).
    payment_terms: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    grade_scale: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    breach_liability: Mapped[str] = mapped_column(Text)
    dispute_resolution: Mapped[str] = mapped_column(Text)
    parties: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    takeover_plan: Mapped[str] = mapped_column(Text)
    takeover: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    deadlines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    # The number of workers the contract buys (e.g. Lingwu's 13 verifiers): with it, the roster
    # meets the dispatch deadline by itself when that many are dispatched (roster/service.py).
    headcount: Mapped[int | None] = mapped_column(Integer, nullable=True)
    amendments: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    signed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ended_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Payment(Base):
    __tablename__ = "payment"
    __table_args__ = (UniqueConstraint("contract_id", "period"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    contract_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contract.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12))
    period: Mapped[str] = mapped_column(String(40))
    # What is paid: the scheduled amount until the release, then the amount released (scaled by the
    # grade, or set by a finance override); `scheduled_amount` keeps the contract's figure.
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    scheduled_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    # What releases it: on_signing (an agreed advance), acceptance (验收 recorded), evaluation (a
    # published round of the period); scale_by_grade only with evaluation.
    gate: Mapped[str] = mapped_column(String(16), server_default="evaluation")
    scale_by_grade: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    accepted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    acceptance: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)  # who, note, due basis
    released_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    basis: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)  # the gate's answer
    override: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)  # finance's, with reason
    version: Mapped[int] = mapped_column(Integer, default=1)


# List sorts and filters (records issue; migration 0009_list_indexes).
Index("ix_contract_created_id", Contract.created_at, Contract.id)
Index("ix_payment_due_id", Payment.due_on, Payment.id)
