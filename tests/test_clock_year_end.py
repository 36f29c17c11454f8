"""Year end through the gateway, with the clock set per request (`X-Jiuzhu-Clock`, outside prod).

- A deadline counted in working days from late December reaches a year the calendar does not hold
  yet: refused with CALENDAR_YEAR_MISSING until an administrator loads that year's notice, then
  answered with the due date the loaded days give.
- "Today" is China's date: 23:30 in Beijing on 31 December is still the 31st; 16:30 UTC that day is
  already 1 January there (whatever the machine's time zone).

Y is the last year the procurement calendar holds (queried, never hard-coded), so the test keeps
working when the holiday library learns new years.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest_asyncio

from jiuzhu_devtools.testing import LiveStack, asyncpg_dsn
from jiuzhu_kit.clock import HEADER
from tests.stories import Walk, uscc

DIV = "350802"  # 新罗区
BUREAU, FINANCE, ADMIN = ("bureau", DIV), ("finance", DIV), ("admin", "000000")


async def _sql(database_url: str, query: str, *args: Any) -> Any:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return await conn.fetchval(query, *args)
    finally:
        await conn.close()


@pytest_asyncio.fixture(loop_scope="session")
async def last_year(database_url: str) -> AsyncIterator[int]:
    """Y, the procurement calendar's last year; the year after it is removed again afterwards
    (the calendar is reference data: per-test cleaning keeps it)."""
    y = int(await _sql(database_url, "SELECT max(year) FROM procurement.calendar_year"))
    yield y
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with conn.transaction():
            await conn.execute("DELETE FROM procurement.calendar_day WHERE day >= $1", date(y + 1, 1, 1))
            await conn.execute("DELETE FROM procurement.calendar_year WHERE year > $1", y)
    finally:
        await conn.close()


def at(instant: str) -> dict[str, str]:
    return {HEADER: instant}


def notice(year: int) -> tuple[dict[str, Any], set[date], set[date]]:
    """A holiday notice for `year`: 1–2 January off, the first Saturday after worked instead."""
    off = {date(year, 1, 1), date(year, 1, 2)}
    saturday = date(year, 1, 3) + timedelta(days=(5 - date(year, 1, 3).weekday()) % 7)
    body = {
        "notice": f"测试：{year} 年元旦放假通知",
        "holidays": [{"date": d.isoformat(), "name": "元旦"} for d in sorted(off)],
        "makeup_workdays": [saturday.isoformat()],
    }
    return body, off, {saturday}


def nth_working_day(start: date, n: int, off: set[date], worked: set[date]) -> date:
    """Counted here independently of the service: weekends and `off` rest, `worked` counts."""
    d = start
    while n:
        d += timedelta(days=1)
        if d in worked or (d.weekday() < 5 and d not in off):
            n -= 1
    return d


async def test_a_deadline_into_an_unloaded_year_waits_for_its_calendar(
    live_stack: LiveStack, token: Callable[..., str], last_year: int
) -> None:
    y = last_year
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=20) as client:
        w = Walk(client, token)
        company = uscc("52", DIV, 901)
        await w.register(company, "新罗区岁末社会工作服务中心", DIV)
        christmas_eve = at(f"{y}-12-24T10:00:00+08:00")
        report = {"grounds": "虚报服务人次", "response_working_days": 10}
        path = f"/api/procurement/contractors/{company}/debarments"

        r = await client.post(path, json=report, headers={**christmas_eve, **w.h(*BUREAU)})
        assert (r.status_code, r.json()["code"]) == (409, "CALENDAR_YEAR_MISSING"), r.text
        assert str(y + 1) in r.json()["detail"]

        body, off, worked = notice(y + 1)
        await w.call("PUT", f"/api/procurement/admin/calendar/{y + 1}", ADMIN, json=body)
        known = await w.call("GET", f"/api/procurement/calendar/{y}", BUREAU)
        for d in known["special_days"]:
            (worked if d["is_working"] else off).add(date.fromisoformat(d["date"]))

        r = await client.post(path, json=report, headers={**christmas_eve, **w.h(*BUREAU)})
        assert r.status_code == 201, r.text
        case = r.json()
        assert case["reported_on"] == f"{y}-12-24"
        due = nth_working_day(date(y, 12, 24), 10, off, worked)
        assert due.year == y + 1 and case["response_due_on"] == due.isoformat()


async def test_today_turns_at_midnight_in_china(
    live_stack: LiveStack, token: Callable[..., str], last_year: int
) -> None:
    y = last_year
    line = {"funding_source": "assistance_subsidy_funds", "amount": "500000.00", "scope": "家计调查"}
    async with httpx.AsyncClient(base_url=live_stack.gateway, timeout=20) as client:
        w = Walk(client, token)
        plans = {year: await w.plan(DIV, year, [line], f"新罗区 {year} 年度计划") for year in (y, y + 1)}

        def project(year: int, **extra: str) -> dict[str, Any]:
            return {
                "plan_id": plans[year],
                "division_code": DIV,
                "title": "家计调查服务",
                "items": ["AS02"],
                "budget": "100000.00",
                "funding_source": "assistance_subsidy_funds",
                **extra,
            }

        async def declare(instant: str, body: dict[str, Any], expect: int) -> Any:
            return await w.call(
                "POST", "/api/procurement/projects", BUREAU, json=body, headers=at(instant), expect=expect
            )

        late = f"{y}-12-31T23:30:00+08:00"  # 15:30 UTC: still the 31st in China
        p = await declare(late, project(y), 201)
        assert p["declared_on"] == f"{y}-12-31"
        future = await declare(late, project(y + 1, declared_on=f"{y + 1}-01-01"), 422)
        assert future["code"] == "VALIDATION_FAILED"

        turned = f"{y}-12-31T16:30:00Z"  # 00:30 on 1 January in China
        refused = await declare(turned, project(y), 409)
        assert refused["code"] == "PLAN_YEAR_MISMATCH"
        p = await declare(turned, project(y + 1), 201)
        assert p["declared_on"] == f"{y + 1}-01-01"
