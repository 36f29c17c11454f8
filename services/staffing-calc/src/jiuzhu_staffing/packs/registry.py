"""The packs loaded at start-up, and the choice of the pack in force for a division and date
(the kit's RuleBook; its refusals keep their codes)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from fastapi import Request

from jiuzhu_kit.rules.book import NoPackInForce as NoPackInForce
from jiuzhu_kit.rules.book import PackNotApplicable as PackNotApplicable
from jiuzhu_kit.rules.book import PackNotFound as PackNotFound
from jiuzhu_kit.rules.book import RuleBook
from jiuzhu_staffing.packs.model import Pack


class PackRegistry(RuleBook[Pack]):
    """Staffing's rule book: a township is judged by its county's pack (the packs are county-level)."""

    def in_force(self, division: str, on: date) -> Pack:
        return super().in_force(division[:6], on)

    def choose(self, division: str, on: date, ref: str | None, *, any_jurisdiction: bool = False) -> Pack:
        return super().choose(division[:6], on, ref, any_jurisdiction=any_jurisdiction)


@lru_cache(maxsize=1)
def default_registry() -> PackRegistry:
    from jiuzhu_staffing.packs.loader import load_packs

    return PackRegistry(load_packs())


def registry(request: Request) -> PackRegistry:
    reg = getattr(request.app.state, "packs", None)
    assert isinstance(reg, PackRegistry), "packs not loaded"
    return reg
