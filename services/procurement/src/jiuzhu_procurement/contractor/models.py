"""Contractors (承接主体); their debarment cases are debarment/models.py."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from jiuzhu_procurement.db import Base


class Contractor(Base):
    __tablename__ = "contractor"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    entity_type: Mapped[str] = mapped_column(String(40))
    registration_kind: Mapped[str] = mapped_column(String(80))
    # Registration division from the code (positions 3–8); the record is national.
    division_code: Mapped[str] = mapped_column(String(12))
    small_enterprise: Mapped[bool] = mapped_column(default=False)
    legal_representative: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    capacities: Mapped[dict[str, Any]] = mapped_column(JSONB)
    registered_by: Mapped[str] = mapped_column(String(256))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# List sorts and filters (records issue; migration 0009_list_indexes).
Index("ix_contractor_name_id", Contractor.name, Contractor.id)
