"""Staffing's pack files (data/*.pack.yaml), loaded by the kit's loader with staffing's Spec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jiuzhu_kit.rules import loader as kit_loader
from jiuzhu_staffing.packs.model import Pack
from jiuzhu_staffing.packs.parse import SPEC, PackError

__all__ = ["DATA_DIR", "PackError", "load_from", "load_packs", "pack_hash"]

DATA_DIR = Path(__file__).parent / "data"


def _staffing(packs: list[Any]) -> list[Pack]:
    return [p for p in packs if isinstance(p, Pack)]


def load_packs(directory: Path = DATA_DIR, extra: list[tuple[str, Any]] | None = None) -> list[Pack]:
    """Every pack file (`*.pack.yaml`) in `directory`, validated and resolved; or PackError."""
    return _staffing(kit_loader.load_packs(directory, SPEC, extra))


def load_from(sources: list[tuple[str, Any]]) -> list[Pack]:
    return _staffing(kit_loader.load_from(sources, SPEC))


def pack_hash(pack: Pack) -> str:
    return kit_loader.pack_hash(pack, SPEC)
