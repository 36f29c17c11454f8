"""Who reads staff assessments (the people a contract bought): the purchaser's side in the
assessment's jurisdiction (bureau, township, finance, auditor)."""

from __future__ import annotations

from jiuzhu_evaluation.staff.models import StaffAssessment
from jiuzhu_kit.auth import Role
from jiuzhu_kit.errors import NotFound
from jiuzhu_kit.policy import ReadPolicy


class NoAssessments(NotFound):
    code = "STAFF_ASSESSMENTS_NOT_FOUND"
    zh = "未找到该人员的考核结果"
    en = "No assessments found for this staff member"


class StaffAssessmentPolicy(ReadPolicy[StaffAssessment]):
    aggregate = "staff_assessment"
    not_found = NoAssessments
    roles = frozenset({Role.BUREAU, Role.TOWNSHIP, Role.FINANCE, Role.AUDITOR})
    model = StaffAssessment


POLICY = StaffAssessmentPolicy()
