"""Dates as the bureaus see them: China Standard Time (UTC+8, no DST)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8), "CST")


def today() -> date:
    return datetime.now(CST).date()


def now() -> datetime:
    return datetime.now(UTC)


def add_years(d: date, years: int) -> date:
    """Same calendar day `years` later; 29 February falls back to 28 February."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)
