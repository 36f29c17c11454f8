"""One county's worth of real records in every state the authorization matrix reads (Lingwu 640181).

Built through the services' own HTTP APIs (in-process), as the county's bureau, finance bureau and
contractors would. The values are sentinels: distinctive strings a test scans every response for
(a contractor's legal representative and phone, bid prices, panel scores, bidder names), so a leak
shows as text that should not be there, whichever route or field carries it.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from jiuzhu_devtools.seeds import EVIDENCE, FULL_MARKS, LINGWU_COUNTY, LINGWU_PARTIES, TOWNSHIP_SHEET
from jiuzhu_devtools.testing import announce_clock, test_today
from tests.stories import uscc

OWN = "640181"  # 灵武市
OWN_TOWNSHIP = "640181100"

# Contractors. X, Y and Z bid (open tender needs three) on the projects still in bidding and in scoring; W wins and V loses the
# awarded project (Z loses it too); C is registered and bids on nothing (the "unrelated contractor"); D is debarred.
X, Y, W, V, C, D, Z = (uscc("52", OWN, n) for n in (811, 812, 813, 814, 815, 816, 817))
NAMES = {
    X: "灵武市欧阳社工服务社",
    Y: "灵武市司马社工事务所",
    W: "灵武市上官社会服务中心",
    V: "灵武市诸葛社工服务中心",
    C: "灵武市无关社会工作站",
    D: "灵武市失信社工服务社",
    Z: "灵武市东方社会工作服务站",
}
# X's natural-person data: shown in full to admin, bureau, finance, auditor and X itself only.
PERSON_NAME, PERSON_PHONE = "欧阳娜娜", "13912345678"
# Bid prices: project state → (bidder, price). Unmistakable digits, one per bid.
PRICES = {
    "bidding": {X: "1234567.89", Y: "2345678.91", Z: "2712345.67"},
    "scoring": {X: "1357913.57", Y: "2468024.68", Z: "2823456.78"},
    "awarded": {W: "1472583.69", V: "2583691.47", Z: "2934567.81"},
}
# Panel scores in the project being scored, per bid (each panel member gives the bid this mark).
# Each from 60 to the full mark of 70 (财政部令第87号), so none can be a timestamp's seconds:
# "59.53" was once found in "…:59.531…", an event's time, and read as a leaked score.
SCORES = {X: "69.31", Y: "64.53", Z: "61.87"}
PANEL = [{"id": "采购人代表", "expert": False}] + [{"id": f"评委{i}", "expert": True} for i in range(1, 5)]
TEMPLATE_CODE = "lingwu-matrix-template"
# Review experts of Lingwu's pool; the first one's name is a sentinel (its pool's managers only).
EXPERT_NAME = "慕容复兴"
DRAW_SEED = "c0ffee" * 8  # the purchaser's seed of the draw committed on the project in bidding


@dataclass
class World:
    plan: str = ""  # approved, the projects' plan
    draft_plan: str = ""  # next year's, still a draft
    projects: dict[str, str] = field(default_factory=dict)  # state → id
    bids: dict[str, dict[str, str]] = field(default_factory=dict)  # state → uscc → bid id
    contract: str = ""
    debarment: str = ""
    challenge: str = ""
    answered_challenge: str = ""  # a process challenge, dismissed: a complaint may still follow
    complaint: str = ""  # filed with finance after a dismissed challenge
    rounds: dict[str, str] = field(default_factory=dict)  # "collecting" / "published" → id
    survey: str = ""
    appeal: str = ""
    template: str = ""
    scenario: str = ""
    staff_contract: str = ""
    staff_assessment: str = ""
    local_pack: str = ""  # Lingwu's own guidance catalogue, submitted (a draft)
    expert: str = ""  # a review expert of Lingwu's pool (EXPERT_NAME)
    # One document per aggregate that keeps them: its routes' template base → (the concrete base,
    # the document's id).
    documents: dict[str, tuple[str, str]] = field(default_factory=dict)

    def lingwu_ids(self) -> list[str]:
        """Ids of every record that belongs to Lingwu's jurisdiction (lists elsewhere never show them)."""
        return [
            self.plan,
            self.draft_plan,
            *self.projects.values(),
            self.contract,
            *self.rounds.values(),
            self.survey,
            self.staff_assessment,
            self.scenario,
            self.local_pack,
            self.expert,
        ]


Auth = Callable[..., dict[str, str]]


async def _ok(r: httpx.Response, expect: int = 200) -> Any:
    assert r.status_code == expect, f"{r.request.method} {r.request.url}: {r.status_code} {r.text[:500]}"
    return r.json()


def contractor_body(code: str) -> dict[str, Any]:
    person = code == X
    return {
        "uscc": code,
        "name": NAMES[code],
        "small_enterprise": False,
        "legal_representative": PERSON_NAME if person else "李建国",
        "contact_phone": PERSON_PHONE if person else "13800000000",
        "capacities": {
            "facilities": "办公场所 200 平方米",
            "staff_count": 20,
            "skills": ["社会工作", "入户核查"],
            "finance_system": True,
            "governance": True,
            "independent_liability": True,
        },
    }


CONTRACT = {
    "subject": "灵武市社会救助入户核查服务",
    "service_standards": "按采购文件约定的服务标准执行",
    "quantity": "9 个乡镇（街道）入户核查",
    "term_start": "2030-01-01",
    "term_end": "2030-12-31",
    "payment_method": "按半年度评价结果拨付",
    "payment_schedule": [
        {"period": "2030-H1", "amount": "700000.00", "due_on": "2030-07-15"},
        {"period": "2030-H2", "amount": "772583.69", "due_on": "2031-01-15"},
    ],
    "breach_liability": "违约方按合同金额 5% 支付违约金",
    "dispute_resolution": "协商不成的，向采购人所在地人民法院起诉",
    "takeover_plan": "承接主体退出时由市民政局临时接管",
}


async def _project(
    proc: httpx.AsyncClient, auth: Auth, plan: str, title: str, bidders: dict[str, str], to: str
) -> tuple[str, dict[str, str]]:
    bureau, finance = auth("bureau", OWN, sub="w-bureau"), auth("finance", OWN, sub="w-finance")
    body = {
        "plan_id": plan,
        "division_code": OWN,
        "title": title,
        "items": ["AS09"],
        "budget": "3000000.00",
        "funding_source": "working_funds",
        "declared_on": "2026-03-02",
    }
    pid = str((await _ok(await proc.post("/projects", json=body, headers=bureau), 201))["id"])

    async def tr(target: str, who: dict[str, str], data: dict[str, Any] | None = None) -> None:
        payload: dict[str, Any] = {"to": target} | ({"data": data} if data else {})
        await _ok(await proc.post(f"/projects/{pid}/transitions", json=payload, headers=who))

    await tr("approved", finance)
    # Announced ANNOUNCE_DAYS_BACK days ago: the 20-day tender period has run when bidding closes today.
    await tr(
        "announced",
        {**bureau, "X-Jiuzhu-Clock": announce_clock()},
        {"method": "open_tender", "scoring": {"price_weight": "30"}},
    )
    bids: dict[str, str] = {}
    for code, price in bidders.items():
        b = await proc.post(
            f"/projects/{pid}/bids",
            json={"uscc": code, "price": price, "proposal": "服务方案：人员、流程、质量控制"},
            headers=auth("contractor", OWN, org=code, sub=f"w-{code}"),
        )
        bids[code] = str((await _ok(b, 201))["id"])
    if to == "announced":
        return pid, bids
    await tr("bidding_closed", bureau)
    await tr("qualification_review", bureau)
    for bid in bids.values():
        q = {"qualified": True, "note": "资格证明文件齐全"}
        await _ok(await proc.post(f"/projects/{pid}/bids/{bid}/qualification", json=q, headers=bureau))
    await tr("scoring", bureau)
    marks = SCORES if to == "scoring" else {W: "66", V: "60", Z: "50"}
    scores = [{"bid_id": bids[c], "member_id": m["id"], "score": marks[c]} for c in bids for m in PANEL]
    await _ok(
        await proc.post(f"/projects/{pid}/scoring", json={"members": PANEL, "scores": scores}, headers=bureau)
    )
    if to == "awarded":  # W's price is abnormally low (below the others): explained and accepted
        ex = {"explanation": "以志愿者补充人手、共享办公场地降低成本", "accepted": True}
        await _ok(await proc.post(f"/projects/{pid}/bids/{bids[W]}/explanation", json=ex, headers=bureau))
        await tr("awarded", bureau)
    return pid, bids


async def ensure_calendar(clients: dict[str, httpx.AsyncClient], auth: Auth, year: int) -> None:
    """Deadlines counted from today may run into next year: load a minimal calendar for it when the
    holiday notice is not seeded yet (as tests/stories does)."""
    admin = auth("admin", "000000", sub="w-admin")
    for c in clients.values():
        if (await c.get(f"/calendar/{year}", headers=admin)).status_code == 200:
            continue
        body = {
            "notice": f"{year} 年元旦（最小日历）",
            "holidays": [{"date": f"{year}-01-01", "name": "元旦"}],
        }
        await _ok(await c.put(f"/admin/calendar/{year}", json=body, headers=admin))


DOCUMENT = "灵武市入户核查服务 附件\n".encode() * 20  # plain text: the content carries no sentinel


# The document routes of each aggregate (their template base) → who attaches in the world, with a
# type. Payments and amendments have none: the world's contract is a draft, with neither.
def document_owners(w: World) -> dict[str, tuple[str, str, str, str | None, str]]:
    """template base → (service, concrete base, role, org, document type)."""
    return {
        "/plans/{plan_id}": ("procurement", f"/plans/{w.plan}", "bureau", None, "procurementPlan"),
        "/projects/{project_id}": (
            "procurement",
            f"/projects/{w.projects['awarded']}",
            "bureau",
            None,
            "tenderNotice",
        ),
        "/projects/{project_id}/award": (
            "procurement",
            f"/projects/{w.projects['awarded']}/award",
            "bureau",
            None,
            "awardNotice",
        ),
        "/contracts/{contract_id}": (
            "procurement",
            f"/contracts/{w.contract}",
            "bureau",
            None,
            "contractDraft",
        ),
        "/challenges/{challenge_id}": (
            "procurement",
            f"/challenges/{w.challenge}",
            "bureau",
            None,
            "complaints",
        ),
        "/complaints/{complaint_id}": (
            "procurement",
            f"/complaints/{w.complaint}",
            "bureau",
            None,
            "complaints",
        ),
        "/debarments/{debarment_id}": (
            "procurement",
            f"/debarments/{w.debarment}",
            "bureau",
            None,
            "debarments",
        ),
        "/bids/{bid_id}": (
            "procurement",
            f"/bids/{w.bids['bidding'][X]}",
            "contractor",
            X,
            "submissionDocuments",
        ),
        "/rounds/{round_id}": (
            "evaluation",
            f"/rounds/{w.rounds['published']}",
            "bureau",
            None,
            "x_performanceEvaluation",
        ),
        "/surveys/{survey_id}": ("evaluation", f"/surveys/{w.survey}", "bureau", None, "x_surveyReport"),
    }


# Document routes whose record the world does not have (a draft contract: no payment, no
# amendment): every caller gets the aggregate's absent answer, the same way.
ABSENT_DOCUMENT_OWNERS = {
    "/contracts/{contract_id}/payments/{period}": "/contracts/{contract}/payments/2030-H1",
    "/contracts/{contract_id}/amendments/{amendment_no}": "/contracts/{contract}/amendments/1",
}


async def _documents(clients: dict[str, httpx.AsyncClient], auth: Auth, w: World) -> None:
    """A document on each aggregate that keeps them (document_owners); bidder X's on its sealed bid
    in the project still in bidding (attachments/)."""
    for template, (service, base, role, org, doc_type) in document_owners(w).items():
        sub = f"w-{org}" if org else f"w-{role}"
        r = await clients[service].post(
            f"{base}/documents",
            params={"document_type": doc_type, "title": "附件"},
            content=DOCUMENT,
            headers=auth(role, OWN, org=org, sub=sub) | {"Content-Type": "text/plain"},
        )
        w.documents[template] = (base, str((await _ok(r, 201))["id"]))


async def build(clients: dict[str, httpx.AsyncClient], auth: Auth) -> World:
    w = World()
    proc, ev, st = clients["procurement"], clients["evaluation"], clients["staffing"]
    bureau = auth("bureau", OWN, sub="w-bureau")
    await ensure_calendar(clients, auth, test_today().year + 1)

    for code in NAMES:
        r = await proc.post(
            "/contractors",
            json=contractor_body(code),
            headers=auth("contractor", OWN, org=code, sub=f"w-{code}"),
        )
        await _ok(r, 201)
    plan = {
        "division_code": OWN,
        "year": 2026,
        "title": "灵武市 2026 年度购买社会救助服务计划",
        "budget_lines": [
            {"funding_source": "working_funds", "amount": "9000000.00", "scope": "入户核查服务"}
        ],
    }
    w.plan = str((await _ok(await proc.post("/plans", json=plan, headers=bureau), 201))["id"])
    await _ok(await proc.post(f"/plans/{w.plan}/transitions", json={"to": "submitted"}, headers=bureau))
    draft = plan | {"year": 2027, "title": "灵武市 2027 年度购买社会救助服务计划"}
    w.draft_plan = str((await _ok(await proc.post("/plans", json=draft, headers=bureau), 201))["id"])
    fin = auth("finance", OWN, sub="w-finance")
    await _ok(await proc.post(f"/plans/{w.plan}/transitions", json={"to": "approved"}, headers=fin))

    titles = {
        "bidding": "入户核查服务（投标中）",
        "scoring": "入户核查服务（评审中）",
        "awarded": "入户核查服务（已成交）",
    }
    made = await asyncio.gather(
        *(
            _project(proc, auth, w.plan, titles[s], PRICES[s], to)
            for s, to in (("bidding", "announced"), ("scoring", "scoring"), ("awarded", "awarded"))
        )
    )
    for state, (pid, bids) in zip(("bidding", "scoring", "awarded"), made, strict=True):
        w.projects[state], w.bids[state] = pid, bids
    # Lingwu's expert pool, and a draw committed for the project still in bidding (expert/).
    for i in range(5):
        body = expert_body(EXPERT_NAME if i == 0 else f"专家{i}")
        made_expert = await _ok(await proc.post("/experts", json=body, headers=bureau), 201)
        w.expert = w.expert or str(made_expert["id"])
    commitment = {"purchaser_commitment": hashlib.sha256(DRAW_SEED.encode()).hexdigest()}
    r = await proc.post(
        f"/projects/{w.projects['bidding']}/expert-draw/commitment", json=commitment, headers=bureau
    )
    await _ok(r, 201)
    awarded = w.projects["awarded"]
    w.contract = str(
        (await _ok(await proc.post(f"/projects/{awarded}/contract", json=CONTRACT, headers=bureau), 201))[
            "id"
        ]
    )
    ch = {"uscc": V, "grounds": "评分不公正，要求复核"}
    r = await proc.post(
        f"/projects/{awarded}/challenges", json=ch, headers=auth("contractor", OWN, org=V, sub=f"w-{V}")
    )
    w.challenge = str((await _ok(r, 201))["id"])
    # Z challenges the award, is answered (dismissed) and complains to finance; Z also challenges the
    # process of the project in scoring and is answered: the complaint that may follow is a valid write.
    zh = auth("contractor", OWN, org=Z, sub=f"w-{Z}")
    answered = []
    for pid, against in ((awarded, "result"), (w.projects["scoring"], "process")):
        ch = {"uscc": Z, "against": against, "grounds": "资格审查和评分不符合采购文件"}
        r = await proc.post(f"/projects/{pid}/challenges", json=ch, headers=zh)
        cid = str((await _ok(r, 201))["id"])
        no = {"to": "dismissed", "reason": "经复核，资格审查和评分符合采购文件"}
        await _ok(await proc.post(f"/challenges/{cid}/transitions", json=no, headers=bureau))
        answered.append(cid)
    complaint = {"challenge_id": answered[0], "grounds": "质疑答复未回应成交供应商的资格问题"}
    w.complaint = str((await _ok(await proc.post("/complaints", json=complaint, headers=zh), 201))["id"])
    w.answered_challenge = answered[1]
    r = await proc.post(f"/contractors/{D}/debarments", json={"grounds": "虚假材料骗取中标"}, headers=bureau)
    w.debarment = str((await _ok(r, 201))["id"])

    # Evaluation: a template of the county's own, a round still collecting scores and one published
    # (with an appeal by its contractor), a survey, staff assessments.
    from jiuzhu_evaluation.template.builtin import builtin_id

    tpl = template_body(TEMPLATE_CODE)
    # Templates are reference data, kept across tests: a second world in the run finds its own.
    made = await ev.post("/templates", json=tpl, headers=bureau)
    if made.status_code == 409 and made.json()["code"] == "TEMPLATE_CODE_TAKEN":
        made = await ev.get(f"/templates/by-code/{TEMPLATE_CODE}", headers=bureau)
        w.template = str((await _ok(made, 200))["id"])
    else:
        w.template = str((await _ok(made, 201))["id"])
    for state, period in (("published", "2030-H1"), ("collecting", "2030-H2")):
        rnd = {
            "contract_id": w.contract,
            "period_kind": "half_yearly",
            "period": period,
            "contractor_uscc": W,
            "purchaser_division": OWN,
            "template_id": str(builtin_id("social-assistance-comprehensive")),
            "parties": LINGWU_PARTIES,
        }
        w.rounds[state] = str((await _ok(await ev.post("/rounds", json=rnd, headers=bureau), 201))["id"])
    pub = w.rounds["published"]
    sid = (
        await _ok(await ev.post("/surveys", json={"round_id": pub, "min_sample": 3}, headers=bureau), 201)
    )["id"]
    codes = (await _ok(await ev.post(f"/surveys/{sid}/codes", json={"count": 3}, headers=bureau), 201))[
        "codes"
    ]
    answers = {"overall_satisfaction": 5, "service_attitude": 4}
    bulk = {"responses": [{"code": c, "answers": answers} for c in codes]}
    portal = auth("portal", "640000", sub="w-portal")
    await _ok(await ev.post(f"/surveys/{sid}/responses/bulk", json=bulk, headers=portal))
    for party, body, who in (
        ("purchaser", {"values": FULL_MARKS}, bureau),
        ("township", {"values": TOWNSHIP_SHEET}, auth("township", OWN_TOWNSHIP, sub="w-township")),
        ("recipients", {"from_survey": True}, bureau),
    ):
        body |= {"party": party, "evidence": EVIDENCE}
        await _ok(await ev.post(f"/rounds/{pub}/scores", json=body, headers=who), 201)
    body = {"party": "purchaser", "values": FULL_MARKS, "evidence": EVIDENCE}
    await _ok(await ev.post(f"/rounds/{w.rounds['collecting']}/scores", json=body, headers=bureau), 201)
    await _ok(await ev.post(f"/rounds/{pub}/publish", headers=bureau))
    r = await ev.post(
        f"/rounds/{pub}/appeals",
        json={"reason": "乡镇评分漏计"},
        headers=auth("contractor", OWN, org=W, sub=f"w-{W}"),
    )
    w.appeal = str((await _ok(r, 201))["id"])
    w.survey = str(
        (
            await _ok(
                await ev.post("/surveys", json={"round_id": w.rounds["collecting"]}, headers=bureau), 201
            )
        )["id"]
    )
    w.staff_contract = w.contract
    staff = {
        "contract_id": w.contract,
        "staff_ref": "verifier-01",
        "division_code": OWN,
        "year": 2030,
        "values": {
            "ethics": "5",
            "absences": "0",
            "cases_handled": "100",
            "accuracy": "97",
            "daily_performance": "4",
        },
        "evidence": [{"kind": "record", "title": "年度考核表"}],
    }
    w.staff_assessment = str(
        (await _ok(await ev.post("/staff-assessments", json=staff, headers=bureau), 201))["id"]
    )

    # Staffing: a saved scenario and a compliance report.
    scen = {
        "division_code": OWN,
        "name": "灵武测算",
        "inputs": {"on": "2019-06-01", "county": LINGWU_COUNTY},
    }
    w.scenario = str((await _ok(await st.post("/scenarios", json=scen, headers=bureau), 201))["id"])
    report = {
        "year": 2019,
        "on": "2019-03-01",
        "county": LINGWU_COUNTY,
        "actual": [{"unit_name": "崇兴镇", "role": "verifier", "people": 2}],
        "pay_level": "37440.00",
        "trainings_held": 1,
    }
    await _ok(await st.post("/compliance/reports", json=report, headers=bureau), 201)

    await _documents(clients, auth, w)

    # Procurement rules: Lingwu's own guidance catalogue, submitted for review (a draft).
    body = {"pack": local_pack("lingwu-guidance")}
    w.local_pack = str(
        (await _ok(await proc.post("/rules/local-packs", json=body, headers=bureau), 201))["id"]
    )
    return w


def expert_body(name: str) -> dict[str, Any]:
    return {
        "pool_division": OWN,
        "name": name,
        "fields": ["社会工作"],
        "organisation": "宁夏大学",
        "conflicts": [{"uscc": D, "note": "三年内曾任该机构理事"}],
    }


def local_pack(pack_id: str) -> dict[str, Any]:
    """Lingwu's own guidance catalogue as a local rule pack (the kind seed 004 四(二) asks for)."""
    cite = {"document": "seed 002", "clause": "四(二)"}
    item = {
        "code": "LW01",
        "name_zh": "防灾减灾",
        "name_en": "disaster prevention",
        "category": "direct_service",
        "levels": ["township"],
        "citations": [cite],
    }
    return {
        "id": pack_id,
        "version": 1,
        "title": "灵武市购买服务指导目录",
        "cite_as": "灵武市购买服务指导目录",
        "issuer": "灵武市民政局",
        "published": "2019-01-01",
        "effective_from": "2019-01-01",
        "jurisdiction": OWN,
        "inherits": "cn-procurement",
        "parameters": {
            "local_catalogue": {
                "label": "灵武市购买服务指导目录",
                "unit": "catalogue",
                "values": [{"from": "2019-01-01", "citation": cite, "value": [item]}],
            }
        },
    }


def template_body(code: str | None) -> dict[str, Any]:
    """A county's own indicator template (one dimension, one indicator); `code` None: a new version."""
    body: dict[str, Any] = {
        "name": "灵武市测试模板",
        "dimensions": [
            {
                "key": "quality",
                "name": "质量",
                "weight": "100",
                "indicators": [
                    {"key": "q1", "name": "q1", "type": "count", "weight": "100", "config": {"target": 10}}
                ],
            }
        ],
    }
    return body | ({"code": code} if code else {})
