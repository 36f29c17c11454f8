"""OCDS 1.1 releases and records built from a project's hash-chained event history. Pure, no I/O.

One release per workflow event (its `data` is the project as it was then); amounts are OCDS numbers
rendered from Decimal (exact for the ≤15 significant digits money has here). Methods map to the OCDS
codelist (open_tender→open, invited_tender→selective, single_source→direct, others→limited) with the
Chinese name in `procurementMethodDetails` (DOMAIN.md §6).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from jiuzhu_procurement.project import methods

TAGS = {
    "declared": "planning",
    "approved": "planningUpdate",
    "announced": "tender",
    "bidding_closed": "tenderUpdate",
    "qualification_review": "tenderUpdate",
    "scoring": "tenderUpdate",
    "failed": "tenderUpdate",
    "awarded": "award",
    "contract_signed": "contract",
    "performance_supervision": "implementation",
    "final_evaluation": "implementationUpdate",
    "terminated": "contractTermination",
    "taken_over": "contractTermination",
    "closed": "contractTermination",
}
AFTER_TENDER = (
    "announced",
    "bidding_closed",
    "qualification_review",
    "scoring",
    "failed",
    "awarded",
    "contract_signed",
    "performance_supervision",
    "final_evaluation",
    "terminated",
    "taken_over",
    "closed",
)
AFTER_AWARD = AFTER_TENDER[5:]
AFTER_CONTRACT = AFTER_TENDER[6:]


def money(amount: Any) -> dict[str, Any]:
    d = Decimal(str(amount))
    return {"amount": int(d) if d == d.to_integral_value() else float(d), "currency": "CNY"}


def dt(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    d = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{d.isoformat()}T00:00:00+08:00"


def buyer(division: str) -> dict[str, Any]:
    return {"id": f"CN-DIV-{division}", "name": f"购买主体（行政区划 {division}）"}


def org(uscc: str, name: str) -> dict[str, Any]:
    return {
        "id": f"CN-USCC-{uscc}",
        "name": name,
        "identifier": {"scheme": "CN-USCC", "id": uscc, "legalName": name},
    }


def tender_status(status: str) -> str:
    if status == "cancelled":
        return "cancelled"
    if status == "failed":
        return "unsuccessful"
    if status in ("announced", "bidding_closed", "qualification_review", "scoring"):
        return "active"
    return "complete"


def release(
    ocid: str,
    seq: int,
    at: Any,
    p: Mapping[str, Any],
    bids: Sequence[Mapping[str, Any]],
    contract: Mapping[str, Any] | None,
    payments: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The release for one event; `p` is the project snapshot stored with that event."""
    status = p["status"]
    b = buyer(p["division_code"])
    parties = {b["id"]: {**b, "roles": ["buyer", "procuringEntity"]}}
    r: dict[str, Any] = {
        "ocid": ocid,
        "id": f"{ocid}-{seq}",
        "date": dt(at),
        "tag": [
            TAGS.get(status, "planningUpdate")
            if status != "cancelled"
            else ("tenderCancellation" if p.get("announced_on") else "planningUpdate")
        ],
        "initiationType": "tender",
        "language": "zh",
        "buyer": b,
        "planning": {
            "budget": {"amount": money(p["budget"]), "description": p["funding_source"]},
            "rationale": p["title"],
        },
    }
    if status in AFTER_TENDER or (status == "cancelled" and p.get("announced_on")):
        method = p.get("method") or ""
        details = p.get("method_details") or {}
        # Who bid is published with the result, not before: until the award it is the purchaser's
        # file (sealed bids), and the tender shows only that bidding took place.
        ts = [x for x in bids if x["round"] == p.get("round", 1)] if status in AFTER_AWARD else []
        for x in ts:
            o = org(x["uscc"], x["contractor_name"])
            parties.setdefault(o["id"], {**o, "roles": []})["roles"].append("tenderer")
        r["tender"] = {
            "id": f"{ocid}-tender-{p.get('round', 1)}",
            "title": p["title"],
            "status": tender_status(status),
            "procurementMethod": methods.OCDS.get(method, "limited"),
            "procurementMethodDetails": methods.ZH.get(method, method),
            "procurementMethodRationale": details.get("ground_citation") or details.get("approval") or "",
            "mainProcurementCategory": "services",
            "awardCriteria": "ratedCriteria",
            "awardCriteriaDetails": "综合评分法（财政部令第87号 55）",
            "value": money(p["budget"]),
            "items": [
                {
                    "id": code,
                    "description": code,
                    "classification": {"scheme": "x_jiuzhu_catalogue", "id": code},
                }
                for code in p["items"]
            ],
        }
        if status in AFTER_AWARD:
            r["tender"]["numberOfTenderers"] = len(ts)
            r["tender"]["tenderers"] = [
                {"id": f"CN-USCC-{x['uscc']}", "name": x["contractor_name"]} for x in ts
            ]
        if p.get("announced_on"):
            r["tender"]["tenderPeriod"] = {"startDate": dt(p["announced_on"])}
    if status in AFTER_AWARD and p.get("awarded_uscc"):
        winner = next((x for x in bids if x["uscc"] == p["awarded_uscc"]), None)
        name = winner["contractor_name"] if winner else p["awarded_uscc"]
        o = org(p["awarded_uscc"], name)
        parties.setdefault(o["id"], {**o, "roles": []})["roles"].append("supplier")
        r["awards"] = [
            {
                "id": f"{ocid}-award-{p.get('round', 1)}",
                "status": "active",
                "date": dt(p["awarded_on"]),
                "value": money(p["awarded_amount"]),
                "suppliers": [{"id": o["id"], "name": name}],
            }
        ]
        if status in AFTER_CONTRACT and contract is not None:
            c_status = {
                "contract_signed": "active",
                "performance_supervision": "active",
                "final_evaluation": "active",
            }.get(status, "terminated")
            c: dict[str, Any] = {
                "id": str(contract["id"]),
                "awardID": r["awards"][0]["id"],
                "title": contract["subject"],
                "status": c_status,
                "period": {"startDate": dt(contract["term_start"]), "endDate": dt(contract["term_end"])},
                "value": money(contract["price"]),
            }
            if contract.get("signed_on"):
                c["dateSigned"] = dt(contract["signed_on"])
            released = [x for x in payments if x["status"] == "released"]
            if released:
                c["implementation"] = {
                    "transactions": [
                        {
                            "id": str(x["id"]),
                            "date": dt(x["released_on"]),
                            "value": money(x["amount"]),
                            "payer": {"id": b["id"], "name": b["name"]},
                            "payee": {"id": o["id"], "name": name},
                        }
                        for x in released
                    ]
                }
            r["contracts"] = [c]
    r["parties"] = [v for v in parties.values()]
    return r


def package(
    kind: str, uri: str, published: datetime, publisher: str, body: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "uri": uri,
        "version": "1.1",
        "publishedDate": published.isoformat(),
        "publisher": {"name": publisher},
        kind: body,
    }


def record(ocid: str, releases: list[dict[str, Any]]) -> dict[str, Any]:
    """A record: every release embedded plus the compiled (latest) state."""
    compiled = {**releases[-1], "id": f"{ocid}-compiled", "tag": ["compiled"]}
    return {"ocid": ocid, "releases": releases, "compiledRelease": compiled}
