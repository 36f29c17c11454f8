"""Procurement methods: when each may be used, how many suppliers and panel members it needs. Pure,
no I/O; every number and ground is a dated rule of the procurement packs (rulebook/data), read on
the announcement date, and each refusal names its clause.

What stays here is vocabulary: the methods, their Chinese names and their OCDS codes, and which
rule names each method reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from jiuzhu_kit.rules.book import Rule, RulesAt
from jiuzhu_procurement.rulebook.units import Ground

METHODS = (
    "open_tender",
    "invited_tender",
    "competitive_negotiation",
    "competitive_consultation",
    "request_for_quotation",
    "single_source",
    "framework_agreement",
)

ZH = {
    "open_tender": "公开招标",
    "invited_tender": "邀请招标",
    "competitive_negotiation": "竞争性谈判",
    "competitive_consultation": "竞争性磋商",
    "request_for_quotation": "询价",
    "single_source": "单一来源采购",
    "framework_agreement": "框架协议采购",
}

# OCDS 1.1 method codelist (DOMAIN.md §6).
OCDS = {"open_tender": "open", "invited_tender": "selective", "single_source": "direct"}

TENDERS = ("open_tender", "invited_tender")


def grounds(at: RulesAt, method: str) -> Rule | None:
    """The rule naming `method`'s legal grounds in force (None: the method is not in force)."""
    return at.get(f"grounds_{method}")


def ground_citation(at: RulesAt, method: str, ground: str | None) -> str | None:
    r = grounds(at, method) if method != "open_tender" else None
    found: tuple[Ground, ...] = r.value if r else ()
    return next((str(g.citation) for g in found if g.key == ground), None)


@dataclass(frozen=True)
class MethodRefusal:
    code: str
    zh: str
    en: str
    citation: str


def _first_in_force(at: RulesAt, name: str) -> tuple[str, str]:
    """When a rule first applies and where it comes from (for 'not yet in force')."""
    p = at.pack.parameters.get(name)
    if p is None or not p.values:
        return "—", "—"
    v = p.values[0]
    return v.start.isoformat(), str(v.citation)


def check_method(
    at: RulesAt,
    *,
    method: str,
    budget: Decimal,
    open_tender_threshold: Decimal | None,
    ground: str | None,
    approval: str | None,
    publicity_working_days: int | None,
    related_total: Decimal,
) -> list[MethodRefusal]:
    """Every reason `method` may not be used on `at.on` (empty: allowed). `related_total` is this
    budget plus the same purchaser's other live projects of that year buying the same items
    (splitting test)."""
    out: list[MethodRefusal] = []
    name = ZH.get(method, method)
    if method == "request_for_quotation":
        out.append(
            MethodRefusal(
                "METHOD_NOT_ALLOWED",
                "询价仅适用于规格、标准统一的货物，不适用于服务",
                "request for quotation is for standard goods, not services",
                "政府采购法 第三十二条",
            )
        )
        return out
    allowed = grounds(at, method) if method != "open_tender" else None
    if allowed is None and method != "open_tender":
        since, source = _first_in_force(at, f"grounds_{method}")
        out.append(
            MethodRefusal(
                "METHOD_NOT_IN_FORCE",
                f"{name}自 {since} 起施行，{at.on} 尚不适用",
                f"{method} applies from {since}, not on {at.on}",
                source,
            )
        )
        return out
    if allowed is not None and ground not in {g.key for g in allowed.value}:
        keys = "、".join(g.key for g in allowed.value)
        out.append(
            MethodRefusal(
                "METHOD_GROUND_REQUIRED",
                f"采用{name}须说明法定情形（{keys}）",
                f"{method} needs a legal ground ({keys})",
                allowed.cite,
            )
        )
    if open_tender_threshold is not None and method != "open_tender" and not approval:
        if budget >= open_tender_threshold:
            out.append(
                MethodRefusal(
                    "OPEN_TENDER_REQUIRED",
                    f"预算 {budget} 元达到公开招标数额标准 {open_tender_threshold} 元（以上含本数），采用{name}须经财政部门批准",
                    f"budget {budget} is at or above the open-tender amount {open_tender_threshold}; {method} needs approval",
                    "政府采购法 第二十七条; 政府采购法实施条例 第二十三条; 民法典 第一千二百五十九条",
                )
            )
        elif related_total >= open_tender_threshold:
            out.append(
                MethodRefusal(
                    "PURCHASE_SPLITTING",
                    f"同一年度同类项目合计 {related_total} 元达到公开招标数额标准 {open_tender_threshold} 元，不得化整为零规避公开招标",
                    f"same-year projects for the same items total {related_total}, at or above {open_tender_threshold}: splitting",
                    "政府采购法 第二十八条; 政府采购法实施条例 第二十八条",
                )
            )
    if method == "single_source":
        need = at.rule("single_source_publicity_min")
        if (publicity_working_days or 0) < need.value:
            out.append(
                MethodRefusal(
                    "PUBLICITY_REQUIRED",
                    f"单一来源采购须公示不少于 {need.value} 个工作日",
                    f"single source needs a publicity period of at least {need.value} working days",
                    need.cite,
                )
            )
    return out


def min_suppliers(at: RulesAt, method: str) -> Rule:
    """Qualified suppliers needed to go on to scoring (below it the procurement fails), as in
    force on the announcement date."""
    return at.rule(f"min_suppliers_{method}")


@dataclass(frozen=True)
class PanelRule:
    minimum: int
    odd: bool
    expert_share: Fraction
    citation: str


def panel_rule(at: RulesAt, method: str, budget: Decimal) -> PanelRule:
    """Who must sit on the panel: 87号令 47 for tenders (by budget), 74号令 7 for negotiation and
    consultation; single source has no expert panel."""
    if method == "single_source":
        r = at.rule("panel_min_single_source")
        return PanelRule(r.value, False, Fraction(0), r.cite)
    if method in TENDERS:
        size, share = at.rule("panel_min_tender"), at.rule("panel_expert_share_tender")
        minimum = size.dated.bracket_for(int(budget)).value
    else:
        size, share = at.rule("panel_min_non_tender"), at.rule("panel_expert_share_non_tender")
        minimum = size.value
    cites = dict.fromkeys((size.cite, share.cite))  # one clause often says both
    return PanelRule(minimum, True, share.value, "; ".join(cites))
