"""Every golden case stored next to the packs reproduces the seeds' numbers."""

from __future__ import annotations

from typing import Any

import pytest

from jiuzhu_staffing.packs.golden import golden_files, load_cases, run_case
from jiuzhu_staffing.packs.registry import default_registry

CASES = [(pid, case) for f in golden_files() for pid, cases in [load_cases(f)] for case in cases]


def test_every_pack_has_golden_cases() -> None:
    packs = {p.id for p in default_registry().latest() if not p.abstract}
    assert packs <= {pid for pid, _ in CASES}


@pytest.mark.parametrize(("pack_id", "case"), CASES, ids=[f"{p}:{c['name']}" for p, c in CASES])
def test_golden(pack_id: str, case: dict[str, Any]) -> None:
    assert run_case(default_registry(), pack_id, case) == []


def test_golden_runner_can_fail() -> None:
    """A wrong expectation is reported (the golden runner is not vacuous)."""
    case = {
        "name": "wrong",
        "kind": "bracket",
        "parameter": "county_caseworkers",
        "at": "2019-06-01",
        "input": 3000,
        "expect": 4,
    }
    assert run_case(default_registry(), "gd-city-plan", case) == ["wrong: value: got 2, want 4"]
