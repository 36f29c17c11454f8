"""Procurement's rules as dated, cited data (data/*.pack.yaml, the kit's format), loaded at start-up.

Read them through `rules_at(app.state, division, on)`: the most specific pack in force answers, with
the clause each value comes from. Published local packs join them (jiuzhu_kit.rules.local)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from jiuzhu_kit.rules.book import RuleBook, RulesAt, state_book
from jiuzhu_kit.rules.loader import load_packs, read_dir
from jiuzhu_kit.rules.model import Pack
from jiuzhu_kit.rules.parse import Spec
from jiuzhu_procurement.catalogue.entries import parse_catalogue, parse_negative_list
from jiuzhu_procurement.roster.rules import parse_requirements
from jiuzhu_procurement.rulebook.units import (
    parse_exclusion_reasons,
    parse_fraction,
    parse_grade_scale,
    parse_grounds,
)

DATA_DIR = Path(__file__).parent / "data"
# Procurement adds its units (the catalogue of purchasable services, the negative list, a method's
# grounds, a fraction, a grade scale) and one bracket measure (a project's budget, for the panel's size).
#
# What a local pack may set, by level: a county's (or city's) own guidance catalogue per level
# (seed 004 四(二): 县级民政部门…制定具体的购买服务指导目录向社会公布); a province's or city's
# thresholds (set by the provincial government, 政府采购法 27). National law is never local.
SPEC = Spec(
    units={
        "catalogue": parse_catalogue,
        "negative_list": parse_negative_list,
        "grounds": parse_grounds,
        "fraction": parse_fraction,
        "grade_scale": parse_grade_scale,
        "recruitment": parse_requirements,
        "exclusion_reasons": parse_exclusion_reasons,
    },
    measures={"budget_yuan": "元"},
    local_parameters={
        "local_catalogue": frozenset({"county", "city"}),
        "open_tender_threshold": frozenset({"province", "city"}),
        "procurement_limit": frozenset({"province", "city"}),
        # A bureau's own ceiling on the price weight (the law sets only the floor, 87号令 55).
        "price_weight_max": frozenset({"province", "city", "county"}),
        # A purchaser's recruitment requirements for the workers it buys (灵政办发〔2018〕201号 五(五):
        # 年龄、学历、户籍等具体要求, set by the purchaser, not by the seed).
        "recruitment_requirements": frozenset({"province", "city", "county"}),
    },
)


def file_sources() -> list[tuple[str, Any]]:
    return read_dir(DATA_DIR)


@lru_cache(maxsize=1)
def default_book() -> RuleBook[Pack]:
    """The file packs alone (start-up, before the published local packs are read)."""
    return RuleBook(load_packs(DATA_DIR, SPEC))


def rules_at(app_state: Any, division: str, on: date) -> RulesAt:
    return state_book(app_state).at(division, on)
