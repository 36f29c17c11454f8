"""A resolved staffing pack as plain data and back (the kit's snapshot with staffing's Spec).

Saved scenarios keep this snapshot, so a result can be recomputed exactly with the rules that
produced it even after the pack file changed or was replaced by a new version.
"""

from __future__ import annotations

from typing import Any

from jiuzhu_kit.rules import loader as kit_loader
from jiuzhu_kit.rules import snapshot as kit_snapshot
from jiuzhu_staffing.packs.model import Pack
from jiuzhu_staffing.packs.parse import SPEC


def pack_to_dict(pack: Pack, *, include_hash: bool = True) -> dict[str, Any]:
    return kit_snapshot.pack_to_dict(pack, SPEC, include_hash=include_hash)


def pack_from_dict(snapshot: dict[str, Any]) -> Pack:
    pack = kit_loader.pack_from_dict(snapshot, SPEC)
    assert isinstance(pack, Pack)
    return pack
