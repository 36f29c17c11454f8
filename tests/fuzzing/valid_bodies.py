"""A valid request for every write operation, as Lingwu's own allowed caller would send it.

The authorization matrix sends these from outside Lingwu and with roles outside each operation's
policy: a refusal must then be about jurisdiction or role, never about the body (422), which a
test proves by validating each body against the operation's schema in the committed openapi.json
and by sending it once as the own caller (never a 422).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from jiuzhu_devtools.seeds import EVIDENCE, LINGWU_COUNTY, LINGWU_PARTIES, STAFF_GOOD, TOWNSHIP_SHEET
from jiuzhu_devtools.testing import test_today
from tests.fuzzing.fuzz_world import roster_worker
from tests.fuzzing.reads import NO_DOCUMENT, NO_WORKER
from tests.fuzzing.world import (
    ABSENT_DOCUMENT_OWNERS,
    CONTRACT,
    DOCUMENT,
    DRAW_SEED,
    OWN,
    OWN_TOWNSHIP,
    PANEL,
    TEMPLATE_CODE,
    C,
    V,
    W,
    World,
    X,
    Z,
    contractor_body,
    document_owners,
    expert_body,
    local_pack,
    template_body,
)
from tests.stories import uscc


@dataclass(frozen=True)
class Write:
    role: str  # the own caller's role
    url: Callable[[World], str]
    body: Callable[[World], Any] | None = None  # None: the operation takes no body
    div: str = OWN
    org: str | None = None
    # False: the write is not about Lingwu's records, so a caller elsewhere may send it (a bureau
    # anywhere reports a contractor of the national registry; a template belongs to its author).
    lingwu: bool = True
    # A file upload: the raw body and its media type instead of a JSON body.
    content: Callable[[World], bytes] | None = None
    media_type: str = "text/plain"


def _round(w: World) -> dict[str, Any]:
    from jiuzhu_evaluation.template.builtin import builtin_id

    return {
        "contract_id": w.contract,
        "period_kind": "half_yearly",
        "period": "2031-H1",
        "contractor_uscc": W,
        "purchaser_division": OWN,
        "template_id": str(builtin_id("social-assistance-comprehensive")),
        "parties": LINGWU_PARTIES,
    }


def _scoring(w: World) -> dict[str, Any]:
    bids = w.bids["scoring"]
    return {
        "members": PANEL,
        "scores": [{"bid_id": b, "member_id": m["id"], "score": "60"} for b in bids.values() for m in PANEL],
    }


STAFFING_COUNTY = {"on": "2019-06-01", "county": LINGWU_COUNTY}
NEW_CONTRACTOR = uscc("52", OWN, 899)
CALENDAR_YEAR = 2099  # far from every year a test counts working days in
CALENDAR = {"notice": "2099 年元旦（矩阵测试）", "holidays": [{"date": "2099-01-01", "name": "元旦"}]}
PLAN_LINES = {
    "budget_lines": [{"funding_source": "working_funds", "amount": "9500000.00", "scope": "入户核查服务"}]
}

NO_ENDPOINT = "00000000-0000-4000-8000-00000000b00c"


# (service, "METHOD path") → the own caller's request. Public operations are listed too (their
# own caller is anonymous-capable; the matrix sends no outside/role probes to them).
# Who attaches documents to each aggregate in the world (world.document_owners), with a type; a
# payment's and an amendment's reach the world's draft contract, which has neither (a domain 404).
def _doc_upload(template: str, role: str, org: str | None) -> Write:
    query = "document_type={}&title=%E9%99%84%E4%BB%B6"  # title 附件

    def url(w: World) -> str:
        if template in ABSENT_DOCUMENT_OWNERS:
            return (
                ABSENT_DOCUMENT_OWNERS[template].format(contract=w.contract)
                + "/documents?"
                + query.format("x_acceptanceReport")
            )
        _, base, _, _, doc_type = document_owners(w)[template]
        return f"{base}/documents?{query.format(doc_type)}"

    return Write(role, url, content=lambda w: DOCUMENT, org=org)


def _doc_version(template: str, role: str, org: str | None) -> Write:
    def url(w: World) -> str:
        if template in ABSENT_DOCUMENT_OWNERS:
            base = ABSENT_DOCUMENT_OWNERS[template].format(contract=w.contract)
            return f"{base}/documents/{NO_DOCUMENT}/versions"
        base, doc = w.documents[template]
        return f"{base}/documents/{doc}/versions"

    return Write(role, url, content=lambda w: DOCUMENT + "（修订）".encode(), org=org)


DOCUMENT_WRITERS = [
    ("procurement", "/plans/{plan_id}", "bureau", None),
    ("procurement", "/projects/{project_id}", "bureau", None),
    ("procurement", "/projects/{project_id}/award", "bureau", None),
    ("procurement", "/contracts/{contract_id}", "bureau", None),
    ("procurement", "/contracts/{contract_id}/payments/{period}", "bureau", None),
    ("procurement", "/contracts/{contract_id}/amendments/{amendment_no}", "bureau", None),
    ("procurement", "/challenges/{challenge_id}", "bureau", None),
    ("procurement", "/complaints/{complaint_id}", "bureau", None),
    ("procurement", "/debarments/{debarment_id}", "bureau", None),
    ("procurement", "/bids/{bid_id}", "contractor", X),
    ("evaluation", "/rounds/{round_id}", "bureau", None),
    ("evaluation", "/surveys/{survey_id}", "bureau", None),
]


VALID: dict[tuple[str, str], Write] = {
    # First: the own caller's uploads reach X's bid while it is still sealed (later writes close it).
    **{
        (service, f"POST {template}/documents"): _doc_upload(template, role, org)
        for service, template, role, org in DOCUMENT_WRITERS
    },
    ("procurement", "POST /projects/{project_id}/documents/generated"): Write(
        "bureau", lambda w: f"/projects/{w.projects['awarded']}/documents/generated"
    ),
    ("procurement", "POST /contracts/{contract_id}/documents/generated"): Write(
        "bureau", lambda w: f"/contracts/{w.contract}/documents/generated"
    ),
    **{
        (service, f"POST {template}/documents/{{document_id}}/versions"): _doc_version(template, role, org)
        for service, template, role, org in DOCUMENT_WRITERS
    },
    ("procurement", "POST /plans/{plan_id}/documents/generated"): Write(
        "bureau", lambda w: f"/plans/{w.plan}/documents/generated"
    ),
    ("evaluation", "POST /rounds/{round_id}/documents/generated"): Write(
        "bureau", lambda w: f"/rounds/{w.rounds['published']}/documents/generated"
    ),
    # Webhook endpoints belong to whoever registered them, in no jurisdiction (kit webhooks_api);
    # another owner's endpoint looks absent, so a random id is a domain refusal (404).
    **{
        (svc, op): write
        for svc in ("staffing", "procurement", "evaluation")
        for op, write in (
            (
                "POST /webhooks/endpoints",
                Write(
                    "bureau",
                    lambda w: "/webhooks/endpoints",
                    lambda w: {"url": "http://127.0.0.1:9/jiuzhu-hooks", "event_types": ["*"]},
                    lingwu=False,
                ),
            ),
            # A tree head covers the whole service's log, in no jurisdiction (kit transparency).
            ("POST /transparency/heads", Write("bureau", lambda w: "/transparency/heads", lingwu=False)),
            (
                "POST /webhooks/endpoints/{endpoint_id}/enable",
                Write("bureau", lambda w: f"/webhooks/endpoints/{NO_ENDPOINT}/enable", lingwu=False),
            ),
            (
                "POST /webhooks/endpoints/{endpoint_id}/replay",
                Write(
                    "bureau",
                    lambda w: f"/webhooks/endpoints/{NO_ENDPOINT}/replay",
                    lambda w: {"since": "2026-01-01T00:00:00+08:00"},
                    lingwu=False,
                ),
            ),
        )
    },
    ("staffing", "PUT /admin/calendar/{year}"): Write(
        "admin", lambda w: f"/admin/calendar/{CALENDAR_YEAR}", lambda w: CALENDAR, div="000000"
    ),
    ("staffing", "POST /calculations/batch"): Write(
        "bureau", lambda w: "/calculations/batch", lambda w: {"on": "2019-06-01", "counties": [LINGWU_COUNTY]}
    ),
    ("staffing", "POST /calculations/budget"): Write(
        "bureau",
        lambda w: "/calculations/budget",
        lambda w: {"division_code": OWN, "start": "2019-01-01", "county": LINGWU_COUNTY},
    ),
    ("staffing", "POST /calculations/staffing"): Write(
        "bureau", lambda w: "/calculations/staffing", lambda w: STAFFING_COUNTY
    ),
    ("staffing", "POST /calculations/what-if"): Write(
        "bureau",
        lambda w: "/calculations/what-if",
        lambda w: {"county": LINGWU_COUNTY, "a": {"on": "2019-01-01"}, "b": {"on": "2021-09-01"}},
    ),
    ("staffing", "POST /compliance/reports"): Write(
        "bureau",
        lambda w: "/compliance/reports",
        lambda w: {
            "year": 2020,
            "on": "2020-03-02",
            "county": LINGWU_COUNTY,
            "actual": [{"unit_name": "崇兴镇", "role": "verifier", "people": 2}],
            "pay_level": "37440.00",
            "trainings_held": 1,
        },
    ),
    ("staffing", "PUT /pilots/{province_code}/{year}"): Write(
        "bureau",
        lambda w: "/pilots/640000/2017",
        lambda w: {"counties": [{"division_code": OWN, "townships": ["崇兴镇"]}]},
        div="640000",
    ),
    ("staffing", "POST /scenarios"): Write(
        "bureau",
        lambda w: "/scenarios",
        lambda w: {"division_code": OWN, "name": "灵武测算（矩阵）", "inputs": STAFFING_COUNTY},
    ),
    ("staffing", "POST /tables/county"): Write(
        "bureau", lambda w: "/tables/county", lambda w: {"on": "2019-06-01", "counties": [LINGWU_COUNTY]}
    ),
    ("staffing", "POST /tables/township"): Write(
        "bureau", lambda w: "/tables/township", lambda w: STAFFING_COUNTY
    ),
    ("procurement", "PUT /admin/calendar/{year}"): Write(
        "admin", lambda w: f"/admin/calendar/{CALENDAR_YEAR}", lambda w: CALENDAR, div="000000"
    ),
    ("procurement", "POST /catalogue/check"): Write(
        "bureau",
        lambda w: "/catalogue/check",
        lambda w: {
            "purchase_form": "service_contract",
            "on": "2026-03-02",
            "division_code": OWN,
            "items": ["AS09"],
        },
    ),
    ("procurement", "POST /challenges/{challenge_id}/transitions"): Write(
        "bureau",
        lambda w: f"/challenges/{w.challenge}/transitions",
        lambda w: {"to": "dismissed", "reason": "评分程序合法"},
    ),
    ("procurement", "POST /complaints"): Write(
        "contractor",
        lambda w: "/complaints",
        lambda w: {"challenge_id": w.answered_challenge, "grounds": "质疑答复未说明资格审查的依据"},
        org=Z,
    ),
    ("procurement", "POST /complaints/{complaint_id}/transitions"): Write(
        "finance",
        lambda w: f"/complaints/{w.complaint}/transitions",
        lambda w: {"to": "suspended", "data": {"days": 20}, "reason": "处理投诉期间暂停采购活动"},
    ),
    ("procurement", "POST /contractors"): Write(
        "contractor",
        lambda w: "/contractors",
        lambda w: contractor_body(X) | {"uscc": NEW_CONTRACTOR, "name": "灵武市新登记社工服务社"},
        org=NEW_CONTRACTOR,
    ),
    ("procurement", "POST /contractors/{uscc}/debarments"): Write(
        "bureau",
        lambda w: f"/contractors/{C}/debarments",
        lambda w: {"grounds": "提供虚假材料"},
        lingwu=False,
    ),
    ("procurement", "POST /contracts/{contract_id}/amendments"): Write(
        "bureau",
        lambda w: f"/contracts/{w.contract}/amendments",
        lambda w: {"reason": "服务数量调整", "quantity": "10 个乡镇（街道）入户核查"},
    ),
    ("procurement", "POST /contracts/{contract_id}/deadlines/{deadline_key}/fulfil"): Write(
        "bureau",
        lambda w: f"/contracts/{w.contract}/deadlines/dispatch/fulfil",
        lambda w: {"on": "2030-01-10"},
    ),
    ("procurement", "POST /contracts/{contract_id}/payments/{period}/acceptance"): Write(
        "bureau",
        lambda w: f"/contracts/{w.contract}/payments/2030-H2/acceptance",
        lambda w: {"on": "2030-01-10", "note": "下半年服务经验收合格"},
    ),
    ("procurement", "POST /contracts/{contract_id}/payments/{period}/release"): Write(
        "finance", lambda w: f"/contracts/{w.contract}/payments/2030-H1/release", lambda w: {}
    ),
    # The roster: the world's contract is a draft, so its roster refuses every writer alike (404);
    # the bodies are valid all the same. A worker nobody has (reads.NO_WORKER) for the worker routes.
    ("procurement", "POST /contracts/{contract_id}/workers"): Write(
        "contractor", lambda w: f"/contracts/{w.contract}/workers", lambda w: roster_worker(1), org=W
    ),
    ("procurement", "POST /contracts/{contract_id}/trainings"): Write(
        "bureau",
        lambda w: f"/contracts/{w.contract}/trainings",
        lambda w: {
            "on": "2030-01-10",
            "hours": "4.0",
            "subject": "社会救助政策培训",
            "kind": "business",
            "organiser": "灵武市民政局",
            "attendees": [NO_WORKER],
        },
    ),
    ("procurement", "POST /workers/{worker_id}/personal-data"): Write(
        "bureau", lambda w: f"/workers/{NO_WORKER}/personal-data", lambda w: {"purpose": "办理社会保险登记"}
    ),
    ("procurement", "POST /workers/{worker_id}/transitions"): Write(
        "contractor", lambda w: f"/workers/{NO_WORKER}/transitions", lambda w: {"to": "trained"}, org=W
    ),
    ("procurement", "POST /workers/{worker_id}/approval"): Write(
        "bureau", lambda w: f"/workers/{NO_WORKER}/approval"
    ),
    ("procurement", "POST /workers/{worker_id}/assessment"): Write(
        "bureau", lambda w: f"/workers/{NO_WORKER}/assessment", lambda w: {"year": 2030}
    ),
    ("procurement", "POST /workers/{worker_id}/replacement"): Write(
        "contractor",
        lambda w: f"/workers/{NO_WORKER}/replacement",
        lambda w: {"replacement_id": NO_WORKER, "reason": "年度考核不合格，重新选配"},
        org=W,
    ),
    ("procurement", "POST /debarments/{debarment_id}/transitions"): Write(
        "finance",
        lambda w: f"/debarments/{w.debarment}/transitions",
        lambda w: {"to": "cleared", "reason": "证据不足，不予处罚"},
    ),
    ("procurement", "POST /experts"): Write(
        "bureau", lambda w: "/experts", lambda w: expert_body("专家（矩阵）")
    ),
    ("procurement", "POST /experts/{expert_id}/conflicts"): Write(
        "bureau",
        lambda w: f"/experts/{w.expert}/conflicts",
        lambda w: {"division_code": OWN, "note": "配偶在采购人处任职"},
    ),
    ("procurement", "POST /experts/{expert_id}/status"): Write(
        "bureau", lambda w: f"/experts/{w.expert}/status", lambda w: {"active": True, "reason": "复核在库"}
    ),
    ("procurement", "POST /rules/local-packs"): Write(
        "bureau", lambda w: "/rules/local-packs", lambda w: {"pack": local_pack("lingwu-guidance-2")}
    ),
    ("procurement", "POST /rules/local-packs/{pack_uuid}/transitions"): Write(
        "bureau", lambda w: f"/rules/local-packs/{w.local_pack}/transitions", lambda w: {"to": "withdrawn"}
    ),
    ("procurement", "POST /plans"): Write(
        "bureau",
        lambda w: "/plans",
        lambda w: {"division_code": OWN, "year": 2026, "title": "灵武市 2026 年度追加计划", **PLAN_LINES},
    ),
    ("procurement", "PUT /plans/{plan_id}/budget-lines"): Write(
        "bureau", lambda w: f"/plans/{w.draft_plan}/budget-lines", lambda w: PLAN_LINES
    ),
    ("procurement", "POST /plans/{plan_id}/transitions"): Write(
        "bureau", lambda w: f"/plans/{w.draft_plan}/transitions", lambda w: {"to": "submitted"}
    ),
    ("procurement", "POST /projects"): Write(
        "bureau",
        lambda w: "/projects",
        lambda w: {
            "plan_id": w.plan,
            "division_code": OWN,
            "title": "入户核查服务（矩阵）",
            "items": ["AS09"],
            "budget": "500000.00",
            "funding_source": "working_funds",
            "declared_on": "2026-03-02",
        },
    ),
    ("procurement", "POST /projects/{project_id}/bids"): Write(
        "contractor",
        lambda w: f"/projects/{w.projects['bidding']}/bids",
        lambda w: {"uscc": C, "price": "2100000.00", "proposal": "服务方案"},
        org=C,
    ),
    # X replaces, then withdraws, its own sealed bid on the project still in bidding.
    ("procurement", "PUT /projects/{project_id}/bids/{bid_id}"): Write(
        "contractor",
        lambda w: f"/projects/{w.projects['bidding']}/bids/{w.bids['bidding'][X]}",
        lambda w: {"uscc": X, "price": "1234000.00", "proposal": "服务方案（修改）"},
        org=X,
    ),
    ("procurement", "POST /projects/{project_id}/bids/{bid_id}/withdrawal"): Write(
        "contractor",
        lambda w: f"/projects/{w.projects['bidding']}/bids/{w.bids['bidding'][X]}/withdrawal",
        org=X,
    ),
    ("procurement", "POST /projects/{project_id}/bids/{bid_id}/explanation"): Write(
        "bureau",
        lambda w: f"/projects/{w.projects['scoring']}/bids/{w.bids['scoring'][X]}/explanation",
        lambda w: {"explanation": "以志愿者补充人手降低成本", "accepted": True},
    ),
    ("procurement", "POST /projects/{project_id}/bids/{bid_id}/qualification"): Write(
        "bureau",
        lambda w: f"/projects/{w.projects['scoring']}/bids/{w.bids['scoring'][X]}/qualification",
        lambda w: {"qualified": True, "note": "资格证明文件齐全"},
    ),
    ("procurement", "POST /projects/{project_id}/challenges"): Write(
        "contractor",
        lambda w: f"/projects/{w.projects['awarded']}/challenges",
        lambda w: {"uscc": V, "grounds": "报价评分计算有误"},
        org=V,
    ),
    ("procurement", "POST /projects/{project_id}/deadlines/{deadline_key}/fulfil"): Write(
        "bureau",
        lambda w: f"/projects/{w.projects['awarded']}/deadlines/award_announcement/fulfil",
        lambda w: {"on": test_today().isoformat()},
    ),
    ("procurement", "POST /projects/{project_id}/response-deadline"): Write(
        "bureau",
        lambda w: f"/projects/{w.projects['bidding']}/response-deadline",
        lambda w: {
            "response_deadline": (test_today() + timedelta(days=30)).isoformat(),
            "reason": "采购文件澄清，延长递交截止之日",
        },
    ),
    ("procurement", "POST /projects/{project_id}/contract"): Write(
        "bureau", lambda w: f"/projects/{w.projects['awarded']}/contract", lambda w: CONTRACT
    ),
    ("procurement", "POST /projects/{project_id}/expert-draw/commitment"): Write(
        "bureau",
        lambda w: f"/projects/{w.projects['bidding']}/expert-draw/commitment",
        lambda w: {"purchaser_commitment": "ab" * 32, "representatives": 1},
    ),
    ("procurement", "POST /projects/{project_id}/expert-draw"): Write(
        "bureau", lambda w: f"/projects/{w.projects['bidding']}/expert-draw", lambda w: {"seed": DRAW_SEED}
    ),
    ("procurement", "POST /projects/{project_id}/scoring"): Write(
        "bureau", lambda w: f"/projects/{w.projects['scoring']}/scoring", _scoring
    ),
    ("procurement", "POST /projects/{project_id}/transitions"): Write(
        "bureau",
        lambda w: f"/projects/{w.projects['bidding']}/transitions",
        lambda w: {"to": "bidding_closed"},
    ),
    ("evaluation", "PUT /admin/calendar/{year}"): Write(
        "admin", lambda w: f"/admin/calendar/{CALENDAR_YEAR}", lambda w: CALENDAR, div="000000"
    ),
    ("evaluation", "POST /rounds"): Write("bureau", lambda w: "/rounds", _round),
    ("evaluation", "POST /rounds/{round_id}/appeals"): Write(
        "contractor",
        lambda w: f"/rounds/{w.rounds['published']}/appeals",
        lambda w: {"reason": "服务对象满意度抽样不足"},
        org=W,
    ),
    ("evaluation", "POST /rounds/{round_id}/appeals/{appeal_id}/decision"): Write(
        "bureau",
        lambda w: f"/rounds/{w.rounds['published']}/appeals/{w.appeal}/decision",
        lambda w: {"decision": "dismissed", "reason": "评分有据"},
    ),
    ("evaluation", "POST /rounds/{round_id}/close"): Write(
        "bureau", lambda w: f"/rounds/{w.rounds['published']}/close"
    ),
    ("evaluation", "POST /rounds/{round_id}/publish"): Write(
        "bureau", lambda w: f"/rounds/{w.rounds['collecting']}/publish"
    ),
    ("evaluation", "POST /rounds/{round_id}/scores"): Write(
        "township",
        lambda w: f"/rounds/{w.rounds['collecting']}/scores",
        lambda w: {"party": "township", "values": TOWNSHIP_SHEET, "evidence": EVIDENCE},
        div=OWN_TOWNSHIP,
    ),
    ("evaluation", "POST /staff-assessments"): Write(
        "bureau",
        lambda w: "/staff-assessments",
        lambda w: {
            "contract_id": w.contract,
            "staff_ref": "verifier-02",
            "division_code": OWN,
            "year": 2030,
            "values": STAFF_GOOD,
            "evidence": [{"kind": "record", "title": "年度考核表"}],
        },
    ),
    ("evaluation", "POST /surveys"): Write(
        "bureau",
        lambda w: "/surveys",
        lambda w: {"round_id": w.rounds["collecting"], "title": "2030 年下半年满意度（补充）"},
    ),
    ("evaluation", "POST /surveys/{survey_id}/close"): Write(
        "bureau", lambda w: f"/surveys/{w.survey}/close"
    ),
    ("evaluation", "POST /surveys/{survey_id}/codes"): Write(
        "bureau", lambda w: f"/surveys/{w.survey}/codes", lambda w: {"count": 2}
    ),
    ("evaluation", "POST /surveys/{survey_id}/responses"): Write(
        "portal",
        lambda w: f"/surveys/{w.survey}/responses",
        lambda w: {"code": "ABCD-EFGH-JKLM", "answers": {"overall_satisfaction": 5, "service_attitude": 4}},
    ),
    ("evaluation", "POST /public/surveys/lookup"): Write(
        "portal", lambda w: "/public/surveys/lookup", lambda w: {"code": "ABCD-EFGH-JKLM"}
    ),
    ("evaluation", "POST /public/surveys/{survey_id}/responses"): Write(
        "portal",
        lambda w: f"/public/surveys/{w.survey}/responses",
        lambda w: {"code": "ABCD-EFGH-JKLM", "answers": {"overall_satisfaction": 5, "service_attitude": 4}},
    ),
    ("evaluation", "POST /surveys/{survey_id}/responses/bulk"): Write(
        "portal",
        lambda w: f"/surveys/{w.survey}/responses/bulk",
        lambda w: {
            "responses": [
                {"code": "ABCD-EFGH-JKLM", "answers": {"overall_satisfaction": 5, "service_attitude": 4}}
            ]
        },
        div="640000",
    ),
    ("evaluation", "POST /templates"): Write(
        "bureau", lambda w: "/templates", lambda w: template_body("lingwu-matrix-template-2"), lingwu=False
    ),
    ("evaluation", "POST /templates/by-code/{code}/versions"): Write(
        "bureau", lambda w: f"/templates/by-code/{TEMPLATE_CODE}/versions", lambda w: template_body(None)
    ),
}
