"""The one home of "now" and "today" for business logic (deadlines, declared-on dates, timestamps).

Sources, first that applies:
1. a per-request instant from the `X-Jiuzhu-Clock` header (ISO 8601 with an offset), outside prod
   only; the kit's pipeline (middleware.py) holds it in a contextvar for the request, lean routes
   included, and peer calls forward it (peers.py);
2. the process setting `JIUZHU_CLOCK=<instant>` (refused in prod by KitSettings): the clock reads
   that instant when the process configures it and runs on from there;
3. the real clock.

`today()` is the bureaus' date: China Standard Time (UTC+8, no DST), never the machine's zone.
Security clocks (JWT expiry, rate limits, API-key expiry) stay on the real time on purpose.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, date, datetime, timedelta, timezone

from jiuzhu_kit.errors import BadRequest

CST = timezone(timedelta(hours=8), "CST")
HEADER = "X-Jiuzhu-Clock"
ENV = "JIUZHU_CLOCK"
YEARS = (2000, 2100)  # as calendar.YEARS (not imported: the calendar depends on this module's users)


class ClockInvalid(BadRequest):
    code = "CLOCK_INVALID"
    zh = "X-Jiuzhu-Clock 须为带时区偏移的 ISO 8601 时刻，如 2026-12-31T23:30:00+08:00"
    en = "X-Jiuzhu-Clock must be an ISO 8601 instant with an offset, e.g. 2026-12-31T23:30:00+08:00"


_request_instant: ContextVar[datetime | None] = ContextVar("jiuzhu_clock", default=None)
# Process clock: each configured value keeps the real instant it was first configured at, so an
# app created again in the same process (tests) resumes the same running clock, not a restart.
_anchors: dict[str, tuple[datetime, datetime]] = {}
_current: str = ""


def parse_instant(value: str) -> datetime:
    """An aware datetime from ISO 8601 text with an explicit offset; ValueError otherwise."""
    parsed = datetime.fromisoformat(value.strip())  # raises ValueError on garbage
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"{ENV}/{HEADER} needs an offset (e.g. +08:00 or Z): {value!r}")
    # The years the working-day calendar can hold; also keeps date arithmetic off datetime's edges.
    if not YEARS[0] <= parsed.year <= YEARS[1]:
        raise ValueError(f"{ENV}/{HEADER} must fall within {YEARS[0]}–{YEARS[1]}: {value!r}")
    return parsed.astimezone(UTC)


def configure(value: str) -> None:
    """Set the process clock (`""` → the real clock). Validate first: KitSettings does."""
    global _current
    if value and value not in _anchors:
        _anchors[value] = (parse_instant(value), datetime.now(UTC))
    _current = value


def running(value: str) -> datetime:
    """What the process clock configured with `value` reads now (anchored on first use)."""
    if value not in _anchors:
        _anchors[value] = (parse_instant(value), datetime.now(UTC))
    start, anchored_at = _anchors[value]
    return start + (datetime.now(UTC) - anchored_at)


def now() -> datetime:
    """The current instant, aware, in UTC."""
    instant = _request_instant.get()
    if instant is not None:
        return instant
    if _current:
        return running(_current)
    return datetime.now(UTC)


def today() -> date:
    """The date in China Standard Time."""
    return now().astimezone(CST).date()


def request_instant() -> datetime | None:
    """This request's override, if any (peers.py forwards it)."""
    return _request_instant.get()


def hold(instant: datetime | None) -> Token[datetime | None]:
    """Make `instant` "now" in this context until `release` (the pipeline: one request)."""
    return _request_instant.set(instant.astimezone(UTC) if instant is not None else None)


def release(token: Token[datetime | None]) -> None:
    _request_instant.reset(token)


@contextmanager
def override(instant: datetime | None) -> Iterator[None]:
    """`hold` for the code run inside."""
    token = hold(instant)
    try:
        yield
    finally:
        release(token)


def add_years(d: date, years: int) -> date:
    """Same calendar day `years` later; 29 February falls back to 28 February."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)
