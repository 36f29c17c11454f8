"""`make demo`: the system as `make run` starts it, plus the five seeds' places loaded through the
gateway with real tokens (validated and audited like any caller), then tokens and example requests.

Places: Lingwu 640181 (seed 002), 荔湾区 440103 (seed 000), 新罗区 350802 (seed 001), 徐汇区 310104
(seed 003), 金堂县 510121 (seed 004). Every write carries an `Idempotency-Key` derived from the
request, so loading again (a second `make demo`, or after an interrupted one) replays the stored
answers and writes nothing twice.

Any database: records someone else made under the demo's natural keys are used as they are (a
contractor's USCC, a compliance report or pilot list for a division's year), and where the county's
plan for a year is someone else's, the demo's purchases are planned by one of the county's
townships instead (procure.PLAN_TOWNSHIPS). `Loaded.summary()` says what was written, replayed,
reused and moved.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from jiuzhu_devtools.demo import north, south
from jiuzhu_devtools.demo.api import Api, DemoLoadError, Persona
from jiuzhu_kit import clock
from jiuzhu_kit.settings import KitSettings

__all__ = ["DemoLoadError", "Loaded", "load"]

PLACES = (
    ("灵武市 640181 (seed 002)", north.lingwu),
    ("荔湾区 440103 (seed 000)", south.guangdong),
    ("新罗区 350802 (seed 001)", south.longyan),
    ("徐汇区 310104 (seed 003)", south.shanghai),
    ("金堂县 510121 (seed 004)", north.sichuan),
)


@dataclass
class Loaded:
    places: dict[str, dict[str, Any]] = field(default_factory=dict)
    calendars: list[str] = field(default_factory=list)  # services given a provisional next year
    writes: int = 0
    replayed: int = 0
    reused: int = 0  # records someone else had made under the demo's keys, used as they are
    notes: list[str] = field(default_factory=list)  # what the load did besides writing
    seconds: float = 0.0

    def summary(self) -> str:
        """What the load did, for people: new writes, replays, reuse and moves."""
        new = self.writes - self.replayed - self.reused
        lines = [
            f"demo data loaded in {self.seconds:.1f} s: {new} new writes, {self.replayed} already there "
            f"(replayed), {self.reused} made by someone else and reused"
        ]
        lines += [f"  - {n}" for n in self.notes]
        if self.calendars:
            lines.append(f"  - provisional next-year calendar loaded in: {', '.join(self.calendars)}")
        return "\n".join(lines)


def ensure_calendars(api: Api, today: date | None = None) -> list[str]:
    """Deadlines are counted in working days up to ~4 months ahead; the holiday library stops at the
    last published State Council notice. When next year is missing, load a provisional year (New
    Year's Day only, marked as such) so the demo's awards and signatures can be dated; an admin
    replaces it with `PUT /admin/calendar/{year}` when the notice appears."""
    year = (today or clock.today()).year + 1
    admin = Persona("admin", "000000", name="demo-admin")
    loaded = []
    for svc in ("staffing", "procurement", "evaluation"):
        r = api.http.get(f"/api/{svc}/calendar/{year}", headers=api.headers(admin))
        if r.status_code == 200:
            continue
        body = {
            "notice": f"演示用临时日历：仅含元旦，待国务院办公厅 {year} 年放假通知发布后替换",
            "holidays": [{"date": f"{year}-01-01", "name": "元旦"}],
        }
        api.put(f"/api/{svc}/admin/calendar/{year}", admin, body)
        loaded.append(svc)
    return loaded


def load(base_url: str, settings: KitSettings | None = None) -> Loaded:
    """Load every place through the gateway at `base_url`; safe to call again on the same data."""
    api = Api(base_url, settings or KitSettings())
    clock.configure(api.settings.clock)  # JIUZHU_CLOCK, as the services read it
    out = Loaded()
    start = time.monotonic()
    try:
        out.calendars = ensure_calendars(api)
        for name, place in PLACES:
            out.places[name] = place(api)
    finally:
        api.close()
    out.writes, out.replayed, out.reused, out.notes = api.writes, api.replayed, api.reused, api.notes
    out.seconds = time.monotonic() - start
    return out
