"""The catalogue and the negative list as rule values (units `catalogue` and `negative_list` of the
procurement rule packs): each entry with the clauses it comes from, validated when a pack loads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jiuzhu_kit.rules.model import Citation
from jiuzhu_kit.rules.parse import Checker, citation

LEVELS = ("county", "township", "village")
CATEGORIES = ("administrative_support", "direct_service")
NEGATIVE_KINDS = ("form", "item")


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    name_zh: str
    name_en: str
    category: str
    levels: tuple[str, ...]
    citations: tuple[Citation, ...]

    @property
    def citation(self) -> str:
        return "; ".join(str(c) for c in self.citations)


@dataclass(frozen=True)
class NegativeEntry:
    code: str
    kind: str  # form: a purchase form; item: a catalogue-like item code
    name_zh: str
    name_en: str
    citations: tuple[Citation, ...]
    note: str | None = None

    @property
    def citation(self) -> str:
        return "; ".join(str(c) for c in self.citations)


def _text(raw: dict[str, Any], key: str, chk: Checker, where: str, limit: int = 200) -> str:
    v = raw.get(key)
    if not isinstance(v, str) or not v.strip() or len(v) > limit:
        chk.fail(f"{where}.{key}", f"应为 1–{limit} 字的文字")
        return ""
    return v


def _citations(raw: Any, chk: Checker, where: str) -> tuple[Citation, ...]:
    if not isinstance(raw, list) or not raw:
        chk.fail(where, "每一项须注明出处 citations: [{document, clause}]")
        return ()
    return tuple(citation(c, chk, f"{where}[{i}]") for i, c in enumerate(raw))


def _codes_unique(entries: list[Any], chk: Checker, where: str) -> None:
    seen: set[str] = set()
    for e in entries:
        if e.code in seen:
            chk.fail(where, f"编码 {e.code} 重复")
        seen.add(e.code)


def parse_catalogue(raw: Any, chk: Checker, where: str) -> tuple[CatalogueEntry, ...]:
    if not isinstance(raw, list):
        chk.fail(where, "目录应为条目列表")
        return ()
    out: list[CatalogueEntry] = []
    for i, item in enumerate(raw):
        w = f"{where}[{i}]"
        if not isinstance(item, dict):
            chk.fail(w, "条目应为对象")
            continue
        levels = item.get("levels")
        if not isinstance(levels, list) or not levels or any(lv not in LEVELS for lv in levels):
            chk.fail(f"{w}.levels", f"层级应为 {'/'.join(LEVELS)} 中的一个或多个")
            levels = []
        if item.get("category") not in CATEGORIES:
            chk.fail(f"{w}.category", f"类别应为 {'/'.join(CATEGORIES)}")
        out.append(
            CatalogueEntry(
                code=_text(item, "code", chk, w, 32),
                name_zh=_text(item, "name_zh", chk, w, 100),
                name_en=_text(item, "name_en", chk, w, 100),
                category=str(item.get("category")),
                levels=tuple(levels),
                citations=_citations(item.get("citations"), chk, f"{w}.citations"),
            )
        )
    _codes_unique(out, chk, where)
    return tuple(out)


def parse_negative_list(raw: Any, chk: Checker, where: str) -> tuple[NegativeEntry, ...]:
    if not isinstance(raw, list):
        chk.fail(where, "负面清单应为条目列表")
        return ()
    out: list[NegativeEntry] = []
    for i, item in enumerate(raw):
        w = f"{where}[{i}]"
        if not isinstance(item, dict):
            chk.fail(w, "条目应为对象")
            continue
        if item.get("kind") not in NEGATIVE_KINDS:
            chk.fail(f"{w}.kind", "应为 form（购买形式）或 item（事项）")
        out.append(
            NegativeEntry(
                code=_text(item, "code", chk, w, 64),
                kind=str(item.get("kind")),
                name_zh=_text(item, "name_zh", chk, w, 200),
                name_en=_text(item, "name_en", chk, w, 200),
                citations=_citations(item.get("citations"), chk, f"{w}.citations"),
                note=item.get("note"),
            )
        )
    _codes_unique(out, chk, where)
    return tuple(out)
