"""Indicator templates in and out: a tree of dimensions → indicators, weights in percent (Decimal)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from jiuzhu_evaluation.template import rules
from jiuzhu_kit.money import parse_decimal

# Percent / score: Decimal in, string out (never float), at most 2 places.
Percent = Annotated[
    Decimal,
    BeforeValidator(parse_decimal),  # bounded before the constraints compare (1E+999999999)
    Field(ge=0, le=100, max_digits=5, decimal_places=2),
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="always"),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,3}(\.\d{1,2})?$", "examples": ["30.00"]}),
]
Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
IndicatorType = Literal["likert", "threshold", "deduction", "count", "computed"]


class IndicatorIn(BaseModel):
    """评价指标 An indicator of a template."""

    model_config = ConfigDict(extra="forbid")

    key: Key
    name: str = Field(min_length=1, max_length=200)
    type: IndicatorType
    weight: Percent
    config: dict[str, Any] = Field(default_factory=dict)
    citation: str | None = Field(default=None, max_length=200)


class DimensionIn(BaseModel):
    """评价维度 A dimension of an indicator template and its indicators."""

    model_config = ConfigDict(extra="forbid")

    key: Key
    name: str = Field(min_length=1, max_length=200)
    weight: Percent
    citation: str | None = Field(default=None, max_length=200)
    indicators: list[IndicatorIn] = Field(min_length=1, max_length=50)


class GradeBandIn(BaseModel):
    """等级区间 A grade and its minimum score."""

    model_config = ConfigDict(extra="forbid")

    code: Key
    label: str = Field(min_length=1, max_length=20)
    min_score: Percent
    passed: bool

    def band(self) -> rules.GradeBand:
        return rules.GradeBand(self.code, self.label, self.min_score, self.passed)


class TemplateBody(BaseModel):
    """The versioned content of a template: validated as a whole."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    kind: Literal["project", "staff"] = "project"
    description: str | None = Field(default=None, max_length=2000)
    citation: str | None = Field(default=None, max_length=500)
    dimensions: list[DimensionIn] = Field(min_length=1, max_length=20)
    grade_bands: list[GradeBandIn] | None = Field(
        default=None,
        min_length=1,
        max_length=10,
        description="omitted: the grade bands in force today for the template's jurisdiction (rule grade_bands)",
    )

    @model_validator(mode="after")
    def _tree_rules(self) -> TemplateBody:
        problems: list[str] = []
        keys = [d.key for d in self.dimensions] + [i.key for d in self.dimensions for i in d.indicators]
        if len(set(keys)) != len(keys):
            problems.append("维度与指标的 key 须全局唯一")
        if p := rules.weights_problem(d.weight for d in self.dimensions):
            problems.append(f"维度: {p}")
        for d in self.dimensions:
            if p := rules.weights_problem(i.weight for i in d.indicators):
                problems.append(f"维度 {d.key} 的指标: {p}")
            for i in d.indicators:
                if p := rules.indicator_config_problem(i.type, i.config):
                    problems.append(f"指标 {i.key}: {p}")
        if self.grade_bands is not None:
            problems += rules.check_bands([b.band() for b in self.grade_bands])
        if problems:
            raise ValueError("; ".join(problems))
        return self


class TemplateIn(TemplateBody):
    """指标模板 An indicator template."""

    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{1,63}$")]


class TemplateOut(TemplateBody):
    """指标模板 An indicator template as recorded."""

    model_config = ConfigDict(from_attributes=True, extra="ignore")

    grade_bands: list[GradeBandIn] = Field(min_length=1, max_length=10)
    id: uuid.UUID
    code: str
    version: int
    builtin: bool
    owner_division: str | None
    created_by: str
    created_at: datetime
