"""Rules as data: dated, cited parameter values in packs that apply to a jurisdiction.

A pack is what one document (or one jurisdiction's reading of several) says in numbers: each
parameter holds values, each valid from a date (to the day before the next one starts), each with
the document and clause it comes from and whether it was checked against the text. Packs inherit
downwards (national → province → city → county). Loaded packs are immutable; services read them
through a `RuleBook` (book.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Citation:
    """`document` is a key of the document registry (documents.yaml); `str()` renders it the one
    citation style: the document's number, or its title where it has none, then the clause."""

    document: str
    clause: str

    def __str__(self) -> str:
        from jiuzhu_kit.rules.documents import cite_as

        return f"{cite_as(self.document)} {self.clause}"


_RANGE = re.compile(r"^\s*([\[(])\s*(\d+)\s*,\s*(\d+|inf)\s*([\])])\s*$")


@dataclass(frozen=True)
class Bracket:
    """One bracket of a scale: bounds each inclusive or exclusive (民法典 1259: 以上/以下 include the
    number, 不满/超过 exclude it), the value it maps to, and the phrase it encodes with its reading."""

    lower: int
    lower_inclusive: bool
    upper: int | None  # None = no upper bound
    upper_inclusive: bool
    value: Any
    phrase: str
    reading: str
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
    value: Any = None  # Decimal | int | date | dict | list, by the parameter's unit
    brackets: tuple[Bracket, ...] = ()
    note: str | None = None
    verified: bool = True  # False: not yet checked against the document's text

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
    measure: str | None = None  # for bracket scales: what the scale is measured in
    defined_in: str = ""  # the pack that defined it (inheritance trace)

    def at(self, day: date) -> DatedValue | None:
        for v in self.values:
            if v.covers(day):
                return v
        return None


@dataclass(frozen=True)
class Pack:
    """One pack, resolved: its own parameters over those it inherits. `sections` holds what a
    service adds to the format (staffing rules, pay rules…), parsed by the service's `Spec`."""

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
    parameters: Mapping[str, Parameter]
    source_file: str
    sections: Mapping[str, Any] = field(default_factory=dict)
    content_hash: str = ""
    lineage: tuple[str, ...] = ()  # this pack, then its ancestors
    status: str = "published"  # a locally submitted pack is a `draft` until reviewed

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
