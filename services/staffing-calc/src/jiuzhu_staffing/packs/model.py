"""Rule packs in memory: dated, cited parameter values, brackets with explicit bounds, rules.

A pack is immutable once loaded. Calculations read it through `Pack.param(name).at(day)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# Units a parameter may be expressed in; anything else is refused when the pack loads.
UNITS = frozenset(
    {
        "person",  # people required (a count of staff)
        "person_per_unit",  # people required per village/community/committee/institution
        "yuan_per_year",
        "yuan_per_month",
        "ratio",  # a fraction: 0.05 = 5 %
        "year",
        "count",
        "session_per_year",
        "date",
        "schedule",  # phases with deadlines
        "allocation",  # named units → people
    }
)
# What a bracket scale may be measured in (its input).
MEASURES = {"assisted_households": "户", "registered_population": "人"}

UNIT_KINDS = (
    "county",
    "township",
    "street_office",
    "administrative_village",
    "urban_community",
    "residents_committee",
    "villagers_committee",
    "nursing_home_government_run",
)
ROLES = ("caseworker", "coordinator", "verifier", "assistance_worker", "manager")
ROLE_ZH = {
    "caseworker": "社会救助经办服务人员",
    "coordinator": "养老救助协理员",
    "verifier": "入户核查员",
    "assistance_worker": "社会救助工作人员",
    "manager": "专职管理人员",
}
UNIT_ZH = {
    "county": "县级民政部门",
    "township": "乡镇",
    "street_office": "街道办",
    "administrative_village": "建制村",
    "urban_community": "城市社区",
    "residents_committee": "居民委员会",
    "villagers_committee": "村民委员会",
    "nursing_home_government_run": "政府运营的农村特困人员供养服务机构",
}


@dataclass(frozen=True)
class Citation:
    document: str
    clause: str

    def __str__(self) -> str:
        return f"{self.document} {self.clause}"


_RANGE = re.compile(r"^\s*([\[(])\s*(\d+)\s*,\s*(\d+|inf)\s*([\])])\s*$")


@dataclass(frozen=True)
class Bracket:
    """One bracket: lower/upper bounds, each inclusive or exclusive (民法典 1259)."""

    lower: int
    lower_inclusive: bool
    upper: int | None  # None = no upper bound
    upper_inclusive: bool
    value: int
    phrase: str  # the seed's own words, e.g. "3000户到5000户"
    reading: str  # how the phrase was read, per DOMAIN.md §3
    citation: Citation

    @classmethod
    def parse_range(cls, text: str) -> tuple[int, bool, int | None, bool]:
        m = _RANGE.match(text)
        if not m:
            raise ValueError(f"区间写法应为 [a, b] / (a, b) / [a, inf)，实际为 {text!r}")
        lo_b, lo, hi, hi_b = m.groups()
        upper = None if hi == "inf" else int(hi)
        if upper is None and hi_b != ")":
            raise ValueError(f"无上限区间必须以 ')' 结束: {text!r}")
        return int(lo), lo_b == "[", upper, hi_b == "]"

    @property
    def range_text(self) -> str:
        hi = "inf" if self.upper is None else str(self.upper)
        return (
            f"{'[' if self.lower_inclusive else '('}{self.lower}, {hi}{']' if self.upper_inclusive else ')'}"
        )

    def contains(self, x: int) -> bool:
        if x < self.lower or (x == self.lower and not self.lower_inclusive):
            return False
        if self.upper is None:
            return True
        return x < self.upper or (x == self.upper and self.upper_inclusive)

    def condition_zh(self, what: str) -> str:
        lo = f"{self.lower}{'≤' if self.lower_inclusive else '<'}{what}"
        if self.upper is None:
            return f"{what}{'≥' if self.lower_inclusive else '>'}{self.lower}"
        return f"{lo}{'≤' if self.upper_inclusive else '<'}{self.upper}"


@dataclass(frozen=True)
class DatedValue:
    start: date
    end: date | None  # inclusive last day; None = open
    citation: Citation
    value: Any = None  # Decimal | int | date | dict (allocation) | list (schedule)
    brackets: tuple[Bracket, ...] = ()
    note: str | None = None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def bracket_for(self, x: int) -> Bracket:
        for b in self.brackets:
            if b.contains(x):
                return b
        raise LookupError(x)  # impossible for a validated scale over [0, inf)


@dataclass(frozen=True)
class Parameter:
    name: str
    unit: str
    label: str
    values: tuple[DatedValue, ...]
    measure: str | None = None  # for bracket scales
    defined_in: str = ""  # pack id that defined it (inheritance trace)

    def at(self, day: date) -> DatedValue | None:
        for v in self.values:
            if v.covers(day):
                return v
        return None


@dataclass(frozen=True)
class StaffingRule:
    id: str
    role: str
    applies_to: tuple[str, ...]
    parameter: str
    label: str
    measure: str | None = None  # bracket scales: which input; per-unit rules: None


@dataclass(frozen=True)
class PayRule:
    kind: str  # fixed_with_raise | minimum_wage_multiple
    params: dict[str, str]  # role in the rule → parameter name


@dataclass(frozen=True)
class Pack:
    id: str
    version: int
    title: str
    document_number: str | None
    cite_as: str
    issuer: str
    published: date
    effective_from: date
    effective_to: date | None
    jurisdiction: str
    inherits: str | None
    abstract: bool
    notes: str
    parameters: dict[str, Parameter]
    staffing: tuple[StaffingRule, ...]
    pay: PayRule | None
    source_file: str
    content_hash: str = ""
    lineage: tuple[str, ...] = field(default=())  # this pack, then its ancestors

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def param(self, name: str) -> Parameter:
        return self.parameters[name]

    def value(self, name: str, day: date) -> DatedValue | None:
        p = self.parameters.get(name)
        return p.at(day) if p else None
