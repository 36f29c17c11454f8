"""Load rule-pack files, validate them (parse.py), resolve inheritance (province → city → county).

A pack that is wrong is refused with every problem listed (file, path, what is wrong), so the
service does not start on rules it cannot stand behind.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from jiuzhu_kit import divisions
from jiuzhu_staffing.packs.model import Pack, Parameter, PayRule, StaffingRule
from jiuzhu_staffing.packs.parse import PackError, parse_pack

__all__ = ["DATA_DIR", "PackError", "load_from", "load_packs", "pack_hash"]

DATA_DIR = Path(__file__).parent / "data"


def _resolve(
    key: tuple[str, int],
    parsed: dict[tuple[str, int], dict[str, Any]],
    latest: dict[str, int],
    problems: list[str],
    seen: tuple[str, ...] = (),
) -> Pack | None:
    pieces = parsed[key]
    raw = pieces["raw"]
    source = raw["__source__"]
    params: dict[str, Parameter] = {}
    rules: tuple[StaffingRule, ...] = ()
    pay: PayRule | None = None
    lineage: tuple[str, ...] = (f"{key[0]}@{key[1]}",)
    parent_id = raw.get("inherits")
    if parent_id:
        if parent_id in seen:
            problems.append(f"{source}: inherits: 继承成环 {' → '.join((*seen, parent_id))}")
            return None
        if parent_id not in latest:
            problems.append(f"{source}: inherits: 上级规则包 {parent_id!r} 不存在")
            return None
        parent = _resolve((parent_id, latest[parent_id]), parsed, latest, problems, (*seen, key[0]))
        if parent is None:
            return None
        if not divisions.covers(parent.jurisdiction, str(raw["jurisdiction"])):
            problems.append(
                f"{source}: inherits: 上级 {parent_id} 的辖区 {parent.jurisdiction} 不包含 {raw['jurisdiction']}"
            )
        params, rules, pay, lineage = (
            dict(parent.parameters),
            parent.staffing,
            parent.pay,
            (*lineage, *parent.lineage),
        )
    params.update(pieces["params"])  # the child's own values override the inherited ones
    rules = tuple(pieces["rules"]) or rules
    pay = pieces["pay"] or pay
    for r in rules:
        p = params.get(r.parameter)
        if p is None:
            problems.append(f"{source}: staffing rule {r.id}: 参数 {r.parameter!r} 未定义")
    if pay:
        for role, name in pay.params.items():
            if name not in params:
                problems.append(f"{source}: pay.{role}: 参数 {name!r} 未定义")
    rules = tuple(
        replace(r, measure=params[r.parameter].measure) if r.parameter in params else r for r in rules
    )
    pack = Pack(
        id=key[0],
        version=key[1],
        title=str(raw["title"]),
        document_number=raw.get("document_number"),
        cite_as=str(raw["cite_as"]),
        issuer=str(raw["issuer"]),
        published=pieces["published"] or date.min,
        effective_from=pieces["effective_from"] or date.min,
        effective_to=pieces["effective_to"],
        jurisdiction=str(raw["jurisdiction"]),
        inherits=parent_id,
        abstract=bool(raw.get("abstract", False)),
        notes=str(raw.get("notes") or ""),
        parameters=params,
        staffing=rules,
        pay=pay,
        source_file=source,
        lineage=lineage,
    )
    return replace(pack, content_hash=pack_hash(pack))


def pack_hash(pack: Pack) -> str:
    from jiuzhu_staffing.packs.snapshot import pack_to_dict

    body = pack_to_dict(pack, include_hash=False)
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def load_packs(directory: Path = DATA_DIR, extra: list[tuple[str, Any]] | None = None) -> list[Pack]:
    """Every pack file (`*.pack.yaml`) in `directory`, validated and resolved; or PackError."""
    sources: list[tuple[str, Any]] = []
    for path in sorted(directory.glob("*.pack.yaml")):
        sources.append((path.name, yaml.safe_load(path.read_text(encoding="utf-8"))))
    sources.extend(extra or [])
    return load_from(sources)


def load_from(sources: list[tuple[str, Any]]) -> list[Pack]:
    problems: list[str] = []
    parsed: dict[tuple[str, int], dict[str, Any]] = {}
    for name, raw in sources:
        pieces, probs = parse_pack(raw, name)
        problems.extend(probs)
        if probs:
            continue
        key = (str(raw["id"]), int(raw["version"]))
        if key in parsed:
            problems.append(f"{name}: 规则包 {key[0]}@{key[1]} 重复")
            continue
        raw["__source__"] = name
        parsed[key] = pieces
    if problems:
        raise PackError(problems)
    latest: dict[str, int] = {}
    for pid, ver in parsed:
        latest[pid] = max(ver, latest.get(pid, ver))
    packs = [p for key in sorted(parsed) if (p := _resolve(key, parsed, latest, problems)) is not None]
    if problems:
        raise PackError(sorted(set(problems)))
    return packs
