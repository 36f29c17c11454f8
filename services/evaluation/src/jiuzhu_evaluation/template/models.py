"""Indicator templates: one immutable row per (code, version); a result names the row it used."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from jiuzhu_evaluation.db import Base


class IndicatorTemplate(Base):
    __tablename__ = "indicator_template"
    __table_args__ = (
        UniqueConstraint("code", "version"),
        {"comment": "reference: indicator templates (built-ins seeded by migration; versions immutable)"},
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    citation: Mapped[str | None] = mapped_column(String(500), nullable=True)
    dimensions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    grade_bands: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_division: Mapped[str | None] = mapped_column(String(12), nullable=True)
    created_by: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# List sorts and filters (records issue; migration 0004_list_indexes).
Index("ix_indicator_template_code_id", IndicatorTemplate.code, IndicatorTemplate.id)
