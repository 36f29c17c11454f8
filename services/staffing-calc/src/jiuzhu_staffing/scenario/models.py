"""A saved calculation (scenario): inputs, the rule-pack version used, and the result."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from jiuzhu_staffing.db import Base


class Scenario(Base):
    __tablename__ = "scenario"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSONB)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    pack_version: Mapped[str | None] = mapped_column(String(64), nullable=True)  # "id@version"
    pack_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The resolved pack as used: the result reproduces from it even after the pack file changes.
    pack_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True, deferred=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __mapper_args__ = {"version_id_col": version}


# List sorts and filters (records issue; migration 0005_list_indexes).
Index("ix_scenario_created_id", Scenario.created_at, Scenario.id)
