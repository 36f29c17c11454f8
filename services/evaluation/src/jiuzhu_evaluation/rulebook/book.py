"""Evaluation's rules as dated, cited data (data/*.pack.yaml, the kit's format), loaded at start-up.

Besides the kit's units, evaluation adds three: `grade_bands` (the 优秀/良好/合格/不合格 bands) and
`indicator_templates` (the built-in templates, versioned), both parsed in template/entries.py, and
`evaluations_per_year` (1 or 2, the periods a round can be opened for; schedule/periods.py).
Read them through `book.at(division, on).rule(name)`: the most specific pack in force answers, with
the clause each value comes from."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jiuzhu_evaluation.schedule.periods import parse_per_year
from jiuzhu_evaluation.template.entries import finish, parse_grade_bands, parse_templates
from jiuzhu_kit.rules.book import RuleBook
from jiuzhu_kit.rules.loader import load_packs, read_dir
from jiuzhu_kit.rules.model import Pack
from jiuzhu_kit.rules.parse import Spec

DATA_DIR = Path(__file__).parent / "data"
SPEC = Spec(
    units={
        "grade_bands": parse_grade_bands,
        "indicator_templates": parse_templates,
        "evaluations_per_year": parse_per_year,
    },
    finish=finish,
)


def file_sources() -> list[tuple[str, Any]]:
    return read_dir(DATA_DIR)


@lru_cache(maxsize=1)
def default_book() -> RuleBook[Pack]:
    return RuleBook(load_packs(DATA_DIR, SPEC))
