"""Procurement steps the places share: plans, contractors, and a walker that takes a project along
the lawful path (闽民保〔2018〕58号 一(四): 申报 → 审定 → 采购 → 资质审核 → 合同 → 履约监管 → 绩效评估)
and stops at the state asked for."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from jiuzhu_devtools.demo.api import Api, DemoLoadError, Persona, uscc
from jiuzhu_kit import clock

# The project states in walk order (GET /api/procurement/workflows/project has the whole table).
PATH = [
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
]
# Townships (statistical codes: 1xx are towns) that plan the demo's purchases when the county's
# plan for the year belongs to someone else.
PLAN_TOWNSHIPS = ("190", "191", "192")
EVIDENCE = [{"kind": "report", "title": "评价报告（演示）", "sha256": "d" * 64}]
ANNOUNCED_DAYS_BACK = 35


@dataclass
class Bidder:
    uscc: str
    name: str
    price: str
    mark: str  # each panel member's technical score
    small: bool = False
    qualified: bool = True


@dataclass
class Walk:
    """How to take one project through procurement; `contract` is the draft's body."""

    method: dict[str, Any]
    bidders: list[Bidder] = field(default_factory=list)
    experts: int = 5
    contract: dict[str, Any] | None = None
    low_price_explanations: dict[int, bool] = field(default_factory=dict)  # bidder index → accepted
    challenge: tuple[int, str, str | None] | None = None  # (bidder index, grounds, dismissal reason)
    # The day the contract was really signed (before its term starts), never the day the demo runs:
    # the draft and the signing are dated with X-Jiuzhu-Clock, so signed_on (and OCDS dateSigned) is it.
    signed_on: str | None = None


class Procurement:
    def __init__(self, api: Api, div: str) -> None:
        self.api = api
        self.div = div
        self.bureau = Persona("bureau", div)
        self.finance = Persona("finance", div)

    def contractor(
        self,
        n: int,
        name: str,
        *,
        prefix: str = "91",
        div: str | None = None,
        small: bool = False,
        staff: int = 30,
    ) -> str:
        code = uscc(prefix, div or self.div, n)
        body = {
            "uscc": code,
            "name": name,
            "small_enterprise": small,
            "legal_representative": "陈建国",
            "contact_phone": "13800001234",
            "capacities": {
                "facilities": "办公及服务场所 300 平方米",
                "staff_count": staff,
                "skills": ["社会工作", "入户调查", "心理疏导"],
                "finance_system": True,
                "governance": True,
                "independent_liability": True,
            },
        }
        if prefix.startswith("12"):
            body["public_institution_class"] = "class2"
        who = Persona("contractor", div or self.div, code)
        _, taken = self.api.create("/api/procurement/contractors", who, body)
        if taken is not None:  # the registry is national: the same code is the same organisation
            self.api.reuse(taken, "procurement", who, f"contractor {code} {name}")
        return code

    def plan(self, year: int, lines: list[tuple[str, str, str]], title: str) -> str:
        """The place's plan for `year`. A county has one plan a year (PLAN_EXISTS); when someone else's
        plan holds the county's year, the demo's purchases are planned by one of its townships
        instead (seed 000 二(1): townships may also purchase), the first of PLAN_TOWNSHIPS that is
        free or already the demo's, and the load says so."""
        for div in (self.div, *(self.div + t for t in PLAN_TOWNSHIPS)):
            body = {
                "division_code": div,
                "year": year,
                "title": title if div == self.div else f"{title}（{div} 乡镇购买，演示）",
                "budget_lines": [{"funding_source": s, "amount": a, "scope": sc} for s, a, sc in lines],
            }
            made, taken = self.api.create("/api/procurement/plans", self.bureau, body)
            if taken is None:
                if div != self.div:
                    self.api.notes.append(
                        f"plan {self.div}/{year}: the county's plan for the year is someone else's; "
                        f"the demo's purchases are planned by township {div}"
                    )
                pid = str(made["id"])
                self.tr("plans", pid, "submitted", self.bureau)
                self.tr("plans", pid, "approved", self.finance)
                return pid
        raise DemoLoadError(
            f"plan {self.div}/{year}: the county and townships {PLAN_TOWNSHIPS} all have plans"
        )

    def tr(
        self,
        kind: str,
        entity: str,
        to: str,
        who: Persona,
        data: dict[str, Any] | None = None,
        reason: str | None = None,
        again: str = "",
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """One transition; `at` dates it (X-Jiuzhu-Clock, refused in prod like the demo itself)."""
        body: dict[str, Any] = {"to": to}
        if data is not None:
            body["data"] = data
        if reason is not None:
            body["reason"] = reason
        headers = {clock.HEADER: at.isoformat()} if at is not None else None
        out: dict[str, Any] = self.api.post(
            f"/api/procurement/{kind}/{entity}/transitions", who, body, again=again, headers=headers
        )
        return out

    def project(
        self,
        plan: str,
        title: str,
        items: list[str],
        budget: str,
        declared_on: str,
        *,
        form: str = "service_contract",
        source: str = "working_funds",
        quantity: str | None = None,
        div: str | None = None,
    ) -> str:
        body: dict[str, Any] = {
            "plan_id": plan,
            "division_code": div or self.div,
            "title": title,
            "purchase_form": form,
            "items": items,
            "budget": budget,
            "funding_source": source,
            "declared_on": declared_on,
        }
        if quantity:
            body["quantity"] = quantity
        who = Persona("township", div) if div and div != self.div else self.bureau
        return str(self.api.post("/api/procurement/projects", who, body)["id"])

    def walk(self, pid: str, to: str, w: Walk, *, backdate: bool | None = None) -> dict[str, Any]:
        """Drive project `pid` from `declared` to `to` along PATH (every step through the API).
        `backdate`: announce ANNOUNCED_DAYS_BACK days ago (default: when the walk goes past the
        bidding; a caller that closes the bidding itself later asks for it)."""
        stop = PATH.index(to)
        p = f"/api/procurement/projects/{pid}"
        out: dict[str, Any] = {"id": pid, "bids": []}
        signed = datetime.fromisoformat(f"{w.signed_on}T10:00:00+08:00") if w.signed_on else None
        if stop >= 1:
            self.tr("projects", pid, "approved", self.finance)
        if stop >= 2:
            # A project the demo takes past its bidding was announced ANNOUNCED_DAYS_BACK days ago, so
            # its response period (20 days at most) has run: bidding closes today, lawfully.
            back = stop >= 3 if backdate is None else backdate
            at = clock.now() - timedelta(days=ANNOUNCED_DAYS_BACK) if back else None
            self.tr("projects", pid, "announced", self.bureau, w.method, at=at)
            for b in w.bidders:
                bid = self.api.post(
                    f"{p}/bids", Persona("contractor", self.div, b.uscc), {"uscc": b.uscc, "price": b.price}
                )
                out["bids"].append(str(bid["id"]))
        if stop >= 3:
            self.tr("projects", pid, "bidding_closed", self.bureau)
        if stop >= 4:
            self.tr("projects", pid, "qualification_review", self.bureau)
        if stop >= 5:
            for b, bid_id in zip(w.bidders, out["bids"], strict=True):
                note = "资格条件符合 seed 000 二(3)" if b.qualified else "缺少财务会计制度证明材料"
                self.api.post(
                    f"{p}/bids/{bid_id}/qualification", self.bureau, {"qualified": b.qualified, "note": note}
                )
            self.tr("projects", pid, "scoring", self.bureau)
            members = [{"id": f"评委{i + 1}", "expert": i > 0 or w.experts == 1} for i in range(w.experts)]
            scores = [
                {"bid_id": bid_id, "member_id": m["id"], "score": b.mark}
                for b, bid_id in zip(w.bidders, out["bids"], strict=True)
                if b.qualified
                for m in members
            ]
            out["ranking"] = self.api.post(
                f"{p}/scoring", self.bureau, {"members": members, "scores": scores}
            )
            for i, accepted in w.low_price_explanations.items():
                text = "以志愿者补充人手、共享办公场地降低成本"
                out["ranking"] = self.api.post(
                    f"{p}/bids/{out['bids'][i]}/explanation",
                    self.bureau,
                    {"explanation": text, "accepted": accepted},
                )
        if stop >= 6:
            out["project"] = self.tr("projects", pid, "awarded", self.bureau)
            if w.challenge is not None:
                who, grounds, dismissal = w.challenge
                b = w.bidders[who]
                ch = self.api.post(
                    f"{p}/challenges",
                    Persona("contractor", self.div, b.uscc),
                    {"uscc": b.uscc, "grounds": grounds},
                )
                out["challenge"] = str(ch["id"])
                if dismissal:
                    self.tr("challenges", str(ch["id"]), "dismissed", self.bureau, reason=dismissal)
            if w.contract is not None and stop >= 7:
                dated = {clock.HEADER: signed.isoformat()} if signed else None
                out["contract"] = str(
                    self.api.post(f"{p}/contract", self.bureau, w.contract, headers=dated)["id"]
                )
        for state in PATH[7 : stop + 1]:
            at = signed if state == "contract_signed" else None
            out["project"] = self.tr("projects", pid, state, self.bureau, at=at)
        return out

    def release(self, contract: str, period: str) -> dict[str, Any]:
        out: dict[str, Any] = self.api.post(
            f"/api/procurement/contracts/{contract}/payments/{period}/release", self.bureau
        )
        return out


def payments(total_by_period: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [{"period": p, "amount": a, "due_on": d} for p, a, d in total_by_period]


def contract_body(
    subject: str,
    quantity: str,
    term: tuple[str, str],
    schedule: list[tuple[str, str, str]],
    takeover: str,
    **extra: Any,
) -> dict[str, Any]:
    """The fields seed 003 三(五)2 requires of every contract."""
    return {
        "subject": subject,
        "service_standards": extra.pop("service_standards", "按采购文件和响应文件约定的服务标准执行"),
        "quantity": quantity,
        "term_start": term[0],
        "term_end": term[1],
        "payment_method": extra.pop("payment_method", "按考核评价结果分期支付"),
        "payment_schedule": payments(schedule),
        "breach_liability": "违约方按合同金额 5% 支付违约金；严重违约的解除合同",
        "dispute_resolution": "协商不成的，向采购人所在地人民法院起诉",
        "takeover_plan": takeover,
        **extra,
    }
