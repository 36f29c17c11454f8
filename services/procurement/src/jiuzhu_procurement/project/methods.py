"""Procurement methods: when each may be used and how many suppliers it needs. Pure, no I/O.

政府采购法 26–32 (methods and their grounds), 27 + 政府采购法实施条例 23 (open tender at or above the
threshold unless approved), 31 + 实施条例 38 (single source: ground and ≥5 working-day publicity),
实施条例 28 (splitting a purchase to avoid open tender), 36/34/38/40 (minimum suppliers),
财库〔2014〕214号 三 and 财库〔2015〕124号 (consultation for purchased services may go on with 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

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

GROUNDS: dict[str, dict[str, str]] = {
    "open_tender": {},
    "invited_tender": {
        "special_nature_limited_suppliers": "政府采购法 29(一)",
        "open_tender_cost_disproportionate": "政府采购法 29(二)",
    },
    "competitive_negotiation": {
        "tender_failed": "政府采购法 30(一)",
        "technically_complex": "政府采购法 30(二)",
        "urgent": "政府采购法 30(三)",
        "price_not_computable": "政府采购法 30(四)",
    },
    "competitive_consultation": {
        "purchased_services": "财库〔2014〕214号 三(一)",
        "technically_complex": "财库〔2014〕214号 三(二)",
        "price_not_computable": "财库〔2014〕214号 三(三)",
        "scientific_research": "财库〔2014〕214号 三(四)",
    },
    "request_for_quotation": {"standard_goods": "政府采购法 32"},
    "single_source": {
        "only_one_supplier": "政府采购法 31(一)",
        "emergency": "政府采购法 31(二)",
        "additional_purchase": "政府采购法 31(三)",
    },
    "framework_agreement": {"small_frequent_purchases": "财政部令第110号 三"},
}

FRAMEWORK_FROM = date(2022, 3, 1)  # 财政部令第110号 施行
SINGLE_SOURCE_PUBLICITY_MIN = 5  # working days, 政府采购法实施条例 38


@dataclass(frozen=True)
class MethodRefusal:
    code: str
    zh: str
    en: str
    citation: str


def check_method(
    *,
    method: str,
    budget: Decimal,
    on: date,
    open_tender_threshold: Decimal | None,
    ground: str | None,
    approval: str | None,
    publicity_working_days: int | None,
    related_total: Decimal,
) -> list[MethodRefusal]:
    """Every reason `method` may not be used (empty: allowed). `related_total` is this budget plus the
    same purchaser's other live projects of that year buying the same items (splitting test)."""
    out: list[MethodRefusal] = []
    name = ZH.get(method, method)
    if method == "framework_agreement" and on < FRAMEWORK_FROM:
        out.append(
            MethodRefusal(
                "METHOD_NOT_IN_FORCE",
                f"{name}自 {FRAMEWORK_FROM} 起施行",
                f"framework agreements apply from {FRAMEWORK_FROM}",
                "财政部令第110号",
            )
        )
    if method == "request_for_quotation":
        out.append(
            MethodRefusal(
                "METHOD_NOT_ALLOWED",
                "询价仅适用于规格、标准统一的货物，不适用于服务",
                "request for quotation is for standard goods, not services",
                "政府采购法 32",
            )
        )
        return out
    if method != "open_tender" and ground not in GROUNDS[method]:
        allowed = "、".join(GROUNDS[method]) or "—"
        out.append(
            MethodRefusal(
                "METHOD_GROUND_REQUIRED",
                f"采用{name}须说明法定情形（{allowed}）",
                f"{method} needs a legal ground ({allowed})",
                "政府采购法 29–31; 财库〔2014〕214号 三",
            )
        )
    if open_tender_threshold is not None and method != "open_tender" and not approval:
        if budget >= open_tender_threshold:
            out.append(
                MethodRefusal(
                    "OPEN_TENDER_REQUIRED",
                    f"预算 {budget} 元达到公开招标数额标准 {open_tender_threshold} 元（以上含本数），采用{name}须经财政部门批准",
                    f"budget {budget} is at or above the open-tender amount {open_tender_threshold}; {method} needs approval",
                    "政府采购法 27; 政府采购法实施条例 23; 民法典 1259",
                )
            )
        elif related_total >= open_tender_threshold:
            out.append(
                MethodRefusal(
                    "PURCHASE_SPLITTING",
                    f"同一年度同类项目合计 {related_total} 元达到公开招标数额标准 {open_tender_threshold} 元，不得化整为零规避公开招标",
                    f"same-year projects for the same items total {related_total}, at or above {open_tender_threshold}: splitting",
                    "政府采购法 28; 政府采购法实施条例 28",
                )
            )
    if method == "single_source" and (publicity_working_days or 0) < SINGLE_SOURCE_PUBLICITY_MIN:
        out.append(
            MethodRefusal(
                "PUBLICITY_REQUIRED",
                f"单一来源采购须公示不少于 {SINGLE_SOURCE_PUBLICITY_MIN} 个工作日",
                f"single source needs a publicity period of at least {SINGLE_SOURCE_PUBLICITY_MIN} working days",
                "政府采购法实施条例 38",
            )
        )
    return out


@dataclass(frozen=True)
class MinSuppliers:
    minimum: int
    citation: str
    note: str = ""


def min_suppliers(method: str) -> MinSuppliers:
    """Qualified suppliers needed to go on to scoring. Below it the procurement fails."""
    if method == "competitive_consultation":
        # Purchased services may continue with 2; with 1 the consultation ends.
        return MinSuppliers(
            2, "财库〔2015〕124号", "政府购买服务项目符合要求的供应商只有2家的，磋商可以继续进行"
        )
    if method == "single_source":
        return MinSuppliers(1, "政府采购法 31")
    if method == "framework_agreement":
        return MinSuppliers(2, "财政部令第110号 (入围供应商) — verify")
    return MinSuppliers(
        3,
        {
            "open_tender": "政府采购法 36(一)",
            "invited_tender": "政府采购法 34",
            "competitive_negotiation": "政府采购法 38",
            "request_for_quotation": "政府采购法 40",
        }.get(method, "政府采购法 36"),
    )


@dataclass(frozen=True)
class PanelRule:
    minimum: int
    odd: bool
    expert_share: tuple[int, int]  # numerator, denominator
    citation: str


def panel_rule(method: str, budget: Decimal) -> PanelRule:
    if method in ("open_tender", "invited_tender"):
        n = 7 if budget >= Decimal("10000000") else 5
        return PanelRule(n, True, (2, 3), "财政部令第87号 47 (预算 1000万元以上 7 人以上)")
    if method == "single_source":
        return PanelRule(1, False, (0, 1), "政府采购非招标采购方式管理办法 (财政部令第74号) 43")
    return PanelRule(3, True, (2, 3), "财政部令第74号 7; 财库〔2014〕214号 14")
