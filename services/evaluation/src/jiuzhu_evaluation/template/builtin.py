"""The built-in indicator templates: the national rule pack's `indicator_templates` (rulebook/data,
dated and cited, with the `grade_bands` they grade by), kept as reference rows with stable ids.

A migration inserts the rows it names (`rows`), read from the pack files themselves rather than a
running service's book, so a migration seeds what the files say. The service takes a template by
date only where the caller names none: `default_in_force` is the template of a kind that the rules
in force for a division on a day mark `default`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from jiuzhu_evaluation.rulebook.book import DATA_DIR, SPEC
from jiuzhu_evaluation.template.entries import BANDS, TEMPLATES, BuiltinTemplate, bands_on
from jiuzhu_evaluation.template.schemas import TemplateIn
from jiuzhu_kit.rules.book import RuleNotInForce, RulesAt
from jiuzhu_kit.rules.loader import load_from, read_dir
from jiuzhu_kit.rules.model import Pack


def builtin_id(code: str, version: int = 1) -> uuid.UUID:
    """Stable ids of the seeded built-ins, so other services and tests can name them."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"jiuzhu:indicator_template:{code}:{version}")


def builtins(packs: Iterable[Pack]) -> dict[tuple[str, int], TemplateIn]:
    """Every (code, version) the packs that set `indicator_templates` name, as the API holds a
    template: graded by its own bands or by `grade_bands` on the day its dated value starts."""
    out: dict[tuple[str, int], TemplateIn] = {}
    for pack in packs:
        param = pack.parameters.get(TEMPLATES)
        if param is None or param.defined_in != pack.id:
            continue
        for v in param.values:
            shared = bands_on(pack.parameters.get(BANDS), v.start)
            for t in v.value:
                out.setdefault((t.code, t.version), TemplateIn.model_validate(t.body(shared)))
    return out


def rows(
    keys: Iterable[tuple[str, int]], sources: list[tuple[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The reference rows of the built-ins `keys` ((code, version)), from the pack files (or
    `sources`); a key the packs do not name is an error, never a silent gap."""
    found = builtins(load_from(read_dir(DATA_DIR) if sources is None else sources, SPEC))
    out = []
    for code, version in keys:
        if (code, version) not in found:
            raise LookupError(f"the rule packs name no built-in template {code} version {version}")
        t = found[(code, version)].model_dump(mode="json")
        out.append(
            {
                "id": builtin_id(code, version),
                "code": code,
                "version": version,
                "name": t["name"],
                "kind": t["kind"],
                "description": t["description"],
                "citation": t["citation"],
                "dimensions": t["dimensions"],
                "grade_bands": t["grade_bands"],
                "builtin": True,
                "owner_division": None,
                "created_by": "system",
            }
        )
    return out


def default_in_force(at: RulesAt, kind: str) -> BuiltinTemplate:
    """The built-in template of `kind` the rules in force mark `default`."""
    rule = at.rule(TEMPLATES)
    for t in rule.value:
        if t.kind == kind and t.default:
            return t  # type: ignore[no-any-return]
    raise RuleNotInForce(rule=f"{TEMPLATES} ({kind})", division=at.division, on=at.on.isoformat())
