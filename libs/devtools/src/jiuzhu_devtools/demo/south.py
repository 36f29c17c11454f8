"""A Guangdong county (seed 000), Longyan (seed 001) and a Shanghai district (seed 003)."""

from __future__ import annotations

from typing import Any

from jiuzhu_devtools.demo.api import Api, Persona
from jiuzhu_devtools.demo.evaluate import GOOD, POOR, RECIPIENTS, SHEET, Evaluation, likert, parties
from jiuzhu_devtools.demo.procure import Bidder, Procurement, Walk, contract_body

GUANGDONG = "440103"  # 荔湾区, 广州市
LONGYAN = "350802"  # 新罗区, 龙岩市
SHANGHAI = "310104"  # 徐汇区
CONSULT = {"method": "competitive_consultation", "ground": "purchased_services"}
GD_TOWNSHIPS = [
    {"name": "沙面街道", "kind": "street_office", "assisted_households": 120},
    {"name": "多宝街道", "kind": "street_office", "assisted_households": 310},
    {"name": "逢源街道", "kind": "street_office", "assisted_households": 640},
    {"name": "华林街道", "kind": "street_office", "assisted_households": 280},
    {"name": "冲口街道", "kind": "street_office", "assisted_households": 905},
    {"name": "东漖街道", "kind": "street_office", "assisted_households": 450},
]


def guangdong(api: Api) -> dict[str, Any]:
    bureau = Persona("bureau", GUANGDONG)
    out: dict[str, Any] = {}
    county = {"division_code": GUANGDONG, "townships": GD_TOWNSHIPS}
    # Caseworkers by assisted households (seed 000 二(六)) and their pay with +5% raises (二(七)).
    out["scenario"] = api.post(
        "/api/staffing/scenarios",
        bureau,
        {
            "division_code": GUANGDONG,
            "name": "荔湾区经办服务人员配备测算",
            "inputs": {"on": "2026-06-01", "county": county},
        },
    )["id"]
    budget = {
        "division_code": GUANGDONG,
        "start": "2026-07-01",
        "people": 10,
        "assessments": [["qualified"] * 10, ["qualified"] * 9 + ["unqualified"]],
        "dibao_spending_last_year": "52000000.00",
        "funding": [{"source": "working_funds", "annual_amount": "1560000.00"}],
    }
    out["budget_scenario"] = api.post(
        "/api/staffing/scenarios",
        bureau,
        {
            "division_code": GUANGDONG,
            "name": "荔湾区三年经费（3% 工作经费）",
            "kind": "budget",
            "inputs": budget,
        },
    )["id"]
    report = {
        "year": 2026,
        "on": "2026-06-01",
        "county": county,
        "actual": [{"unit_name": "荔湾区", "role": "caseworker", "people": 6}]
        + [{"unit_name": t["name"], "role": "caseworker", "people": 2} for t in GD_TOWNSHIPS],
        "pay_level": "50000.00",
        "contract_ref": "荔民购〔2026〕1号",
        "working_funds_document": "荔民〔2026〕3号",
        "trainings_held": 1,
    }
    if (taken := api.create("/api/staffing/compliance/reports", bureau, report)[1]) is not None:
        api.reuse(taken, "staffing", bureau, f"compliance report {GUANGDONG}/2026")

    pr = Procurement(api, GUANGDONG)
    names = [
        "荔湾区启智社会工作服务中心",
        "广州市同心社会工作服务社",
        "广州市康宁社会服务中心",
        "广州市仁爱社工事务所",
    ]
    c = [pr.contractor(i + 1, n, prefix="52") for i, n in enumerate(names)]
    plan = pr.plan(
        2026,
        [("working_funds", "6000000.00", "社会救助经办及直接服务")],
        "荔湾区 2026 年度购买社会救助服务计划",
    )

    def project(title: str, items: list[str], amount: str) -> str:
        return pr.project(plan, title, items, amount, "2026-04-01")

    # Three-year caseworker contract: 10 × 50,000 in year one, +5% a year (seed 000 二(七)).
    contract = contract_body(
        "社会救助经办服务（10 名经办服务人员，统一配备、统一管理，镇街使用）",
        "10 名经办服务人员",
        ("2026-07-01", "2029-06-30"),
        [
            ("2026-27", "500000.00", "2027-06-30"),
            ("2027-28", "525000.00", "2028-06-30"),
            ("2028-29", "551250.00", "2029-06-30"),
        ],
        "承接主体退出时由区民政局指定镇街社会救助窗口临时接管",
        term_reason="经办服务稳定连续、工作经费有保障，合同一般 3 年（seed 000 二(七)）",
    )
    bids = [
        Bidder(c[0], "启智", "1576250.00", "66"),
        Bidder(c[1], "同心", "1590000.00", "60"),
        Bidder(c[2], "康宁", "1480000.00", "58"),
    ]
    out["projects"] = {
        "contract_signed": pr.walk(
            project("荔湾区社会救助经办服务（2026—2029）", ["AS10", "AS02"], "1600000.00"),
            "contract_signed",
            Walk(CONSULT, bids, contract=contract, signed_on="2026-06-12"),
        )["id"],
        "bidding_closed": pr.walk(
            project("荔湾区困难群众照料护理服务", ["DS01"], "800000.00"),
            "bidding_closed",
            Walk(CONSULT, [Bidder(c[1], "", "760000.00", "0"), Bidder(c[3], "", "780000.00", "0")]),
        )["id"],
        "qualification_review": pr.walk(
            project("荔湾区社会救助业务培训", ["AS05"], "300000.00"),
            "qualification_review",
            Walk(
                CONSULT,
                [
                    Bidder(x, "", p, "0")
                    for x, p in zip(c[:3], ["290000.00", "285000.00", "298000.00"], strict=True)
                ],
            ),
        )["id"],
        "scoring": pr.walk(
            project("荔湾区社会救助绩效评价（第三方）", ["AS07"], "500000.00"),
            "scoring",
            Walk(CONSULT, [Bidder(c[2], "", "480000.00", "62"), Bidder(c[3], "", "470000.00", "59")]),
        )["id"],
        "approved": pr.walk(
            project("荔湾区社会救助政策宣传", ["AS06"], "200000.00"), "approved", Walk(CONSULT)
        )["id"],
    }
    # Consultation with one qualified supplier ends (财库〔2015〕124号): the project fails.
    failing = project("荔湾区困难群众心理疏导服务", ["DS06"], "400000.00")
    walked = pr.walk(
        failing,
        "qualification_review",
        Walk(CONSULT, [Bidder(c[0], "", "390000.00", "0"), Bidder(c[3], "", "380000.00", "0")]),
    )
    for bid, ok in zip(walked["bids"], (True, False), strict=True):
        note = "资格条件符合" if ok else "未提供依法缴纳社会保险的证明"
        api.post(
            f"/api/procurement/projects/{failing}/bids/{bid}/qualification",
            bureau,
            {"qualified": ok, "note": note},
        )
    pr.tr("projects", failing, "failed", bureau, reason="合格供应商仅 1 家，磋商终止（财库〔2015〕124号）")
    out["projects"]["failed"] = failing
    return out


def longyan(api: Api) -> dict[str, Any]:
    """闽民保〔2018〕58号: recipient-weighted evaluation; a failing contractor is taken over and debarred."""
    bureau = Persona("bureau", LONGYAN)
    out: dict[str, Any] = {}
    county = {
        "division_code": LONGYAN,
        "townships": [
            {
                "name": "铁山镇",
                "registered_population": 19999,
                "administrative_villages": 10,
                "nursing_homes": [{"name": "铁山镇敬老院", "government_run": True}],
            },
            {
                "name": "东城街道",
                "kind": "street_office",
                "registered_population": 60000,
                "urban_communities": 8,
            },
        ],
    }
    out["scenario"] = api.post(
        "/api/staffing/scenarios",
        bureau,
        {
            "division_code": LONGYAN,
            "name": "新罗区协理员配备测算",
            "inputs": {"on": "2026-01-01", "county": county},
        },
    )["id"]
    pr = Procurement(api, LONGYAN)
    a = pr.contractor(1, "新罗区惠民社会工作服务中心", prefix="52")
    b = pr.contractor(2, "龙岩市闽西社工服务社", prefix="52")
    c = pr.contractor(3, "龙岩市红土地社会服务中心", prefix="52")
    plan = pr.plan(
        2026,
        [
            ("assistance_subsidy_funds", "3000000.00", "家计调查、信息核实"),
            ("working_funds", "1000000.00", "社会融入等直接服务"),
            ("welfare_lottery_funds", "800000.00", "寻亲助返"),
        ],
        "新罗区 2026 年度购买社会救助服务计划",
    )
    failing = pr.project(
        plan,
        "新罗区困难群众家计调查与信息核实服务",
        ["AS02", "AS03"],
        "1200000.00",
        "2026-02-02",
        source="assistance_subsidy_funds",
    )
    contract = contract_body(
        "困难群众家计调查与信息核实",
        "全年入户调查 6000 户次",
        ("2026-03-01", "2027-02-28"),
        [(f"2026-Q{q}", "287500.00", f"2026-{3 * q + 2:02d}-25") for q in (1, 2, 3)]
        + [("2027-Q1", "287500.00", "2027-02-25")],
        "承接主体退出时由区民政局社会救助股临时接管入户调查，并重新组织采购（闽民保〔2018〕58号 一(七)）",
    )
    walked = pr.walk(
        failing,
        "performance_supervision",
        Walk(
            CONSULT,
            [Bidder(a, "", "1150000.00", "65"), Bidder(b, "", "1190000.00", "61")],
            contract=contract,
            signed_on="2026-02-27",
        ),
    )
    cid = walked["contract"]
    # Evaluation weighted towards recipient satisfaction (一(六)); the contractor fails it.
    ev = Evaluation(api, LONGYAN, "350800")
    spec = parties(("purchaser", "30", SHEET), ("third_party", "20", SHEET), ("recipients", "50", RECIPIENTS))
    rid = ev.open_round(cid, a, "annual", "2026", spec)
    ev.survey(rid, 45, likert(40, [(2, 3), (3, 2), (2, 2), (4, 3), (1, 2)]), "家计调查服务满意度（e 龙岩）")
    ev.score(rid, "purchaser", bureau, POOR)
    ev.score(rid, "third_party", Persona("evaluator", LONGYAN, name="demo-evaluator-longyan"), POOR)
    ev.score(rid, "recipients", bureau)
    ev.publish(rid)
    out["round"] = rid
    taken = pr.tr(
        "projects",
        failing,
        "taken_over",
        bureau,
        {"taken_over_by": "新罗区民政局社会救助股"},
        reason="年度评价不合格且将入户调查转包他人，启动临时接管预案（闽民保〔2018〕58号 一(七)）",
    )
    out["taken_over"] = failing
    out["reprocurement"] = taken["outcome"]["taken_over"]["reprocurement_project_id"]
    # Serious breach: credit record and no government social-assistance purchases for 3 years (一(七)).
    case = api.post(
        f"/api/procurement/contractors/{a}/debarments",
        bureau,
        {"grounds": "擅自将入户调查服务转包，年度绩效评价不合格（闽民保〔2018〕58号 一(七)）"},
    )
    pr.tr(
        "debarments",
        str(case["id"]),
        "responded",
        Persona("contractor", LONGYAN, a),
        {"response": "转包系个别工作人员所为，已整改"},
    )
    pr.tr(
        "debarments", str(case["id"]), "debarred", pr.finance, {"term_years": 3}, reason="转包属实，情节严重"
    )
    out["debarment"] = str(case["id"])
    out["debarred_contractor"] = a

    out["cancelled"] = pr.project(
        plan, "新罗区寻亲助返服务", ["DS08"], "150000.00", "2026-03-02", source="welfare_lottery_funds"
    )
    pr.tr("projects", out["cancelled"], "cancelled", bureau, reason="市级统一购买寻亲助返服务，本级不再采购")
    ended = pr.project(plan, "新罗区困难群众社会融入服务", ["DS04"], "600000.00", "2026-03-02")
    contract = contract_body(
        "困难群众社会融入服务",
        "服务 200 户",
        ("2026-05-01", "2027-04-30"),
        [("2026-H2", "290000.00", "2026-10-31"), ("2027-H1", "290000.00", "2027-04-30")],
        "承接主体退出时由街道社工站临时接管",
    )
    pr.walk(
        ended,
        "contract_signed",
        Walk(
            CONSULT,
            [Bidder(c, "", "580000.00", "64"), Bidder(b, "", "595000.00", "60")],
            contract=contract,
            signed_on="2026-04-24",
        ),
    )
    pr.tr("projects", ended, "terminated", bureau, reason="服务对象整体搬迁安置，经双方协商一致解除合同")
    out["terminated"] = ended
    out |= villages(api, pr, plan, c, b)
    return out


# 铁山镇's villages in the demo (statistical codes of the form 350802 1xx 2xx): one worker in post in
# each administrative village (闽民保〔2018〕58号 二(二): 每个建制村和城市社区至少 1 名).
LONGYAN_TOWNSHIP = "350802106"
LONGYAN_VILLAGES = (("350802106201", "铁山村", "林秀英"), ("350802106202", "平在村", "陈志明"))
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(region: str, born: str, serial: int) -> str:
    """A resident ID number with its GB 11643 check character (demo people only)."""
    body = f"{region}{born}{serial:03d}"
    return body + "10X98765432"[sum(int(ch) * w for ch, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


def villages(api: Api, pr: Procurement, plan: str, contractor: str, runner_up: str) -> dict[str, Any]:
    """Village coordinators in post: what a portal's "who serves my village" page shows."""
    pid = pr.project(plan, "新罗区村级社会救助协理员服务", ["AS01", "DS07"], "360000.00", "2026-03-02")
    contract = contract_body(
        "村级社会救助协理员服务（铁山镇各建制村各 1 名）",
        f"{len(LONGYAN_VILLAGES)} 名村级协理员",
        ("2026-05-01", "2027-04-30"),
        [("2026-H2", "170000.00", "2026-10-31"), ("2027-H1", "170000.00", "2027-04-30")],
        "承接主体退出时由铁山镇人民政府临时接管村级协理工作",
    )
    bids = [Bidder(contractor, "", "340000.00", "63"), Bidder(runner_up, "", "350000.00", "60")]
    walked = pr.walk(pid, "performance_supervision", Walk(CONSULT, bids, contract=contract))
    employer = Persona("contractor", LONGYAN, contractor)
    for n, (village, unit, name) in enumerate(LONGYAN_VILLAGES):
        body = {
            "name": name,
            "id_number": id_number(LONGYAN, f"19{85 + n}0{n + 3}1{n}", 300 + n),
            "education": "junior_college",
            "household_division": LONGYAN,
            "unit_name": unit,
            "serves_division": village,
        }
        wid = api.post(f"/api/procurement/contracts/{walked['contract']}/workers", employer, body)["id"]
        for to in ("trained", "dispatched", "in_post"):
            api.post(f"/api/procurement/workers/{wid}/transitions", employer, {"to": to})
    return {"villages_contract": walked["contract"], "villages": [v for v, _, _ in LONGYAN_VILLAGES]}


def shanghai(api: Api) -> dict[str, Any]:
    """Seed 003: catalogue items, open tender with comprehensive scoring, a challenge, final evaluation."""
    bureau = Persona("bureau", SHANGHAI)
    out: dict[str, Any] = {}
    county = {
        "division_code": SHANGHAI,
        "townships": [
            {"name": "徐家汇街道", "kind": "street_office", "residents_committees": 15},
            {"name": "华泾镇", "residents_committees": 12, "villagers_committees": 0},
        ],
    }
    out["scenario"] = api.post(
        "/api/staffing/scenarios",
        bureau,
        {
            "division_code": SHANGHAI,
            "name": "徐汇区居委社会救助人员测算",
            "inputs": {"on": "2026-01-01", "county": county},
        },
    )["id"]
    pr = Procurement(api, SHANGHAI)
    names = [
        "上海徐汇区乐群社工服务社",
        "上海徐汇区新途社区健康促进社",
        "上海市华爱社会工作服务中心",
        "上海徐汇区启航社工事务所",
    ]
    c = [pr.contractor(i + 1, n, prefix="52", small=(i == 1)) for i, n in enumerate(names)]
    plan = pr.plan(
        2026, [("working_funds", "6000000.00", "目录内社会救助服务")], "徐汇区 2026 年度购买社会救助服务计划"
    )

    def project(title: str, items: list[str], amount: str) -> str:
        return pr.project(plan, title, items, amount, "2026-01-05")

    def one_year(subject: str, start: str, end: str, price_half: str) -> dict[str, Any]:
        return contract_body(
            subject,
            "全年服务",
            (start, end),
            [("H1", price_half, start), ("H2", price_half, end)],
            "承接主体退出时由区民政局指定街道社区事务受理服务中心临时接管",
            service_standards="按《上海市政府购买社会救助服务项目目录》及采购文件执行",
        )

    # Open tender, scored: a small enterprise's 10% deduction, an abnormally low bid explained and
    # not accepted, a challenge dismissed, the contract carried out, evaluated and closed.
    closed = project("徐汇区困难对象个案评估服务", ["DS12"], "3000000.00")
    bids = [
        Bidder(c[0], "", "2800000.00", "62"),
        Bidder(c[1], "", "2900000.00", "64", small=True),
        Bidder(c[2], "", "1500000.00", "60"),
    ]
    w = Walk(
        {"method": "open_tender"},
        bids,
        contract=one_year("个案评估服务（全年 600 个个案）", "2026-03-01", "2027-02-28", "1450000.00"),
        low_price_explanations={2: False},
        challenge=(0, "技术评分畸高，评审标准适用不一致", "经复核评分符合采购文件评审标准"),
        signed_on="2026-02-27",
    )
    walked = pr.walk(closed, "final_evaluation", w)
    ev = Evaluation(api, SHANGHAI, "310000")
    spec = parties(("purchaser", "30", SHEET), ("third_party", "30", SHEET), ("recipients", "40", RECIPIENTS))
    rid = ev.open_round(walked["contract"], c[1], "final", "final", spec)
    ev.survey(rid, 40, likert(38, [(5, 5), (4, 5), (5, 4), (4, 4), (3, 4)]), "个案评估服务对象满意度（终期）")
    ev.score(rid, "purchaser", bureau, GOOD)
    ev.score(rid, "third_party", Persona("evaluator", SHANGHAI, name="demo-evaluator-shanghai"), GOOD)
    ev.score(rid, "recipients", bureau)
    ev.publish(rid)
    pr.tr("projects", closed, "closed", bureau)
    out["round"] = rid
    out["projects"] = {"closed": closed}
    # Awarded, but a losing bidder's challenge is open: the award is held (政府采购法 52–57).
    held = project("徐汇区困难群众心理疏导服务", ["DS06"], "900000.00")
    w = Walk(
        CONSULT,
        [Bidder(c[3], "", "860000.00", "63"), Bidder(c[0], "", "880000.00", "61")],
        challenge=(1, "成交供应商专职社工人数不符合磋商文件要求", None),
    )
    out["projects"]["awarded"] = pr.walk(held, "awarded", w)["id"]
    final = project("徐汇区社会救助政策研究", ["AS08"], "600000.00")
    w = Walk(
        CONSULT,
        [Bidder(c[2], "", "580000.00", "65"), Bidder(c[3], "", "560000.00", "58")],
        contract=one_year("社会救助政策研究（年度报告 2 份）", "2026-02-01", "2027-01-31", "290000.00"),
        signed_on="2026-01-30",
    )
    out["projects"]["final_evaluation"] = pr.walk(final, "final_evaluation", w)["id"]
    announced = project("徐汇区困难群众能力提升服务", ["DS05"], "500000.00")
    w = Walk(CONSULT, [Bidder(c[0], "", "480000.00", "0")])
    out["projects"]["announced"] = pr.walk(announced, "announced", w)["id"]
    return out
