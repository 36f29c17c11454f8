"""Load pack files, validate them (parse.py), resolve inheritance (national → province → city →
county). A pack that is wrong is refused with every problem listed, so a service does not start on
rules it cannot stand behind, and a submitted local pack is refused before anyone reviews it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from jiuzhu_kit import divisions
from jiuzhu_kit.rules.model import Pack, Parameter
from jiuzhu_kit.rules.parse import PackError, Spec, parse_pack
from jiuzhu_kit.rules.snapshot import pack_hash

__all__ = ["PackError", "load_from", "load_packs", "pack_from_dict", "pack_hash", "read_dir"]


def _resolve(
    key: tuple[str, int],
    parsed: dict[tuple[str, int], dict[str, Any]],
    latest: dict[str, int],
    spec: Spec,
    problems: list[str],
    seen: tuple[str, ...] = (),
) -> Pack | None:
    pieces = parsed[key]
    raw = pieces["raw"]
    source = raw["__source__"]
    params: dict[str, Parameter] = {}
    sections: dict[str, Any] = {}
    lineage: tuple[str, ...] = (f"{key[0]}@{key[1]}",)
    parent_id = raw.get("inherits")
    if parent_id:
        if parent_id in seen:
            problems.append(f"{source}: inherits: 继承成环 {' → '.join((*seen, parent_id))}")
            return None
        if parent_id not in latest:
            problems.append(f"{source}: inherits: 上级规则包 {parent_id!r} 不存在")
            return None
        parent = _resolve((parent_id, latest[parent_id]), parsed, latest, spec, problems, (*seen, key[0]))
        if parent is None:
            return None
        if not divisions.covers(parent.jurisdiction, str(raw["jurisdiction"])):
            problems.append(
                f"{source}: inherits: 上级 {parent_id} 的辖区 {parent.jurisdiction} 不包含 {raw['jurisdiction']}"
            )
        params, sections, lineage = (
            dict(parent.parameters),
            dict(parent.sections),
            (*lineage, *parent.lineage),
        )
    params.update(pieces["params"])  # the child's own values override the inherited ones
    for name, own in pieces["sections"].items():
        if own or name not in sections:  # a non-empty section of the child replaces its parent's
            sections[name] = own
    pack = spec.pack_class(
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
        source_file=source,
        sections=sections,
        lineage=lineage,
        status=str(raw.get("status") or "published"),
    )
    if spec.finish is not None:
        own_problems: list[str] = []
        pack = spec.finish(pack, own_problems)
        problems.extend(f"{source}: {p}" for p in own_problems)
    return replace(pack, content_hash=pack_hash(pack, spec))


def read_dir(directory: Path) -> list[tuple[str, Any]]:
    """Every `*.pack.yaml` in `directory` as (file name, parsed YAML)."""
    return [
        (path.name, yaml.safe_load(path.read_text(encoding="utf-8")))
        for path in sorted(directory.glob("*.pack.yaml"))
    ]


def load_packs(directory: Path, spec: Spec, extra: list[tuple[str, Any]] | None = None) -> list[Pack]:
    """Every pack file in `directory` (plus `extra` sources), validated and resolved; or PackError."""
    return load_from([*read_dir(directory), *(extra or [])], spec)


def load_from(sources: list[tuple[str, Any]], spec: Spec) -> list[Pack]:
    problems: list[str] = []
    parsed: dict[tuple[str, int], dict[str, Any]] = {}
    for name, raw in sources:
        pieces, probs = parse_pack(raw, name, spec)
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
    packs = [p for key in sorted(parsed) if (p := _resolve(key, parsed, latest, spec, problems)) is not None]
    if problems:
        raise PackError(sorted(set(problems)))
    return packs


def pack_from_dict(snapshot: dict[str, Any], spec: Spec) -> Pack:
    """Rebuild a pack from its snapshot (validated again; inheritance already flattened)."""
    raw = {
        k: v for k, v in snapshot.items() if k not in {"lineage", "content_hash", "source_file", "inherits"}
    }
    pack = load_from([(f"snapshot:{snapshot['id']}@{snapshot['version']}", raw)], spec)[0]
    # The flattened copy keeps the original identity (its hash is recomputed and must match).
    pack = replace(
        pack,
        inherits=snapshot.get("inherits"),
        lineage=tuple(snapshot.get("lineage") or pack.lineage),
        source_file=str(snapshot.get("source_file") or pack.source_file),
    )
    return replace(pack, content_hash=pack_hash(pack, spec))
