"""A resolved pack as plain data (the file format, flattened), and back.

Saved scenarios keep this snapshot, so a result can be recomputed exactly with the rules that
produced it even after the pack file changed or was replaced by a new version.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jiuzhu_staffing.packs.model import Citation, Pack


def _cit(c: Citation) -> dict[str, str]:
    return {"document": c.document, "clause": c.clause, "text": str(c)}


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def pack_to_dict(pack: Pack, *, include_hash: bool = True) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, p in sorted(pack.parameters.items()):
        values = []
        for v in p.values:
            item: dict[str, Any] = {
                "from": v.start.isoformat(),
                "to": v.end.isoformat() if v.end else None,
                "citation": _cit(v.citation),
            }
            if v.brackets:
                item["brackets"] = [
                    {
                        "range": b.range_text,
                        "value": b.value,
                        "phrase": b.phrase,
                        "reading": b.reading,
                        "citation": _cit(b.citation),
                    }
                    for b in v.brackets
                ]
            else:
                item["value"] = _plain(v.value)
            if v.note:
                item["note"] = v.note
            values.append(item)
        params[name] = {
            "label": p.label,
            "unit": p.unit,
            "measure": p.measure,
            "defined_in": p.defined_in,
            "values": values,
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
        "staffing": [
            {
                "id": r.id,
                "role": r.role,
                "applies_to": list(r.applies_to),
                "parameter": r.parameter,
                "label": r.label,
            }
            for r in pack.staffing
        ],
        "pay": {"kind": pack.pay.kind, "params": dict(pack.pay.params)} if pack.pay else None,
        "source_file": pack.source_file,
    }
    if include_hash:
        out["content_hash"] = pack.content_hash
    return out


def pack_from_dict(snapshot: dict[str, Any]) -> Pack:
    """Rebuild a pack from its snapshot (validated again; inheritance already flattened)."""
    from dataclasses import replace

    from jiuzhu_staffing.packs.loader import load_from

    raw = {
        k: v for k, v in snapshot.items() if k not in {"lineage", "content_hash", "source_file", "inherits"}
    }
    pack = load_from([(f"snapshot:{snapshot['id']}@{snapshot['version']}", raw)])[0]
    # The flattened copy keeps the original identity (its hash is recomputed and must match).
    from jiuzhu_staffing.packs.loader import pack_hash

    pack = replace(
        pack,
        inherits=snapshot.get("inherits"),
        lineage=tuple(snapshot.get("lineage") or pack.lineage),
        source_file=str(snapshot.get("source_file") or pack.source_file),
    )
    return replace(pack, content_hash=pack_hash(pack))
