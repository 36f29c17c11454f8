"""Filters every list endpoint shares, named the same everywhere (records issue):

- `division_code`: a division and its subtree (440100 covers 440103); on top of the read policy's
  jurisdiction, never instead of it (`POLICY.narrow` comes first);
- `<thing>_from` / `<thing>_to`: an inclusive date range (`from` after `to` → 422 RANGE_INVERTED);
- `on`: one date;
- `q`: words in a name or title (case-insensitive substring, `%` and `_` taken literally).

`StatusCountsOut`/`status_counts`: a dashboard's "how many per status" under a list's own filters
(one GROUP BY on the narrowed query).

`overdue` lists dated obligations kept as a JSON array on their record (a contract's or a
project's deadlines) one row per obligation, in SQL, so those lists page by keyset like the others.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Date, Select, String, cast, column, func, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
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


class Overdue:
    """The elements of a JSON array column of `{key, due_on, fulfilled_on, …}` objects (deadlines),
    one row each (`LATERAL jsonb_array_elements`), with the columns an overdue list sorts by."""

    def __init__(self, array: Column, name: str = "deadline") -> None:
        self.source = func.jsonb_array_elements(array).table_valued(column("value", JSONB)).lateral(name)
        self.value: ColumnElement[Any] = self.source.c.value
        self.due_on: ColumnElement[Any] = cast(self.value["due_on"].astext, Date)
        self.key: ColumnElement[Any] = cast(self.value["key"].astext, String)

    def select(self, model: Any) -> Select[Any]:
        """`model`'s rows, each with one element of its array (`value`): `JOIN LATERAL … ON true`."""
        return select(model, self.value).select_from(model).join(self.source, true())

    def past_due(self, query: Select[Any], as_of: date) -> Select[Any]:
        """Elements due before `as_of` and not fulfilled (a missing or null `fulfilled_on`)."""
        return query.where(
            self.value["due_on"].astext.is_not(None),
            self.value["fulfilled_on"].astext.is_(None),
            self.due_on < as_of,
        )


class StatusCountsOut(BaseModel):
    """How many records per status under the list's filters (statuses with none are absent)."""

    total: int = Field(description="记录总数 all records counted")
    by_status: dict[str, int] = Field(description="各状态的记录数 records per status")


async def status_counts(session: AsyncSession, query: Select[Any], status: Column) -> StatusCountsOut:
    """`query` (already narrowed by the read policy and filtered) counted per `status`."""
    counted = query.with_only_columns(status, func.count(), maintain_column_froms=True).group_by(status)
    rows = (await session.execute(counted.order_by(status))).all()
    counts = {str(s): int(n) for s, n in rows}
    return StatusCountsOut(total=sum(counts.values()), by_status=counts)
