"""The aggregates of the changes feed and webhooks (GET /changes): every committed change of evaluation's aggregates (jiuzhu_kit.feed), each decided
by its aggregate's read policy."""

from __future__ import annotations

from jiuzhu_evaluation.round.models import EvaluationRound
from jiuzhu_evaluation.round.policy import POLICY as ROUND
from jiuzhu_evaluation.staff.models import StaffAssessment
from jiuzhu_evaluation.staff.policy import POLICY as STAFF
from jiuzhu_evaluation.survey.models import Survey
from jiuzhu_evaluation.survey.policy import POLICY as SURVEY
from jiuzhu_evaluation.template.models import IndicatorTemplate
from jiuzhu_evaluation.template.policy import POLICY as TEMPLATE
from jiuzhu_kit.feed import Source, by_column, by_id

SOURCES = {
    "evaluation_round": Source(ROUND, by_id(EvaluationRound)),
    "survey": Source(SURVEY, by_id(Survey)),
    "staff_assessment": Source(STAFF, by_id(StaffAssessment)),
    "indicator_template": Source(TEMPLATE, by_column(IndicatorTemplate, "code")),  # keyed by code
}
