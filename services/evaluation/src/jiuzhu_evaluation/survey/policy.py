"""Who reads a recipient survey and its results: whoever reads what the purchase produced (round/
access.py `reads_purchase`). The contractor sees aggregates only: no route returns a single
response or code."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select

from jiuzhu_evaluation.round import access
from jiuzhu_evaluation.survey.models import Survey
from jiuzhu_kit.auth import Principal
from jiuzhu_kit.errors import NotFound
from jiuzhu_kit.policy import ReadPolicy


class SurveyNotFound(NotFound):
    code = "SURVEY_NOT_FOUND"
    zh = "未找到该问卷"
    en = "Survey not found"


class SurveyPolicy(ReadPolicy[Survey]):
    aggregate = "survey"
    not_found = SurveyNotFound
    division_attr = "purchaser_division"
    roles = None

    def narrow(self, principal: Principal, stmt: Select[Any]) -> Select[Any]:
        self.ensure_role(principal)
        return stmt.where(
            access.purchase_readers(principal, Survey.purchaser_division, Survey.contractor_uscc)
        )

    def may_read(self, principal: Principal, row: Survey) -> bool:
        return access.reads_purchase(principal, row.purchaser_division, row.contractor_uscc)


POLICY = SurveyPolicy()
