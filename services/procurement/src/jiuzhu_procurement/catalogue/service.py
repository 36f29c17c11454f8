"""Is this purchase lawful on this date? The catalogue, the negative list and the thresholds are
rules (rulebook/data: dated, cited, inherited national → province → county, local packs included),
read for the purchaser's division on the day that counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from jiuzhu_kit import divisions
from jiuzhu_kit.errors import Conflict
from jiuzhu_kit.rules.book import RulesAt
from jiuzhu_procurement.catalogue import rules
from jiuzhu_procurement.catalogue.entries import CatalogueEntry, NegativeEntry


class PurchaseNotAllowed(Conflict):
    code = "PURCHASE_NOT_ALLOWED"
    zh = "按 {on} 有效的规定，此项购买不合法：{reasons}"
    en = "Under the rules in force on {on} this purchase is not allowed: {reasons_en}"

    def extra(self) -> dict[str, Any]:
        return {"refusals": self.params.get("refusals", [])}


@dataclass(frozen=True)
class Threshold:
    kind: str
    amount: Decimal
    valid_from: date
    valid_to: date | None
    citation: str
    verified: bool
    region: str  # the jurisdiction of the pack that set it


# A threshold kind → the rule parameter that holds it.
THRESHOLD_PARAMETERS = {"open_tender": "open_tender_threshold", "procurement_limit": "procurement_limit"}


def level_of(division: str) -> str:
    lv = divisions.level(division)
    return lv if lv in ("township", "village") else "county"


def _entries(at: RulesAt, name: str) -> tuple[Any, ...]:
    rule = at.get(name)
    return tuple(rule.value) if rule else ()


def catalogue(at: RulesAt) -> list[CatalogueEntry]:
    """The catalogue in force, a county's own guidance catalogue (seed 004 四(二)) included."""
    by_code = {c.code: c for c in (*_entries(at, "catalogue"), *_entries(at, "local_catalogue"))}
    return sorted(by_code.values(), key=lambda c: c.code)


def negative(at: RulesAt) -> list[NegativeEntry]:
    return list(_entries(at, "negative_list"))


def check(at: RulesAt, form: str, items: list[str]) -> list[rules.Refusal]:
    return rules.check_purchase(form, items, at.on, level_of(at.division), catalogue(at), negative(at))


def ensure_lawful(at: RulesAt, form: str, items: list[str]) -> None:
    refusals = check(at, form, items)
    if refusals:
        raise PurchaseNotAllowed(
            on=at.on.isoformat(),
            reasons="；".join(f"{r.reason_zh}（{r.citation}）" for r in refusals),
            reasons_en="; ".join(f"{r.reason_en} ({r.citation})" for r in refusals),
            refusals=[r.as_dict() for r in refusals],
        )


def threshold(at: RulesAt, kind: str) -> Threshold | None:
    """`open_tender` or `procurement_limit` in force (以上 includes the amount: 民法典 1259)."""
    rule = at.get(THRESHOLD_PARAMETERS[kind])
    if rule is None:
        return None
    return Threshold(
        kind=kind,
        amount=rule.value,
        valid_from=rule.dated.start,
        valid_to=rule.dated.end,
        citation=rule.cite,
        verified=rule.verified,
        region=at.pack.jurisdiction,
    )


def decided_by_guess(local: Threshold | None, national: Threshold | None, related_total: Decimal) -> bool:
    """Does an unverified threshold decide whether a method other than open tender is refused? A
    purchase is refused at a threshold T when its related total (its budget plus the same year's
    purchases of the same items, splitting included) reaches T; so the guess decides only where that
    total lies between it and the verified national value. Elsewhere both agree, and the unverified
    value is never what refuses or allows a purchase."""
    if local is None or local.verified or national is None:
        return False
    low, high = sorted((local.amount, national.amount))
    return low <= related_total < high
