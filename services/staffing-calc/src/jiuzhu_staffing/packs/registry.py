"""The packs loaded at start-up, and the choice of the pack in force for a division and date."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from fastapi import Request

from jiuzhu_kit import divisions
from jiuzhu_kit.errors import Conflict, NotFound
from jiuzhu_staffing.packs.model import Pack


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


class PackRegistry:
    def __init__(self, packs: list[Pack]) -> None:
        self._by_key = {(p.id, p.version): p for p in packs}
        self._latest: dict[str, Pack] = {}
        for p in packs:
            if p.id not in self._latest or p.version > self._latest[p.id].version:
                self._latest[p.id] = p
        self._cache: dict[tuple[str, date], Pack | None] = {}

    def latest(self) -> list[Pack]:
        return sorted(self._latest.values(), key=lambda p: (p.jurisdiction, p.id))

    def versions(self, pack_id: str) -> list[Pack]:
        return sorted((p for (i, _), p in self._by_key.items() if i == pack_id), key=lambda p: p.version)

    def get(self, ref: str) -> Pack:
        """`id` (latest version) or `id@version`."""
        pack_id, _, ver = ref.partition("@")
        pack = (
            self._by_key.get((pack_id, int(ver)))
            if ver.isascii() and ver.isdigit()  # int() would also read "١"
            else None
            if ver
            else self._latest.get(pack_id)
        )
        if pack is None:
            raise PackNotFound(pack=ref)
        return pack

    def in_force(self, division: str, on: date) -> Pack:
        """The most specific non-abstract pack covering `division` and in force on `on`."""
        key = (division[:6], on)
        if key not in self._cache:
            candidates = [
                p
                for p in self._latest.values()
                if not p.abstract and p.in_force(on) and divisions.covers(p.jurisdiction, division[:6])
            ]
            candidates.sort(
                key=lambda p: (len(divisions.prefix(p.jurisdiction)), p.effective_from, p.version)
            )
            self._cache[key] = candidates[-1] if candidates else None
        pack = self._cache[key]
        if pack is None:
            raise NoPackInForce(division=division, on=on.isoformat())
        return pack

    def choose(self, division: str, on: date, ref: str | None, *, any_jurisdiction: bool = False) -> Pack:
        """The pack asked for (checked to apply) or the one in force.

        `any_jurisdiction`: what-if and national comparisons may apply a pack outside its own
        jurisdiction ("what would Lingwu need under the Guangdong plan?"); the date still counts.
        """
        if ref is None:
            return self.in_force(division, on)
        pack = self.get(ref)
        outside = not divisions.covers(pack.jurisdiction, division[:6])
        if not pack.in_force(on) or (outside and not any_jurisdiction):
            raise PackNotApplicable(pack=ref, division=division, on=on.isoformat())
        return pack


@lru_cache(maxsize=1)
def default_registry() -> PackRegistry:
    from jiuzhu_staffing.packs.loader import load_packs

    return PackRegistry(load_packs())


def registry(request: Request) -> PackRegistry:
    reg = getattr(request.app.state, "packs", None)
    assert isinstance(reg, PackRegistry), "packs not loaded"
    return reg
