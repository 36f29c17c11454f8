"""Review experts (评审专家) in pools per jurisdiction, and each project round's draw from them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from jiuzhu_procurement.db import Base


class Expert(Base):
    __tablename__ = "expert"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # The pool's jurisdiction: a project draws from every pool covering its division.
    pool_division: Mapped[str] = mapped_column(String(12), index=True)
    name: Mapped[str] = mapped_column(String(50))  # personal data (个人信息保护法 28)
    fields: Mapped[list[str]] = mapped_column(JSONB)
    organisation: Mapped[str] = mapped_column(String(200))
    organisation_uscc: Mapped[str | None] = mapped_column(String(18), nullable=True)
    # Declared ties (财库〔2016〕198号 16): [{"uscc" | "division_code": …, "note": …}]
    conflicts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    active: Mapped[bool] = mapped_column(default=True)
    registered_by: Mapped[str] = mapped_column(String(256))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ExpertDraw(Base):
    """One round's draw: committed before the bid deadline, drawn after bids close (expert/draw.py)."""

    __tablename__ = "expert_draw"
    __table_args__ = (UniqueConstraint("project_id", "round"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    division_code: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(16))  # committed | drawn
    algorithm: Mapped[str] = mapped_column(String(40))
    purchaser_commitment: Mapped[str] = mapped_column(String(64))
    # Secret until the draw: never in a response or an audit event before `status` is drawn.
    service_seed: Mapped[str] = mapped_column(String(64))
    service_commitment: Mapped[str] = mapped_column(String(64))
    panel_size: Mapped[int] = mapped_column(Integer)
    representatives: Mapped[int] = mapped_column(Integer)
    experts: Mapped[int] = mapped_column(Integer)
    fields: Mapped[list[str]] = mapped_column(JSONB)
    rule: Mapped[dict[str, Any]] = mapped_column(JSONB)  # minimum, odd, expert_share, citation
    pool: Mapped[list[str]] = mapped_column(JSONB)  # sorted expert ids, frozen at the commitment
    pool_hash: Mapped[str] = mapped_column(String(64))
    committed_by: Mapped[str] = mapped_column(String(256))
    committed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    purchaser_seed: Mapped[str | None] = mapped_column(String(128), nullable=True)
    exclusions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB, nullable=True)
    eligible: Mapped[list[str] | None] = mapped_column(JSONB, nullable=True)
    ranking: Mapped[list[str] | None] = mapped_column(JSONB, nullable=True)
    panel: Mapped[list[str] | None] = mapped_column(JSONB, nullable=True)
    drawn_by: Mapped[str | None] = mapped_column(String(256), nullable=True)
    drawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


# List sorts and filters (records issue; migration 0009_list_indexes).
Index("ix_expert_pool_created_id", Expert.pool_division, Expert.created_at, Expert.id)
