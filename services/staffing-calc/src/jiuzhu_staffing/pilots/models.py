"""A province's pilot designations for a year (seed 004 四(一))."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Integer, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from jiuzhu_staffing.db import Base


class PilotDesignation(Base):
    __tablename__ = "pilot_designation"
    __table_args__ = (UniqueConstraint("province_code", "year"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    province_code: Mapped[str] = mapped_column(String(6))
    year: Mapped[int] = mapped_column(Integer)
    counties: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)  # [{division_code, townships: [name]}]
    recorded_by: Mapped[str] = mapped_column(String(256))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}
