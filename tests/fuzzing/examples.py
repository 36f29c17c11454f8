"""A valid request per operation: who sends it and what, pointing at the records of `world.py`.

The fuzzer sends each example first, then lets hypothesis mutate it (generated values replace some
of its fields), so schema-valid cases start from a request that passes the business rules and
reach the operation's success path. `tests/test_fuzz_examples.py` checks every example against
its operation's schema. An operation without a line here gets a token with the first role its
policy (authz_policy.toml) allows and fully generated inputs.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from jiuzhu_devtools.seeds import EVIDENCE, FULL_MARKS, LINGWU, LINGWU_COUNTY, STAFF_GOOD
from jiuzhu_devtools.testing import test_today
from tests.fuzzing.fuzz_world import (
    DRAW_SEED,
    PILOT_PROVINCE,
    PROVINCE,
    TOWNSHIP,
    World,
    compliance_report,
    contract,
    pilots,
    roster_worker,
    survey,
    template,
)
from tests.fuzzing.world import local_pack

NATIONAL = "000000"
POLICY: dict[str, dict[str, dict[str, Any]]] = tomllib.loads(
    (Path(__file__).parent / "authz_policy.toml").read_text(encoding="utf-8")
)


@dataclass(frozen=True)
class Example:
    role: str = ""  # empty: the first role the policy allows (bureau for "token"/"public")
    div: str = LINGWU
    org: str | None = None  # a contractor token's credit code
    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None  # None: the operation takes no body, or any generated one will do


def role_for(service: str, op: str, ex: Example) -> str:
    if ex.role:
        return ex.role
    access = POLICY[service][op]["access"]
    return str(access[0]) if isinstance(access, list) else "bureau"


CALENDAR = Example(
    "admin",
    NATIONAL,
    path={"year": 2030},  # a year nothing else uses: loading it changes no deadline
    body={"notice": "2030 年放假安排（测试）", "holidays": [{"date": "2030-01-01", "name": "元旦"}]},
)
WORKING_DAYS = Example(query={"start": "2019-06-03", "days": 10})
YEAR = Example(path={"year": 2019})
STAFFING = {"on": "2019-06-01", "county": LINGWU_COUNTY}
BATCH = {"on": "2019-06-01", "counties": [LINGWU_COUNTY]}


NO_ENDPOINT = "00000000-0000-4000-8000-00000000b00c"  # another owner's (or no) webhook endpoint


def _common() -> dict[str, Example]:
    hook = Example(path={"endpoint_id": NO_ENDPOINT})
    return {
        "GET /webhooks/endpoints/{endpoint_id}": hook,
        "GET /webhooks/endpoints/{endpoint_id}/deliveries": hook,
        "POST /webhooks/endpoints/{endpoint_id}/enable": hook,
        "POST /webhooks/endpoints/{endpoint_id}/replay": Example(
            path={"endpoint_id": NO_ENDPOINT}, body={"since": "2026-01-01T00:00:00+08:00"}
        ),
        "POST /webhooks/endpoints": Example(
            body={"url": "http://127.0.0.1:9/jiuzhu-hooks", "event_types": ["*"]}
        ),
        "PUT /admin/calendar/{year}": CALENDAR,
        # Public chain heads (kit transparency): the same for everyone, no jurisdiction.
        "GET /public/transparency/heads/{sequence}": Example(path={"sequence": 1}),
        "GET /public/transparency/entries": Example(query={"start": 0, "end": 100}),
        "GET /public/transparency/proofs/inclusion": Example(
            query={"aggregate_type": "calendar_year", "aggregate_id": "2030"}
        ),
        "GET /public/transparency/proofs/consistency": Example(query={"first": 1, "second": 1}),
        "POST /transparency/heads": Example(role="bureau"),
        "GET /calendar/working-days": WORKING_DAYS,
        "GET /calendar/{year}": YEAR,
    }


def staffing(w: World) -> dict[str, Example]:
    scenario = Example(path={"scenario_id": w.scenario})
    return {
        **_common(),
        "POST /calculations/batch": Example(body=BATCH),
        "POST /calculations/budget": Example(
            body={"division_code": LINGWU, "start": "2019-01-01", "county": LINGWU_COUNTY}
        ),
        "POST /calculations/staffing": Example(body=STAFFING),
        "POST /calculations/what-if": Example(
            body={"county": LINGWU_COUNTY, "a": {"on": "2019-01-01"}, "b": {"on": "2024-01-01"}}
        ),
        "POST /compliance/reports": Example(body=compliance_report(2020)),
        "GET /compliance/reports/{division_code}/{year}": Example(
            path={"division_code": LINGWU, "year": 2019}
        ),
        "GET /compliance/reports/{division_code}/{year}/events": Example(
            path={"division_code": LINGWU, "year": 2019}
        ),
        "GET /compliance/reports/{division_code}/{year}/events/verify": Example(
            path={"division_code": LINGWU, "year": 2019}
        ),
        "GET /compliance/summary": Example(query={"division_code": LINGWU, "year": 2019}),
        "GET /compliance/reports": Example(query={"division_code": LINGWU, "year": 2019}),
        "GET /packs/in-force": Example(query={"division_code": LINGWU, "on": "2019-06-01"}),
        "GET /packs/{pack_id}": Example(path={"pack_id": w.pack}),
        "GET /rules/in-force": Example(query={"division_code": LINGWU, "on": "2019-06-01"}),
        "GET /rules/{pack_id}": Example(path={"pack_id": w.pack}),
        "PUT /pilots/{province_code}/{year}": Example(
            div=PILOT_PROVINCE, path={"province_code": PILOT_PROVINCE, "year": 2018}, body=pilots()
        ),
        "GET /pilots/{province_code}/{year}/check": Example(
            div=PILOT_PROVINCE, path={"province_code": PILOT_PROVINCE, "year": 2017}
        ),
        "GET /pilots/{province_code}/{year}/events": Example(
            div=PILOT_PROVINCE, path={"province_code": PILOT_PROVINCE, "year": 2017}
        ),
        "GET /pilots/{province_code}/{year}/events/verify": Example(
            div=PILOT_PROVINCE, path={"province_code": PILOT_PROVINCE, "year": 2017}
        ),
        "POST /scenarios": Example(body={"division_code": LINGWU, "name": "灵武市测算", "inputs": STAFFING}),
        "GET /scenarios/{scenario_id}": scenario,
        "GET /scenarios/{scenario_id}/events": scenario,
        "GET /scenarios/{scenario_id}/events/verify": scenario,
        "GET /scenarios/{scenario_id}/reproduce": scenario,
        "POST /tables/county": Example(query={"format": "csv"}, body=BATCH),
        "POST /tables/township": Example(body=STAFFING),
    }


_DOCUMENT_TAILS = (
    ("GET", ""),
    ("GET", "/{document_id}"),
    ("GET", "/{document_id}/content"),
    ("POST", ""),
    ("POST", "/{document_id}/versions"),
)
# Each aggregate's document routes (their template base), the service, who attaches (role, the
# contractor key in w.contractors) and a document type.
_DOCUMENT_OWNERS = {
    "/plans/{plan_id}": ("procurement", "bureau", None, "procurementPlan"),
    "/projects/{project_id}": ("procurement", "bureau", None, "tenderNotice"),
    "/projects/{project_id}/award": ("procurement", "bureau", None, "awardNotice"),
    "/bids/{bid_id}": ("procurement", "contractor", "A", "submissionDocuments"),
    "/contracts/{contract_id}": ("procurement", "bureau", None, "contractDraft"),
    "/contracts/{contract_id}/amendments/{amendment_no}": ("procurement", "bureau", None, "contractAnnexe"),
    "/contracts/{contract_id}/payments/{period}": ("procurement", "bureau", None, "x_acceptanceReport"),
    "/challenges/{challenge_id}": ("procurement", "bureau", None, "clarifications"),
    "/complaints/{complaint_id}": ("procurement", "bureau", None, "clarifications"),
    "/debarments/{debarment_id}": ("procurement", "bureau", None, "debarments"),
    "/rounds/{round_id}": ("evaluation", "bureau", None, "x_performanceEvaluation"),
    "/surveys/{survey_id}": ("evaluation", "bureau", None, "x_surveyReport"),
}


def _documents(w: World, service: str) -> dict[str, Example]:
    """The document routes of every aggregate of `service` (jiuzhu_kit.documents.api)."""
    ids = {
        "plan_id": w.plans["approved"],
        "project_id": w.projects["awarded"],
        "bid_id": w.bids["announced"][0],
        "contract_id": w.contract,
        "amendment_no": "1",
        "period": "2019-H1",
        "challenge_id": w.challenge,
        "complaint_id": w.complaint,
        "debarment_id": w.debarment,
        "round_id": w.rounds["published"],
        "survey_id": w.surveys["open"],
    }
    any_doc = next(iter(w.documents.values()))[1]
    out = {}
    for base, (svc, role, org, doc_type) in _DOCUMENT_OWNERS.items():
        if svc != service:
            continue
        names = [part[1:-1] for part in base.split("/") if part.startswith("{")]
        # The world's own document on this record where it has one (fuzz_world._documents).
        kind = "award" if base.endswith("/award") else base.split("/")[1]
        doc = w.documents.get(kind, ("", any_doc))[1]
        for m, tail in _DOCUMENT_TAILS:
            out[f"{m} {base}/documents{tail}"] = Example(
                role=role,
                org=w.contractors[org] if org else None,
                path={n: ids[n] for n in names} | ({"document_id": doc} if "{document_id}" in tail else {}),
                query={"document_type": doc_type, "title": "附件"} if m == "POST" and not tail else {},
            )
    return out


def procurement(w: World) -> dict[str, Example]:
    a, b, c, d, e, f = (w.contractors[k] for k in "ABCDEF")
    p = w.projects
    project = Example(path={"project_id": p["contract"]})
    rules = {
        "GET /rules/in-force": Example(query={"division_code": LINGWU, "on": "2024-06-01"}),
        "GET /rules/{pack_id}": Example(path={"pack_id": "cn-procurement"}),
        "POST /rules/local-packs": Example(body={"pack": local_pack(f"lingwu-new-{w.tag}")}),
        "GET /rules/local-packs/{pack_uuid}": Example(path={"pack_uuid": w.local_packs["read"]}),
        "GET /rules/local-packs/{pack_uuid}/events": Example(path={"pack_uuid": w.local_packs["read"]}),
        "POST /rules/local-packs/{pack_uuid}/transitions": Example(
            path={"pack_uuid": w.local_packs["decide"]}, body={"to": "published"}
        ),
    }
    key = {
        "contractors/{uscc}": Example(path={"uscc": a}),
        "experts/{expert_id}": Example(path={"expert_id": w.expert}),
        "contracts/{contract_id}": Example(path={"contract_id": w.contract}),
        "debarments/{debarment_id}": Example(path={"debarment_id": w.debarment}),
        "plans/{plan_id}": Example(path={"plan_id": w.plans["approved"]}),
        "projects/{project_id}": Example(path={"project_id": p["contract"]}),
    }
    events = {f"GET /{kind}/events{tail}": ex for kind, ex in key.items() for tail in ("", "/verify")}
    k = Example(path={"contract_id": w.contract})
    lines = [{"funding_source": "working_funds", "amount": "600000.00", "scope": "社会救助经办服务"}]
    members = [{"id": f"评委{i + 1}", "expert": i > 0} for i in range(5)]
    scores = [
        {"bid_id": bid, "member_id": m["id"], "score": "60"} for bid in w.bids["scoring"] for m in members
    ]
    return {
        **_common(),
        **events,
        **rules,
        "POST /catalogue/check": Example(
            body={"items": ["AS01"], "on": "2019-06-01", "division_code": LINGWU}
        ),
        "POST /challenges/{challenge_id}/transitions": Example(
            path={"challenge_id": w.challenge}, body={"to": "dismissed", "reason": "经复核评审符合采购文件"}
        ),
        "GET /complaints": Example(query={"division_code": LINGWU}),
        **_documents(w, "procurement"),
        "POST /plans/{plan_id}/documents/generated": Example(path={"plan_id": w.plans["approved"]}),
        "POST /projects/{project_id}/documents/generated": Example(
            path={"project_id": w.projects["awarded"]}
        ),
        "POST /contracts/{contract_id}/documents/generated": Example(path={"contract_id": w.contract}),
        "POST /complaints": Example(
            "contractor",
            org=b,
            body={"challenge_id": w.answered_challenge, "grounds": "质疑答复未说明人员资质的认定依据"},
        ),
        "POST /complaints/{complaint_id}/transitions": Example(
            "finance",
            path={"complaint_id": w.complaint},
            body={"to": "suspended", "data": {"days": 10}, "reason": "处理投诉期间暂停采购活动"},
        ),
        "POST /contractors": Example(
            "contractor",
            org=f,
            body={
                "uscc": f,
                "name": "灵武市新成立社会工作服务中心",
                "legal_representative": "王建国",
                "contact_phone": "13912345678",
                "capacities": {
                    "facilities": "办公场所 200 平方米",
                    "staff_count": 20,
                    "skills": ["社会工作"],
                    "finance_system": True,
                    "governance": True,
                    "independent_liability": True,
                },
            },
        ),
        "GET /contractors/{uscc}": Example(path={"uscc": a}),
        "POST /contractors/{uscc}/debarments": Example(path={"uscc": e}, body={"grounds": "提供虚假材料"}),
        "GET /contracts/{contract_id}": k,
        # The roster of the world's contract (A's): one worker in post, one trained (fuzz_world.py).
        "POST /contracts/{contract_id}/workers": Example(
            "contractor", org=a, path=k.path, body=roster_worker(3)
        ),
        "GET /contracts/{contract_id}/workers": k,
        "POST /contracts/{contract_id}/trainings": Example(
            path=k.path,
            body={
                "on": w.signed_on,
                "hours": "4.0",
                "subject": "社会救助政策培训",
                "kind": "business",
                "organiser": "灵武市民政局",
                "attendees": w.workers[:1],
            },
        ),
        "GET /contracts/{contract_id}/trainings": k,
        "GET /contracts/{contract_id}/trainings/missing": Example(path=k.path, query={"year": 2019}),
        "GET /workers/in-post": Example(query={"division_code": LINGWU, "on": "2019-06-01"}),
        "GET /workers/overdue-replacements": Example(query={"division_code": LINGWU, "on": "2020-02-04"}),
        "GET /trainings/missing": Example(query={"division_code": LINGWU, "year": 2019}),
        "GET /workers/{worker_id}": Example(path={"worker_id": w.workers[0]}),
        "POST /workers/{worker_id}/personal-data": Example(
            path={"worker_id": w.workers[0]}, body={"purpose": "办理社会保险登记"}
        ),
        "POST /workers/{worker_id}/transitions": Example(
            "contractor", org=a, path={"worker_id": w.workers[1]}, body={"to": "dispatched"}
        ),
        "POST /workers/{worker_id}/approval": Example(path={"worker_id": w.workers[0]}),
        "POST /workers/{worker_id}/assessment": Example(
            path={"worker_id": w.workers[0]}, body={"year": 2019}
        ),
        "POST /workers/{worker_id}/replacement": Example(
            "contractor",
            org=a,
            path={"worker_id": w.workers[0]},
            body={"replacement_id": w.workers[1], "reason": "年度考核不合格，重新选配"},
        ),
        "GET /workers/{worker_id}/events": Example(path={"worker_id": w.workers[0]}),
        "GET /workers/{worker_id}/events/verify": Example(path={"worker_id": w.workers[0]}),
        "GET /public/who-serves/{division_code}": Example(path={"division_code": TOWNSHIP}),
        "GET /public/purchasers/{division_code}": Example(path={"division_code": "640181"}),
        "POST /contracts/{contract_id}/amendments": Example(
            path=k.path, body={"reason": "服务对象增加", "quantity": "14 名入户核查员"}
        ),
        "POST /contracts/{contract_id}/deadlines/{deadline_key}/fulfil": Example(
            path={**k.path, "deadline_key": "staff_dispatched"}, body={"on": w.signed_on}
        ),
        "POST /contracts/{contract_id}/payments/{period}/release": Example(
            path={**k.path, "period": "2019-H1"}
        ),
        "POST /contracts/{contract_id}/payments/{period}/acceptance": Example(
            path={**k.path, "period": "2021-H2"}, body={"on": w.signed_on, "note": "下半年服务经验收合格"}
        ),
        "GET /contracts/{contract_id}/payments/{period}/events": Example(
            path={**k.path, "period": "2019-H1"}
        ),
        "GET /contracts/{contract_id}/payments/{period}/events/verify": Example(
            path={**k.path, "period": "2019-H1"}
        ),
        "GET /contracts/overdue-payments": Example(query={"division_code": LINGWU}),
        "GET /debarments/{debarment_id}": Example(path={"debarment_id": w.debarment}),
        "POST /debarments/{debarment_id}/transitions": Example(
            "contractor",
            org=d,
            path={"debarment_id": w.debarment},
            body={"to": "responded", "data": {"response": "系个别人员所为，已整改"}},
        ),
        "POST /experts": Example(
            body={
                "pool_division": LINGWU,
                "name": "张建华",
                "fields": ["社会救助"],
                "organisation": "北方民族大学",
            }
        ),
        "GET /experts/{expert_id}": Example(path={"expert_id": w.expert}),
        "POST /experts/{expert_id}/conflicts": Example(
            path={"expert_id": w.expert}, body={"uscc": e, "note": "三年内曾在该机构兼职"}
        ),
        "POST /experts/{expert_id}/status": Example(
            path={"expert_id": w.expert}, body={"active": True, "reason": "年度复核在库"}
        ),
        "GET /ocds/records/{project_id}": project,
        "GET /ocds/releases/{project_id}": project,
        "GET /ocds/releases/period": Example(query={"from": "2000-01-01", "to": "2100-12-31"}),
        "POST /plans": Example(
            body={
                "division_code": LINGWU,
                "year": 2020,
                "title": "灵武市 2020 年度计划",
                "budget_lines": lines,
            }
        ),
        "GET /plans/{plan_id}": Example(path={"plan_id": w.plans["approved"]}),
        "PUT /plans/{plan_id}/budget-lines": Example(
            path={"plan_id": w.plans["draft"]}, body={"budget_lines": lines}
        ),
        "POST /plans/{plan_id}/transitions": Example(
            path={"plan_id": w.plans["draft"]}, body={"to": "submitted"}
        ),
        "POST /projects": Example(
            body={
                "plan_id": w.plans["approved"],
                "division_code": LINGWU,
                "title": "灵武市困难群众照料服务",
                "items": ["DS01"],
                "budget": "300000.00",
                "funding_source": "working_funds",
                "declared_on": "2018-10-08",
            }
        ),
        "GET /projects/{project_id}": project,
        "GET /projects/{project_id}/bids": project,
        "POST /projects/{project_id}/bids": Example(
            "contractor",
            org=c,
            path={"project_id": p["announced"]},
            body={"uscc": c, "price": "1400000.00", "proposal": "服务方案：人员、流程、质量控制"},
        ),
        # A's bid on the project in bidding stays sealed: A reads, replaces and withdraws it.
        "GET /projects/{project_id}/bids/mine": Example(
            "contractor", org=a, path={"project_id": p["announced"]}
        ),
        "GET /projects/{project_id}/bids/{bid_id}": Example(
            path={"project_id": p["qualification"], "bid_id": w.bids["qualification"][0]}
        ),
        "PUT /projects/{project_id}/bids/{bid_id}": Example(
            "contractor",
            org=a,
            path={"project_id": p["announced"], "bid_id": w.bids["announced"][0]},
            body={"uscc": a, "price": "1390000.00", "proposal": "服务方案（修改）"},
        ),
        "POST /projects/{project_id}/bids/{bid_id}/withdrawal": Example(
            "contractor", org=a, path={"project_id": p["announced"], "bid_id": w.bids["announced"][0]}
        ),
        "GET /projects/{project_id}/opening": project,
        "POST /projects/{project_id}/bids/{bid_id}/explanation": Example(
            path={"project_id": p["low_price"], "bid_id": w.bids["low_price"][2]},
            body={"explanation": "以志愿者补充人手、共享办公场地降低成本", "accepted": True},
        ),
        "POST /projects/{project_id}/bids/{bid_id}/qualification": Example(
            path={"project_id": p["qualification"], "bid_id": w.bids["qualification"][0]},
            body={"qualified": True, "note": "资格证明文件齐全"},
        ),
        "GET /projects/overdue-deadlines": Example(query={"division_code": LINGWU}),
        # The lists, each with the filters a bureau uses.
        "GET /projects": Example(
            query={"division_code": LINGWU, "plan_id": w.plans["approved"], "q": "灵武"}
        ),
        "GET /projects/counts": Example(query={"division_code": LINGWU}),
        "GET /plans": Example(query={"division_code": LINGWU, "status": "approved"}),
        "GET /contracts": Example(query={"division_code": LINGWU, "signed_from": w.signed_on}),
        "GET /payments": Example(query={"contract_id": w.contract, "due_from": "2019-01-01"}),
        "GET /contracts/counts": Example(query={"division_code": LINGWU}),
        "GET /payments/counts": Example(query={"contract_id": w.contract}),
        "GET /bids": Example(query={"project_id": p["scoring"], "opened": True}),
        "GET /challenges": Example(query={"division_code": LINGWU, "project_id": p["challenged"]}),
        "GET /debarments": Example(query={"contractor_uscc": e}),
        "GET /projects/{project_id}/challenges": project,
        "GET /projects/{project_id}/complaints": project,
        "POST /projects/{project_id}/deadlines/{deadline_key}/fulfil": Example(
            path={"project_id": p["awarded"], "deadline_key": "award_announcement"},
            body={"on": test_today().isoformat()},
        ),
        "POST /projects/{project_id}/response-deadline": Example(
            path={"project_id": p["announced"]},
            body={
                "response_deadline": (test_today() + timedelta(days=60)).isoformat(),
                "reason": "磋商文件澄清，顺延首次响应文件截止之日",
            },
        ),
        "POST /projects/{project_id}/challenges": Example(
            "contractor",
            org=b,
            path={"project_id": p["challengeable"]},
            body={"uscc": b, "grounds": "成交供应商专职社工人数不符合磋商文件要求"},
        ),
        "POST /projects/{project_id}/contract": Example(
            path={"project_id": p["awarded"]}, body=contract(deadline=False)
        ),
        "GET /projects/{project_id}/ranking": Example(path={"project_id": p["low_price"]}),
        "POST /projects/{project_id}/expert-draw/commitment": Example(
            path={"project_id": p["announced"]}, body={"purchaser_commitment": "ab" * 32}
        ),
        "POST /projects/{project_id}/expert-draw": Example(
            path={"project_id": p["drawable"]}, body={"seed": DRAW_SEED}
        ),
        "GET /projects/{project_id}/expert-draw": Example(path={"project_id": p["drawable"]}),
        "GET /public/projects/{project_id}/expert-draw": Example(path={"project_id": p["drawable"]}),
        "POST /projects/{project_id}/scoring": Example(
            path={"project_id": p["scoring"]}, body={"members": members, "scores": scores}
        ),
        "POST /projects/{project_id}/transitions": Example(
            "finance", path={"project_id": p["declared"]}, body={"to": "approved"}
        ),
        "GET /thresholds": Example(query={"division_code": LINGWU, "on": "2019-06-01"}),
        "GET /workflows/{aggregate}": Example(path={"aggregate": "project"}),
        "GET /workflows/{aggregate}/mermaid": Example(path={"aggregate": "project"}),
    }


def evaluation(w: World) -> dict[str, Example]:
    a, r, k = w.contractors["A"], w.rounds, w.contract
    published = Example(path={"round_id": r["published"]})
    contract_q = Example(query={"contract_id": k})
    answers = {"overall_satisfaction": 5, "service_attitude": 4}
    open_survey = Example(path={"survey_id": w.surveys["open"]})
    by_code = Example(path={"code": w.template_code})
    return {
        **_common(),
        **_documents(w, "evaluation"),
        "POST /rounds/{round_id}/documents/generated": published,
        "GET /rules/in-force": Example(query={"division_code": LINGWU, "on": "2019-06-01"}),
        "GET /rules/{pack_id}": Example(path={"pack_id": "cn-evaluation"}),
        "GET /consequences/contractor-history/{uscc}": Example(path={"uscc": a}),
        "GET /consequences/debarment-suggestion/{uscc}": Example(path={"uscc": a}),
        "GET /consequences/payment-release": Example(query={"contract_id": k, "period": "2019-H1"}),
        "GET /contracts/{contract_id}/evaluation-schedule": Example(path={"contract_id": k}),
        "GET /contracts/missing-rounds": Example(query={"division_code": LINGWU, "on": "2020-07-15"}),
        "POST /rounds": Example(
            body={
                "contract_id": k,
                "period_kind": "half_yearly",
                "period": "2021-H2",
                "contractor_uscc": a,
                "purchaser_division": LINGWU,
                "template_id": w.builtin_template,
                "parties": [
                    {"party": "purchaser", "weight": "70"},
                    {"party": "recipients", "weight": "30", "dimensions": ["recipient_satisfaction"]},
                ],
            }
        ),
        "GET /rounds/{round_id}": published,
        "GET /rounds/{round_id}/appeals": Example(path={"round_id": r["appealed"]}),
        "POST /rounds/{round_id}/appeals": Example(
            "contractor", org=a, path=published.path, body={"reason": "服务对象满意度样本不足"}
        ),
        "POST /rounds/{round_id}/appeals/{appeal_id}/decision": Example(
            path={"round_id": r["appealed"], "appeal_id": w.appeal},
            body={"decision": "dismissed", "reason": "评分依据充分"},
        ),
        "POST /rounds/{round_id}/close": Example(path={"round_id": r["closable"]}),
        "GET /rounds/{round_id}/events": published,
        "GET /rounds/{round_id}/events/verify": published,
        "GET /rounds/{round_id}/publication": published,
        "POST /rounds/{round_id}/publish": Example(path={"round_id": r["closed"]}),
        "GET /rounds/{round_id}/scores": published,
        "POST /rounds/{round_id}/scores": Example(
            path={"round_id": r["open"]},
            body={"party": "purchaser", "values": FULL_MARKS, "evidence": EVIDENCE},
        ),
        "GET /staff-assessments": contract_q,
        "POST /staff-assessments": Example(
            body={
                "contract_id": k,
                "staff_ref": "verifier-02",
                "division_code": TOWNSHIP,
                "year": 2019,
                "values": STAFF_GOOD,
                "evidence": EVIDENCE,
            }
        ),
        "GET /staff-assessments/outcomes": contract_q,
        "GET /staff-assessments/renewal": Example(query={"contract_id": k, "staff_ref": "verifier-01"}),
        "POST /surveys": Example(body=survey(k, a, "2020")),
        "GET /surveys/results/by-contract-period": Example(query={"division_code": LINGWU}),
        "GET /surveys": Example(query={"division_code": LINGWU, "status": "open"}),
        "GET /rounds": Example(query={"division_code": LINGWU, "contract_id": k}),
        "GET /surveys/{survey_id}": open_survey,
        "POST /surveys/{survey_id}/close": Example(path={"survey_id": w.surveys["closable"]}),
        "POST /surveys/{survey_id}/codes": Example(path=open_survey.path, body={"count": 5}),
        "POST /surveys/{survey_id}/responses": Example(
            path=open_survey.path, body={"code": w.codes[0], "answers": answers}
        ),
        "POST /surveys/{survey_id}/responses/bulk": Example(
            div=PROVINCE,
            path=open_survey.path,
            body={"responses": [{"code": code, "answers": answers} for code in w.codes[1:4]]},
        ),
        "GET /surveys/{survey_id}/results": open_survey,
        "GET /surveys/{survey_id}/events": open_survey,
        "GET /surveys/{survey_id}/events/verify": open_survey,
        "GET /staff-assessments/{assessment_id}/events": Example(path={"assessment_id": w.staff_assessment}),
        "GET /staff-assessments/{assessment_id}/events/verify": Example(
            path={"assessment_id": w.staff_assessment}
        ),
        "GET /public/results": Example(query={"division_code": LINGWU}),
        "GET /public/results/{round_id}": published,
        "GET /public/surveys/{survey_id}/results": open_survey,
        "POST /public/surveys/lookup": Example(body={"code": w.codes[-1]}),
        "POST /public/surveys/{survey_id}/responses": Example(
            path=open_survey.path, body={"code": w.codes[-2], "answers": answers}
        ),
        "POST /templates": Example(body=template(f"fuzz-new-{w.tag}")),
        "GET /templates/by-code/{code}": by_code,
        "GET /templates/by-code/{code}/events": by_code,
        "GET /templates/by-code/{code}/events/verify": by_code,
        "POST /templates/by-code/{code}/versions": Example(path=by_code.path, body=template(None)),
        "GET /templates/{template_id}": Example(path={"template_id": w.template}),
    }


BY_SERVICE = {"staffing": staffing, "procurement": procurement, "evaluation": evaluation}


def examples(service: str, w: World) -> dict[str, Example]:
    return BY_SERVICE[service](w)
