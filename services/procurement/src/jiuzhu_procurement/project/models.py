"""Projects (采购项目) and their bids; their challenges (质疑) are challenge/models.py."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
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


class Project(Base):
    __tablename__ = "project"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("purchase_plan.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    title: Mapped[str] = mapped_column(String(200))
    purchase_form: Mapped[str] = mapped_column(String(32))
    items: Mapped[list[str]] = mapped_column(JSONB)
    quantity: Mapped[str | None] = mapped_column(String(200), nullable=True)
    budget: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    funding_source: Mapped[str] = mapped_column(String(40))
    declared_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(32), index=True)
    method: Mapped[str | None] = mapped_column(String(32), nullable=True)
    method_details: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    scoring_params: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    scoring: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    approved_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    announced_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    awarded_bid_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    awarded_uscc: Mapped[str | None] = mapped_column(String(18), nullable=True)
    awarded_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    awarded_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    challenge_deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The legal clock (project/periods.py): the period from the documents to the response deadline,
    # a finance suspension while a complaint is handled, and what is due after the award.
    documents_issued_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    response_deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    suspended_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    deadlines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default="[]")
    contract_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    replaces_project_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(
        JSONB, nullable=True
    )  # failure / termination / takeover
    # The opening record of the current round (开标记录, 财政部令第87号 41): who bid, prices read out.
    opening: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    created_by: Mapped[str] = mapped_column(String(256))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Bid(Base):
    """A bid. Until the opening it is sealed: `sealed` holds the envelope (project/sealing.py) and the
    columns that would tell who bid or at what price (contractor_id, uscc, contractor_name, price,
    small_enterprise, proposal) are NULL; the opening fills them and drops the envelope. A withdrawn
    bid is never opened: it keeps its envelope."""

    __tablename__ = "bid"
    __table_args__ = (
        UniqueConstraint("project_id", "round", "uscc"),
        # One live bid per bidder and round, while the bidder's code is sealed too.
        Index(
            "uq_bid_live_bidder",
            "project_id",
            "round",
            "bidder_tag",
            unique=True,
            postgresql_where=text("withdrawn_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    contractor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contractor.id"), nullable=True)
    uscc: Mapped[str | None] = mapped_column(String(18), nullable=True)
    contractor_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    small_enterprise: Mapped[bool | None] = mapped_column(nullable=True)
    proposal: Mapped[str | None] = mapped_column(Text, nullable=True)
    qualified: Mapped[bool | None] = mapped_column(nullable=True)
    qualification_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    explanation: Mapped[str | None] = mapped_column(Text, nullable=True)
    explanation_accepted: Mapped[bool | None] = mapped_column(nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    bidder_tag: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    commitment: Mapped[str | None] = mapped_column(String(64), nullable=True)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class BidKey(Base):
    """A project's sealed-bid data key, wrapped by the service master key `key_id` names."""

    __tablename__ = "bid_key"

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.id"), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16))
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# List sorts and filters (records issue; migration 0009_list_indexes).
Index("ix_project_created_id", Project.created_at, Project.id)
Index(
    "ix_project_division_pattern",
    Project.division_code,
    postgresql_ops={"division_code": "varchar_pattern_ops"},
)
Index("ix_project_awarded_uscc", Project.awarded_uscc)
Index("ix_bid_submitted_id", Bid.submitted_at, Bid.id)
