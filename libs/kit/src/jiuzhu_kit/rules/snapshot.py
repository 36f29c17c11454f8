"""A resolved pack as plain data (the file format, flattened), and its content hash.

Saved results keep this snapshot, so a number can be recomputed exactly with the rules that
produced it even after the pack changed or was replaced by a new version; the rules routes publish
the same shape."""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields, is_dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from jiuzhu_kit.rules.model import Citation, DatedValue, Pack
from jiuzhu_kit.rules.parse import Spec


def citation_dict(c: Citation) -> dict[str, str]:
    return {"document": c.document, "clause": c.clause, "text": str(c)}


def plain(v: Any) -> Any:
    if isinstance(v, Citation):
        return citation_dict(v)
    if is_dataclass(v) and not isinstance(v, type):  # a structured value (a catalogue entry…)
        return {f.name: plain(getattr(v, f.name)) for f in fields(v)}
    if isinstance(v, (Decimal, Fraction)):
        return str(v)  # a fraction as "2/3", as written
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v


def value_dict(v: DatedValue) -> dict[str, Any]:
    item: dict[str, Any] = {
        "from": v.start.isoformat(),
        "to": v.end.isoformat() if v.end else None,
        "citation": citation_dict(v.citation),
    }
    if v.brackets:
        item["brackets"] = [
            {
                "range": b.range_text,
                "value": plain(b.value),
                "phrase": b.phrase,
                "reading": b.reading,
                "citation": citation_dict(b.citation),
            }
            for b in v.brackets
        ]
    else:
        item["value"] = plain(v.value)
    if v.note:
        item["note"] = v.note
    if not v.verified:
        item["verified"] = False
    return item


def pack_to_dict(pack: Pack, spec: Spec, *, include_hash: bool = True) -> dict[str, Any]:
    params = {
        name: {
            "label": p.label,
            "unit": p.unit,
            "measure": p.measure,
            "defined_in": p.defined_in,
            "values": [value_dict(v) for v in p.values],
        }
        for name, p in sorted(pack.parameters.items())
    }
    out: dict[str, Any] = {
        "id": pack.id,
        "version": pack.version,
        "title": pack.title,
        "document_number": pack.document_number,
        "cite_as": pack.cite_as,
        "issuer": pack.issuer,
        "published": pack.published.isoformat(),
        "effective_from": pack.effective_from.isoformat(),
        "effective_to": pack.effective_to.isoformat() if pack.effective_to else None,
        "jurisdiction": pack.jurisdiction,
        "inherits": pack.inherits,
        "lineage": list(pack.lineage),
        "abstract": pack.abstract,
        "notes": pack.notes,
        "parameters": params,
        **(spec.serialize_sections(pack) if spec.serialize_sections else {}),
        "source_file": pack.source_file,
    }
    if include_hash:
        out["content_hash"] = pack.content_hash
    return out


def pack_hash(pack: Pack, spec: Spec) -> str:
    """A short hash of the pack's content (its snapshot without the hash)."""
    body = pack_to_dict(pack, spec, include_hash=False)
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]
