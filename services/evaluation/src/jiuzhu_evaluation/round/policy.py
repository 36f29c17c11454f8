"""Who reads an evaluation round and its history.

A round is read by whoever reads what the purchase produced (round/access.py `can_read`: oversight
in jurisdiction, the contractor itself, townships and portals under the purchaser, the named third
party); its history, which carries every party's score sheet, only by the oversight roles."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_

from jiuzhu_evaluation.round import access
from jiuzhu_evaluation.round.models import EvaluationRound, RoundStatus
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.errors import NotFound
from jiuzhu_kit.policy import ReadPolicy


class RoundNotFound(NotFound):
    code = "ROUND_NOT_FOUND"
    zh = "未找到该评价轮次"
    en = "Evaluation round not found"


class RoundPolicy(ReadPolicy[EvaluationRound]):
    aggregate = "evaluation_round"
    not_found = RoundNotFound
    division_attr = "purchaser_division"
    roles = None
    history_roles = frozenset(access.OVERSIGHT)

    def narrow(self, principal: Principal, stmt: Select[Any]) -> Select[Any]:
        self.ensure_role(principal)
        return stmt.where(access.round_readers(principal))

    def may_read(self, principal: Principal, row: EvaluationRound) -> bool:
        return access.can_read(principal, row)

    def published(self) -> ColumnElement[bool]:
        """What the public reads (seeds 000 四(四), 001 一(六): results are published to society):
        rounds published (公示), also while an appeal runs; only their published view."""
        return and_(
            EvaluationRound.published_at.is_not(None),
            EvaluationRound.result.is_not(None),
            EvaluationRound.status.in_((RoundStatus.PUBLISHED.value, RoundStatus.APPEALED.value)),
        )


POLICY = RoundPolicy()
