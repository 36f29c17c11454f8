"""Reference tables (kept across test truncation by their `reference` comment)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, Numeric, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from jiuzhu_procurement.db import Base


class CatalogueItem(Base):
    __tablename__ = "catalogue_item"
    __table_args__ = {"comment": "reference: purchasable social-assistance services (dated)"}

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date, primary_key=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(32))
    levels: Mapped[list[str]] = mapped_column(JSONB)
    citation: Mapped[str] = mapped_column(Text)


class NegativeListEntry(Base):
    __tablename__ = "negative_list_entry"
    __table_args__ = {"comment": "reference: what may not be bought as a service (dated)"}

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date, primary_key=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    kind: Mapped[str] = mapped_column(String(8))  # form | item
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    citation: Mapped[str] = mapped_column(Text)


class Threshold(Base):
    __tablename__ = "threshold"
    __table_args__ = {"comment": "reference: open-tender amounts and procurement limits per region (dated)"}

    region: Mapped[str] = mapped_column(String(12), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date, primary_key=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    citation: Mapped[str] = mapped_column(Text)
    verified: Mapped[bool] = mapped_column(default=True)
