"""The evaluation periods of a contract's term, by the rule `evaluations_per_year`.

One round per calendar year (`2019`) or per half-year (`2019-H1`, `2019-H2`; seed 002 六(二):
每半年…进行一次综合评估) — the periods a round may be opened for (round/schemas.py). A period is
scheduled when it overlaps the contract's term; a term that starts on 2018-11-09 has a 2018-H2
period, evaluated on the part it covers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from jiuzhu_kit.rules.parse import Checker

KINDS = {1: "annual", 2: "half_yearly"}


def parse_per_year(raw: Any, chk: Checker, where: str) -> int:
    """Only the frequencies a round period can express: 1 (annual) or 2 (half-yearly)."""
    if raw not in KINDS or isinstance(raw, bool):
        chk.fail(where, f"每年评价次数只能为 1（按年度）或 2（每半年）: {raw!r}")
        return 1
    return int(raw)


@dataclass(frozen=True)
class Period:
    kind: str  # annual | half_yearly, as a round's period_kind
    code: str  # 2019 | 2019-H1
    starts: date
    ends: date


def _of_year(year: int, per_year: int) -> Iterator[Period]:
    if per_year == 1:
        yield Period("annual", str(year), date(year, 1, 1), date(year, 12, 31))
    else:
        yield Period("half_yearly", f"{year}-H1", date(year, 1, 1), date(year, 6, 30))
        yield Period("half_yearly", f"{year}-H2", date(year, 7, 1), date(year, 12, 31))


def periods(term_start: date, term_end: date, per_year: int) -> list[Period]:
    """The periods that overlap [term_start, term_end], in order."""
    return [
        p
        for year in range(term_start.year, term_end.year + 1)
        for p in _of_year(year, per_year)
        if p.starts <= term_end and p.ends >= term_start
    ]
