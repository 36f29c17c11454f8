"""The business clock (jiuzhu_kit.clock): sources in order, China's date, the request header."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import APIRouter
from pydantic import ValidationError
from starlette.requests import Request

from jiuzhu_devtools.testclock import install
from jiuzhu_devtools.testing import SUITE_CLOCK, service_client, test_now, test_today
from jiuzhu_kit import clock
from jiuzhu_kit.auth import PrincipalDep
from jiuzhu_kit.lean import LeanRequest, LeanRoute
from jiuzhu_kit.peers import forwarded_headers
from jiuzhu_kit.settings import KitSettings

from .conftest import build_app


@pytest.fixture
def tz_honolulu(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine at UTC−10: what the services compute must not move."""
    monkeypatch.setenv("TZ", "Pacific/Honolulu")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def restore_clock() -> Iterator[None]:
    yield
    install()  # back to the suite clock for the tests that follow


def test_parse_instant_needs_an_offset_and_a_sane_year() -> None:
    assert clock.parse_instant("2026-12-31T23:30:00+08:00") == datetime(2026, 12, 31, 15, 30, tzinfo=UTC)
    assert clock.parse_instant("2026-12-31T16:30:00Z") == datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    for bad in ("2026-12-31T23:30:00", "2026-12-31", "tomorrow", "", "0001-01-01T00:00:00+08:00"):
        with pytest.raises(ValueError):
            clock.parse_instant(bad)


def test_today_is_china_standard_time_whatever_the_machine_zone(tz_honolulu: None) -> None:
    # 23:30 in Beijing is 05:30 the same day in Honolulu, 15:30 in UTC: still the 31st in China.
    with clock.override(clock.parse_instant("2026-12-31T23:30:00+08:00")):
        assert clock.today() == date(2026, 12, 31)
    # 16:30 UTC on the 31st is 00:30 on 1 January in China (06:30 on the 31st in Honolulu).
    with clock.override(clock.parse_instant("2026-12-31T16:30:00Z")):
        assert clock.today() == date(2027, 1, 1)
        assert clock.now() == datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
        assert clock.now().tzinfo is not None
    assert clock.CST.utcoffset(None) == timedelta(hours=8)


def test_the_request_override_wins_over_the_process_clock(restore_clock: None) -> None:
    clock.configure("2030-03-01T09:00:00+08:00")
    instant = clock.parse_instant("2031-05-05T12:00:00+08:00")
    with clock.override(instant):
        assert clock.now() == instant
    assert clock.today() == date(2030, 3, 1)


def test_the_process_clock_starts_at_its_instant_and_runs_on(restore_clock: None) -> None:
    start = clock.parse_instant("2030-03-01T09:00:00+08:00")
    clock.configure("2030-03-01T09:00:00+08:00")
    first = clock.now()
    time.sleep(0.02)
    second = clock.now()
    assert start <= first < second < start + timedelta(minutes=5)
    clock.configure("")  # the real clock
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
    clock.configure("2030-03-01T09:00:00+08:00")  # the same setting again resumes, not restarts
    assert clock.now() > second


def test_the_suite_runs_on_its_own_clock() -> None:
    assert test_today() == clock.parse_instant(SUITE_CLOCK).astimezone(clock.CST).date()
    assert abs(clock.now() - test_now()) < timedelta(seconds=5)


def test_settings_validate_the_clock_and_refuse_it_in_prod() -> None:
    assert KitSettings(JIUZHU_CLOCK="2026-12-24T10:00:00+08:00").clock == "2026-12-24T10:00:00+08:00"
    with pytest.raises(ValidationError, match="offset"):
        KitSettings(JIUZHU_CLOCK="2026-12-24T10:00:00")
    prod = {"JIUZHU_ENVIRONMENT": "prod", "DATABASE_URL": "postgresql://x/y", "JWT_SECRET": "s" * 40}
    with pytest.raises(ValidationError, match="JIUZHU_CLOCK must not be set in prod"):
        KitSettings(**prod, JIUZHU_CLOCK="2026-12-24T10:00:00+08:00")
    assert not KitSettings(**prod, JIUZHU_CLOCK="").clock_header
    assert KitSettings(JIUZHU_ENVIRONMENT="test").clock_header


def test_peer_calls_forward_the_request_override() -> None:
    assert clock.HEADER not in forwarded_headers(None)
    with clock.override(clock.parse_instant("2026-12-31T16:30:00Z")):
        sent = forwarded_headers(None)[clock.HEADER]
    assert clock.parse_instant(sent) == datetime(2026, 12, 31, 16, 30, tzinfo=UTC)


# ---- through the kit's request pipeline: FastAPI routes and lean routes alike ----------------

router = APIRouter()


def _now() -> dict[str, Any]:
    return {"now": clock.now().isoformat(), "today": clock.today().isoformat()}


@router.get("/clock")
async def read_clock() -> dict[str, Any]:
    return _now()


@router.get("/clock/sync")
def read_clock_in_a_thread() -> dict[str, Any]:  # sync routes run in a worker thread
    return _now()


@router.post("/clock/{name}")
async def fastapi_clock(name: str, request: Request, principal: PrincipalDep) -> dict[str, Any]:
    return {"via": "fastapi", **_now()}


async def lean_clock(req: LeanRequest) -> tuple[int, bytes]:
    return 200, json.dumps({"via": "lean", **_now()}).encode()


def _app(database_url: str, environment: str) -> Any:
    lean = LeanRoute("POST", "/clock/{name}", lean_clock)
    return build_app(database_url, [router], service="kit-clock", lean_routes=[lean], environment=environment)


async def test_the_header_sets_now_for_the_request(
    database_url: str, kit_schema: str, auth: Callable[..., dict[str, str]]
) -> None:
    h = {clock.HEADER: "2026-12-31T16:30:00Z"}
    async with service_client(_app(database_url, "test")) as c:
        for path in ("/clock", "/clock/sync"):
            r = await c.get(path, headers=h)
            assert r.json() == {"now": "2026-12-31T16:30:00+00:00", "today": "2027-01-01"}, path
        lean = await c.post("/clock/x", json={}, headers={**h, **auth()})
        assert lean.json() == {"via": "lean", "now": "2026-12-31T16:30:00+00:00", "today": "2027-01-01"}
        # Without the header: the suite's process clock.
        assert (await c.get("/clock")).json()["today"] == test_today().isoformat()
        bad = await c.get("/clock", headers={clock.HEADER: "2026-12-31 late", "x-request-id": "clock-bad"})
        assert (bad.status_code, bad.json()["code"]) == (400, "CLOCK_INVALID")
        assert bad.headers["content-type"] == "application/problem+json"
        assert bad.headers["x-request-id"] == "clock-bad"
        lean_bad = await c.post("/clock/x", json={}, headers={**auth(), clock.HEADER: "yesterday"})
        assert (lean_bad.status_code, lean_bad.json()["code"]) == (400, "CLOCK_INVALID")


async def test_the_header_is_ignored_in_prod(
    database_url: str, kit_schema: str, auth: Callable[..., dict[str, str]]
) -> None:
    async with service_client(_app(database_url, "prod")) as c:
        for headers in ({clock.HEADER: "2031-12-31T16:30:00Z"}, {clock.HEADER: "not a time"}):
            r = await c.get("/clock", headers=headers)
            assert (r.status_code, r.json()["today"]) == (200, test_today().isoformat()), headers
            lean = await c.post("/clock/x", json={}, headers={**headers, **auth()})
            assert (lean.status_code, lean.json()["via"]) == (200, "lean")
            assert lean.json()["today"] == test_today().isoformat()
    assert clock.today() == test_today()  # a prod app made in this process left the suite clock alone
