"""Who reads a saved scenario and its history: the bureau, finance and audit in its jurisdiction."""

from __future__ import annotations

from jiuzhu_kit.auth import Role
from jiuzhu_kit.errors import NotFound
from jiuzhu_kit.policy import ReadPolicy
from jiuzhu_staffing.scenario.models import Scenario


class ScenarioNotFound(NotFound):
    code = "SCENARIO_NOT_FOUND"
    zh = "未找到该测算方案"
    en = "Scenario not found"


class ScenarioPolicy(ReadPolicy[Scenario]):
    aggregate = "scenario"
    not_found = ScenarioNotFound
    roles = frozenset({Role.BUREAU, Role.FINANCE, Role.AUDITOR})
    model = Scenario


POLICY = ScenarioPolicy()
