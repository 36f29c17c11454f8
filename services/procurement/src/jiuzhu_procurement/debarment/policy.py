"""Who reads a debarment case: the reporting division's side and the contractor concerned; its
effect is published (disclosure routes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, or_

from jiuzhu_kit.auth import Principal, Role
from jiuzhu_kit.errors import NotFound
from jiuzhu_kit.policy import ReadPolicy, in_jurisdiction
from jiuzhu_procurement.debarment.models import Debarment


class DebarmentNotFound(NotFound):
    code = "DEBARMENT_NOT_FOUND"
    zh = "未找到该禁止参加政府采购案件"
    en = "Debarment case not found"


class DebarmentPolicy(ReadPolicy[Debarment]):
    aggregate = "debarment"
    not_found = DebarmentNotFound
    roles = None

    def narrow(self, principal: Principal, stmt: Select[Any]) -> Select[Any]:
        """`may_read` in SQL: the contractor concerned its own cases; the reporting side in its
        jurisdiction."""
        self.ensure_role(principal)
        conds = []
        if principal.has(Role.CONTRACTOR) and principal.org:
            conds.append(Debarment.uscc == principal.org)
        if not principal.has(Role.CONTRACTOR) or principal.has(Role.BUREAU, Role.FINANCE):
            conds.append(in_jurisdiction(Debarment.division_code, principal))
        return stmt.where(or_(*conds) if conds else false())

    def may_read(self, principal: Principal, row: Debarment) -> bool:
        concerned = principal.has(Role.CONTRACTOR) and principal.org == row.uscc
        if principal.has(Role.CONTRACTOR) and not principal.has(Role.BUREAU, Role.FINANCE):
            return concerned
        return concerned or principal.covers(row.division_code)


POLICY = DebarmentPolicy()
