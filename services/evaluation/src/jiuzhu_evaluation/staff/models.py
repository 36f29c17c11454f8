"""Annual assessments of dispatched staff (seed 000 四(三)); one per staff member and year."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from jiuzhu_evaluation.db import Base


class StaffAssessment(Base):
    __tablename__ = "staff_assessment"
    __table_args__ = (UniqueConstraint("contract_id", "staff_ref", "year"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    contract_id: Mapped[uuid.UUID] = mapped_column(index=True)
    staff_ref: Mapped[str] = mapped_column(String(64), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    year: Mapped[int] = mapped_column(Integer)
    template_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("indicator_template.id"))
    template_code: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[int] = mapped_column(Integer)
    values: Mapped[dict[str, str]] = mapped_column(JSONB)
    scores: Mapped[dict[str, str]] = mapped_column(JSONB)
    total: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    grade: Mapped[str] = mapped_column(String(20))
    qualified: Mapped[bool] = mapped_column(Boolean)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    assessed_by: Mapped[str] = mapped_column(String(256))
    assessed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# List sorts and filters (records issue; migration 0004_list_indexes).
Index(
    "ix_staff_assessment_year_assessed_id",
    StaffAssessment.year,
    StaffAssessment.assessed_at,
    StaffAssessment.id,
)
