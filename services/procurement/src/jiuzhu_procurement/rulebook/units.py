"""Procurement's own rule units besides the catalogue's: a method's legal grounds and a fraction
(the experts' share of a panel is 2/3, which no decimal holds exactly)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from jiuzhu_kit.rules.model import Citation
from jiuzhu_kit.rules.parse import Checker, citation


@dataclass(frozen=True)
class Ground:
    """One legal ground for using a method, with the clause that allows it."""

    key: str
    citation: Citation


def parse_grounds(raw: Any, chk: Checker, where: str) -> tuple[Ground, ...]:
    if not isinstance(raw, list) or not raw:
        chk.fail(where, "适用情形应为非空列表 [{key, citation}]")
        return ()
    out: list[Ground] = []
    for i, item in enumerate(raw):
        w = f"{where}[{i}]"
        key = item.get("key") if isinstance(item, dict) else None
        if not isinstance(key, str) or not key.isascii() or not key.replace("_", "").isalnum():
            chk.fail(f"{w}.key", "应为英文标识（字母、数字、下划线）")
            continue
        out.append(Ground(key, citation(item.get("citation"), chk, f"{w}.citation")))
    if len({g.key for g in out}) != len(out):
        chk.fail(where, "适用情形重复")
    return tuple(out)


def parse_fraction(raw: Any, chk: Checker, where: str) -> Fraction:
    """A fraction "a/b" with 0 ≤ a ≤ b, b > 0 (written as text, like every decimal in a pack)."""
    num, slash, den = str(raw).partition("/")
    if not (
        isinstance(raw, str) and slash and num.isascii() and num.isdigit() and den.isascii() and den.isdigit()
    ):
        chk.fail(where, f'比例应写成 "分子/分母"，如 "2/3": {raw!r}')
        return Fraction(0)
    if int(den) == 0 or int(num) > int(den):
        chk.fail(where, f"比例应在 0 与 1 之间: {raw!r}")
        return Fraction(0)
    return Fraction(int(num), int(den))
