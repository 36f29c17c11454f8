"""Who reads the expert pools and the draws.

A pool is managed by the bureau and the finance bureau covering its jurisdiction (and admin): they
register experts, record their declared conflicts and deactivate them, and they alone see an
expert's name in full. Every other reader — the auditor, a county purchaser drawing from a
provincial pool, the public — sees it masked (个人信息保护法 28); the declared conflicts, whose notes
may name people, are the managers' only.

A draw is part of its project's file: whoever may read the project (project/policy.py) reads it;
its public record (`/public/projects/{id}/expert-draw`) holds no name at all, only ids, hashes,
seeds and reasons.
"""

from __future__ import annotations

from jiuzhu_kit.auth import Principal, Role
from jiuzhu_kit.errors import NotFound
from jiuzhu_kit.masking import mask_name
from jiuzhu_kit.policy import FULL, ReadPolicy, View
from jiuzhu_procurement.expert.models import Expert

AGGREGATE = "expert"
MANAGERS = frozenset({Role.BUREAU, Role.FINANCE})
READERS = MANAGERS | {Role.AUDITOR}
MASKED = View(masked={"name": mask_name}, hidden=frozenset({"conflicts"}))


class ExpertNotFound(NotFound):
    code = "EXPERT_NOT_FOUND"
    zh = "未找到该评审专家"
    en = "Expert not found"


class ExpertDrawNotFound(NotFound):
    code = "EXPERT_DRAW_NOT_FOUND"
    zh = "该项目本轮尚未承诺抽取评审专家"
    en = "No expert draw is committed for this project's round"


def manages(principal: Principal | None, pool_division: str) -> bool:
    """A manager of the pool: bureau or finance covering its jurisdiction, or admin."""
    return principal is not None and (
        principal.has(Role.ADMIN) or (principal.has(*MANAGERS) and principal.covers(pool_division))
    )


def name_for(principal: Principal | None, pool_division: str, name: str) -> str:
    return name if manages(principal, pool_division) else mask_name(name) or ""


class ExpertPolicy(ReadPolicy[Expert]):
    aggregate = AGGREGATE
    not_found = ExpertNotFound
    roles = READERS
    division_attr = "pool_division"
    model = Expert

    def view(self, principal: Principal | None, row: Expert) -> View:
        return FULL if manages(principal, row.pool_division) else MASKED


POLICY = ExpertPolicy()
