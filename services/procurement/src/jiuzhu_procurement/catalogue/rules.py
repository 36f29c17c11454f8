"""Is this purchase lawful on this date? Pure functions over the dated reference rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from jiuzhu_kit import divisions

FORMS = (
    "service_contract",
    "labour_dispatch",
    "staff_hiring",
    "public_welfare_posts",
    "goods_or_works",
    "financing",
)


class Dated(Protocol):
    valid_from: date
    valid_to: date | None


def active(row: Dated, on: date) -> bool:
    return row.valid_from <= on and (row.valid_to is None or on <= row.valid_to)


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
    form: str, items: Sequence[str], on: date, level: str, catalogue: Sequence[Any], negative: Sequence[Any]
) -> list[Refusal]:
    """Every reason the purchase may not be made on `on` (empty list: lawful)."""
    out: list[Refusal] = []
    neg = {n.code: n for n in negative if active(n, on)}
    if form in neg and neg[form].kind == "form":
        n = neg[form]
        out.append(
            Refusal(
                "NEGATIVE_LIST",
                form,
                f"{n.name_zh}不得作为政府购买服务（自 {n.valid_from} 起）",
                f"{n.name_en} may not be bought as a service (from {n.valid_from})",
                n.citation,
            )
        )
    cat = {c.code: c for c in catalogue if active(c, on)}
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
                    "沪 实施意见 三(二); seed 000 二(四)",
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
                    "川民 试点通知 四(二)",
                )
            )
    return out


def threshold_for(rows: Sequence[Any], kind: str, division: str, on: date) -> Any | None:
    """The row for `division` on `on`, else its nearest ancestor's, else the central one."""
    code: str | None = division
    while code is not None:
        for r in rows:
            if r.kind == kind and r.region == code and active(r, on):
                return r
        code = divisions.parent(code)
    return None
