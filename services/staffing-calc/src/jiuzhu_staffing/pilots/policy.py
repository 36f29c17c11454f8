"""Who reads a province's pilot designation and its history: the bureau, finance and audit whose
jurisdiction covers the province (as the pilots check)."""

from __future__ import annotations

from jiuzhu_kit.auth import Role
from jiuzhu_kit.errors import NotFound
from jiuzhu_kit.policy import ReadPolicy
from jiuzhu_staffing.pilots.models import PilotDesignation


class PilotsNotFound(NotFound):
    code = "PILOTS_NOT_FOUND"
    zh = "未找到试点名单"
    en = "Pilot list not found"


class PilotPolicy(ReadPolicy[PilotDesignation]):
    aggregate = "pilot_designation"
    not_found = PilotsNotFound
    division_attr = "province_code"
    roles = frozenset({Role.BUREAU, Role.FINANCE, Role.AUDITOR})
    model = PilotDesignation


POLICY = PilotPolicy()
