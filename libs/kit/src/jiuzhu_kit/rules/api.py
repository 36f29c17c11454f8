"""`GET /rules…`: a service's rules as published data — anonymous and cacheable.

Every service mounts the same routes over its own RuleBook: the packs with their dated, cited
values, the rules in force for a division on a day, and the registry of documents they cite."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from jiuzhu_kit.divisions import DivisionCode
from jiuzhu_kit.errors import responses
from jiuzhu_kit.rules.book import NoPackInForce, PackNotFound, RuleBook
from jiuzhu_kit.rules.documents import registry as document_registry
from jiuzhu_kit.rules.parse import Spec
from jiuzhu_kit.rules.snapshot import citation_dict, pack_to_dict, plain, value_dict

CACHE = "public, max-age=300"


class DocumentOut(BaseModel):
    """文件 A document (its metadata; the content has its own route)."""

    key: str
    title: str
    number: str | None
    cite: str
    issuer: str
    published: date
    kind: str
    verified: bool


class RuleOut(BaseModel):
    """规则 A rule and its citation."""

    name: str
    label: str
    unit: str
    value: Any
    brackets: list[dict[str, Any]] | None = None  # a scale's brackets (its value is then null)
    valid_from: date
    valid_to: date | None
    citation: dict[str, str]
    verified: bool
    defined_in: str


class RulesInForceOut(BaseModel):
    """现行规则 The rule packs in force for a division on a day."""

    division_code: str
    on: date
    pack: str
    content_hash: str
    rules: list[RuleOut]


def _cached(response: Response, tag: str) -> None:
    response.headers["Cache-Control"] = CACHE
    response.headers["ETag"] = f'"{tag}"'


def rules_router(spec: Spec, book_of: Callable[[Request], RuleBook[Any]]) -> APIRouter:
    router = APIRouter(prefix="/rules", tags=["rules"])

    @router.get("", response_model=list[dict[str, Any]])
    async def list_rule_packs(request: Request, response: Response) -> list[dict[str, Any]]:
        """Every rule pack (latest version of each) with its document, jurisdiction, dates and values."""
        packs = book_of(request).latest()
        _cached(response, "-".join(p.content_hash for p in packs))
        return [pack_to_dict(p, spec) for p in packs]

    @router.get("/documents", response_model=list[DocumentOut])
    async def list_documents(response: Response) -> list[DocumentOut]:
        """The documents the rules cite: title, number, issuer, date, and how a citation names them."""
        docs = {d.key: d for d in document_registry().values()}
        _cached(response, str(len(docs)))
        return [DocumentOut.model_validate(d, from_attributes=True) for d in docs.values()]

    @router.get("/in-force", response_model=RulesInForceOut, responses=responses(NoPackInForce))
    async def rules_in_force(
        request: Request,
        response: Response,
        division_code: Annotated[DivisionCode, Query(description="行政区划代码")],
        on: Annotated[date, Query(description="日期")],
    ) -> RulesInForceOut:
        """The rules a decision for `division_code` on `on` is judged by, each with its clause."""
        at = book_of(request).at(division_code, on)
        out = []
        for name, p in sorted(at.pack.parameters.items()):
            v = p.at(on)
            if v is None:
                continue
            out.append(
                RuleOut(
                    name=name,
                    label=p.label,
                    unit=p.unit,
                    value=plain(v.value),
                    brackets=value_dict(v).get("brackets"),
                    valid_from=v.start,
                    valid_to=v.end,
                    citation=citation_dict(v.citation),
                    verified=v.verified,
                    defined_in=p.defined_in,
                )
            )
        _cached(response, at.pack.content_hash)
        return RulesInForceOut(
            division_code=division_code, on=on, pack=at.pack.ref, content_hash=at.pack.content_hash, rules=out
        )

    @router.get("/{pack_id}", response_model=dict[str, Any], responses=responses(PackNotFound))
    async def get_rule_pack(
        request: Request,
        response: Response,
        pack_id: str,
        version: Annotated[int | None, Query(ge=1, description="缺省为最新版本")] = None,
    ) -> dict[str, Any]:
        """One pack resolved through inheritance (`defined_in` names the pack that set a value)."""
        pack = book_of(request).get(pack_id if version is None else f"{pack_id}@{version}")
        _cached(response, pack.content_hash)
        return pack_to_dict(pack, spec)

    return router
