"""Document types: the OCDS `documentType` codelist (vendored, data/) and Jiuzhu's few additions."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jiuzhu_kit.errors import FieldError, ValidationFailed

_DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class DocumentType:
    code: str
    title: str
    sections: frozenset[str]
    source: str  # "ocds" or "jiuzhu"


@cache
def document_types() -> dict[str, DocumentType]:
    out: dict[str, DocumentType] = {}
    for source, name in (("ocds", "ocds-documentType.csv"), ("jiuzhu", "jiuzhu-documentType.csv")):
        with (_DATA / name).open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                sections = frozenset(s.strip() for s in row["Section"].split(",") if s.strip())
                out[row["Code"]] = DocumentType(row["Code"], row["Title"], sections, source)
    return out


def check_type(code: str) -> DocumentType:
    """The document type of `code`, or 422 DOCUMENT_TYPE_UNKNOWN naming the query parameter."""
    found = document_types().get(code)
    if found is None:
        raise ValidationFailed(
            [FieldError(pointer="#/query/document_type", code="DOCUMENT_TYPE_UNKNOWN", detail=code)],
            "文件类型不在代码表中（OCDS documentType）",
            "The document type is not in the codelist (OCDS documentType)",
        )
    return found
