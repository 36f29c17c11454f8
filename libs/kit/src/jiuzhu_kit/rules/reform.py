"""Reforms: a what-if applies parameter changes to a pack for one calculation, as OpenFisca's reforms
do ("pay base 55,000 from 2027", "the township bracket at 250"). The changed value is cited as a
reform, not as law, and records the value and clause it replaces, so every explanation that uses it
names the override."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, TypeVar

from jiuzhu_kit.errors import FieldError, ValidationFailed
from jiuzhu_kit.rules.model import Bracket, Citation, DatedValue, Pack, Parameter
from jiuzhu_kit.rules.parse import Checker, Spec, check_brackets
from jiuzhu_kit.rules.snapshot import pack_hash, plain

REFORM = "reform"  # the document key of every reformed value (documents.yaml)
P = TypeVar("P", bound=Pack)


@dataclass(frozen=True)
class Change:
    parameter: str
    start: date
    value: Any = None  # a scalar in the parameter's unit, or
    brackets: list[dict[str, Any]] | None = None  # a whole new scale: [{range, value}, …]


def _described(v: DatedValue | None) -> str:
    if v is None:
        return "（原无取值）"
    shown = plain(v.value) if not v.brackets else "; ".join(f"{b.range_text}→{b.value}" for b in v.brackets)
    return f"{shown}（{v.citation}）"


def _parameter(
    p: Parameter, c: Change, spec: Spec, chk: Checker, where: str
) -> tuple[Parameter, dict[str, Any]]:
    parse = spec.unit_parser(p.unit)
    assert parse is not None  # the pack loaded, so its units are known
    replaced = p.at(c.start)
    brackets: tuple[Bracket, ...] = ()
    value: Any = None
    if c.brackets is not None:
        if p.measure is None:
            chk.fail(where, f"参数 {p.name} 不是档次参数，请给出 value")
        out: list[Bracket] = []
        for i, b in enumerate(c.brackets):
            try:
                lo, lo_inc, hi, hi_inc = Bracket.parse_range(str(b.get("range")))
            except ValueError as exc:
                chk.fail(f"{where}.brackets[{i}]", str(exc))
                continue
            val = parse(b.get("value"), chk, f"{where}.brackets[{i}].value")
            cit = Citation(REFORM, f"{p.name} {b.get('range')}")
            out.append(Bracket(lo, lo_inc, hi, hi_inc, val, str(b.get("range")), "what-if 假设的档次", cit))
        out.sort(key=lambda b: (b.lower, not b.lower_inclusive))
        check_brackets(out, chk, f"{where}.brackets")
        brackets = tuple(out)
        shown = "; ".join(f"{b.range_text}→{b.value}" for b in brackets)
    else:
        if p.measure is not None:
            chk.fail(where, f"参数 {p.name} 是档次参数，请给出 brackets")
        value = parse(c.value, chk, f"{where}.value")
        shown = str(plain(value))
    cite = Citation(REFORM, f"{p.name} 自 {c.start} 起为 {shown}，替代 {_described(replaced)}")
    new = DatedValue(
        c.start, None, cite, value, brackets, f"what-if：替代 {_described(replaced)}", verified=False
    )
    kept = [
        replace(v, end=min(v.end or c.start, c.start - timedelta(days=1)))
        for v in p.values
        if v.start < c.start
    ]
    applied = {
        "parameter": p.name,
        "label": p.label,
        "from": c.start.isoformat(),
        "value": shown,
        "replaces": _described(replaced),
    }
    return replace(p, values=(*kept, new)), applied


def apply(pack: P, changes: list[Change], spec: Spec) -> tuple[P, list[dict[str, Any]]]:
    """The pack with the changes applied (for one calculation; nothing is stored), and what changed."""
    if not changes:
        return pack, []
    chk = Checker("reform")
    params = dict(pack.parameters)
    applied: list[dict[str, Any]] = []
    for i, c in enumerate(changes):
        where = f"changes[{i}]"
        p = params.get(c.parameter)
        if p is None:
            chk.fail(where, f"规则包 {pack.ref} 没有参数 {c.parameter}")
            continue
        params[c.parameter], done = _parameter(p, c, spec, chk, where)
        applied.append(done)
    if chk.problems:
        raise ValidationFailed(
            [FieldError(pointer="#/changes", code="REFORM_INVALID", detail=p) for p in chk.problems]
        )
    reformed = replace(
        pack, parameters=params, id=f"{pack.id}+reform", lineage=(f"{pack.ref}+reform", *pack.lineage)
    )
    return replace(reformed, content_hash=pack_hash(reformed, spec)), applied
