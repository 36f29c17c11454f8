"""OCDS 1.1 releases and records built from what a project, its contract and its payments recorded
(their hash-chained event histories). Pure, no I/O.

Publication policy (what a data user needs to know, stated once here and in the routes' texts):

- One contracting process (`ocid`) per project. A *step* is one request's events: a transition with
  the contract and payment events it caused, a payment, a contract amendment. A step is published
  as a release only when it changes something OCDS shows; steps that change only the purchaser's
  file (bids received, qualification, scores) publish nothing.
- A release's `date` is the business date the step recorded (declared, approved, announced,
  awarded, failed, ended, taken over, signed, amended, paid on), else the day it was recorded
  (China Standard Time); never earlier than the previous release's date.
- Tags say what the release changes (`tender`, `awardCancellation`, `contractTermination`, …),
  most advanced stage first.
- Nothing empty is published. A value that stops applying is published once as `null`, OCDS's
  way of removing it from the compiled release; objects in arrays (parties, tenderers, awards,
  contracts, transactions, related processes) stay once published: an award withdrawn on a
  challenge is published again with status `cancelled`. So every release is the whole picture, and
  the record's `compiledRelease` is the last release as OCDS merging (ocdsmerge) compiles it.
- Organizations: contractors by their unified social credit identifier (org-id.guide `CN-USCI`).
  The buyer (the purchaser's civil-affairs department, the township for a township purchase) by
  its administrative division code (GB/T 2260) under the scheme `CN-GBT2260`, a list org-id.guide
  does not hold: stated here, as OCDS asks of unregistered lists, and no collision with its codes.
- Items are classified by the purchasable-services catalogue of the procurement rule packs
  (scheme `x_jiuzhu_catalogue`, the code's Chinese name as description); the catalogue in force
  for the purchaser on the declaration date is the classification's `uri` (the public
  `GET /catalogue` route: code, Chinese and English name, category, levels, citations).
- Tenderers are named once the result is announced (the award), and stay named (a second round
  adds its own; `numberOfTenderers` counts those named); sealed bids, qualification and scores
  never appear.
- Methods map to the OCDS codelist (open_tender→open, invited_tender→selective,
  single_source→direct, others→limited) with the Chinese name in `procurementMethodDetails`
  (DOMAIN.md §6). Amounts are OCDS numbers rendered from Decimal (exact for the ≤15 significant
  digits money has here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from jiuzhu_procurement.project import methods
from jiuzhu_procurement.purchaser.registry import purchaser_of

CST = timezone(timedelta(hours=8))
CATALOGUE_SCHEME = "x_jiuzhu_catalogue"
DIVISION_SCHEME = "CN-GBT2260"  # GB/T 2260 administrative division codes (not on org-id.guide)
USCI_SCHEME = "CN-USCI"  # org-id.guide: Unified Social Credit Identifier (统一社会信用代码)
FUNDING_ZH = {  # glossary (DOMAIN.md): the plan's funding sources
    "working_funds": "工作经费",
    "assistance_subsidy_funds": "困难群众救助补助资金",
    "welfare_lottery_funds": "福利彩票公益金",
}
AMENDED_ZH = {
    "price": "合同金额",
    "term_end": "服务期限",
    "payment_schedule": "付款计划",
    "service_standards": "服务标准",
    "quantity": "服务数量",
    "term_reason": "期限理由",
}
# Project states in which a bid round is under way (the tender is active).
TENDERING = ("announced", "bidding_closed", "qualification_review", "scoring")
# Project states from which the awarded round's result (and its tenderers) is public.
AFTER_AWARD = (
    "awarded",
    "contract_signed",
    "performance_supervision",
    "final_evaluation",
    "terminated",
    "taken_over",
    "closed",
)
AFTER_TENDER = (*TENDERING, "failed", *AFTER_AWARD)  # the public disclosure lists these
SHOWN_CONTRACTS = {
    "signed": "active",
    "terminated": "terminated",
    "taken_over": "terminated",
    "completed": "terminated",
}
# Tags, most advanced stage first (the first tag names the step).
TAG_ORDER = (
    "contractTermination",
    "contract",
    "contractAmendment",
    "implementation",
    "implementationUpdate",
    "contractUpdate",
    "awardCancellation",
    "award",
    "awardUpdate",
    "tenderCancellation",
    "tender",
    "tenderAmendment",
    "tenderUpdate",
    "planning",
    "planningUpdate",
)


@dataclass(frozen=True)
class Event:
    """One audit event of the project, of its contract(s) or of their payments."""

    id: int  # the audit log's row id: the order events were written in
    kind: str  # "project" | "contract" | "payment"
    action: str
    request_id: str | None
    occurred_at: datetime
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Process:
    """What the releases of one project draw on besides its events."""

    ocid_prefix: str
    project_id: str
    base: str  # the public base URL of the procurement API
    items: Mapping[str, str]  # catalogue code → Chinese name (in force on the declaration date)
    bids: Sequence[Mapping[str, Any]]  # every bid of the project (all rounds)
    titles: Mapping[str, str]  # related project id → title

    @property
    def ocid(self) -> str:
        return self.ocid_of(self.project_id)

    def ocid_of(self, project_id: str) -> str:
        return f"{self.ocid_prefix}-{project_id}"


def money(amount: Any) -> dict[str, Any]:
    d = Decimal(str(amount))
    return {"amount": int(d) if d == d.to_integral_value() else float(d), "currency": "CNY"}


def day(value: Any) -> date:
    """A business date from a snapshot value (ISO text or date), or the CST day of an instant."""
    if isinstance(value, datetime):
        return value.astimezone(CST).date()
    if isinstance(value, date):
        return value
    text = str(value)
    return datetime.fromisoformat(text).astimezone(CST).date() if "T" in text else date.fromisoformat(text)


def dt(value: Any) -> str:
    return f"{day(value).isoformat()}T00:00:00+08:00"


def _party_id(scheme: str, code: str) -> str:
    return f"{scheme}-{code}"


def buyer(division: str) -> dict[str, Any]:
    """The purchaser as an organization: named by the purchaser registry (purchaser/registry.py),
    identified by its division code; its address and contact point where the registry has them."""
    who = purchaser_of(division)
    party: dict[str, Any] = {
        "id": _party_id(DIVISION_SCHEME, division),
        "name": who.name,
        "identifier": {"scheme": DIVISION_SCHEME, "id": division, "legalName": who.name},
    }
    if who.region or who.locality:
        address = {"region": who.region, "locality": who.locality, "countryName": "中国"}
        party["address"] = {k: v for k, v in address.items() if v}
    if who.contact_name:
        party["contactPoint"] = {"name": who.contact_name}
    return party


def org(uscc: str, name: str) -> dict[str, Any]:
    return {
        "id": _party_id(USCI_SCHEME, uscc),
        "name": name,
        "identifier": {"scheme": USCI_SCHEME, "id": uscc, "legalName": name},
    }


def ref(party: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": party["id"], "name": party["name"]}


def tender_status(p: Mapping[str, Any]) -> str:
    status = p["status"]
    if status == "cancelled":
        return "cancelled"
    if status == "declared":
        return "planning"
    if status == "approved":  # approved, or back to approved for another method after a failure
        return "unsuccessful" if p.get("announced_on") else "planned"
    if status == "failed":
        return "unsuccessful"
    if status in TENDERING:
        return "active"
    return "complete"


def _rationale(details: Mapping[str, Any]) -> str | None:
    parts = []
    if details.get("ground_citation"):
        parts.append(f"适用情形：{details['ground_citation']}")
    if details.get("approval"):
        parts.append(f"财政部门批准：{details['approval']}")
    if details.get("method_change_approval"):
        parts.append(f"变更采购方式批准：{details['method_change_approval']}")
    return "；".join(parts) or None


def _catalogue_uri(base: str, p: Mapping[str, Any]) -> str:
    q = urlencode({"division_code": p["division_code"], "on": day(p["declared_on"]).isoformat()})
    return f"{base}/catalogue?{q}"


def _tender(proc: Process, p: Mapping[str, Any]) -> dict[str, Any]:
    rnd = p.get("round") or 1
    t: dict[str, Any] = {
        "id": f"{proc.ocid}-tender-{rnd}",
        "title": p["title"],
        "status": tender_status(p),
        "items": [
            {
                "id": code,
                "description": proc.items.get(code, code),
                "classification": {
                    "scheme": CATALOGUE_SCHEME,
                    "id": code,
                    "description": proc.items.get(code, code),
                    "uri": _catalogue_uri(proc.base, p),
                },
            }
            for code in p["items"]
        ],
        "value": money(p["budget"]),
        "mainProcurementCategory": "services",
    }
    if p.get("quantity"):
        t["description"] = p["quantity"]
    method = p.get("method")
    if p.get("announced_on") and method:
        details = p.get("method_details") or {}
        t["procurementMethod"] = methods.OCDS.get(method, "limited")
        t["procurementMethodDetails"] = methods.ZH.get(method, method)
        rationale = _rationale(details)
        if rationale:
            t["procurementMethodRationale"] = rationale
        t["awardCriteria"] = "ratedCriteria"
        t["awardCriteriaDetails"] = "综合评分法（财政部令第87号 55）"
        t["tenderPeriod"] = {"startDate": dt(p["announced_on"])}
    return t


def _related(proc: Process, project_id: str, relationship: str) -> dict[str, Any]:
    ocid = proc.ocid_of(project_id)
    r: dict[str, Any] = {
        "id": ocid,
        "relationship": [relationship],
        "scheme": "ocid",
        "identifier": ocid,
        "uri": f"{proc.base}/ocds/records/{project_id}",
    }
    if proc.titles.get(project_id):
        r["title"] = proc.titles[project_id]
    return r


@dataclass
class _State:
    project: dict[str, Any] | None = None
    contracts: dict[str, dict[str, Any]] | None = None
    payments: dict[str, dict[str, Any]] | None = None

    def apply(self, e: Event) -> None:
        data = dict(e.data) if isinstance(e.data, Mapping) else {}
        if e.kind == "project":
            if "status" in data and "budget" in data:  # a snapshot (bids and scores are not)
                self.project = data
        elif e.kind == "contract":
            self.contracts = {**(self.contracts or {}), str(data.get("id")): data}
        elif e.kind == "payment":
            self.payments = {**(self.payments or {}), str(data.get("id")): data}


def _content(proc: Process, s: _State, prev: Mapping[str, Any] | None) -> dict[str, Any]:
    """What OCDS shows of the state after a step (a release without id, date and tag)."""
    p = s.project
    assert p is not None
    b = buyer(p["division_code"])
    parties: dict[str, dict[str, Any]] = {b["id"]: {**b, "roles": ["buyer", "procuringEntity"]}}

    def role(party: Mapping[str, Any], name: str) -> None:
        entry = parties.setdefault(party["id"], {**party, "roles": []})
        if name not in entry["roles"]:
            entry["roles"].append(name)

    r: dict[str, Any] = {
        "ocid": proc.ocid,
        "initiationType": "tender",
        "language": "zh",
        "buyer": ref(b),
        "planning": {
            "budget": {
                "description": FUNDING_ZH.get(p["funding_source"], p["funding_source"]),
                "amount": money(p["budget"]),
            }
        },
        "tender": _tender(proc, p),
    }
    tender = r["tender"]
    rnd = p.get("round") or 1
    # Tenderers: named with the result (the award), then for good; the count is of those named.
    named = list((prev or {}).get("tender", {}).get("tenderers", []))
    if p["status"] in AFTER_AWARD and p.get("awarded_uscc"):
        for x in proc.bids:
            if x["round"] == rnd and all(n["id"] != _party_id(USCI_SCHEME, x["uscc"]) for n in named):
                named.append(ref(org(x["uscc"], x["contractor_name"])))
    if named:
        by_id = {x["uscc"]: x for x in proc.bids}
        for n in named:
            uscc = n["id"][len(USCI_SCHEME) + 1 :]
            role(org(uscc, by_id[uscc]["contractor_name"] if uscc in by_id else n["name"]), "tenderer")
        tender["tenderers"] = named
        tender["numberOfTenderers"] = len(named)

    # Awards: the current one; one published before and no longer current is cancelled.
    awards: list[dict[str, Any]] = []
    if p["status"] in AFTER_AWARD and p.get("awarded_uscc"):
        winner = next((x for x in proc.bids if str(x["id"]) == str(p.get("awarded_bid_id"))), None)
        name = winner["contractor_name"] if winner else p["awarded_uscc"]
        o = org(p["awarded_uscc"], name)
        role(o, "supplier")
        awards.append(
            {
                "id": f"{proc.ocid}-award-{p.get('awarded_bid_id') or rnd}",
                "status": "active",
                "date": dt(p["awarded_on"]),
                "value": money(p["awarded_amount"]),
                "suppliers": [ref(o)],
            }
        )
    for a in (prev or {}).get("awards", []):
        if all(a["id"] != x["id"] for x in awards):
            awards.append({**a, "status": "cancelled"})
            for sup in a["suppliers"]:
                role(sup, "supplier")
    if awards:
        r["awards"] = awards

    contracts = []
    for c in (s.contracts or {}).values():
        if c.get("status") not in SHOWN_CONTRACTS or str(c.get("project_id")) != proc.project_id:
            continue
        supplier = org(c["contractor_uscc"], c["contractor_name"])
        award = next((a for a in awards if a["suppliers"][0]["id"] == supplier["id"]), None)
        if award is None:  # a contract comes from an award (contract/service.py drafts it from one)
            continue
        cc: dict[str, Any] = {
            "id": str(c["id"]),
            "awardID": award["id"],
            "title": c["subject"],
            "status": SHOWN_CONTRACTS[c["status"]],
            "period": {"startDate": dt(c["term_start"]), "endDate": dt(c["term_end"])},
            "value": money(c["price"]),
        }
        if c.get("signed_on"):
            cc["dateSigned"] = dt(c["signed_on"])
        amendments = [
            {
                "id": f"{c['id']}-amendment-{i}",
                "date": dt(a["on"]),
                "description": "合同变更："
                + "、".join(AMENDED_ZH.get(k, k) for k in sorted(a.get("changes") or {}) if k != "reason"),
            }
            for i, a in enumerate(c.get("amendments") or [], start=1)
        ]
        if amendments:
            cc["amendments"] = amendments
        paid = sorted(
            (x for x in (s.payments or {}).values() if str(x.get("contract_id")) == str(c["id"])),
            key=lambda x: (str(x.get("released_on")), str(x.get("period"))),
        )
        paid = [x for x in paid if x.get("status") == "released" and x.get("released_on")]
        if paid:
            role(b, "payer")
            role(supplier, "payee")
            cc["implementation"] = {
                "transactions": [
                    {
                        "id": str(x["id"]),
                        "date": dt(x["released_on"]),
                        "value": money(x["amount"]),
                        "payer": ref(b),
                        "payee": ref(supplier),
                    }
                    for x in paid
                ]
            }
        contracts.append(cc)
    if contracts:
        r["contracts"] = contracts

    related = []
    if p.get("replaces_project_id"):
        related.append(_related(proc, str(p["replaces_project_id"]), "prior"))
    taken = ((p.get("outcome") or {}).get("taken_over") or {}).get("reprocurement_project_id")
    if taken:
        related.append(_related(proc, str(taken), "replacementProcess"))
    if related:
        r["relatedProcesses"] = related
    r["parties"] = list(parties.values())
    return r


def _is_id_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(x, dict) and "id" in x for x in value)


def complete(prev: Mapping[str, Any], cur: Mapping[str, Any]) -> dict[str, Any]:
    """`cur` made the whole picture after `prev` under OCDS merging: objects and arrays `prev`
    published and `cur` lacks are kept (merging would keep them anyway), a value `cur` lacks is
    `null` (merging removes it), array entries merge by `id` in the order first published."""
    out = dict(cur)
    for k, pv in prev.items():
        if pv is None or (k in cur and cur[k] is None):
            continue
        cv = cur.get(k)
        if cv is None:
            out[k] = pv if isinstance(pv, (dict, list)) else None
        elif isinstance(pv, dict) and isinstance(cv, dict):
            out[k] = complete(pv, cv)
        elif _is_id_list(pv) and _is_id_list(cv):
            now = {x["id"]: x for x in cv}
            before = {x["id"] for x in pv}
            out[k] = [complete(x, now[x["id"]]) if x["id"] in now else x for x in pv] + [
                x for x in cv if x["id"] not in before
            ]
    return out


def strip(value: Any) -> Any:
    """Without its `null`s: what a release leaves in the compiled release."""
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def tags(prev: Mapping[str, Any] | None, cur: Mapping[str, Any]) -> list[str]:
    """What a release changes, as releaseTag codes (both without nulls), most advanced stage first."""
    if prev is None:
        return ["planning"]
    t: set[str] = set()
    before = {c["id"]: c for c in prev.get("contracts", [])}
    for c in cur.get("contracts", []):
        old = before.get(c["id"])
        if old is None:
            t.add("contract")
            continue
        if c["status"] == "terminated" != old["status"]:
            t.add("contractTermination")
        if c.get("amendments") != old.get("amendments"):
            t.add("contractAmendment")
        paid = {x["id"] for x in old.get("implementation", {}).get("transactions", [])}
        if {x["id"] for x in c.get("implementation", {}).get("transactions", [])} - paid:
            t.add("implementation")
        elif c.get("implementation") != old.get("implementation"):
            t.add("implementationUpdate")
        rest = ("status", "amendments", "implementation")
        if "contractAmendment" not in t and {k: v for k, v in c.items() if k not in rest} != {
            k: v for k, v in old.items() if k not in rest
        }:
            t.add("contractUpdate")
    awarded = {a["id"]: a for a in prev.get("awards", [])}
    for a in cur.get("awards", []):
        old = awarded.get(a["id"])
        if old is None:
            t.add("award")
        elif a["status"] == "cancelled" != old["status"]:
            t.add("awardCancellation")
        elif a != old:
            t.add("awardUpdate")
    pt, ct = prev.get("tender"), cur.get("tender")
    if ct is not None and ct != pt:
        if pt is None or ct["id"] != pt["id"] or (ct["status"] == "active" != pt["status"]):
            t.add("tender")
        elif ct["status"] == "cancelled":
            t.add("tenderCancellation")
        elif ct["status"] in ("planning", "planned"):
            t.add("planningUpdate")
        else:
            t.add("tenderUpdate")
    if cur.get("planning") != prev.get("planning"):
        t.add("planningUpdate")
    if not t:  # only parties or related processes changed: an update of the stage reached
        if cur.get("contracts"):
            t.add("contractUpdate")
        elif cur.get("awards"):
            t.add("awardUpdate")
        elif ct is not None and ct["status"] not in ("planning", "planned"):
            t.add("tenderUpdate")
        else:
            t.add("planningUpdate")
    return [x for x in TAG_ORDER if x in t]


_RECORDED_PROJECT = {
    "project.declared": "declared_on",
    "project.approve": "approved_on",
    "project.announce": "announced_on",
    "project.reprocure": "announced_on",
    "project.award": "awarded_on",
}
_RECORDED_OUTCOME = {
    "project.fail": "failed",
    "project.terminate": "terminated",
    "project.take_over": "taken_over",
}


def recorded_on(e: Event) -> date | None:
    """The business date an event records, if it records one."""
    d = e.data if isinstance(e.data, Mapping) else {}
    value: Any = None
    if e.kind == "project":
        if e.action in _RECORDED_PROJECT:
            value = d.get(_RECORDED_PROJECT[e.action])
        elif e.action in _RECORDED_OUTCOME:
            value = ((d.get("outcome") or {}).get(_RECORDED_OUTCOME[e.action]) or {}).get("on")
    elif e.kind == "contract":
        if e.action == "contract.signed":
            value = d.get("signed_on")
        elif e.action in ("contract.terminated", "contract.taken_over", "contract.completed"):
            value = d.get("ended_on")
        elif e.action == "contract.amended":
            value = ((d.get("amendments") or [{}])[-1]).get("on")
    elif e.kind == "payment" and e.action == "payment.release":
        value = d.get("released_on")
    return day(value) if value else None


def steps(events: Sequence[Event]) -> list[list[Event]]:
    """Events in the order written, those of one request together."""
    out: list[list[Event]] = []
    for e in sorted(events, key=lambda x: x.id):
        if out and e.request_id and out[-1][-1].request_id == e.request_id:
            out[-1].append(e)
        else:
            out.append([e])
    return out


def releases(proc: Process, events: Sequence[Event]) -> list[dict[str, Any]]:
    """The releases of a project: one per step that changes what OCDS shows."""
    state = _State()
    out: list[dict[str, Any]] = []
    prev: dict[str, Any] | None = None
    last: date | None = None
    for step in steps(events):
        for e in step:
            state.apply(e)
        if state.project is None:
            continue
        cand = _content(proc, state, prev)
        full = complete(prev, cand) if prev is not None else cand
        shown = strip(full)
        if shown == prev:
            continue
        on = max((d for d in map(recorded_on, step) if d), default=day(step[-1].occurred_at))
        on = max(on, last) if last else on
        out.append(
            {
                "ocid": proc.ocid,
                "id": f"{proc.ocid}-{step[0].id}",
                "date": dt(on),
                "tag": tags(prev, shown),
                **full,
            }
        )
        prev, last = shown, on
    return out


def package(
    kind: str, uri: str, published: datetime, publisher: Mapping[str, str], body: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "uri": uri,
        "version": "1.1",
        "publishedDate": published.replace(microsecond=0).isoformat(),
        "publisher": {k: v for k, v in publisher.items() if v},
        kind: body,
    }


def record(ocid: str, rels: list[dict[str, Any]]) -> dict[str, Any]:
    """A record: every release embedded, and the compiled release OCDS merging gives (each release
    being the whole picture, that is the last one without its nulls, id and date as ocdsmerge sets)."""
    last = rels[-1]
    state = strip({k: v for k, v in last.items() if k not in ("id", "date", "tag")})
    compiled = {**state, "id": f"{ocid}-{last['date']}", "date": last["date"], "tag": ["compiled"]}
    return {"ocid": ocid, "releases": rels, "compiledRelease": compiled}
