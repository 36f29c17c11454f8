"""Filters every list endpoint shares, named the same everywhere (records issue):

- `division_code`: a division and its subtree (440100 covers 440103); on top of the read policy's
  jurisdiction, never instead of it (`POLICY.narrow` comes first);
- `<thing>_from` / `<thing>_to`: an inclusive date range (`from` after `to` → 422 RANGE_INVERTED);
- `on`: one date;
- `q`: words in a name or title (case-insensitive substring, `%` and `_` taken literally).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import ColumnElement, Select, or_
from sqlalchemy.orm import QueryableAttribute

from jiuzhu_kit import divisions
from jiuzhu_kit.divisions import DivisionCode
from jiuzhu_kit.errors import FieldError, ValidationFailed

Column = ColumnElement[Any] | QueryableAttribute[Any]

DivisionFilter = Annotated[
    DivisionCode | None,
    Query(description="区划代码，含其下级区划 (a division and its subtree)", examples=["440103"]),
]
TextFilter = Annotated[
    str | None,
    Query(min_length=1, max_length=100, description="名称包含的文字 (words in the name or title)"),
]
YearFilter = Annotated[int | None, Query(ge=1990, le=2100, description="年度 (year)")]
DateFilter = Annotated[date | None, Query(description="日期（含） (inclusive)")]


class RangeInverted(ValidationFailed):
    code = "RANGE_INVERTED"
    zh = "日期范围的起点晚于终点"
    en = "The range starts after it ends"


def in_division(query: Select[Any], column: Column, code: str | None) -> Select[Any]:
    """Rows whose `column` lies in `code`'s subtree (no filter when `code` is None)."""
    if code is None:
        return query
    return query.where(column.startswith(divisions.prefix(code), autoescape=True))


def check_range(start: date | None, end: date | None, name: str = "") -> None:
    """`<name>_from` after `<name>_to` (or `from` after `to` when `name` is empty) → 422 RANGE_INVERTED."""
    if start is not None and end is not None and start > end:
        first, last = (f"{name}_from", f"{name}_to") if name else ("from", "to")
        raise RangeInverted(
            [FieldError(pointer=f"#/query/{first}", code="RANGE_INVERTED", detail=f"{first} > {last}")]
        )


def in_range(
    query: Select[Any], column: Column, start: date | None, end: date | None, name: str
) -> Select[Any]:
    """Rows whose `column` lies in [start, end] (either end open); `name` is the parameters' stem."""
    check_range(start, end, name)
    if start is not None:
        query = query.where(column >= start)
    if end is not None:
        query = query.where(column <= end)
    return query


def matching(query: Select[Any], text: str | None, *columns: Column) -> Select[Any]:
    """Rows where any of `columns` contains `text` (case-insensitive)."""
    if not text:
        return query
    return query.where(or_(*(c.icontains(text, autoescape=True) for c in columns)))


def equal(query: Select[Any], column: Column, value: Any) -> Select[Any]:
    """Rows with `column == value` (no filter when `value` is None)."""
    return query if value is None else query.where(column == value)
