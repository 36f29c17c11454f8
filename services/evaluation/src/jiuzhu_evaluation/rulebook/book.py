"""Evaluation's rules as dated, cited data (data/*.pack.yaml, the kit's format), loaded at start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jiuzhu_kit.rules.book import RuleBook
from jiuzhu_kit.rules.loader import load_packs
from jiuzhu_kit.rules.model import Pack
from jiuzhu_kit.rules.parse import Spec

DATA_DIR = Path(__file__).parent / "data"
SPEC = Spec()


@lru_cache(maxsize=1)
def default_book() -> RuleBook[Pack]:
    return RuleBook(load_packs(DATA_DIR, SPEC))
