"""Challenges (质疑) to a project's documents, process or result (政府采购法 52)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jiuzhu_procurement.db import Base


class Challenge(Base):
    __tablename__ = "challenge"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("project.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12))
    uscc: Mapped[str] = mapped_column(String(18))
    against: Mapped[str] = mapped_column(String(16), default="result", server_default="result")
    grounds: Mapped[str] = mapped_column(Text)
    submitted_on: Mapped[date] = mapped_column(Date)
    # The purchaser answers within 7 working days (政府采购法 53); the supplier may complain within
    # 15 working days after that (55). Both dates are set when the challenge is received.
    reply_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    complaint_deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    decision: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


# List sorts and filters (records issue; migration 0009_list_indexes).
Index("ix_challenge_submitted_id", Challenge.submitted_on, Challenge.id)
