"""Filters shared by the public lists (portal issue): a division subtree and a date range."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select

from jiuzhu_kit import divisions
from jiuzhu_kit.errors import FieldError, ValidationFailed


class PeriodInvalid(ValidationFailed):
    code = "PERIOD_INVALID"
    zh = "期间无效：起始日期（from）不能晚于截止日期（to）"
    en = "Invalid period: `from` must not be after `to`"


def subtree(query: Select[Any], column: ColumnElement[Any] | Any, division: str | None) -> Select[Any]:
    """Only records in `division`'s subtree (a city's code lists its counties' records too)."""
    if division is None:
        return query
    return query.where(column.startswith(divisions.prefix(division), autoescape=True))


def check_range(start: date | None, end: date | None, name: str) -> None:
    """`<name>_from` after `<name>_to` → 422 PERIOD_INVALID."""
    if start is not None and end is not None and start > end:
        raise PeriodInvalid(
            [FieldError(pointer=f"#/{name}_to", code="PERIOD_INVALID", detail=f"{name}_to 早于 {name}_from")]
        )


def between(
    query: Select[Any], column: ColumnElement[Any] | Any, start: date | None, end: date | None, name: str
) -> Select[Any]:
    """`start` ≤ column ≤ `end` (both included, either open); `name_from` after `name_to` → 422."""
    check_range(start, end, name)
    if start is not None:
        query = query.where(column >= start)
    if end is not None:
        query = query.where(column <= end)
    return query
