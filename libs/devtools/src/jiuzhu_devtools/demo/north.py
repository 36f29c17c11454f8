"""Lingwu (seed 002, 灵政办发〔2018〕201号) and the Sichuan pilot (seed 004)."""

from __future__ import annotations

from typing import Any

from jiuzhu_devtools.demo.api import Api, Persona
from jiuzhu_devtools.demo.evaluate import FAIR, GOOD, RECIPIENTS, SHEET, Evaluation, likert, parties
from jiuzhu_devtools.demo.procure import Bidder, Procurement, Walk, contract_body
from jiuzhu_devtools.seeds import LINGWU, LINGWU_COUNTY, LINGWU_UNITS, STAFF_GOOD

LINGWU_TOWNSHIP = "640181100"
# 13 verifiers × 2 × 1,560 yuan/month (class-2 area, 2018) × 12 × 3 years (四(五)–(七)).
LINGWU_BUDGET = "1460160.00"
STAFF_POOR = {
    "ethics": "3",
    "absences": "4",
    "cases_handled": "40",
    "accuracy": "80",
    "daily_performance": "2",
}

SICHUAN = "510000"
PILOT_COUNTY = "510121"  # 金堂县 (成都市)


def lingwu(api: Api) -> dict[str, Any]:
    bureau = Persona("bureau", LINGWU)
    out: dict[str, Any] = {}
    # Staffing: 13 household verifiers (四(三)) and their three-year cost at 2 × the minimum wage.
    staffing = {"on": "2019-01-01", "county": LINGWU_COUNTY}
    out["scenario"] = api.post(
        "/api/staffing/scenarios",
        bureau,
        {"division_code": LINGWU, "name": "灵武市入户核查员配备（2019）", "inputs": staffing},
    )["id"]
    budget = {"division_code": LINGWU, "start": "2019-01-01", "county": LINGWU_COUNTY}
    out["budget_scenario"] = api.post(
        "/api/staffing/scenarios",
        bureau,
        {"division_code": LINGWU, "name": "灵武市核查员三年经费", "kind": "budget", "inputs": budget},
    )["id"]

    pr = Procurement(api, LINGWU)
    company = pr.contractor(1, "灵武市国有劳务派遣有限公司", staff=60)
    plan = pr.plan(
        2018, [("working_funds", "1500000.00", "入户核查员劳务派遣")], "灵武市 2018 年度购买社会救助服务计划"
    )
    pid = pr.project(
        plan,
        "灵武市社会救助入户核查员派遣服务（2019—2021）",
        ["AS09"],
        LINGWU_BUDGET,
        "2018-09-03",
        form="labour_dispatch",
        quantity="13 名入户核查员",
    )
    contract = contract_body(
        "社会救助入户核查员劳务派遣服务",
        "13 名入户核查员",
        ("2019-01-01", "2021-12-31"),
        [(f"{y}-H{h}", "243360.00", f"{y}-{6 * h:02d}-28") for y in (2019, 2020, 2021) for h in (1, 2)],
        "派遣公司不能履约时由市民政局临时接管入户核查工作，并重新组织采购",
        term_reason="入户核查服务内容固定、连续性强、经费稳定（灵政办发〔2018〕201号 四(七)）",
        payment_method="按半年度评价结果拨付（灵政办发〔2018〕201号 六(二)）",
        other_parties=[{"role": "township", "name": "崇兴镇人民政府", "division_code": LINGWU_TOWNSHIP}],
        deadlines=[
            {
                "key": "staff_dispatched",
                "name": "完成人员招聘、培训和派遣",
                "working_days": 15,
                "citation": "灵政办发〔2018〕201号 五(五)",
            }
        ],
    )
    method = {"method": "single_source", "ground": "only_one_supplier", "publicity_working_days": 5}
    w = Walk(
        method,
        [Bidder(company, "派遣公司", LINGWU_BUDGET, "65")],
        experts=1,
        contract=contract,
        signed_on="2018-11-09",  # 五(三): the contract is signed in early November 2018
    )
    walked = pr.walk(pid, "performance_supervision", w)
    cid = walked["contract"]
    signed = api.get(f"/api/procurement/contracts/{cid}", bureau)["signed_on"]
    api.post(f"/api/procurement/contracts/{cid}/deadlines/staff_dispatched/fulfil", bureau, {"on": signed})
    out |= {"project": pid, "contract": cid, "contractor": company}

    # Half-yearly evaluation by the bureau, a township and the recipients (六(二)); the first is
    # published and releases 2019-H1's payment, the second is still collecting.
    ev = Evaluation(api, LINGWU, "640000")
    spec = parties(("purchaser", "40", SHEET), ("township", "30", SHEET), ("recipients", "30", RECIPIENTS))
    township = Persona("township", LINGWU_TOWNSHIP)
    h1 = ev.open_round(cid, company, "half_yearly", "2019-H1", spec)
    ev.survey(
        h1,
        40,
        likert(36, [(5, 5), (4, 5), (4, 4), (5, 4), (3, 4), (4, 4)]),
        "2019 年上半年入户核查服务满意度",
    )
    ev.score(h1, "purchaser", bureau, GOOD)
    ev.score(h1, "township", township, FAIR)
    ev.score(h1, "recipients", bureau)
    ev.publish(h1)
    out["payment"] = pr.release(cid, "2019-H1")
    h2 = ev.open_round(cid, company, "half_yearly", "2019-H2", spec)
    ev.survey(h2, 40, likert(14, [(4, 4), (5, 5), (3, 4)]), "2019 年下半年入户核查服务满意度")
    ev.score(h2, "purchaser", bureau, GOOD)
    out["rounds"] = [h1, h2]
    # Year-end assessment of the 13 dispatched verifiers (seed 000 四(三) style), one unqualified.
    for i in range(13):
        body = {
            "contract_id": cid,
            "staff_ref": f"verifier-{i + 1:02d}",
            "division_code": LINGWU_TOWNSHIP if i % 2 else "640181001",
            "year": 2019,
            "values": STAFF_POOR if i == 12 else STAFF_GOOD,
            "evidence": [{"kind": "record", "title": "年度考核表"}],
        }
        api.post("/api/evaluation/staff-assessments", bureau, body)
    # The compliance report the city asks for: required vs actual staff, pay, trainings (六(三)).
    actual = [
        {"unit_name": n, "role": "verifier", "people": 2 if n in ("城区街道", "崇兴镇") else 1}
        for n in LINGWU_UNITS
    ]
    report = {
        "year": 2019,
        "on": "2019-03-01",
        "county": LINGWU_COUNTY,
        "actual": actual,
        "pay_level": "37440.00",
        "contract_ref": cid,
        "working_funds_document": "灵政办发〔2018〕201号",
        "trainings_held": 1,
    }
    if (taken := api.create("/api/staffing/compliance/reports", bureau, report)[1]) is not None:
        api.reuse(taken, "staffing", bureau, "compliance report 640181/2019")

    # After 财政部令第102号 (2020-03-01) dispatch may not be bought: the next cycle buys the service.
    plan26 = pr.plan(
        2026, [("working_funds", "2000000.00", "入户核查服务")], "灵武市 2026 年度购买社会救助服务计划"
    )
    out["next_project"] = pr.project(
        plan26,
        "灵武市 2027—2029 年社会救助入户核查服务",
        ["AS09", "AS02"],
        "1600000.00",
        "2026-03-02",  # early in the year: no date after the test suite's clock (2026-06-15)
        quantity="9 个乡镇（街道）入户核查",
    )
    return out


def sichuan(api: Api) -> dict[str, Any]:
    """Seed 004: one pilot county per city, 1–2 townships each; public-welfare posts in 2017."""
    out: dict[str, Any] = {}
    province = Persona("bureau", SICHUAN)
    pilots = {
        "counties": [
            {"division_code": PILOT_COUNTY, "townships": ["赵镇街道", "淮口街道"]},
            {"division_code": "510322", "townships": ["富顺镇"]},
            {"division_code": "510681", "townships": ["雒城街道"]},
        ]
    }
    made, taken = api.create(f"/api/staffing/pilots/{SICHUAN}/2017", province, pilots, method="PUT")
    if taken is not None:  # PILOTS_EXIST names no record: someone else's list for 2017 stays
        api.reuse(taken, "staffing", province, f"pilot counties {SICHUAN}/2017")
    out["pilots"] = made["version"] if made else None
    pr = Procurement(api, PILOT_COUNTY)
    a = pr.contractor(1, "金堂县阳光社会工作服务中心", prefix="52")
    b = pr.contractor(2, "金堂县益民社会工作服务社", prefix="52")
    plan = pr.plan(
        2017,
        [
            ("assistance_subsidy_funds", "900000.00", "社会救助公益岗位"),
            ("working_funds", "300000.00", "村级经办服务"),
        ],
        "金堂县 2017 年社会救助服务试点购买计划",
    )
    pid = pr.project(
        plan,
        "金堂县社会救助公益岗位试点（2017—2018）",
        ["AS01", "AS02"],
        "600000.00",
        "2017-08-01",
        form="public_welfare_posts",
        source="assistance_subsidy_funds",
        quantity="10 个公益岗位",
    )
    contract = contract_body(
        "社会救助公益岗位服务（试点乡镇）",
        "10 个公益岗位",
        ("2017-10-01", "2018-09-30"),
        [
            ("2017-Q4", "145000.00", "2017-12-25"),
            ("2018-H1", "290000.00", "2018-06-25"),
            ("2018-Q3", "145000.00", "2018-09-25"),
        ],
        "承接主体退出时由县民政局会同试点乡镇临时接管",
    )
    consult = {"method": "competitive_consultation", "ground": "purchased_services"}
    bidders = [Bidder(a, "阳光", "580000.00", "66"), Bidder(b, "益民", "590000.00", "60")]
    out["project"] = pr.walk(
        pid, "contract_signed", Walk(consult, bidders, contract=contract, signed_on="2017-09-22")
    )
    # Village committees collect satisfaction (seed 004 四(四)): a round with a village_committee party.
    cid = out["project"]["contract"]
    ev = Evaluation(api, PILOT_COUNTY, SICHUAN)
    spec = parties(
        ("purchaser", "40", SHEET), ("village_committee", "20", SHEET), ("recipients", "40", RECIPIENTS)
    )
    rid = ev.open_round(cid, a, "annual", "2018", spec)
    ev.survey(rid, 35, likert(31, [(5, 4), (4, 4), (4, 5), (3, 3)]), "2018 年公益岗位服务满意度")
    ev.score(rid, "purchaser", Persona("bureau", PILOT_COUNTY), GOOD)
    out["round"] = rid
    # The next purchase, declared and waiting for the finance bureau.
    plan26 = pr.plan(
        2026, [("working_funds", "500000.00", "村级照料服务")], "金堂县 2026 年度购买社会救助服务计划"
    )
    out["township_project"] = pr.project(
        plan26, "试点镇困难群众照料护理服务", ["DS01"], "200000.00", "2026-04-01"
    )
    return out
