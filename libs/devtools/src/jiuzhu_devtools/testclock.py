"""The suite's clock: every test runs at one fixed, known instant, never at the machine's date.

`JIUZHU_TEST_CLOCK` (default 2026-06-15T10:00:00+08:00) becomes `JIUZHU_CLOCK` for in-process
apps and LiveStack processes (jiuzhu_kit.clock: it starts there and runs on). Tests read the same
clock with `test_today()` / `test_now()`. If the clock's year or the next one has no working-day
calendar in the test database (the holiday library stops at the last published notice), a
provisional one is loaded: weekends and 1 January only, as the demo does.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta

import asyncpg

from jiuzhu_kit import clock
from jiuzhu_kit.calendar import build_year

DEFAULT = "2026-06-15T10:00:00+08:00"
SUITE_CLOCK = os.environ.get("JIUZHU_TEST_CLOCK") or DEFAULT
clock.parse_instant(SUITE_CLOCK)  # a malformed JIUZHU_TEST_CLOCK stops the run here
PROVISIONAL = "测试用临时日历：仅周末与元旦（该年放假通知未收录）"


def install() -> None:
    """Make the suite clock the process clock, and the one every child process inherits."""
    os.environ[clock.ENV] = SUITE_CLOCK
    clock.configure(SUITE_CLOCK)


def test_now() -> datetime:
    """The suite clock now (aware, UTC)."""
    return clock.running(SUITE_CLOCK)


def test_today() -> date:
    """The suite clock's date in China Standard Time: "today" as the services see it."""
    return test_now().astimezone(clock.CST).date()


# The test helpers date an announcement this many days before the suite's today (X-Jiuzhu-Clock),
# so every method's response period (20 days at most) and a single source's publicity (5 working
# days) have run when a test closes bidding and awards "today": the rules stay as the law has them.
ANNOUNCE_DAYS_BACK = 35


def clock_at(days: int = 0) -> str:
    """An `X-Jiuzhu-Clock` value: the suite clock now, moved by `days` (negative: back)."""
    return (test_now() + timedelta(days=days)).isoformat()


def announce_clock() -> str:
    """When the test helpers announce a project: ANNOUNCE_DAYS_BACK days before now."""
    return clock_at(-ANNOUNCE_DAYS_BACK)


test_now.__test__ = False  # type: ignore[attr-defined]  # not tests, though imported into test modules
test_today.__test__ = False  # type: ignore[attr-defined]


async def ensure_calendars(dsn: str) -> dict[str, list[int]]:
    """Provisional calendars for the suite clock's year and the next, where a schema has none."""
    year = test_today().year
    loaded: dict[str, list[int]] = {}
    conn = await asyncpg.connect(dsn)
    try:
        schemas = [
            r["table_schema"]
            for r in await conn.fetch(
                "SELECT table_schema FROM information_schema.tables WHERE table_name = 'calendar_year'"
            )
        ]
        for schema in schemas:
            have = {r["year"] for r in await conn.fetch(f'SELECT year FROM "{schema}".calendar_year')}  # noqa: S608
            for y in (year, year + 1):
                if y in have:
                    continue
                days = build_year(y, {date(y, 1, 1): "元旦"}, [])
                async with conn.transaction():
                    await conn.executemany(
                        f'INSERT INTO "{schema}".calendar_day (day, is_working, kind, name) VALUES ($1, $2, $3, $4)',  # noqa: S608
                        [(d.day, d.is_working, d.kind, d.name) for d in days],
                    )
                    await conn.execute(
                        f'INSERT INTO "{schema}".calendar_year (year, source) VALUES ($1, $2)',  # noqa: S608
                        y,
                        PROVISIONAL,
                    )
                loaded.setdefault(schema, []).append(y)
    finally:
        await conn.close()
    return loaded
