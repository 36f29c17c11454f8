"""The built-in indicator templates and the grade bands as rule values (units `indicator_templates`
and `grade_bands` of the evaluation rule packs), validated when a pack loads.

A built-in template is validated by the same rules as one a bureau submits (schemas.TemplateIn:
sibling weights summing to exactly 100, indicator types and their configs, bands without gap), and
cites its sources as registered documents (`citations: [{document, clause}]` at the template, and
optionally at a dimension or an indicator). A template without its own `grade_bands` grades by the
rule `grade_bands` in force on the day its dated value starts (`finish` checks that those bands do
not change while that value is in force: a change of bands needs new template versions).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from jiuzhu_evaluation.template import rules
from jiuzhu_evaluation.template.schemas import GradeBandIn, TemplateIn
from jiuzhu_kit.rules.model import Citation, DatedValue, Pack, Parameter
from jiuzhu_kit.rules.parse import Checker, citation

TEMPLATES = "indicator_templates"  # the rule naming the built-in templates in force
BANDS = "grade_bands"  # the rule naming the grade bands in force
NATIONAL = "000000"


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    type: str
    weight: Decimal
    config: Mapping[str, Any]
    citations: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class Dimension:
    key: str
    name: str
    weight: Decimal
    indicators: tuple[Indicator, ...]
    citations: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class BuiltinTemplate:
    """One version of a built-in template. `default`: the template of its kind the service takes
    when a caller names none (at most one per kind in a dated value)."""

    code: str
    version: int
    default: bool
    name: str
    kind: str
    description: str | None
    citations: tuple[Citation, ...]
    dimensions: tuple[Dimension, ...]
    grade_bands: tuple[rules.GradeBand, ...] | None = field(default=None)  # None: the rule's

    def body(self, bands: Sequence[rules.GradeBand] | None) -> dict[str, Any]:
        """The template as the API and the table hold it (schemas.TemplateIn), graded by its own
        bands or else `bands`; citations rendered in the one citation style."""
        own = self.grade_bands if self.grade_bands is not None else bands
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "citation": cite(self.citations),
            "dimensions": [
                {
                    "key": d.key,
                    "name": d.name,
                    "weight": d.weight,
                    "citation": cite(d.citations),
                    "indicators": [
                        {
                            "key": i.key,
                            "name": i.name,
                            "type": i.type,
                            "weight": i.weight,
                            "config": dict(i.config),
                            "citation": cite(i.citations),
                        }
                        for i in d.indicators
                    ],
                }
                for d in self.dimensions
            ],
            "grade_bands": None if own is None else [band_dict(b) for b in own],
        }


def cite(citations: Iterable[Citation]) -> str | None:
    return "; ".join(str(c) for c in citations) or None


def band_dict(b: rules.GradeBand) -> dict[str, Any]:
    return {"code": b.code, "label": b.label, "min_score": b.min_score, "passed": b.passed}


def _citations(raw: Any, chk: Checker, where: str) -> tuple[Citation, ...]:
    if not isinstance(raw, list) or not raw:
        chk.fail(where, "须注明出处 citations: [{document, clause}]")
        return ()
    return tuple(citation(c, chk, f"{where}[{i}]") for i, c in enumerate(raw))


def _floats(raw: Any, chk: Checker, where: str) -> None:
    if isinstance(raw, float):
        chk.fail(where, f"数值请写成字符串或整数以免浮点误差: {raw!r}")
    elif isinstance(raw, dict):
        for k, v in raw.items():
            _floats(v, chk, f"{where}.{k}")
    elif isinstance(raw, list):
        for i, v in enumerate(raw):
            _floats(v, chk, f"{where}[{i}]")


def _entry(raw: Any, chk: Checker, where: str, *, cited: bool) -> tuple[dict[str, Any], tuple[Citation, ...]]:
    """An entry (template, dimension, indicator) without its `citations`, and those citations."""
    if not isinstance(raw, dict):
        chk.fail(where, "应为对象")
        return {}, ()
    if "citation" in raw:
        chk.fail(f"{where}.citation", "出处请写成 citations: [{document, clause}]（文件须在登记表中）")
    cits = (
        _citations(raw.get("citations"), chk, f"{where}.citations") if cited or raw.get("citations") else ()
    )
    return {k: v for k, v in raw.items() if k not in ("citation", "citations")}, cits


def _bands(raw: Any, chk: Checker, where: str) -> tuple[rules.GradeBand, ...]:
    if not isinstance(raw, list) or not raw:
        chk.fail(where, "等级划分应为非空列表 [{code, label, min_score, passed}]")
        return ()
    _floats(raw, chk, where)
    out: list[rules.GradeBand] = []
    for i, b in enumerate(raw):
        try:
            band = GradeBandIn.model_validate(b).band()
            out.append(
                rules.GradeBand(band.code, band.label, band.min_score.quantize(rules.CENT), band.passed)
            )
        except ValidationError as exc:
            for e in exc.errors():
                chk.fail(f"{where}[{i}].{'.'.join(str(x) for x in e['loc'])}", e["msg"])
    if len(out) == len(raw):
        for p in rules.check_bands(out):
            chk.fail(where, p)
    return tuple(sorted(out, key=lambda b: b.min_score, reverse=True))


def parse_grade_bands(raw: Any, chk: Checker, where: str) -> tuple[rules.GradeBand, ...]:
    """Bands from 0 to 100: distinct minimums (inclusive), the lowest at 0, passing above failing."""
    return _bands(raw, chk, where)


def _template(raw: Any, chk: Checker, where: str) -> BuiltinTemplate | None:
    problems = len(chk.problems)
    entry, cits = _entry(raw, chk, where, cited=True)
    version = entry.pop("version", None)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        chk.fail(f"{where}.version", f"模板版本应为正整数: {version!r}")
    default = entry.pop("default", False)
    if not isinstance(default, bool):
        chk.fail(f"{where}.default", "应为 true 或 false")
    raw_bands = entry.pop("grade_bands", None)  # absent or null: the rule grade_bands
    own_bands = None if raw_bands is None else _bands(raw_bands, chk, f"{where}.grade_bands")
    _floats(entry, chk, where)
    dim_cits: list[tuple[Citation, ...]] = []
    ind_cits: list[list[tuple[Citation, ...]]] = []
    dims_raw = entry.get("dimensions")
    if isinstance(dims_raw, list):
        dims = []
        for j, d in enumerate(dims_raw):
            dw = f"{where}.dimensions[{j}]"
            dim, dc = _entry(d, chk, dw, cited=False)
            inds_raw, inds, ics = dim.get("indicators"), [], []
            for k, ind in enumerate(inds_raw if isinstance(inds_raw, list) else []):
                i, ic = _entry(ind, chk, f"{dw}.indicators[{k}]", cited=False)
                inds.append({**i, "citation": cite(ic)})
                ics.append(ic)
            dims.append(
                {**dim, "citation": cite(dc), "indicators": inds if isinstance(inds_raw, list) else inds_raw}
            )
            dim_cits.append(dc)
            ind_cits.append(ics)
        entry["dimensions"] = dims
    try:
        t = TemplateIn.model_validate({**entry, "citation": cite(cits)})
    except ValidationError as exc:
        for e in exc.errors():
            loc = ".".join(str(x) for x in e["loc"])
            chk.fail(f"{where}.{loc}" if loc else where, e["msg"])
        return None
    if len(chk.problems) > problems:
        return None
    return BuiltinTemplate(
        code=t.code,
        version=int(version),
        default=bool(default),
        name=t.name,
        kind=t.kind,
        description=t.description,
        citations=cits,
        dimensions=tuple(
            Dimension(
                key=d.key,
                name=d.name,
                weight=d.weight.quantize(rules.CENT),
                citations=dim_cits[j],
                indicators=tuple(
                    Indicator(
                        key=i.key,
                        name=i.name,
                        type=i.type,
                        weight=i.weight.quantize(rules.CENT),
                        config=dict(i.config),
                        citations=ind_cits[j][k],
                    )
                    for k, i in enumerate(d.indicators)
                ),
            )
            for j, d in enumerate(t.dimensions)
        ),
        grade_bands=own_bands,
    )


def parse_templates(raw: Any, chk: Checker, where: str) -> tuple[BuiltinTemplate, ...]:
    if not isinstance(raw, list) or not raw:
        chk.fail(where, "内置模板应为非空列表")
        return ()
    out = [t for i, item in enumerate(raw) if (t := _template(item, chk, f"{where}[{i}]")) is not None]
    codes = [t.code for t in out]
    for c in sorted({c for c in codes if codes.count(c) > 1}):
        chk.fail(where, f"模板代码 {c} 重复")
    for kind in ("project", "staff"):
        defaults = [t.code for t in out if t.default and t.kind == kind]
        if len(defaults) > 1:
            chk.fail(where, f"{kind} 类的默认模板只能有一个: {', '.join(defaults)}")
    return tuple(out)


def bands_on(param: Parameter | None, day: date) -> tuple[rules.GradeBand, ...] | None:
    v = param.at(day) if param else None
    return None if v is None else tuple(v.value)


def _overlaps(a: DatedValue, b: DatedValue) -> bool:
    return (a.end is None or b.start <= a.end) and (b.end is None or a.start <= b.end)


def finish(pack: Pack, problems: list[str]) -> Pack:
    """Across the two rules: the built-ins are national reference data (one row per code and
    version), each (code, version) means one content wherever it appears, and a template graded by
    the rule's bands sees one set of bands while its dated value is in force."""
    param = pack.parameters.get(TEMPLATES)
    if param is None or param.defined_in != pack.id:  # inherited: checked in the pack that set it
        return pack
    if pack.jurisdiction != NATIONAL:
        problems.append(
            f"{TEMPLATES}: 内置模板为全国参考数据，只能在全国规则包中设定（本地模板请经接口创建）"
        )
        return pack
    bands_param = pack.parameters.get(BANDS)
    seen: dict[tuple[str, int], tuple[date, dict[str, Any]]] = {}
    for v in param.values:
        shared = bands_on(bands_param, v.start)
        uses_rule = [t.code for t in v.value if t.grade_bands is None]
        if uses_rule and shared is None:
            problems.append(
                f"{TEMPLATES}: {v.start} 起的模板 {', '.join(uses_rule)} 未自带等级，且当日没有 {BANDS}"
            )
        if uses_rule and bands_param is not None:
            for b in bands_param.values:
                if _overlaps(v, b) and tuple(b.value) != shared:
                    problems.append(
                        f"{TEMPLATES}: {BANDS} 于 {b.start} 变更，而 {v.start} 起的模板 {', '.join(uses_rule)}"
                        f" 仍按原等级评定：请自 {b.start} 起发布模板新版本"
                    )
        for t in v.value:
            body = t.body(shared)
            first = seen.setdefault((t.code, t.version), (v.start, body))
            if first[1] != body:
                problems.append(
                    f"{TEMPLATES}: 模板 {t.code} 第 {t.version} 版在 {first[0]} 与 {v.start} 起的取值中内容不同"
                    "（版本不可变：内容变化须用新版本号）"
                )
    return pack
