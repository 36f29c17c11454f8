"""The records the fuzzer's examples point at, created through the gateway like any client would.

One county (Lingwu 640181) with every record an operation needs in the state its success path
needs: a draft and an approved plan, a project in each procurement state that an operation acts
on, bids, a challenge, a contract with a deadline and payments, a debarment case, rounds open /
closed / published / appealed, surveys with unused one-time codes, a template, a scenario, a
compliance report, pilots. Each state-changing operation gets its own record, so the order the
contract lists operations in does not matter. Built with the demo's helpers (`jiuzhu_devtools.demo`).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from jiuzhu_devtools.demo import ensure_calendars
from jiuzhu_devtools.demo.api import Api, Persona, uscc
from jiuzhu_devtools.demo.evaluate import RECIPIENTS, SHEET, Evaluation, likert, parties
from jiuzhu_devtools.demo.procure import Bidder, Procurement, Walk, contract_body
from jiuzhu_devtools.seeds import EVIDENCE, FULL_MARKS, LINGWU, LINGWU_COUNTY, STAFF_GOOD
from jiuzhu_kit.settings import KitSettings
from tests.fuzzing.world import local_pack

TOWNSHIP = "640181100"  # 崇兴镇
PROVINCE = "640000"
PILOT_PROVINCE = "510000"
SINGLE = {"method": "single_source", "ground": "only_one_supplier", "publicity_working_days": 5}
CONSULT = {"method": "competitive_consultation", "ground": "purchased_services"}
BUDGET = "1460160.00"
# A catalogue item per project (county level): AS01 … AS10, then DS01 …
ITEMS = [f"AS{i:02d}" for i in range(1, 11)] + [f"DS{i:02d}" for i in range(1, 13)]
DRAW_SEED = "f0220" * 8  # the purchaser's seed of the expert draw the fuzzer reveals


def contract(deadline: bool = True) -> dict[str, Any]:
    """Lingwu's three-year dispatch contract: six half-yearly payments (2019-H1 … 2021-H2), the last one
    paid on acceptance (the others on the evaluation)."""
    body = dict(
        contract_body(
            "社会救助入户核查服务",
            "13 名入户核查员",
            ("2019-01-01", "2021-12-31"),
            [(f"{y}-H{h}", "243360.00", f"{y}-{6 * h:02d}-28") for y in (2019, 2020, 2021) for h in (1, 2)],
            "承接主体不能履约时由市民政局临时接管，并重新组织采购",
            term_reason="入户核查服务内容固定、连续性强、经费稳定",
            deadlines=(
                [{"key": "staff_dispatched", "name": "完成人员派遣", "working_days": 15}] if deadline else []
            ),
        )
    )
    body["payment_schedule"][-1]["gate"] = "acceptance"
    return body


@dataclass
class World:
    # Templates are kept between tests (the built-in ones live in the same table): codes are per build.
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    contractors: dict[str, str] = field(default_factory=dict)  # A B C bid; D debarment; E reported; F new
    plans: dict[str, str] = field(default_factory=dict)  # draft, approved
    projects: dict[str, str] = field(default_factory=dict)  # by the state / purpose
    bids: dict[str, list[str]] = field(default_factory=dict)  # project key → bid ids
    contract: str = ""
    signed_on: str = ""
    challenge: str = ""
    answered_challenge: str = ""  # dismissed, no complaint yet: POST /complaints files one
    complaint: str = ""  # filed with finance: its transitions
    debarment: str = ""
    template: str = ""  # the custom template's id (code `template_code`)
    builtin_template: str = ""
    rounds: dict[str, str] = field(default_factory=dict)  # published, appealed, closable, closed, open
    appeal: str = ""
    surveys: dict[str, str] = field(default_factory=dict)  # open, closable
    codes: list[str] = field(default_factory=list)  # unused one-time codes of surveys["open"]
    staff_assessment: str = ""
    scenario: str = ""
    pack: str = ""
    local_packs: dict[str, str] = field(default_factory=dict)  # read, decide: Lingwu's drafts
    expert: str = ""  # a review expert of Lingwu's pool (five in it)
    documents: dict[str, tuple[str, str]] = field(default_factory=dict)  # kind → (owner id, document id)
    workers: list[str] = field(default_factory=list)  # A's roster on the contract: in post, trained

    @property
    def template_code(self) -> str:
        return f"fuzz-{self.tag}"


def roster_worker(n: int) -> dict[str, Any]:
    """A worker for the roster of the world's contract (a valid GB 11643 ID number)."""
    body = f"64018119900{n}01{n:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(c) * x for c, x in zip(body, weights, strict=True)) % 11]
    return {
        "name": f"马文{n}",
        "id_number": body + check,
        "phone": f"1399500000{n}",
        "education": "junior_college",
        "household_division": LINGWU,
        "unit_name": "崇兴镇",
        "serves_division": TOWNSHIP,
    }


def build(gateway: str, settings: KitSettings) -> World:
    api = Api(gateway, settings)
    try:
        return _build(api)
    finally:
        api.close()


def _build(api: Api) -> World:
    w = World()
    ensure_calendars(api)
    bureau = Persona("bureau", LINGWU)
    _staffing(api, w, bureau)
    pr = Procurement(api, LINGWU)
    names = ["核查", "同心", "康宁", "失信", "被举报"]
    for key, name in zip("ABCDE", names, strict=True):
        w.contractors[key] = pr.contractor(len(w.contractors) + 1, f"灵武市{name}社会工作服务中心")
    w.contractors["F"] = uscc("91", LINGWU, 99)  # registered by the fuzzed POST /contractors
    a, b, c = (w.contractors[k] for k in "ABC")
    w.plans["approved"] = pr.plan(
        2018, [("working_funds", "90000000.00", "社会救助服务")], "灵武市 2018 年度购买社会救助服务计划"
    )
    w.plans["draft"] = str(
        api.post(
            "/api/procurement/plans",
            bureau,
            {
                "division_code": LINGWU,
                "year": 2019,
                "title": "灵武市 2019 年度购买社会救助服务计划",
                "budget_lines": [{"funding_source": "working_funds", "amount": "500000.00", "scope": "经办"}],
            },
        )["id"]
    )

    def project(key: str, to: str, walk: Walk) -> dict[str, Any]:
        # One catalogue item per project: same-year projects for the same item add up (no splitting).
        item = ITEMS[len(w.projects)]
        pid = pr.project(w.plans["approved"], f"灵武市社会救助服务（{key}）", [item], BUDGET, "2018-09-03")
        out = pr.walk(pid, to, walk) if to != "declared" else {"id": pid, "bids": []}
        w.projects[key] = pid
        w.bids[key] = list(out["bids"])
        return out

    two = [Bidder(a, "", BUDGET, "65"), Bidder(b, "", "1450000.00", "60")]
    signed = project(
        "contract", "performance_supervision", Walk(SINGLE, two[:1], experts=1, contract=contract())
    )
    w.contract = signed["contract"]
    w.signed_on = api.get(f"/api/procurement/contracts/{w.contract}", bureau)["signed_on"]
    employer = Persona("contractor", LINGWU, a)
    for n, to in ((1, ("trained", "dispatched", "in_post")), (2, ("trained",))):
        made = api.post(f"/api/procurement/contracts/{w.contract}/workers", employer, roster_worker(n))
        for step in to:
            api.post(f"/api/procurement/workers/{made['id']}/transitions", employer, {"to": step})
        w.workers.append(made["id"])
    project("declared", "declared", Walk(CONSULT))
    project("announced", "announced", Walk(CONSULT, two[:1]))  # A's bid, sealed
    project("qualification", "qualification_review", Walk(CONSULT, two))
    project("scoring", "qualification_review", Walk(CONSULT, two))
    for bid in w.bids["scoring"]:
        p = f"/api/procurement/projects/{w.projects['scoring']}/bids/{bid}/qualification"
        api.post(p, bureau, {"qualified": True, "note": "资格证明文件齐全"})
    pr.tr("projects", w.projects["scoring"], "scoring", bureau)
    low = [*two, Bidder(c, "", "700000.00", "60")]  # far below the others: must be explained
    project("low_price", "scoring", Walk(CONSULT, low))
    project("challengeable", "awarded", Walk(CONSULT, two))
    project("awarded", "awarded", Walk(SINGLE, two[:1], experts=1))
    held = project("challenged", "awarded", Walk(CONSULT, two, challenge=(1, "评审标准适用不一致", None)))
    w.challenge = held["challenge"]
    # Two awards challenged and answered: one complaint to file, one filed for finance to handle.
    dismissed = (1, "成交供应商人员资质不符合磋商文件要求", "经复核，人员资质符合磋商文件要求")
    for key in ("complainable", "complained"):
        out = project(key, "awarded", Walk(CONSULT, two, challenge=dismissed))
        if key == "complainable":
            w.answered_challenge = out["challenge"]
        else:
            body = {"challenge_id": out["challenge"], "grounds": "质疑答复未说明人员资质的认定依据"}
            w.complaint = str(
                api.post("/api/procurement/complaints", Persona("contractor", LINGWU, b), body)["id"]
            )
    _experts(api, w, bureau, pr)
    case = api.post(
        f"/api/procurement/contractors/{w.contractors['D']}/debarments",
        bureau,
        {"grounds": "擅自转包入户核查服务"},
    )
    w.debarment = str(case["id"])
    _evaluation(api, w, bureau)
    _documents(api, w, bureau)
    return w


def _documents(api: Api, w: World, bureau: Persona) -> None:
    """A text document on a plan, a project, its award, the contract, a challenge, a complaint, a
    debarment case, a round and a survey (attachments/, evaluation round/ and survey/documents.py)."""
    owners = {
        "plans": f"/api/procurement/plans/{w.plans['approved']}",
        "projects": f"/api/procurement/projects/{w.projects['awarded']}",
        "award": f"/api/procurement/projects/{w.projects['awarded']}/award",
        "contracts": f"/api/procurement/contracts/{w.contract}",
        "challenges": f"/api/procurement/challenges/{w.challenge}",
        "complaints": f"/api/procurement/complaints/{w.complaint}",
        "debarments": f"/api/procurement/debarments/{w.debarment}",
        "rounds": f"/api/evaluation/rounds/{w.rounds['published']}",
        "surveys": f"/api/evaluation/surveys/{w.surveys['open']}",
    }
    for kind, base in owners.items():
        r = api.http.post(
            f"{base}/documents",
            params={"document_type": "clarifications", "title": "说明"},
            content="灵武市社会救助服务 说明\n".encode() * 10,
            headers=api.headers(bureau) | {"Content-Type": "text/plain"},
        )
        assert r.status_code == 201, r.text
        w.documents[kind] = (base.rsplit("/", 1)[-1], str(r.json()["id"]))


def _experts(api: Api, w: World, bureau: Persona, pr: Procurement) -> None:
    """Lingwu's expert pool, and a consultation whose draw is committed and whose bids have closed."""
    for i in range(5):
        body = {
            "pool_division": LINGWU,
            "name": f"评审专家{i}",
            "fields": ["社会工作"],
            "organisation": "宁夏大学",
        }
        made = api.post("/api/procurement/experts", bureau, body)
        w.expert = w.expert or str(made["id"])
    # Its own catalogue item, like every project of the world (same-year same items add up).
    item = ITEMS[len(w.projects)]
    pid = pr.project(w.plans["approved"], "灵武市社会救助服务（抽取专家）", [item], BUDGET, "2018-09-03")
    pr.walk(pid, "announced", Walk(CONSULT), backdate=True)  # its response deadline has passed
    commitment = {
        "purchaser_commitment": hashlib.sha256(DRAW_SEED.encode()).hexdigest(),
        "representatives": 1,
    }
    api.post(f"/api/procurement/projects/{pid}/expert-draw/commitment", bureau, commitment)
    pr.tr("projects", pid, "bidding_closed", bureau)
    w.projects["drawable"] = pid


def _staffing(api: Api, w: World, bureau: Persona) -> None:
    w.scenario = api.post(
        "/api/staffing/scenarios",
        bureau,
        {
            "division_code": LINGWU,
            "name": "灵武市核查员配备",
            "inputs": {"on": "2019-01-01", "county": LINGWU_COUNTY},
        },
    )["id"]
    w.pack = str(api.get("/api/staffing/packs", bureau)[0]["id"])
    # Procurement rules: Lingwu's own guidance catalogue, two drafts (one is read, one is decided),
    # submitted by a clerk so that the fuzzer's bureau token may review them (four eyes).
    clerk = Persona("bureau", LINGWU, name="fuzz-clerk")
    for purpose in ("read", "decide"):
        body = {"pack": local_pack(f"lingwu-{purpose}-{w.tag}")}
        w.local_packs[purpose] = str(api.post("/api/procurement/rules/local-packs", clerk, body)["id"])
    api.post("/api/staffing/compliance/reports", bureau, compliance_report(2019))
    api.put(f"/api/staffing/pilots/{PILOT_PROVINCE}/2017", Persona("bureau", PILOT_PROVINCE), pilots())


def compliance_report(year: int) -> dict[str, Any]:
    actual = [{"unit_name": t["name"], "role": "verifier", "people": 2} for t in LINGWU_COUNTY["townships"]]
    return {
        "year": year,
        "on": f"{year}-03-01",
        "county": LINGWU_COUNTY,
        "actual": actual,
        "pay_level": "37440.00",
        "working_funds_document": "灵政办发〔2018〕201号",
        "trainings_held": 1,
    }


def pilots() -> dict[str, Any]:
    return {"counties": [{"division_code": "510121", "townships": ["赵镇街道", "淮口街道"]}]}


def _evaluation(api: Api, w: World, bureau: Persona) -> None:
    ev = Evaluation(api, LINGWU, PROVINCE)
    a, cid = w.contractors["A"], w.contract
    w.builtin_template = ev.template_id()
    w.template = str(api.post("/api/evaluation/templates", bureau, template(w.template_code))["id"])
    full = parties(("purchaser", "70", SHEET), ("recipients", "30", RECIPIENTS))
    answers = likert(30, [(5, 4), (4, 4), (4, 5)])

    def scored(period: str, spec: list[dict[str, Any]]) -> str:
        rid = ev.open_round(cid, a, "half_yearly", period, spec)
        ev.survey(rid, 30, answers, f"{period} 满意度")
        ev.score(rid, "purchaser", bureau, FULL_MARKS)
        ev.score(rid, "recipients", bureau)
        return str(rid)

    for key, period in (("published", "2019-H1"), ("appealed", "2019-H2")):
        w.rounds[key] = scored(period, full)
        ev.publish(w.rounds[key])
    contractor = Persona("contractor", LINGWU, a)
    appeal = api.post(
        f"/api/evaluation/rounds/{w.rounds['appealed']}/appeals", contractor, {"reason": "评分有误"}
    )
    w.appeal = str(appeal["id"])
    optional = parties(("purchaser", "60", SHEET), ("recipients", "30", RECIPIENTS))
    optional.append({"party": "township", "weight": "10", "dimensions": SHEET, "required": False})
    w.rounds["closable"] = scored("2020-H1", optional)
    w.rounds["closed"] = scored("2020-H2", full)
    w.rounds["open"] = ev.open_round(cid, a, "half_yearly", "2021-H1", full)
    body = {"round_id": w.rounds["open"], "title": "2021 年上半年满意度", "min_sample": 30}
    w.surveys["open"] = str(api.post("/api/evaluation/surveys", bureau, body)["id"])
    issued = api.post(f"/api/evaluation/surveys/{w.surveys['open']}/codes", bureau, {"count": 40})
    w.codes = list(issued["codes"])
    w.surveys["closable"] = str(api.post("/api/evaluation/surveys", bureau, survey(cid, a, "2021"))["id"])
    body = {
        "contract_id": cid,
        "staff_ref": "verifier-01",
        "division_code": TOWNSHIP,
        "year": 2019,
        "values": STAFF_GOOD,
        "evidence": EVIDENCE,
    }
    w.staff_assessment = str(api.post("/api/evaluation/staff-assessments", bureau, body)["id"])


def survey(contract_id: str, contractor: str, period: str) -> dict[str, Any]:
    """A survey of its own (no round): the contract, period and questions are given."""
    return {
        "contract_id": contract_id,
        "contractor_uscc": contractor,
        "period": period,
        "purchaser_division": LINGWU,
        "title": f"{period} 年度满意度",
        "questions": [{"key": "overall", "text": "总体满意度"}],
    }


def template(code: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "入户核查服务评价",
        "dimensions": [
            {
                "key": "quality",
                "name": "质量",
                "weight": "60",
                "indicators": [
                    {
                        "key": "q1",
                        "name": "满意度",
                        "type": "likert",
                        "weight": "100",
                        "config": {"points": 5},
                    }
                ],
            },
            {
                "key": "volume",
                "name": "数量",
                "weight": "40",
                "indicators": [
                    {
                        "key": "v1",
                        "name": "核查户数",
                        "type": "count",
                        "weight": "100",
                        "config": {"target": 10},
                    }
                ],
            },
        ],
    }
    if code is not None:
        body["code"] = code
    return body
