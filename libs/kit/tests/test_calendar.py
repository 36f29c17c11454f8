from __future__ import annotations

from collections.abc import Callable
from datetime import date

import httpx
import pytest

from jiuzhu_kit.calendar import CalendarYearMissing, WorkingCalendar, library_years, year_from_library


def cal(*years: int) -> WorkingCalendar:
    days = [d for y in years for d in year_from_library(y)]
    return WorkingCalendar(days, years)


def test_national_day_2026_and_makeup_saturday() -> None:
    c = cal(2026)
    assert not c.is_working_day(date(2026, 10, 1))
    assert c.is_working_day(date(2026, 10, 10))  # 2026 国庆调休: Saturday 10 October is a working day
    # Signed on 30 Sep 2026: 7 working days skip the Golden Week holiday.
    assert c.add_working_days(date(2026, 9, 30), 7) == date(2026, 10, 15)  # 8,9,10(Sat),12,13,14,15


def test_spring_festival_2025_fifteen_working_days() -> None:
    c = cal(2025)
    # Lingwu-style deadline: within 15 working days of signing on 20 Jan 2025 (春节 28 Jan–4 Feb).
    # 21-24 Jan, 26 Jan (Sun, make-up), 27 Jan, 5-8 Feb (8th Sat make-up), 10-14 Feb.
    assert c.add_working_days(date(2025, 1, 20), 15) == date(2025, 2, 14)


def test_year_without_data_is_refused_not_guessed() -> None:
    c = cal(2026)
    with pytest.raises(CalendarYearMissing) as e:
        c.add_working_days(date(2026, 12, 20), 15)
    assert e.value.params["year"] == 2027


def test_library_covers_recent_years() -> None:
    assert {2024, 2025, 2026} <= set(library_years())


async def test_api_refuses_missing_year_then_admin_loads_it(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    r = await client.get("/calendar/working-days", params={"start": "2099-01-02", "days": 3})
    assert r.status_code == 409 and r.json()["code"] == "CALENDAR_YEAR_MISSING"
    assert "2099" in r.json()["detail"]
    notice = {
        "notice": "测试通知 2099",
        "holidays": [{"date": "2099-01-01", "name": "元旦"}, {"date": "2099-01-05", "name": "测试假日"}],
        "makeup_workdays": ["2099-01-03"],
    }
    assert (await client.put("/admin/calendar/2099", json=notice, headers=auth("bureau"))).status_code == 403
    bad = await client.put(
        "/admin/calendar/2099",
        json={**notice, "makeup_workdays": ["2098-12-31"]},
        headers=auth("admin", "000000"),
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["pointer"] == "#/makeup_workdays/0"
    put = await client.put("/admin/calendar/2099", json=notice, headers=auth("admin", "000000"))
    assert put.status_code == 200, put.text
    assert [d["kind"] for d in put.json()["special_days"]] == ["holiday", "makeup_workday", "holiday"]
    # 2099-01-02 Fri → Sat 3rd (make-up, counts), Sun 4th no, Mon 5th holiday, Tue 6th, Wed 7th.
    r = await client.get("/calendar/working-days", params={"start": "2099-01-02", "days": 3})
    assert r.json()["due"] == "2099-01-07"
    # Clean up: the calendar is reference data and survives per-test cleaning.
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from jiuzhu_kit.settings import to_async_url

    engine = create_async_engine(to_async_url(client._transport.app.state.settings.database_url))  # type: ignore[attr-defined]
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM kit_test.calendar_day WHERE day >= '2099-01-01'"))
        await conn.execute(text("DELETE FROM kit_test.calendar_year WHERE year = 2099"))
    await engine.dispose()
