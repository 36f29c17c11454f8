"""The document routes every aggregate with attachments gets, decided by that aggregate's rules.

`add_document_routes(router, Attachable(...))` adds, under the aggregate's path:

- `POST …/documents?document_type=&title=&language=`: the request body is the file itself, its
  `Content-Type` the declared media type; streamed to the store (store.py), never held in memory;
- `GET …/documents` (current versions; `?history=true`: every version), `GET …/documents/{id}`;
- `GET …/documents/{id}/content`: the bytes, with `ETag` (the sha256), `If-None-Match` → 304 and
  one `Range` → 206;
- `POST …/documents/{id}/versions`: a new version superseding the current one (history kept).

Who may read or write is the aggregate's decision (its `read`/`write` resolvers, which use its read
policy: another county's record looks absent, a sealed bid's documents are its bidder's alone). Each
version's hash, size and media type go into the aggregate's audit chain (`document.attached`), so
the chain's verify route also catches a stored file that was replaced (verify_documents).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit import clock
from jiuzhu_kit.audit import Actor, AuditLog
from jiuzhu_kit.auth import Principal, PrincipalDep, RoleForbidden
from jiuzhu_kit.bodylimit import PayloadTooLarge
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.documents import codelist, http, sniff
from jiuzhu_kit.documents.store import DocumentStore
from jiuzhu_kit.errors import Conflict, DomainError, NotFound, responses
from jiuzhu_kit.idempotency import STREAMED_BODY  # the idempotency guard leaves such a body unread
from jiuzhu_kit.settings import KitSettings

ATTACHED = "document.attached"


class DocumentNotFound(NotFound):
    code = "DOCUMENT_NOT_FOUND"
    zh = "未找到该文件"
    en = "Document not found"


class DocumentContentMissing(DomainError):
    code = "DOCUMENT_CONTENT_MISSING"
    status = 500
    zh = "文件内容在存储中缺失或已被替换（请通知管理员核验）"
    en = "The document's content is missing from the store or was replaced (tell an administrator)"


class DocumentSuperseded(Conflict):
    code = "DOCUMENT_SUPERSEDED"
    zh = "该文件已有新版本，请对最新版本提交修订"
    en = "This document has been superseded; supersede its current version"


@dataclass(frozen=True)
class Owner:
    """The record documents are attached to (`kind`, `id`) and the audit chain their events join
    (`chain`, `chain_id`: a bid's go into its project's). `actor` replaces the caller in the chain
    where the aggregate hides who acted (a sealed bid's bidder)."""

    kind: str
    id: str
    division: str
    chain: str
    chain_id: str
    actor: Actor | None = None


Resolve = Callable[[Request, AsyncSession, Principal, str], Awaitable[Owner]]


@dataclass(frozen=True)
class Attachable:
    """One aggregate's documents: its path (with `{key}`), how a reader and a writer reach it (each
    raises the aggregate's own refusal), and the upload limit (None: the service's default)."""

    kind: str
    path: str
    tag: str
    read: Resolve
    write: Resolve
    refusals: Sequence[type[DomainError]] = field(default_factory=tuple)
    max_bytes: int | None = None


@dataclass
class Documents:
    """A service's documents: the store and the table (app.state.documents)."""

    store: DocumentStore
    table: Table


class DocumentOut(BaseModel):
    """文件 A document (its metadata; the content has its own route)."""

    id: uuid.UUID
    series_id: uuid.UUID
    version: int
    owner_type: str
    owner_id: str
    document_type: str
    title: str
    language: str
    media_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    supersedes: uuid.UUID | None
    superseded_by: uuid.UUID | None
    superseded_at: datetime | None
    url: str


def _documents(request: Request) -> Documents:
    docs = request.app.state.documents
    assert isinstance(docs, Documents)
    return docs


def _out(request: Request, row: Mapping[str, Any] | Any) -> DocumentOut:
    url = str(request.url.path).split("/documents", 1)[0] + f"/documents/{row['id']}/content"
    return DocumentOut.model_validate({**row, "url": url})


def upload_paths(router: APIRouter, spec: Attachable) -> list[str]:
    base = router.prefix + spec.path
    return [f"{base}/documents", f"{base}/documents/{{document_id}}/versions"]


def body_limits(settings: KitSettings, pairs: Sequence[tuple[APIRouter, Attachable]]) -> dict[str, int]:
    """The request-size limit of every upload route (create_app(body_limits=…)): 413 before the
    body is read when its Content-Length says more."""
    return {
        path: spec.max_bytes or settings.documents_max_bytes
        for router, spec in pairs
        for path in upload_paths(router, spec)
    }


async def _ingest(request: Request, spec: Attachable) -> Any:
    settings: KitSettings = request.app.state.settings
    limit = spec.max_bytes or settings.documents_max_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(limit=limit)  # the middleware's rule, here too should a route lack it
    media_type = sniff.accept(sniff.media_type_of(request.headers.get("content-type")))
    return await _documents(request).store.ingest(request.stream(), declared=media_type, limit=limit)


async def _record(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    owner: Owner,
    values: dict[str, Any],
) -> dict[str, Any]:
    table = _documents(request).table
    await session.execute(table.insert().values(**values))
    audit: AuditLog = request.app.state.audit
    await audit.append(
        session,
        aggregate_type=owner.chain,
        aggregate_id=owner.chain_id,
        action=ATTACHED,
        actor=owner.actor or principal,
        data={
            k: values[k]
            for k in (
                "id",
                "series_id",
                "version",
                "owner_type",
                "owner_id",
                "document_type",
                "media_type",
                "size",
                "sha256",
                "supersedes",
            )
        },
        jurisdiction=owner.division,
    )
    return values


async def attach(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    owner: Owner,
    data: bytes,
    *,
    media_type: str,
    document_type: str,
    title: str,
    language: str = "zh",
) -> tuple[DocumentOut, bool]:
    """Store a document the service made (a generated contract, notice or report) on `owner`: a new
    version of its current document of that type and title, or the first one; the same bytes as the
    current version change nothing. Returns the current version and whether it is new."""
    codelist.check_type(document_type)
    docs = _documents(request)
    table = docs.table
    current = (
        await session.execute(
            select(table)
            .where(
                table.c.owner_type == owner.kind,
                table.c.owner_id == owner.id,
                table.c.document_type == document_type,
                table.c.title == title,
                table.c.superseded_by.is_(None),
            )
            .with_for_update()
        )
    ).one_or_none()
    prev = current._mapping if current is not None else None

    async def chunks() -> AsyncIterator[bytes]:
        yield data

    settings: KitSettings = request.app.state.settings
    stored = await docs.store.ingest(chunks(), declared=media_type, limit=settings.documents_max_bytes)
    if prev is not None and prev["sha256"] == stored.sha256:
        return _out(request, prev), False
    now = clock.now()
    new_id = uuid.uuid4()
    if prev is not None:
        await session.execute(
            update(table).where(table.c.id == prev["id"]).values(superseded_by=new_id, superseded_at=now)
        )
    values = await _record(
        request,
        session,
        principal,
        owner,
        {
            "id": new_id,
            "series_id": prev["series_id"] if prev is not None else new_id,
            "version": prev["version"] + 1 if prev is not None else 1,
            "owner_type": owner.kind,
            "owner_id": owner.id,
            "division_code": owner.division,
            "document_type": document_type,
            "title": title,
            "language": language,
            "media_type": stored.media_type,
            "size": stored.size,
            "sha256": stored.sha256,
            "uploaded_by": owner.actor.sub if owner.actor else principal.sub,
            "uploaded_at": now,
            "supersedes": prev["id"] if prev is not None else None,
            "superseded_by": None,
            "superseded_at": None,
        },
    )
    return _out(request, values), True


async def _one(session: AsyncSession, table: Table, owner: Owner, document_id: uuid.UUID) -> Any:
    row = (
        await session.execute(
            select(table).where(
                table.c.id == document_id, table.c.owner_type == owner.kind, table.c.owner_id == owner.id
            )
        )
    ).one_or_none()
    if row is None:
        raise DocumentNotFound()
    return row._mapping


_BINARY = {"schema": {"type": "string", "format": "binary"}}
_FILE_TYPES = {mt: _BINARY for mt in sorted(sniff.ACCEPTED)}
_UPLOAD_EXTRA = {
    # One declared content type, which client generators handle as a file; the server also takes
    # the file's own type in Content-Type (then checked against the bytes).
    "requestBody": {
        "required": True,
        "description": "文件内容。Content-Type 为文件本身的类型（"
        + "、".join(sorted(sniff.ACCEPTED))
        + "，与文件字节核对），或 application/octet-stream（按字节识别）。The file's bytes, sent as its own "
        "media type (checked against the bytes) or as application/octet-stream (recognised from them).",
        "content": {sniff.OCTET: _BINARY},
    },
    STREAMED_BODY: True,
}
_UPLOAD_ERRORS = (
    PayloadTooLarge,
    sniff.UnsupportedMediaType,
    sniff.TypeMismatch,
    sniff.ExecutableRefused,
    sniff.ZipBomb,
    sniff.EmptyDocument,
    RoleForbidden,
)

DocumentType = Annotated[str, Query(min_length=1, max_length=64, description="OCDS documentType code")]
Title = Annotated[str, Query(min_length=1, max_length=300)]
Language = Annotated[str, Query(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=16)]


def add_document_routes(router: APIRouter, spec: Attachable) -> None:
    base = f"{spec.path}/documents"
    kind = spec.kind
    refusals = responses(DocumentNotFound, *spec.refusals)

    async def upload(
        request: Request,
        session: SessionDep,
        principal: PrincipalDep,
        key: str,
        document_type: DocumentType,
        title: Title,
        language: Language = "zh",
    ) -> DocumentOut:
        codelist.check_type(document_type)
        owner = await spec.write(request, session, principal, key)  # refused before a byte is read
        stored = await _ingest(request, spec)
        doc_id = uuid.uuid4()
        values = await _record(
            request,
            session,
            principal,
            owner,
            {
                "id": doc_id,
                "series_id": doc_id,
                "version": 1,
                "owner_type": owner.kind,
                "owner_id": owner.id,
                "division_code": owner.division,
                "document_type": document_type,
                "title": title,
                "language": language,
                "media_type": stored.media_type,
                "size": stored.size,
                "sha256": stored.sha256,
                "uploaded_by": owner.actor.sub if owner.actor else principal.sub,
                "uploaded_at": clock.now(),
                "supersedes": None,
                "superseded_by": None,
                "superseded_at": None,
            },
        )
        return _out(request, values)

    async def supersede(
        request: Request,
        session: SessionDep,
        principal: PrincipalDep,
        key: str,
        document_id: uuid.UUID,
        title: Annotated[str | None, Query(min_length=1, max_length=300)] = None,
        language: Annotated[str | None, Query(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] = None,
    ) -> DocumentOut:
        owner = await spec.write(request, session, principal, key)
        table = _documents(request).table
        old = (
            await session.execute(
                select(table)
                .where(table.c.id == document_id, table.c.owner_type == kind, table.c.owner_id == owner.id)
                .with_for_update()
            )
        ).one_or_none()
        if old is None:
            raise DocumentNotFound()
        prev = old._mapping
        if prev["superseded_by"] is not None:
            raise DocumentSuperseded()
        stored = await _ingest(request, spec)
        now = clock.now()
        new_id = uuid.uuid4()
        await session.execute(
            update(table).where(table.c.id == prev["id"]).values(superseded_by=new_id, superseded_at=now)
        )
        values = await _record(
            request,
            session,
            principal,
            owner,
            {
                **{k: prev[k] for k in ("series_id", "owner_type", "owner_id", "division_code")},
                "id": new_id,
                "version": prev["version"] + 1,
                "document_type": prev["document_type"],
                "title": title or prev["title"],
                "language": language or prev["language"],
                "media_type": stored.media_type,
                "size": stored.size,
                "sha256": stored.sha256,
                "uploaded_by": owner.actor.sub if owner.actor else principal.sub,
                "uploaded_at": now,
                "supersedes": prev["id"],
                "superseded_by": None,
                "superseded_at": None,
            },
        )
        return _out(request, values)

    async def listing(
        request: Request,
        session: SessionDep,
        principal: PrincipalDep,
        key: str,
        history: bool = False,
    ) -> list[DocumentOut]:
        owner = await spec.read(request, session, principal, key)
        table = _documents(request).table
        stmt = select(table).where(table.c.owner_type == kind, table.c.owner_id == owner.id)
        if not history:
            stmt = stmt.where(table.c.superseded_by.is_(None))
        rows = await session.execute(stmt.order_by(table.c.uploaded_at, table.c.series_id, table.c.version))
        return [_out(request, r._mapping) for r in rows]

    async def detail(
        request: Request, session: SessionDep, principal: PrincipalDep, key: str, document_id: uuid.UUID
    ) -> DocumentOut:
        owner = await spec.read(request, session, principal, key)
        return _out(request, await _one(session, _documents(request).table, owner, document_id))

    async def content(
        request: Request, session: SessionDep, principal: PrincipalDep, key: str, document_id: uuid.UUID
    ) -> Response:
        owner = await spec.read(request, session, principal, key)
        row = await _one(session, _documents(request).table, owner, document_id)
        sha, size = row["sha256"], row["size"]
        if await _documents(request).store.size_of(sha) != size:
            raise DocumentContentMissing()  # said before the response starts, not halfway through it
        headers = {
            "ETag": http.etag(sha),
            "Accept-Ranges": "bytes",
            "Cache-Control": "private, no-cache",  # revalidate with the ETag: access may change
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row['title'])}",
        }
        if http.not_modified(request.headers.get("if-none-match"), sha):
            return Response(status_code=304, headers=headers)
        span = http.byte_range(request.headers.get("range"), request.headers.get("if-range"), sha, size)
        start, end = span or (0, size)
        headers["Content-Length"] = str(end - start)
        status = 200
        if span is not None:
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        await session.close()  # no connection held while the bytes stream
        stream = _documents(request).store.read(sha, start, end if end < size else None)
        return StreamingResponse(stream, status_code=status, media_type=row["media_type"], headers=headers)

    write_errors = responses(DocumentNotFound, *_UPLOAD_ERRORS, *spec.refusals)
    read_errors = {**refusals, **responses(RoleForbidden)}
    router.add_api_route(
        base,
        upload,
        methods=["POST"],
        status_code=201,
        response_model=DocumentOut,
        responses=write_errors,
        openapi_extra=_UPLOAD_EXTRA,
        tags=[spec.tag],
        name=f"{kind}_document_upload",
        summary=f"Attach a document to this {kind} (the body is the file)",
        description=f"Upload a file to this {kind}: the request body is the file itself, its type checked "
        "against its bytes; `document_type` is an OCDS documentType code. Audited; answers the document.",
    )
    router.add_api_route(
        base,
        listing,
        methods=["GET"],
        response_model=list[DocumentOut],
        responses=read_errors,
        tags=[spec.tag],
        name=f"{kind}_documents",
        summary=f"This {kind}'s documents (current versions; history=true: every version)",
        description=f"The documents attached to this {kind}, oldest first: the current version of each, or "
        "with `history=true` every version (superseded ones too).",
    )
    router.add_api_route(
        base + "/{document_id}",
        detail,
        methods=["GET"],
        response_model=DocumentOut,
        responses=read_errors,
        tags=[spec.tag],
        name=f"{kind}_document",
        summary=f"One document of this {kind}",
        description=f"One document attached to this {kind}: its type, title, language, size, SHA-256 and versions.",
    )
    router.add_api_route(
        base + "/{document_id}/content",
        content,
        methods=["GET"],
        response_class=Response,
        responses={
            **read_errors,
            **responses(http.RangeNotSatisfiable),
            200: {"description": "The file, as its media type", "content": _FILE_TYPES},
            206: {"description": "The requested range", "content": _FILE_TYPES},
            304: {"description": "Not modified (If-None-Match matched the ETag, the sha256)"},
        },
        tags=[spec.tag],
        name=f"{kind}_document_content",
        summary=f"Download a document of this {kind} (Range, If-None-Match)",
        description=f"The file of a document of this {kind}, streamed as its media type; byte ranges (`Range`, "
        "206) and revalidation (`If-None-Match` on the SHA-256 ETag, 304) are supported.",
    )
    router.add_api_route(
        base + "/{document_id}/versions",
        supersede,
        methods=["POST"],
        status_code=201,
        response_model=DocumentOut,
        responses={**write_errors, **responses(DocumentSuperseded)},
        openapi_extra=_UPLOAD_EXTRA,
        tags=[spec.tag],
        name=f"{kind}_document_supersede",
        summary=f"A new version of a document of this {kind}, superseding the current one",
        description=f"Upload a new version of a document of this {kind} (the body is the file): it supersedes "
        "the current version, which stays readable with its history. Audited.",
    )


async def verify_documents(
    store: DocumentStore, events: Sequence[Mapping[str, Any]]
) -> tuple[int, str] | None:
    """The first document event whose stored bytes no longer hash to what the chain recorded."""
    seen: dict[str, bool] = {}
    for ev in events:
        data = ev.get("data")
        if ev.get("action") != ATTACHED or not isinstance(data, dict) or "sha256" not in data:
            continue
        sha = str(data["sha256"])
        if sha not in seen:
            seen[sha] = await store.matches(sha)
        if not seen[sha]:
            return int(ev["seq"]), "a document's stored content does not match its hash (replaced or missing)"
    return None
