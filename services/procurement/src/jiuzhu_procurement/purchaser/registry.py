"""The purchaser of a division, from the registry (data/purchasers.yaml), else named from its code."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from jiuzhu_kit import divisions

_DATA = Path(__file__).parent / "data" / "purchasers.yaml"


@dataclass(frozen=True)
class Purchaser:
    division_code: str
    name: str
    region: str | None = None
    locality: str | None = None
    contact_name: str | None = None
    registered: bool = False  # in the registry (else named from the division code)


@cache
def _registry() -> dict[str, Purchaser]:
    raw: dict[str, Any] = yaml.safe_load(_DATA.read_text(encoding="utf-8"))["purchasers"]
    return {
        str(code): Purchaser(
            division_code=str(code),
            name=entry["name"],
            region=(entry.get("address") or {}).get("region"),
            locality=(entry.get("address") or {}).get("locality"),
            contact_name=(entry.get("contact") or {}).get("name"),
            registered=True,
        )
        for code, entry in raw.items()
    }


def registered(division: str) -> Purchaser | None:
    """The purchaser the registry names for `division`, or None."""
    return _registry().get(division)


def purchaser_of(division: str) -> Purchaser:
    """The registered purchaser of `division`; otherwise the body its level implies, by code (the
    township for a township purchase, the civil-affairs department above it)."""
    found = _registry().get(division)
    if found is not None:
        return found
    if divisions.level(division) in ("township", "village"):
        return Purchaser(division, f"乡镇人民政府（街道办事处），行政区划代码 {division}")
    return Purchaser(division, f"民政部门，行政区划代码 {division}")
