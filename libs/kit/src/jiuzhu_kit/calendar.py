"""Working-day calendar: Chinese statutory holidays and make-up working days, stored as data.

Seeded from the maintained `chinesecalendar` library (State Council notices); a new year is loaded
through the admin API when its notice appears (around November). A question about a year with no
data is refused (CALENDAR_YEAR_MISSING), never answered by guessing weekends.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import Table, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit.audit import AuditLog
from jiuzhu_kit.auth import Principal, Role, require_roles
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import DomainError, FieldError, ValidationFailed, responses

# Years the calendar can hold (the admin loads one notice per year); outside → 422, not a date overflow.
YEARS = (2000, 2100)


class CalendarYearMissing(DomainError):
    code = "CALENDAR_YEAR_MISSING"
    status = 409
    zh = "工作日历缺少 {year} 年数据，请管理员按国务院办公厅放假通知导入后再试"
    en = "The working-day calendar has no data for {year}; an administrator must load that year's holiday notice"


class CalendarSpanTooLong(DomainError):
    code = "CALENDAR_SPAN_TOO_LONG"
    status = 400
    zh = "工作日数超出允许范围"
    en = "Too many working days requested"


@dataclass(frozen=True)
class DayInfo:
    day: date
    is_working: bool
    kind: str
    name: str | None = None


def _default_kind(d: date) -> DayInfo:
    weekend = d.weekday() >= 5
    return DayInfo(d, not weekend, "weekend" if weekend else "workday")


def build_year(year: int, holidays: dict[date, str], makeup_workdays: Iterable[date]) -> list[DayInfo]:
    """Every day of `year` from a notice's holidays and make-up working days."""
    makeup = set(makeup_workdays)
    out = []
    d = date(year, 1, 1)
    while d.year == year:
        if d in holidays:
            out.append(DayInfo(d, False, "holiday", holidays[d]))
        elif d in makeup:
            out.append(DayInfo(d, True, "makeup_workday", "调休上班"))
        else:
            out.append(_default_kind(d))
        d += timedelta(days=1)
    return out


def library_years() -> list[int]:
    import chinese_calendar

    return sorted({d.year for d in chinese_calendar.holidays})


def year_from_library(year: int) -> list[DayInfo]:
    """A year as the `chinesecalendar` library knows it (raises if it has no data for that year)."""
    import chinese_calendar

    holidays: dict[date, str] = {}
    makeup: list[date] = []
    for d, name in chinese_calendar.holidays.items():
        if d.year == year:
            holidays[d] = _zh_holiday(name)
    for d in chinese_calendar.workdays:
        if d.year == year:
            makeup.append(d)
    if not holidays:
        raise CalendarYearMissing(year=year)
    # The library lists weekends inside a holiday stretch as holidays too; keep its reading.
    return build_year(year, holidays, makeup)


_ZH_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def _zh_holiday(name: str) -> str:
    return _ZH_NAMES.get(name, name)


class WorkingCalendar:
    """Pure working-day arithmetic over loaded years (no I/O: testable as a plain object)."""

    def __init__(self, days: Iterable[DayInfo], years: Iterable[int]) -> None:
        self.years = frozenset(years)
        self.days = {d.day: d for d in days}

    def _info(self, d: date) -> DayInfo:
        if d.year not in self.years:
            raise CalendarYearMissing(year=d.year)
        return self.days.get(d) or _default_kind(d)

    def is_working_day(self, d: date) -> bool:
        return self._info(d).is_working

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (start itself not counted): 'within n working days'."""
        if n < 0 or n > 1000:
            raise CalendarSpanTooLong()
        d, left = start, n
        while left > 0:
            d += timedelta(days=1)
            if self.is_working_day(d):
                left -= 1
        return d


class CalendarStore:
    def __init__(self, day: Table, year: Table, audit: AuditLog) -> None:
        self.day = day
        self.year = year
        self.audit = audit

    async def load(self, session: AsyncSession, start: date, end: date) -> WorkingCalendar:
        years = await self.loaded_years(session)
        rows = await session.execute(
            select(self.day).where(
                self.day.c.day >= start, self.day.c.day <= end, self.day.c.kind != "workday"
            )
        )
        return WorkingCalendar((DayInfo(r.day, r.is_working, r.kind, r.name) for r in rows), years)

    async def loaded_years(self, session: AsyncSession) -> list[int]:
        return sorted(r[0] for r in await session.execute(select(self.year.c.year)))

    async def special_days(self, session: AsyncSession, year: int) -> tuple[str, list[DayInfo]]:
        """A loaded year's source (its notice) and its holidays and make-up working days, in order."""
        source = (await session.execute(select(self.year.c.source).where(self.year.c.year == year))).scalar()
        if source is None:
            raise CalendarYearMissing(year=year)
        rows = await session.execute(
            select(self.day)
            .where(self.day.c.day >= date(year, 1, 1), self.day.c.day <= date(year, 12, 31))
            .where(self.day.c.kind.in_(["holiday", "makeup_workday"]))
            .order_by(self.day.c.day)
        )
        return source, [DayInfo(r.day, r.is_working, r.kind, r.name) for r in rows]

    async def replace_year(self, session: AsyncSession, year: int, days: list[DayInfo], source: str) -> None:
        await session.execute(
            delete(self.day).where(self.day.c.day >= date(year, 1, 1), self.day.c.day <= date(year, 12, 31))
        )
        await session.execute(
            insert(self.day),
            [{"day": d.day, "is_working": d.is_working, "kind": d.kind, "name": d.name} for d in days],
        )
        stmt = insert(self.year).values(year=year, source=source)
        await session.execute(stmt.on_conflict_do_update(index_elements=["year"], set_={"source": source}))

    async def seed_from_library(self, session: AsyncSession) -> list[int]:
        """Load every year the library knows and we do not have yet (idempotent)."""
        have = set(await self.loaded_years(session))
        added = []
        for y in library_years():
            if y not in have:
                await self.replace_year(session, y, year_from_library(y), source="chinesecalendar")
                added.append(y)
        return added


# ---- HTTP ------------------------------------------------------------------------------------


class HolidayIn(BaseModel):
    """节假日 A holiday or make-up working day."""

    date: date
    name: str = Field(min_length=1, max_length=64)


class YearIn(BaseModel):
    """One year's State Council holiday notice."""

    notice: str = Field(min_length=1, max_length=256, examples=["国办发明电〔2026〕X号"])
    holidays: list[HolidayIn] = Field(min_length=1, max_length=366)
    makeup_workdays: list[date] = Field(default_factory=list, max_length=60)

    @model_validator(mode="after")
    def _consistent(self) -> YearIn:
        days = {h.date for h in self.holidays}
        if len(days) != len(self.holidays):
            raise ValueError("节假日日期重复")
        if days & set(self.makeup_workdays):
            raise ValueError("同一天不能既是节假日又是调休上班日")
        return self


class DayOut(BaseModel):
    """日历日 One day: working or not, and why."""

    date: date
    is_working: bool
    kind: str
    name: str | None


class YearOut(BaseModel):
    """年度日历 A year's holidays and make-up working days."""

    year: int
    source: str
    special_days: list[DayOut]


class WorkingDaysOut(BaseModel):
    """工作日 A count of working days and the day it ends on."""

    start: date
    working_days: int
    due: date


def _store(request: Request) -> CalendarStore:
    store = getattr(request.app.state, "calendar_store", None)
    assert isinstance(store, CalendarStore), "calendar not configured"
    return store


def _check_year(year: int, pointer: str) -> None:
    if not YEARS[0] <= year <= YEARS[1]:
        raise ValidationFailed(
            [FieldError(pointer=pointer, code="OUT_OF_RANGE", detail=f"年份应在 {YEARS[0]}–{YEARS[1]} 之间")]
        )


def calendar_router() -> APIRouter:
    router = APIRouter(tags=["calendar"])

    @router.get(
        "/calendar/working-days", response_model=WorkingDaysOut, responses=responses(CalendarYearMissing)
    )
    async def count_working_days(
        request: Request,
        session: SessionDep,
        start: date,
        days: Annotated[int, Query(ge=0, le=1000)],
    ) -> WorkingDaysOut:
        """The date that falls `days` working days after `start` (e.g. a 7-working-day challenge window)."""
        _check_year(start.year, "#/query/start")  # 9999-12-31 + n days would overflow (a 500)
        cal = await _store(request).load(session, start, start + timedelta(days=days * 3 + 60))
        return WorkingDaysOut(start=start, working_days=days, due=cal.add_working_days(start, days))

    @router.get("/calendar/{year}", response_model=YearOut, responses=responses(CalendarYearMissing))
    async def get_calendar_year(request: Request, session: SessionDep, year: int) -> YearOut:
        """The holidays and make-up working days of one year (State Council notice), as loaded."""
        # Checked here, not as Path(ge, le): the bound stays out of every service's contract.
        _check_year(year, "#/path/year")
        src, days = await _store(request).special_days(session, year)
        return YearOut(
            year=year,
            source=src,
            special_days=[
                DayOut(date=d.day, is_working=d.is_working, kind=d.kind, name=d.name) for d in days
            ],
        )

    @router.put("/admin/calendar/{year}", response_model=YearOut)
    async def put_calendar_year(
        request: Request,
        session: SessionDep,
        year: Annotated[int, Path(ge=YEARS[0], le=YEARS[1])],
        body: YearIn,
        principal: Annotated[Principal, Depends(require_roles(Role.ADMIN))],
    ) -> YearOut:
        """Load or replace one year from its holiday notice (admin only; audited)."""
        bad = [
            FieldError(pointer=f"#/holidays/{i}/date", code="WRONG_YEAR", detail=f"日期不在 {year} 年")
            for i, h in enumerate(body.holidays)
            if h.date.year != year
        ] + [
            FieldError(pointer=f"#/makeup_workdays/{i}", code="WRONG_YEAR", detail=f"日期不在 {year} 年")
            for i, d in enumerate(body.makeup_workdays)
            if d.year != year
        ]
        if bad:
            raise ValidationFailed(bad)
        store = _store(request)
        days = build_year(year, {h.date: h.name for h in body.holidays}, body.makeup_workdays)
        await store.replace_year(session, year, days, source=body.notice)
        await store.audit.append(
            session,
            aggregate_type="calendar_year",
            aggregate_id=year,
            action="calendar.year_loaded",
            actor=principal,
            data=body.model_dump(mode="json"),
        )
        return await get_calendar_year(request, session, year)

    return router
