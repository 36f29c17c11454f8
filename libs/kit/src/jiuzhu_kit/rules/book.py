"""The packs a service holds, and the choice of rules for a division on a date.

`book.at(division, on)` answers "what does the law say here, then": the most specific pack in force
covering the division (a county's over its city's over its province's over the national one), its
inherited values included. Each answer carries its citation and whether it was verified, so every
refusal and every number can name its clause.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from fastapi import Request

from jiuzhu_kit import divisions
from jiuzhu_kit.errors import Conflict, NotFound
from jiuzhu_kit.rules.model import Citation, DatedValue, Pack

P = TypeVar("P", bound=Pack)


class PackNotFound(NotFound):
    code = "PACK_NOT_FOUND"
    zh = "未找到规则包 {pack}"
    en = "Rule pack {pack} not found"


class NoPackInForce(Conflict):
    code = "NO_PACK_IN_FORCE"
    zh = "{division} 在 {on} 没有生效的规则包"
    en = "No rule pack is in force for {division} on {on}"


class PackNotApplicable(Conflict):
    code = "PACK_NOT_APPLICABLE"
    zh = "规则包 {pack} 不适用于 {division} 在 {on} 的测算（辖区或生效期不符）"
    en = "Rule pack {pack} does not apply to {division} on {on} (jurisdiction or effective dates)"


class RuleNotInForce(Conflict):
    code = "RULE_NOT_IN_FORCE"
    zh = "{division} 在 {on} 没有生效的规则 {rule}"
    en = "No rule {rule} is in force for {division} on {on}"


@dataclass(frozen=True)
class Rule:
    """One rule's answer: its value on the day asked, where it comes from, whether it was verified."""

    name: str
    label: str
    unit: str
    value: Any
    citation: Citation
    verified: bool
    pack: str  # id@version that supplied it
    dated: DatedValue

    @property
    def cite(self) -> str:
        return str(self.citation) + ("" if self.verified else "（未核实）")


@dataclass(frozen=True)
class RulesAt:
    """The rules in force for one division on one day (book.at)."""

    division: str
    on: date
    pack: Pack

    def get(self, name: str) -> Rule | None:
        p = self.pack.parameters.get(name)
        v = p.at(self.on) if p else None
        if p is None or v is None:
            return None
        return Rule(name, p.label, p.unit, v.value, v.citation, v.verified, self.pack.ref, v)

    def rule(self, name: str) -> Rule:
        r = self.get(name)
        if r is None:
            raise RuleNotInForce(rule=name, division=self.division, on=self.on.isoformat())
        return r

    def value(self, name: str) -> Any:
        return self.rule(name).value


class RuleBook(Generic[P]):
    def __init__(self, packs: Iterable[P]) -> None:
        self.packs = [p for p in packs if p.status == "published"]
        self._by_key = {(p.id, p.version): p for p in self.packs}
        self._latest: dict[str, P] = {}
        for p in self.packs:
            if p.id not in self._latest or p.version > self._latest[p.id].version:
                self._latest[p.id] = p
        # (division, day) → pack: a pure function of this book (a new book replaces it when local packs
        # change), so no expiry; bounded, as callers choose both (any day, ≈3,000 counties).
        self._cache: dict[tuple[str, date], P | None] = {}

    CACHE_MAX = 65_536

    def latest(self) -> list[P]:
        return sorted(self._latest.values(), key=lambda p: (p.jurisdiction, p.id))

    def versions(self, pack_id: str) -> list[P]:
        return sorted((p for (i, _), p in self._by_key.items() if i == pack_id), key=lambda p: p.version)

    def get(self, ref: str) -> P:
        """`id` (latest version) or `id@version`."""
        pack_id, _, ver = ref.partition("@")
        if ver:
            pack = (
                self._by_key.get((pack_id, int(ver))) if ver.isascii() and ver.isdigit() else None
            )  # int() reads "١" too
        else:
            pack = self._latest.get(pack_id)
        if pack is None:
            raise PackNotFound(pack=ref)
        return pack

    def find(self, division: str, on: date) -> P | None:
        """The most specific non-abstract pack covering `division` and in force on `on`."""
        key = (division, on)
        if key not in self._cache:
            candidates = [
                p
                for p in self._latest.values()
                if not p.abstract and p.in_force(on) and divisions.covers(p.jurisdiction, division)
            ]
            candidates.sort(
                key=lambda p: (len(divisions.prefix(p.jurisdiction)), p.effective_from, p.version)
            )
            if len(self._cache) >= self.CACHE_MAX:
                self._cache.clear()
            self._cache[key] = candidates[-1] if candidates else None
        return self._cache[key]

    def in_force(self, division: str, on: date) -> P:
        pack = self.find(division, on)
        if pack is None:
            raise NoPackInForce(division=division, on=on.isoformat())
        return pack

    def at(self, division: str, on: date) -> RulesAt:
        return RulesAt(division, on, self.in_force(division, on))

    def choose(self, division: str, on: date, ref: str | None, *, any_jurisdiction: bool = False) -> P:
        """The pack asked for (checked to apply) or the one in force. `any_jurisdiction`: what-if
        comparisons may apply a pack outside its own jurisdiction; the date still counts."""
        if ref is None:
            return self.in_force(division, on)
        pack = self.get(ref)
        outside = not divisions.covers(pack.jurisdiction, division)
        if not pack.in_force(on) or (outside and not any_jurisdiction):
            raise PackNotApplicable(pack=ref, division=division, on=on.isoformat())
        return pack


def state_book(state: Any) -> RuleBook[Any]:
    """A service's rule book, set on its app state (`rules`) at start-up and rebuilt when a local
    pack is published."""
    b = getattr(state, "rules", None)
    assert isinstance(b, RuleBook), "rules not loaded"
    return b


def book_of(request: Request) -> RuleBook[Any]:
    return state_book(request.app.state)
