from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel


class PackSummary(BaseModel):
    """规则包摘要 A rule pack listed."""

    id: str
    version: int
    versions: list[int]
    title: str
    document_number: str | None
    cite_as: str
    issuer: str
    published: date
    effective_from: date
    effective_to: date | None
    jurisdiction: str
    jurisdiction_name: str
    inherits: str | None
    abstract: bool
    content_hash: str


class PackDetail(PackSummary):
    """规则包详情 A rule pack: parameters, staffing and pay rules, lineage."""

    lineage: list[str]
    notes: str
    parameters: dict[str, Any]
    staffing: list[dict[str, Any]]
    pay: dict[str, Any] | None
    source_file: str
