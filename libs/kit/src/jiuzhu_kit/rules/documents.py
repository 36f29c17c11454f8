"""The registry of documents rules cite (documents.yaml): one entry per document, one citation style.

A citation names a registry key (or an alias: a seed's own number); `cite_as` renders it as the
document's number, or its short title where it has none. A pack that cites an unknown document is
refused when it loads, so the same clause cannot be cited two ways."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

FILE = Path(__file__).with_name("documents.yaml")


@dataclass(frozen=True)
class Document:
    key: str
    title: str
    number: str | None
    cite: str  # how a citation names it: the number, else a short title
    issuer: str
    published: date
    kind: str
    verified: bool


@cache
def registry() -> dict[str, Document]:
    raw: dict[str, Any] = yaml.safe_load(FILE.read_text(encoding="utf-8"))
    docs: dict[str, Document] = {}
    for key, d in raw["documents"].items():
        number = d.get("number")
        docs[key] = Document(
            key=key,
            title=str(d["title"]),
            number=number,
            cite=str(d.get("cite") or number or d["title"]),
            issuer=str(d["issuer"]),
            published=d["published"]
            if isinstance(d["published"], date)
            else date.fromisoformat(d["published"]),
            kind=str(d["kind"]),
            verified=bool(d.get("verified", True)),
        )
    for alias, key in (raw.get("aliases") or {}).items():
        docs[alias] = docs[key]
    return docs


def find(key: str) -> Document | None:
    return registry().get(key)


def cite_as(key: str) -> str:
    doc = find(key)
    return doc.cite if doc else key
