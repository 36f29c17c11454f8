"""Complaints (投诉) to the finance department after a challenge (政府采购法 55–58)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jiuzhu_procurement.db import Base


class Complaint(Base):
    __tablename__ = "complaint"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.id"), index=True)
    # One complaint per challenge: a supplier complains about the answer it got (or did not get).
    challenge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("challenge.id"), unique=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)  # the purchaser's
    finance_division: Mapped[str] = mapped_column(String(12), index=True)  # who decides (same level)
    uscc: Mapped[str] = mapped_column(String(18))
    grounds: Mapped[str] = mapped_column(Text)
    filed_on: Mapped[date] = mapped_column(Date)
    decision_due: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), index=True)
    suspended_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    suspended_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    decision: Mapped[str | None] = mapped_column(Text, nullable=True)
    redo_from: Mapped[str | None] = mapped_column(String(32), nullable=True)
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


# List sorts and filters (records issue; migration 0009_list_indexes).
Index("ix_complaint_due_id", Complaint.decision_due, Complaint.id)
