"""`make demo`'s loader against the real processes: every project state, rounds with results, survey
answers, staffing and compliance, a public debarment; a second load writes nothing new; what it
publishes passes the OCDS tools."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx

from jiuzhu_devtools.demo import load
from jiuzhu_devtools.testing import TEST_SECRET, LiveStack
from jiuzhu_kit.settings import KitSettings
from tests.stories import ocds, uscc

STATES = {
    "declared",
    "approved",
    "announced",
    "bidding_closed",
    "qualification_review",
    "scoring",
    "awarded",
    "contract_signed",
    "performance_supervision",
    "final_evaluation",
    "closed",
    "cancelled",
    "failed",
    "terminated",
    "taken_over",
}


def _all(c: httpx.Client, path: str, h: dict[str, str], **filters: Any) -> list[dict[str, Any]]:
    r = c.get(path, params={"limit": 200, **filters}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body.get("next_cursor") is None, "more than one page"
    return list(body["items"])


def _snapshot(c: httpx.Client, h: dict[str, str]) -> tuple[Counter[str], Counter[str]]:
    projects = Counter(p["status"] for p in _all(c, "/api/procurement/projects", h))
    rounds = Counter(r["status"] for r in _all(c, "/api/evaluation/rounds", h))
    return projects, rounds


def test_demo_loads_every_state_and_loads_once(
    live_stack: LiveStack, auth: Callable[..., dict[str, str]]
) -> None:
    settings = KitSettings(JWT_SECRET=TEST_SECRET, DATABASE_URL="")
    first = load(live_stack.gateway, settings)
    assert first.seconds < 60 and first.replayed == 0
    admin = auth("admin", "000000")
    with httpx.Client(base_url=live_stack.gateway, timeout=10) as c:
        projects, rounds = _snapshot(c, admin)
        assert set(projects) == STATES, projects
        assert {"open", "published"} <= set(rounds), rounds

        lingwu = first.places["灵武市 640181 (seed 002)"]
        h = auth("bureau", "640181")
        contract = c.get(f"/api/procurement/contracts/{lingwu['contract']}", headers=h).json()
        assert contract["status"] == "signed" and len(contract["payments"]) == 6
        # Signed on its real date (灵政办发〔2018〕201号 五(三): early November 2018), not the day the
        # demo ran; OCDS publishes that date.
        assert contract["signed_on"] == "2018-11-09"
        record = c.get(f"/api/procurement/ocds/records/{lingwu['project']}", headers=h).json()
        signed = [x["dateSigned"] for r in record["records"] for x in r["compiledRelease"]["contracts"]]
        assert signed and all(d.startswith("2018-11-09") for d in signed), signed
        assert {p["period"]: p["status"] for p in contract["payments"]}["2019-H1"] == "released"
        h1, h2 = (c.get(f"/api/evaluation/rounds/{r}", headers=h).json() for r in lingwu["rounds"])
        assert h1["status"] == "published" and h1["result"]["passed"] is True
        assert h2["status"] == "open" and sorted(h2["missing_parties"]) == ["recipients", "township"]
        pub = c.get(f"/api/evaluation/rounds/{h1['id']}/publication", headers=h).json()
        assert pub["recipients"]["respondents"] == 36
        staffing = c.get(f"/api/staffing/scenarios/{lingwu['scenario']}", headers=h).json()
        assert staffing["result"]["totals"] == {"verifier": 13}
        assert c.get("/api/staffing/compliance/reports/640181/2019", headers=h).status_code == 200

        longyan = first.places["新罗区 350802 (seed 001)"]
        failed = c.get(f"/api/evaluation/rounds/{longyan['round']}", headers=auth("auditor", "350800")).json()
        assert failed["status"] == "published" and failed["result"]["passed"] is False
        debarred = c.get("/api/public/procurement/debarments").json()
        assert longyan["debarred_contractor"] in str(debarred)
        # Jurisdiction holds for demo data too: Lingwu's bureau sees none of Guangdong's projects.
        own = {p["division_code"][:6] for p in _all(c, "/api/procurement/projects", h)}
        assert own == {"640181"}

        again = load(live_stack.gateway, settings)
        assert again.calendars == [] and again.writes == first.writes - len(first.calendars)
        assert again.replayed == again.writes
        assert _snapshot(c, admin) == (projects, rounds)

    # What the demo publishes (14 projects, every state a published project can be in) passes the
    # tools OCDS publishers are checked with, as the stories' data does (tests/stories/ocds.py).
    figures = ocds.check_published(live_stack.gateway, admin)
    assert figures.projects == 14 and figures.releases >= 50
    ocds.assert_clean(figures)


def test_demo_loads_on_a_database_with_other_data(
    live_stack: LiveStack, auth: Callable[..., dict[str, str]]
) -> None:
    """Someone else got there first: 新罗区's 2026 plan, one of the demo's contractors, 荔湾区's 2026
    compliance report. The demo reuses what it may (the contractor, the report), plans 新罗区's
    purchases under a township instead, leaves the others' records alone, and says so; a second
    load replays."""
    settings = KitSettings(JWT_SECRET=TEST_SECRET, DATABASE_URL="")
    someone = auth("bureau", "350802", sub="someone-else")
    code = uscc("52", "350802", 1)  # the demo's first Longyan contractor
    with httpx.Client(base_url=live_stack.gateway, timeout=60) as c:
        plan = c.post(
            "/api/procurement/plans",
            headers=someone,
            json={
                "division_code": "350802",
                "year": 2026,
                "title": "新罗区 2026 年度购买服务计划（他人）",
                "budget_lines": [{"funding_source": "working_funds", "amount": "10000.00", "scope": "其他"}],
            },
        )
        assert plan.status_code == 201, plan.text
        theirs = {
            "uscc": code,
            "name": "新罗区某社会工作服务中心（先登记）",
            "small_enterprise": False,
            "legal_representative": "黄文",
            "contact_phone": "13800009999",
            "capacities": {
                "facilities": "办公场所 100 平方米",
                "staff_count": 8,
                "skills": ["社会工作"],
                "finance_system": True,
                "governance": True,
                "independent_liability": True,
            },
        }
        r = c.post(
            "/api/procurement/contractors",
            headers=auth("contractor", "350802", sub="first", org=code),
            json=theirs,
        )
        assert r.status_code == 201, r.text

        loaded = load(live_stack.gateway, settings)
        notes = "\n".join(loaded.notes)
        assert f"contractor {code}" in notes and "CONTRACTOR_EXISTS" in notes, notes
        assert "plan 350802/2026" in notes and "township 350802190" in notes, notes
        assert loaded.reused >= 1 and "reused" in loaded.summary()
        # The others' plan is untouched (still a draft); the demo's is township 350802190's.
        admin = auth("admin", "000000")
        assert c.get(f"/api/procurement/plans/{plan.json()['id']}", headers=admin).json()["status"] == "draft"
        plans = _all(c, "/api/procurement/plans", admin, division_code="350802", year=2026)
        assert sorted(p["division_code"] for p in plans) == ["350802", "350802190"]
        longyan = loaded.places["新罗区 350802 (seed 001)"]
        assert longyan["debarred_contractor"] == code  # the organisation registered first, reused
        again = load(live_stack.gateway, settings)
        assert again.replayed + again.reused == again.writes and again.notes == loaded.notes
