"""Helpers for the whole-story tests: real processes (`live_stack`), real tokens, only the gateway.

A `Walk` is one story's HTTP conversation with the gateway. Every call names who makes it
(role, division, contractor code) and the status it expects, so a failing step reads as
"bureau 640181 POST /api/procurement/... expected 201, got 409 {...}". Nothing here reaches
into a service's tables: the stories see what a bureau's client would see.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx

from jiuzhu_devtools.seeds import EVIDENCE as EVIDENCE
from jiuzhu_devtools.seeds import FULL_MARKS
from jiuzhu_devtools.seeds import STAFF_GOOD as STAFF_GOOD
from jiuzhu_devtools.seeds import TOWNSHIP_SHEET as TOWNSHIP_SHEET
from jiuzhu_devtools.testing import announce_clock, audit_chains, test_today
from jiuzhu_kit.audit import verify_chain

# GB 32100-2015 alphabet and weights 3^(i-1) mod 31 (written here again on purpose: an independent check).
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = [pow(3, i, 31) for i in range(17)]

COMPREHENSIVE = "social-assistance-comprehensive"  # evaluation's built-in template code
# EVIDENCE, TOWNSHIP_SHEET and STAFF_GOOD come from jiuzhu_devtools.seeds (shared with the demo).
# The comprehensive template's purchaser/township sheet: full marks, and a sheet that fails.
GOOD_SHEET = FULL_MARKS
POOR_SHEET = {
    "service_volume": "0",
    "verification_accuracy": "50",
    "late_cases": "20",
    "records_complete": "50",
    "staff_in_post": "0",
    "finance_issues": "10",
    "public_recognition": "1",
    "valid_complaints": "10",
}
# Annual staff assessment sheets (staff-annual template): STAFF_GOOD 95.00 qualified (shared with the
# demo), this one 29.75 unqualified.
STAFF_POOR = {
    "ethics": "2",
    "absences": "4",
    "cases_handled": "40",
    "accuracy": "80",
    "daily_performance": "2",
}


def contractor_body(code: str, name: str, *, small: bool = False) -> dict[str, Any]:
    """A contractor's registration that passes every capacity check (政府采购法 22)."""
    return {
        "uscc": code,
        "name": name,
        "small_enterprise": small,
        "legal_representative": "张建国",
        "contact_phone": "13912345678",
        "capacities": {
            "facilities": "办公场所 300 平方米",
            "staff_count": 30,
            "skills": ["社会工作", "入户核查"],
            "finance_system": True,
            "governance": True,
            "independent_liability": True,
        },
    }


def uscc(registration: str, division: str, serial: int) -> str:
    """A valid unified social credit code: 2-char authority/type, 6-digit division, 9-char org code."""
    body = f"{registration}{division}MA{serial:07d}"
    total = sum(_ALPHABET.index(ch) * w for ch, w in zip(body, _WEIGHTS, strict=True))
    return body + _ALPHABET[(31 - total % 31) % 31]


@dataclass
class Walk:
    client: httpx.AsyncClient
    token: Callable[..., str]
    trail: list[tuple[str, str]] = field(default_factory=list)  # (service, aggregate path) to verify
    _ip: int = 0

    def h(self, role: str, div: str, org: str | None = None, sub: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, div, org=org, sub=sub)}"}

    async def call(
        self,
        method: str,
        path: str,
        who: tuple[str, ...] | None,
        *,
        expect: int = 200,
        json: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        hdrs = dict(headers or {})
        if who is not None:
            role, div, *rest = who
            hdrs.update(self.h(role, div, org=rest[0] if rest else None))
        r = await self.client.request(method, path, json=json, params=params, headers=hdrs)
        assert r.status_code == expect, (
            f"{who} {method} {path}: expected {expect}, got {r.status_code} {r.text}"
        )
        if r.headers.get("content-type", "").endswith("json"):
            return r.json()
        return r.text

    # ---- shared steps ---------------------------------------------------------------------

    async def ensure_calendar(self, year: int) -> None:
        """The bureaus load next year's holiday notice when it appears (around November).

        The library the calendar is seeded from knows years up to its release; a deadline that runs
        into a year nobody loaded is refused (CALENDAR_YEAR_MISSING), so the story's administrator
        loads it, as a real deployment would. New Year's Day is the one holiday fixed by law
        (《全国年节及纪念日放假办法》); the rest of that year's notice is not out yet.
        """
        admin = ("admin", "000000")
        for service in ("procurement", "evaluation", "staffing"):
            r = await self.client.get(f"/api/{service}/calendar/{year}", headers=self.h(*admin))
            if r.status_code == 200:
                continue
            assert r.json()["code"] == "CALENDAR_YEAR_MISSING", r.text
            body = {
                "notice": f"{year} 年元旦（放假通知发布前的最小日历）",
                "holidays": [{"date": f"{year}-01-01", "name": "元旦"}],
            }
            await self.call("PUT", f"/api/{service}/admin/calendar/{year}", admin, json=body)

    async def working_day(self, start: date, days: int) -> date:
        r = await self.call(
            "GET",
            "/api/procurement/calendar/working-days",
            ("bureau", "000000"),
            params={"start": start.isoformat(), "days": days},
        )
        return date.fromisoformat(r["due"])

    async def register(self, code: str, name: str, div: str, *, small: bool = False) -> dict[str, Any]:
        body = contractor_body(code, name, small=small)
        out = await self.call(
            "POST", "/api/procurement/contractors", ("contractor", div, code), json=body, expect=201
        )
        self.trail.append(("procurement", f"contractors/{code}"))
        return dict(out)

    async def plan(self, div: str, year: int, lines: list[dict[str, str]], title: str) -> str:
        body = {"division_code": div, "year": year, "title": title, "budget_lines": lines}
        plan = await self.call("POST", "/api/procurement/plans", ("bureau", div), json=body, expect=201)
        pid = str(plan["id"])
        await self.tr("plans", pid, "submitted", ("bureau", div))
        approved = await self.tr("plans", pid, "approved", ("finance", div))
        assert approved["status"] == "approved"
        self.trail.append(("procurement", f"plans/{pid}"))
        return pid

    async def tr(
        self,
        kind: str,
        entity_id: str,
        to: str,
        who: tuple[str, ...],
        data: dict[str, Any] | None = None,
        reason: str | None = None,
        expect: int = 200,
        at: str | None = None,
    ) -> Any:
        """One transition. `at` is the request's X-Jiuzhu-Clock ("" for the suite's now); by default
        a project is announced ANNOUNCE_DAYS_BACK days ago, so that its response period has run
        when the story closes bidding today (the story of the clock itself sets every date)."""
        body: dict[str, Any] = {"to": to}
        if data is not None:
            body["data"] = data
        if reason is not None:
            body["reason"] = reason
        if at is None and kind == "projects" and to == "announced":
            at = announce_clock()
        return await self.call(
            "POST",
            f"/api/procurement/{kind}/{entity_id}/transitions",
            who,
            json=body,
            expect=expect,
            headers={"X-Jiuzhu-Clock": at} if at else None,
        )

    async def bid(self, project_id: str, code: str, div: str, price: str, expect: int = 201) -> Any:
        return await self.call(
            "POST",
            f"/api/procurement/projects/{project_id}/bids",
            ("contractor", div, code),
            json={"uscc": code, "price": price, "proposal": "服务方案：人员、流程、质量控制"},
            expect=expect,
        )

    async def qualify_all(self, project_id: str, div: str) -> None:
        bids = await self.call("GET", f"/api/procurement/projects/{project_id}/bids", ("bureau", div))
        for b in bids:
            await self.call(
                "POST",
                f"/api/procurement/projects/{project_id}/bids/{b['id']}/qualification",
                ("bureau", div),
                json={"qualified": True, "note": "资格证明文件齐全"},
            )

    async def template_id(self, code: str = COMPREHENSIVE) -> str:
        t = await self.call("GET", f"/api/evaluation/templates/by-code/{code}", ("bureau", "000000"))
        return str(t["id"])

    async def answer_anonymously(
        self, survey_id: str, code: str, answers: dict[str, int], expect: int = 201
    ) -> Any:
        """A recipient answers with a one-time code, no token, from their own address (the gateway
        trusts X-Forwarded-For from loopback: each recipient is a different client)."""
        self._ip += 1
        r = await self.client.post(
            f"/api/evaluation/surveys/{survey_id}/responses",
            json={"code": code, "answers": answers},
            headers={"X-Forwarded-For": f"198.51.100.{self._ip % 250 + 1}"},
        )
        assert r.status_code == expect, f"anonymous answer: expected {expect}, got {r.status_code} {r.text}"
        return r.json()

    async def verify_trail(self, auditor: tuple[str, str]) -> dict[str, int]:
        """Every touched aggregate's hash chain verifies (the /events/verify endpoints)."""
        seen: dict[str, int] = {}
        for service, path in dict.fromkeys(self.trail):
            v = await self.call("GET", f"/api/{service}/{path}/events/verify", auditor)
            assert v["ok"] is True, f"{service} {path}: {v}"
            assert v["events"] >= 1, f"{service} {path}: no events"
            seen[f"{service}/{path}"] = int(v["events"])
        return seen


async def every_chain(database_url: str) -> dict[str, dict[str, int]]:
    """Every audit chain in every service's schema verifies, including aggregates that have no
    /events/verify endpoint (payments, challenges, surveys, staff assessments, compliance reports).
    The tables are emptied before each test, so these are the story's own chains.
    Returns {schema: {aggregate_type: number of aggregates}}."""
    out: dict[str, dict[str, int]] = {}
    for schema in ("staffing", "procurement", "evaluation"):
        for kind, chains in (await audit_chains(database_url, schema)).items():
            for agg, events in chains.items():
                result = verify_chain(events)
                assert result.ok, f"{schema} {kind} {agg}: {result}"
            out.setdefault(schema, {})[kind] = len(chains)
    return out


def elapsed(start: float) -> float:
    return time.monotonic() - start


@asynccontextmanager
async def story(gateway: str, token: Callable[..., str]) -> AsyncIterator[Walk]:
    """One whole story through the gateway: a client, its `Walk`, next year's calendar loaded;
    the story must take under a minute. On its way out, what it published passes the tools OCDS
    publishers are checked with (libcoveocds, the strict schema, ocdsmerge: stories/ocds.py)."""
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=gateway, timeout=20) as client:
        w = Walk(client, token)
        await w.ensure_calendar(test_today().year + 1)
        yield w
    assert elapsed(started) < 60
    from tests.stories import ocds  # libcoveocds and its kin: loaded by the stories only

    # Its own administrator: the check's listing is not counted against the stories' admin token.
    ocds.assert_clean(ocds.check_published(gateway, w.h("admin", "000000", sub="ocds-publication-check")))
