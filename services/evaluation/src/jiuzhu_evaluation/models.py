"""Every table of the `evaluation` schema, imported so alembic sees the whole metadata."""

from jiuzhu_evaluation.db import Base, kit, metadata
from jiuzhu_evaluation.round.models import Appeal, EvaluationRound, PartyScore
from jiuzhu_evaluation.staff.models import StaffAssessment
from jiuzhu_evaluation.survey.models import Survey, SurveyAnswer, SurveyCode, SurveyResponse
from jiuzhu_evaluation.template.models import IndicatorTemplate

__all__ = [
    "Appeal",
    "Base",
    "EvaluationRound",
    "IndicatorTemplate",
    "PartyScore",
    "StaffAssessment",
    "Survey",
    "SurveyAnswer",
    "SurveyCode",
    "SurveyResponse",
    "kit",
    "metadata",
]
