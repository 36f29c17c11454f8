"""Who reads a compliance report (required vs actual caseworkers) and the summaries built from them:
the bureau, finance and audit whose jurisdiction covers the reporting division."""

from __future__ import annotations

from jiuzhu_kit.auth import Role
from jiuzhu_kit.errors import NotFound
from jiuzhu_kit.policy import ReadPolicy
from jiuzhu_staffing.compliance.models import ComplianceReport


class ReportNotFound(NotFound):
    code = "REPORT_NOT_FOUND"
    zh = "未找到该报告"
    en = "Report not found"


class CompliancePolicy(ReadPolicy[ComplianceReport]):
    aggregate = "compliance_report"
    not_found = ReportNotFound
    roles = frozenset({Role.BUREAU, Role.FINANCE, Role.AUDITOR})
    model = ComplianceReport


POLICY = CompliancePolicy()
