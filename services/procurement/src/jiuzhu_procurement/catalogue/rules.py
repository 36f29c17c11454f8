"""Is this purchase lawful on this date? Pure functions over the catalogue and negative list in force."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from jiuzhu_procurement.catalogue.entries import CatalogueEntry, NegativeEntry

FORMS = (
    "service_contract",
    "labour_dispatch",
    "staff_hiring",
    "public_welfare_posts",
    "goods_or_works",
    "financing",
)


@dataclass(frozen=True)
class Refusal:
    code: str
    subject: str
    reason_zh: str
    reason_en: str
    citation: str

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "subject": self.subject,
            "reason_zh": self.reason_zh,
            "reason_en": self.reason_en,
            "citation": self.citation,
        }


def check_purchase(
    form: str,
    items: Sequence[str],
    on: date,
    level: str,
    catalogue: Sequence[CatalogueEntry],
    negative: Sequence[NegativeEntry],
) -> list[Refusal]:
    """Every reason the purchase may not be made on `on` (empty list: lawful), given the catalogue
    and negative list in force that day."""
    out: list[Refusal] = []
    neg = {n.code: n for n in negative}
    if form in neg and neg[form].kind == "form":
        n = neg[form]
        out.append(
            Refusal(
                "NEGATIVE_LIST",
                form,
                f"{n.name_zh}不得作为政府购买服务（{on} 有效的负面清单）",
                f"{n.name_en} may not be bought as a service (negative list in force on {on})",
                n.citation,
            )
        )
    cat = {c.code: c for c in catalogue}
    for code in items:
        if code in neg:
            n = neg[code]
            out.append(
                Refusal(
                    "NEGATIVE_LIST",
                    code,
                    f"{n.name_zh}不得向社会力量购买",
                    f"{n.name_en} may not be bought",
                    n.citation,
                )
            )
        elif code not in cat:
            out.append(
                Refusal(
                    "NOT_IN_CATALOGUE",
                    code,
                    f"{code} 不在 {on} 有效的购买服务目录中",
                    f"{code} is not in the catalogue in force on {on}",
                    "seed 003 三(二); seed 000 二(四)",
                )
            )
        elif level not in cat[code].levels:
            c = cat[code]
            out.append(
                Refusal(
                    "LEVEL_NOT_ALLOWED",
                    code,
                    f"{c.name_zh}不在{level}级指导目录中",
                    f"{c.name_en} is not listed for the {level} level",
                    "seed 004 四(二)",
                )
            )
    return out
