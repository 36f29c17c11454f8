"""The aggregates of the changes feed and webhooks (GET /changes): every committed change of staffing's aggregates (jiuzhu_kit.feed), each decided by
its aggregate's read policy. Pilot designations have no read policy of their own yet: not in it."""

from __future__ import annotations

from jiuzhu_kit.feed import Source, by_id
from jiuzhu_staffing.compliance.models import ComplianceReport
from jiuzhu_staffing.compliance.policy import POLICY as COMPLIANCE
from jiuzhu_staffing.scenario.models import Scenario
from jiuzhu_staffing.scenario.policy import POLICY as SCENARIO

SOURCES = {
    "scenario": Source(SCENARIO, by_id(Scenario)),
    "compliance_report": Source(COMPLIANCE, by_id(ComplianceReport)),
}
