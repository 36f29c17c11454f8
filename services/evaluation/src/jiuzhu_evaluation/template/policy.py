"""Who reads indicator templates and their history: every token (they are the published yardstick
every party is evaluated by)."""

from __future__ import annotations

from jiuzhu_evaluation.template.models import IndicatorTemplate
from jiuzhu_kit.errors import NotFound
from jiuzhu_kit.policy import ReadPolicy


class TemplateNotFound(NotFound):
    code = "TEMPLATE_NOT_FOUND"
    zh = "未找到该指标模板"
    en = "Indicator template not found"


class TemplatePolicy(ReadPolicy[IndicatorTemplate]):
    aggregate = "indicator_template"
    not_found = TemplateNotFound
    roles = None

    def may_read(self, principal: object, row: IndicatorTemplate) -> bool:
        return True


POLICY = TemplatePolicy()
