"""The people Lingwu buys (seed 002, 灵政办发〔2018〕201号), through the gateway: the roster.

The dispatch company signs on Friday 2018-11-09; nobody types the dispatch deadline: the rules give
15 working days (五(五)), 2018-11-30. The bureau publishes its recruitment requirements (age,
education, household registration, 五(五)) as a local rule pack; a candidate who fails them is
refused with the clause. The company registers 13 verifiers by unit (四(五): 2 each for the street
office, 崇兴镇 and 郝家桥镇, 1 for the bureau and each other township), trains and dispatches them:
the twelfth is dispatched in time, the thirteenth three days late, so the deadline is overdue for a
while and met on the day the roster reaches 13 — from the roster, not typed. A township sees its own
verifiers; ID numbers and phones are masked everywhere but the audited personal-data route, and the
roster table holds no plain ID number. Two trainings a year are required (六(三)): one recorded is
listed as missing. A verifier assessed 不合格 in 2019 (the evaluation service, staff_ref = the
roster id) must be replaced (四(八)): the replacement falls due and the roster records who replaced
whom and when; the replacement is listed as overdue on the days it was late. The missing training
and the overdue replacements are also cursor pages across contracts, under the roster's read policy.
The village page shows the contract's latest published evaluation grade. Compliance from facts
(seed 000 三(二)): Lingwu's report reads "actual" from the roster — 13 in post in 2019, 12 on the
day between the failed verifier's replacement and the successor's first day, short one in 郝家桥镇 —
and a typed count is refused where a contract is bound to the roster.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import asyncpg

from jiuzhu_devtools.pg import asyncpg_dsn
from jiuzhu_devtools.seeds import LINGWU_COUNTY
from jiuzhu_devtools.testing import LiveStack
from tests.stories import (
    GOOD_SHEET,
    STAFF_GOOD,
    STAFF_POOR,
    TOWNSHIP_SHEET,
    Walk,
    every_chain,
    story,
    uscc,
)
from tests.test_story_lingwu import _half_year_round

LINGWU, CITY = "640181", "640100"
BUREAU, FINANCE = ("bureau", LINGWU), ("finance", LINGWU)
# 四(五): the bureau 1, the street office, 崇兴镇 and 郝家桥镇 2 each, the six others 1 each = 13.
UNITS: list[tuple[str, str, int]] = [
    ("灵武市民政局", LINGWU, 1),
    ("城区街道", "640181001", 2),
    ("崇兴镇", "640181100", 2),
    ("郝家桥镇", "640181101", 2),
    ("东塔镇", "640181102", 1),
    ("宁东镇", "640181103", 1),
    ("马家滩镇", "640181104", 1),
    ("临河镇", "640181105", 1),
    ("梧桐树乡", "640181200", 1),
    ("白土岗乡", "640181201", 1),
]
CHONGXING = "640181100"
_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(region: str, born: str, serial: int) -> str:
    """A resident ID number with its GB 11643 check character."""
    body = f"{region}{born.replace('-', '')}{serial:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _W, strict=True)) % 11]


def at(d: str) -> dict[str, str]:
    return {"X-Jiuzhu-Clock": f"{d}T10:00:00+08:00"}


def worker(n: int, unit: str, serves: str, **over: Any) -> dict[str, Any]:
    body = {
        "name": f"马{'建军国庆文华'[n % 6]}{n:02d}",
        "id_number": id_number(LINGWU, f"199{n % 10}-0{1 + n % 9}-1{n % 10}", 100 + n),
        "phone": f"139951{n:05d}",
        "education": "junior_college",
        "household_division": LINGWU,
        "veteran": n == 3,
        "unit_name": unit,
        "serves_division": serves,
    }
    return {**body, **over}


REQUIREMENTS_PACK: dict[str, Any] = {
    "id": "lingwu-recruitment",
    "version": 1,
    "title": "灵武市社会救助入户核查员招聘条件",
    "cite_as": "灵武市入户核查员招聘条件",
    "issuer": "灵武市民政局",
    "published": "2018-11-01",
    "effective_from": "2018-11-01",
    "jurisdiction": LINGWU,
    "inherits": "lingwu-procurement",
    "parameters": {
        "recruitment_requirements": {
            "label": "入户核查员的年龄、学历、户籍要求",
            "unit": "recruitment",
            "values": [
                {
                    "from": "2018-11-01",
                    "value": {
                        "min_age": 18,
                        "max_age": 45,
                        "min_education": "senior_high",
                        "household_within": [LINGWU],
                    },
                    "citation": {"document": "灵政办发〔2018〕201号", "clause": "五(五)"},
                }
            ],
        }
    },
}


async def _signed_contract(w: Walk, company: str) -> str:
    """Bought by single source from the designated company (四(三)), signed on 2018-11-09."""
    price = "1734054.40"
    line = {"funding_source": "assistance_subsidy_funds", "amount": price, "scope": "入户核查员劳务派遣"}
    plan = await w.plan(LINGWU, 2018, [line], "2018 年度购买社会救助服务计划")
    project = {
        "plan_id": plan,
        "division_code": LINGWU,
        "title": "灵武市社会救助入户核查员劳务派遣",
        "purchase_form": "labour_dispatch",
        "items": ["AS09"],
        "quantity": "13 名入户核查员",
        "budget": price,
        "funding_source": "assistance_subsidy_funds",
        "declared_on": "2018-10-08",
    }
    pid = (await w.call("POST", "/api/procurement/projects", BUREAU, json=project, expect=201))["id"]
    await w.tr("projects", pid, "approved", FINANCE)
    ann = {"method": "single_source", "ground": "only_one_supplier", "publicity_working_days": 5}
    await w.tr("projects", pid, "announced", BUREAU, ann)
    bid = await w.bid(pid, company, LINGWU, price)
    for to in ("bidding_closed", "qualification_review"):
        await w.tr("projects", pid, to, BUREAU)
    await w.qualify_all(pid, LINGWU)
    await w.tr("projects", pid, "scoring", BUREAU)
    scoring = {
        "members": [{"id": "e1", "expert": True}],
        "scores": [{"bid_id": bid["id"], "member_id": "e1", "score": "66"}],
    }
    await w.call("POST", f"/api/procurement/projects/{pid}/scoring", BUREAU, json=scoring)
    await w.tr("projects", pid, "awarded", BUREAU)
    contract = {
        "subject": "社会救助入户核查员劳务派遣服务",
        "service_standards": "专职专责从事入户核查",
        "quantity": "13 名入户核查员",
        "headcount": 13,
        "term_start": "2019-01-01",
        "term_end": "2021-12-31",
        "term_reason": "购买周期三年（灵政办发〔2018〕201号 四(七)）",
        "payment_method": "按半年度评估结果拨付（六(二)）",
        "payment_schedule": [{"period": "2019-H1", "amount": price, "due_on": "2019-06-28"}],
        "breach_liability": "按合同约定追究违约责任",
        "dispute_resolution": "协商不成向灵武市人民法院起诉",
        "takeover_plan": "派遣公司不能履约时由市民政局临时接管入户核查工作并重新组织采购",
    }
    c = await w.call(
        "POST",
        f"/api/procurement/projects/{pid}/contract",
        BUREAU,
        json=contract,
        expect=201,
        headers=at("2018-11-09"),
    )
    await w.tr("projects", pid, "contract_signed", BUREAU, at=at("2018-11-09")["X-Jiuzhu-Clock"])
    w.trail.append(("procurement", f"contracts/{c['id']}"))
    return str(c["id"])


async def test_lingwu_roster_dispatch_training_and_replacement(
    live_stack: LiveStack, token: Callable[..., str], database_url: str
) -> None:
    async with story(live_stack.gateway, token) as w:
        company = uscc("91", LINGWU, 301)
        await w.register(company, "灵武市国有劳务派遣有限公司", LINGWU)
        employer = ("contractor", LINGWU, company)
        cid = await _signed_contract(w, company)

        # 1. Signed 2018-11-09: the dispatch deadline is the rule's, 15 working days → 2018-11-30.
        c = await w.call("GET", f"/api/procurement/contracts/{cid}", BUREAU)
        (dispatch,) = c["deadlines"]
        assert (c["signed_on"], c["headcount"]) == ("2018-11-09", 13)
        assert (dispatch["key"], dispatch["working_days"], dispatch["due_on"]) == (
            "staff_dispatched",
            15,
            "2018-11-30",
        )
        assert dispatch["citation"] == "灵政办发〔2018〕201号 五(五)"
        project_id = c["project_id"]

        # 2. The bureau publishes its recruitment requirements (五(五)); the city reviews them.
        draft = await w.call(
            "POST",
            "/api/procurement/rules/local-packs",
            None,
            json={"pack": REQUIREMENTS_PACK},
            headers=w.h("bureau", LINGWU, sub="lingwu-clerk"),
            expect=201,
        )
        await w.call(
            "POST",
            f"/api/procurement/rules/local-packs/{draft['id']}/transitions",
            None,
            json={"to": "published", "reason": "市局审核"},
            headers=w.h("bureau", CITY, sub="yinchuan-reviewer"),
        )
        roster = f"/api/procurement/contracts/{cid}/workers"
        # Refused with the requirement and its clause: aged 50 on 2018-11-12, a household elsewhere,
        # junior-high education.
        for over, requirement in (
            ({"id_number": id_number(LINGWU, "1968-05-01", 901)}, "max_age"),
            ({"household_division": "640104"}, "household_within"),
            ({"education": "junior_high"}, "min_education"),
        ):
            r = await w.call(
                "POST",
                roster,
                employer,
                json=worker(90, "崇兴镇", CHONGXING, **over),
                expect=409,
                headers=at("2018-11-12"),
            )
            assert (r["code"], r["requirement"]) == ("RECRUITMENT_REQUIREMENT_NOT_MET", requirement)
            assert "灵政办发〔2018〕201号 五(五)" in r["detail"]
        # Only the employer maintains the roster.
        r = await w.call("POST", roster, BUREAU, json=worker(91, "崇兴镇", CHONGXING), expect=403)
        assert r["code"] == "ROLE_FORBIDDEN"

        # 3. Thirteen verifiers by unit, recruited on 2018-11-12.
        ids: list[str] = []
        numbers: list[str] = []
        phones: list[str] = []
        for unit, serves, people in UNITS:
            for _ in range(people):
                body = worker(len(ids) + 1, unit, serves)
                got = await w.call("POST", roster, employer, json=body, expect=201, headers=at("2018-11-12"))
                assert got["status"] == "recruited" and got["id_number"] == (
                    body["id_number"][:6] + "********" + body["id_number"][-4:]
                )
                assert got["phone"] == body["phone"][:3] + "****" + body["phone"][-4:]
                ids.append(got["id"])
                numbers.append(body["id_number"])
                phones.append(body["phone"])
        assert len(ids) == 13
        again = await w.call("POST", roster, employer, json=worker(1, "城区街道", "640181001"), expect=409)
        assert again["code"] == "ROSTER_WORKER_EXISTS"

        async def move(wid: str, to: str, day: str) -> dict[str, Any]:
            out: dict[str, Any] = await w.call(
                "POST",
                f"/api/procurement/workers/{wid}/transitions",
                employer,
                json={"to": to},
                headers=at(day),
            )
            return out

        for wid in ids:
            await move(wid, "trained", "2018-11-20")
        for wid in ids[:12]:
            await move(wid, "dispatched", "2018-11-28")
        # Twelve of thirteen on the due day: not yet late; the day after, overdue (the city sees it).
        overdue = "/api/procurement/contracts/overdue-deadlines"
        assert (await w.call("GET", overdue, BUREAU, params={"on": "2018-11-30"}))["items"] == []
        late = await w.call("GET", overdue, ("finance", CITY), params={"on": "2018-12-01"})
        assert [(x["contract_id"], x["key"], x["days_overdue"]) for x in late["items"]] == [
            (cid, "staff_dispatched", 1)
        ]
        # Nobody types it.
        typed = await w.call(
            "POST",
            f"/api/procurement/contracts/{cid}/deadlines/staff_dispatched/fulfil",
            BUREAU,
            json={"on": "2018-11-28"},
            expect=409,
        )
        assert typed["code"] == "DEADLINE_MET_BY_ROSTER"
        await move(ids[12], "dispatched", "2018-12-03")
        c = await w.call("GET", f"/api/procurement/contracts/{cid}", BUREAU)
        assert c["deadlines"][0]["fulfilled_on"] == "2018-12-03"
        assert (await w.call("GET", overdue, BUREAU, params={"on": "2018-12-04"}))["items"] == []
        for wid in ids:
            await move(wid, "in_post", "2018-12-05")
        await w.call("POST", f"/api/procurement/workers/{ids[0]}/approval", BUREAU)

        # 4. Reads: the bureau the 13 by unit (two pages), 崇兴镇 its own 2, another county nothing.
        first = await w.call("GET", roster, BUREAU, params={"limit": 10})
        rest = await w.call("GET", roster, BUREAU, params={"limit": 10, "cursor": first["next_cursor"]})
        everyone = first["items"] + rest["items"]
        assert [x["id"] for x in everyone] == ids and rest.get("next_cursor") is None
        by_unit: dict[str, int] = {}
        for x in everyone:
            by_unit[x["unit_name"]] = by_unit.get(x["unit_name"], 0) + 1
        assert by_unit == {u: n for u, _, n in UNITS}
        mine = await w.call(
            "GET",
            roster,
            ("township", CHONGXING),
            params={"serves_division": CHONGXING, "status": "in_post", "limit": 10},
        )
        assert [x["unit_name"] for x in mine["items"]] == ["崇兴镇", "崇兴镇"]
        r = await w.call("GET", roster, ("bureau", "640121"), expect=404)
        assert r["code"] == "CONTRACT_NOT_FOUND"
        public = await w.client.get(roster)
        assert public.status_code == 401

        # The full ID number: the bureau, audited; a township is refused.
        chongxing_worker = mine["items"][0]["id"]
        purpose = {"purpose": "办理社会保险登记"}
        full = await w.call(
            "POST", f"/api/procurement/workers/{chongxing_worker}/personal-data", BUREAU, json=purpose
        )
        assert full["id_number"] == numbers[ids.index(chongxing_worker)]
        r = await w.call(
            "POST",
            f"/api/procurement/workers/{chongxing_worker}/personal-data",
            ("township", CHONGXING),
            json=purpose,
            expect=403,
        )
        assert r["code"] == "ROLE_FORBIDDEN"
        history = await w.call(
            "GET", f"/api/procurement/workers/{chongxing_worker}/events", ("auditor", LINGWU)
        )
        chain = await w.call(
            "GET", f"/api/procurement/workers/{chongxing_worker}/events/verify", ("auditor", LINGWU)
        )
        assert chain["ok"] is True, chain
        assert [e["action"] for e in history] == [
            "roster_worker.recruited",
            "roster_worker.train",
            "roster_worker.dispatch",
            "roster_worker.take_post",
            "roster_worker.personal_data_read",
        ]
        assert history[-1]["reason"] == "办理社会保险登记" and history[-1]["actor"] == "user-bureau-640181"
        assert full["id_number"] not in str(history) and full["phone"] not in str(history)

        # 5. Training: two sessions a year (六(三)); one recorded in 2019 is listed as missing.
        trainings = f"/api/procurement/contracts/{cid}/trainings"
        session = {
            "on": "2019-03-15",
            "hours": "6.0",
            "subject": "社会救助政策与入户核查实务",
            "kind": "business",
            "organiser": "灵武市民政局",
            "attendees": ids,
        }
        await w.call("POST", trainings, BUREAU, json=session, expect=201)
        missing = await w.call("GET", f"{trainings}/missing", BUREAU, params={"year": 2019})
        assert missing["sessions"] == 1
        assert [(m["key"], m["required"], m["recorded"], m["citation"]) for m in missing["missing"]] == [
            ("sessions_per_year", 2, 1, "灵政办发〔2018〕201号 六(三)")
        ]
        # Across contracts, as a cursor page under the read policy: the city sees Lingwu's; another
        # county nothing.
        lacking = "/api/procurement/trainings/missing"
        listed = await w.call(
            "GET", lacking, ("auditor", CITY), params={"year": 2019, "division_code": LINGWU, "limit": 10}
        )
        assert [(x["contract_id"], x["purchaser_division"], x["sessions"]) for x in listed["items"]] == [
            (cid, LINGWU, 1)
        ]
        assert [m["key"] for m in listed["items"][0]["missing"]] == ["sessions_per_year"]
        assert listed.get("next_cursor") is None
        elsewhere = await w.call("GET", lacking, ("bureau", "640121"), params={"year": 2019})
        assert elsewhere["items"] == []
        await w.call("POST", trainings, employer, json={**session, "on": "2019-09-20"}, expect=201)
        assert (await w.call("GET", lacking, BUREAU, params={"year": 2019}))["items"] == []
        assert (await w.call("GET", f"{trainings}/missing", BUREAU, params={"year": 2019}))["missing"] == []
        listed = await w.call("GET", trainings, ("township", CHONGXING))
        assert [t["on"] for t in listed["items"]] == ["2019-09-20", "2019-03-15"]

        # 6. The year's assessments attach to roster workers (staff_ref = the roster id); one fails.
        failing = ids[5]  # 郝家桥镇's first verifier
        for wid in ids:
            body = {
                "contract_id": cid,
                "staff_ref": wid,
                "division_code": LINGWU,
                "year": 2019,
                "values": STAFF_POOR if wid == failing else STAFF_GOOD,
                "evidence": [{"kind": "record", "title": "2019 年度考核表"}],
            }
            await w.call("POST", "/api/evaluation/staff-assessments", BUREAU, json=body, expect=201)
        # A roster id of another contract is refused by evaluation (it asks procurement's roster).
        stranger = {**body, "staff_ref": "00000000-0000-4000-8000-00000000a001", "values": STAFF_GOOD}
        r = await w.call("POST", "/api/evaluation/staff-assessments", BUREAU, json=stranger, expect=409)
        assert r["code"] == "STAFF_NOT_ON_ROSTER"
        qualified = await w.call(
            "POST", f"/api/procurement/workers/{ids[0]}/assessment", BUREAU, json={"year": 2019}, expect=409
        )
        assert qualified["code"] == "ROSTER_REPLACEMENT_NOT_REQUIRED"
        due = await w.call(
            "POST",
            f"/api/procurement/workers/{failing}/assessment",
            BUREAU,
            json={"year": 2019},
            headers=at("2020-01-06"),
        )
        # 15 working days from Monday 2020-01-06 (四(八), read with 五(五)), across the Spring Festival
        # (Sunday 19 January worked; 24 January – 2 February off, as extended that year): 3 February.
        assert due["replacement_due"]["due_on"] == "2020-02-03"
        assert due["replacement_due"]["citation"] == "灵政办发〔2018〕201号 四(八)（未核实）"
        # Not recorded by the due day: overdue the day after, for the purchaser's side and 郝家桥镇
        # (masked), not for 崇兴镇.
        overdue_r = "/api/procurement/workers/overdue-replacements"
        assert (await w.call("GET", overdue_r, BUREAU, params={"on": "2020-02-03"}))["items"] == []
        late_r = await w.call(
            "GET",
            overdue_r,
            ("finance", CITY),
            params={"on": "2020-02-04", "division_code": LINGWU, "limit": 10},
        )
        assert [(x["id"], x["replacement_due"]["due_on"]) for x in late_r["items"]] == [
            (failing, "2020-02-03")
        ]
        assert late_r["items"][0]["id_number"] == numbers[5][:6] + "********" + numbers[5][-4:]
        mine_r = await w.call(
            "GET",
            overdue_r,
            ("township", "640181101"),
            params={"on": "2020-02-04", "division_code": "640181101", "limit": 10},
        )
        assert [x["id"] for x in mine_r["items"]] == [failing]
        assert (await w.call("GET", overdue_r, ("township", CHONGXING), params={"on": "2020-02-04"}))[
            "items"
        ] == []
        # The company re-selects: a new verifier for the same unit, dispatched, recorded as the successor.
        old = await w.call("GET", f"/api/procurement/workers/{failing}", BUREAU)
        new = await w.call(
            "POST",
            roster,
            employer,
            json=worker(14, old["unit_name"], old["serves_division"]),
            expect=201,
            headers=at("2020-01-08"),
        )
        for to in ("trained", "dispatched"):
            await move(new["id"], to, "2020-01-15")
        r = await w.call(
            "POST",
            f"/api/procurement/workers/{failing}/transitions",
            employer,
            json={"to": "replaced", "reason": "考核不合格"},
            expect=409,
        )
        assert r["code"] == "ROSTER_REPLACEMENT_REQUIRED"
        replaced = await w.call(
            "POST",
            f"/api/procurement/workers/{failing}/replacement",
            employer,
            json={"replacement_id": new["id"], "reason": "2019 年度考核不合格，派遣公司重新选配（四(八)）"},
            headers=at("2020-01-16"),
        )
        assert (replaced["status"], replaced["replaced_by_id"], replaced["replaced_on"]) == (
            "replaced",
            new["id"],
            "2020-01-16",
        )
        assert replaced["replacement_due"]["met_on"] == "2020-01-16"
        successor = await w.call("GET", f"/api/procurement/workers/{new['id']}", BUREAU)
        assert successor["replaces_id"] == failing
        # Recorded on the 16th: no longer overdue, whichever day is asked after that.
        assert (await w.call("GET", overdue_r, BUREAU, params={"on": "2020-02-04"}))["items"] == []

        # 7. Who serves 崇兴镇 (and a village of it): public, cacheable, names masked, nothing personal.
        for place in (CHONGXING, f"{CHONGXING}201"):
            r = await w.client.get(f"/api/public/procurement/who-serves/{place}", headers=at("2020-06-01"))
            assert (
                r.status_code == 200 and r.headers["cache-control"] == "public, max-age=300, must-revalidate"
            ), r.text
            (serving,) = r.json()["contracts"]
            assert (serving["contract_id"], serving["workers_in_post"]) == (cid, 2)
            assert serving["contractor_name"] == "灵武市国有劳务派遣有限公司"
            assert [x["name"] for x in serving["workers"]] == [
                x["name"][0] + "*" * (len(x["name"]) - 1) for x in mine["items"]
            ]
            assert not any(n in r.text for n in numbers + phones + [x["name"] for x in mine["items"]])
        # 郝家桥镇: the verifier who failed was replaced, so its successor is in post (dispatched, then in post).
        await move(new["id"], "in_post", "2020-01-20")
        r = await w.client.get("/api/public/procurement/who-serves/640181101", headers=at("2020-06-01"))
        assert r.json()["contracts"][0]["workers_in_post"] == 2
        assert (await w.client.get("/api/public/procurement/who-serves/640104001")).json()["contracts"] == []

        # The village page also shows the contract's latest published grade (evaluation's 公示).
        assert serving["latest_evaluation"] is None  # nothing published yet
        await w.tr("projects", project_id, "performance_supervision", BUREAU)
        h1 = await _half_year_round(
            w,
            cid,
            company,
            "2019-H1",
            await w.template_id(),
            (GOOD_SHEET, TOWNSHIP_SHEET),
            [(5, 5), (4, 5), (4, 4), (3, 4)],
        )
        r = await w.client.get(f"/api/public/procurement/who-serves/{CHONGXING}201", headers=at("2020-06-01"))
        graded = r.json()["contracts"][0]["latest_evaluation"]
        assert (graded["round_id"], graded["period"], graded["grade"]) == (h1["id"], "2019-H1", "优秀")
        assert graded["total"] == h1["result"]["total"]

        # 8. Compliance from facts (seed 000 三(二)): Lingwu's report takes "actual" from the roster —
        # the workers in post on the report date, by township — beside the rules' required numbers.
        report = {
            "year": 2019,
            "on": "2019-06-01",
            "county": LINGWU_COUNTY,
            "actual": [],
            "pay_level": "37440.00",
            "contract_ref": cid,
            "working_funds_document": "灵政办发〔2018〕201号",
            "trainings_held": 2,
        }
        compliance = "/api/staffing/compliance/reports"
        typed_count = [{"unit_name": "崇兴镇", "role": "verifier", "people": 2}]
        r = await w.call("POST", compliance, BUREAU, json={**report, "actual": typed_count}, expect=409)
        assert r["code"] == "COMPLIANCE_ACTUAL_FROM_ROSTER" and cid in r["detail"]
        await w.call("POST", compliance, BUREAU, json=report, expect=201)
        seen = await w.call("GET", f"{compliance}/{LINGWU}/2019", ("auditor", CITY))
        assert (seen["required"], seen["actual"], seen["gap"], seen["actual_source"]) == (13, 13, 0, "roster")
        assert {(u["source"], u["gap"]) for u in seen["units"]} == {("roster", 0)}
        assert (
            seen["roster"]["workers_in_post"] == 13 and seen["roster"]["contracts"][0]["contract_id"] == cid
        )
        by_township = {u["unit_name"]: u["actual"] for u in seen["units"]}
        assert by_township["崇兴镇"] == 2 and by_township["市民政局"] == 1
        # 2020-01-17: 郝家桥镇's failed verifier left with the replacement on the 16th, the successor
        # took post on the 20th: 12 in post, short one there.
        await w.call(
            "POST", compliance, BUREAU, json={**report, "year": 2020, "on": "2020-01-17"}, expect=201
        )
        gap = await w.call("GET", f"{compliance}/{LINGWU}/2020", BUREAU)
        assert (gap["required"], gap["actual"], gap["gap"]) == (13, 12, 1)
        assert [(u["unit_name"], u["required"], u["actual"]) for u in gap["units"] if u["gap"]] == [
            ("郝家桥镇", 2, 1)
        ]
        # The city's summary rolls the roster's figures up.
        rolled = await w.call(
            "GET",
            "/api/staffing/compliance/summary",
            ("auditor", CITY),
            params={"division_code": CITY, "year": 2019},
        )
        assert [(c["division_code"], c["actual"], c["actual_source"]) for c in rolled["counties"]] == [
            (LINGWU, 13, "roster")
        ]
        assert (rolled["cities"][0]["required"], rolled["cities"][0]["actual"]) == (13, 13)

        # The 测算表 (seed 000 附件1–2) read with the existing staff (二(六): 根据现有…现状): the roster
        # on 2020-01-17 — 郝家桥镇 short one, whose yearly cost is one verifier's pay (2 × 1,560 × 12).
        table = await w.client.post(
            "/api/staffing/tables/township",
            params={"format": "csv"},
            json={"on": "2020-01-17", "county": LINGWU_COUNTY, "existing_from_roster": True},
            headers=w.h(*BUREAU),
        )
        assert table.status_code == 200, table.text
        rows = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig"))))
        assert rows[1][-3:] == ["现有人数（人）", "缺口（人）", "缺口年度经费（元）"]
        by_name = {row[1]: row[-4:] for row in rows[2:] if len(row) > 4 and row[0].isdigit()}
        assert by_name["郝家桥镇"] == ["2", "1", "1", "37440.00"]
        assert by_name["崇兴镇"] == ["2", "2", "0", "0.00"]
        totals = next(row for row in rows if row[0] == "合计")
        assert totals[-4:] == ["12", "11", "1", "37440.00"]
        assert any("花名册 2020-01-17 在岗" in row[0] for row in rows if row)
        county_table = await w.client.post(
            "/api/staffing/tables/county",
            params={"format": "csv"},
            json={
                "on": "2020-01-17",
                "counties": [LINGWU_COUNTY],
                "existing": [{"unit": LINGWU, "people": 0}],
            },
            headers=w.h(*BUREAU),
        )
        crow = list(csv.reader(io.StringIO(county_table.content.decode("utf-8-sig"))))[2]
        assert crow[2] == LINGWU and crow[-4:] == ["1", "0", "1", "37440.00"]

        # The budget's pay progression reads the contract's real assessments (evaluation, staff_ref =
        # the roster id): 2019 assessed 13, one 不合格, re-selected (四(八)).
        budget = await w.call(
            "POST",
            "/api/staffing/calculations/budget",
            BUREAU,
            json={
                "division_code": LINGWU,
                "start": "2019-01-01",
                "county": LINGWU_COUNTY,
                "contract_id": cid,
            },
        )
        assert budget["notes"][0] == "2019年度考核取自评价服务：13人考核，1人不合格"
        assert any(n.startswith("第2年：1人上年考核不合格") for n in budget["notes"])

        # 9. The table holds no plain ID number or phone; neither does any history.
        conn = await asyncpg.connect(asyncpg_dsn(database_url))
        try:
            rows = await conn.fetch("SELECT * FROM procurement.roster_worker")
            events = await conn.fetch("SELECT data, changes FROM procurement.audit_event")
        finally:
            await conn.close()
        assert len(rows) == 14
        dump = repr([dict(r) for r in rows]) + repr([dict(e) for e in events])
        raw = b"".join(v for r in rows for v in r.values() if isinstance(v, bytes))
        for n in numbers + phones:
            assert n not in dump and n.encode() not in raw
        kinds = await every_chain(database_url)
        assert kinds["procurement"]["roster_worker"] == 14
