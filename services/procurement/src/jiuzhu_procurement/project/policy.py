"""Who reads a project, its bids, ranking, challenges and history: the purchaser's side in its
jurisdiction (bureau, township, finance, auditor; admin). Contractors, evaluators and portals read
what the law makes public through the disclosure routes, never the purchaser's file."""

from __future__ import annotations

from jiuzhu_kit.auth import Role
from jiuzhu_kit.errors import NotFound
from jiuzhu_kit.policy import ReadPolicy
from jiuzhu_procurement.project.models import Project

READERS = frozenset({Role.BUREAU, Role.TOWNSHIP, Role.FINANCE, Role.AUDITOR})


class ProjectNotFound(NotFound):
    code = "PROJECT_NOT_FOUND"
    zh = "未找到该采购项目"
    en = "Project not found"


class ProjectPolicy(ReadPolicy[Project]):
    aggregate = "project"
    not_found = ProjectNotFound
    roles = READERS
    model = Project


POLICY = ProjectPolicy()
