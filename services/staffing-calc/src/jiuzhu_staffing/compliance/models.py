"""A county's compliance report: what it actually has, for one year (seed 000 三(二))."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, DateTime, Index, Integer, Numeric, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from jiuzhu_staffing.db import Base


class ComplianceReport(Base):
    __tablename__ = "compliance_report"
    __table_args__ = (UniqueConstraint("division_code", "year"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    year: Mapped[int] = mapped_column(Integer)
    on: Mapped[date] = mapped_column(Date)  # the date whose rules the requirement is measured by
    county: Mapped[dict[str, Any]] = mapped_column(JSONB)  # the CountyIn the requirement comes from
    actual: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)  # [{unit_name, role, people}]
    pay_level: Mapped[Decimal] = mapped_column(Numeric(14, 2))  # yuan per person per year
    contract_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    working_funds_document: Mapped[str | None] = mapped_column(String(200), nullable=True)
    trainings_held: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    submitted_by: Mapped[str] = mapped_column(String(256))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


# List sorts and filters (records issue; migration 0005_list_indexes).
Index(
    "ix_compliance_report_year_submitted_id",
    ComplianceReport.year,
    ComplianceReport.submitted_at,
    ComplianceReport.id,
)
