"""The document routes every aggregate with attachments gets, decided by that aggregate's rules.

`add_document_routes(router, Attachable(...))` adds, under the aggregate's own path (its path
parameters named for what they are: `/plans/{plan_id}`, `/contracts/{contract_id}/payments/{period}`):

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

Uploads take `Idempotency-Key` (the stored file's sha256 stands for the body: idempotency.py
`guard_streamed`). An owner that is sealed (a bid before the opening) gives a `sealer`: its files
are stored encrypted (sealed.py) and decrypted only for its own readers, until `open_sealed` moves
them into the ordinary store at the opening. `sweep_orphans` removes the blobs no document refers to.
"""

from __future__ import annotations

import hashlib
import inspect
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiuzhu_kit import clock
from jiuzhu_kit.audit import Actor, AuditLog
from jiuzhu_kit.auth import Principal, PrincipalDep, RoleForbidden
from jiuzhu_kit.bodylimit import PayloadTooLarge
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.documents import codelist, http, sniff
from jiuzhu_kit.documents.sealed import FileSealer
from jiuzhu_kit.documents.store import DocumentStore
from jiuzhu_kit.errors import Conflict, DomainError, NotFound, responses
from jiuzhu_kit.idempotency import (  # the idempotency guard leaves such a body unread
    STREAMED_BODY,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    guard_streamed,
)
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
    where the aggregate hides who acted (a sealed bid's bidder). `sealer`: the owner is sealed, its
    files are stored encrypted with this key and read only through it."""

    kind: str
    id: str
    division: str
    chain: str
    chain_id: str
    actor: Actor | None = None
    sealer: FileSealer | None = None


# (request, session, principal, *the path parameters' values in path order) → the owner, or the
# aggregate's own refusal.
Resolve = Callable[..., Awaitable[Owner]]

_PARAM = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Attachable:
    """One aggregate's documents: its path (its parameters named for what they are, described in
    `params`: name → (description, example)), how a reader and a writer reach it (each raises the
    aggregate's own refusal), and the upload limit (None: the service's default)."""

    kind: str
    path: str
    tag: str
    read: Resolve
    write: Resolve
    refusals: Sequence[type[DomainError]] = field(default_factory=tuple)
    max_bytes: int | None = None
    params: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return _PARAM.findall(self.path)


@dataclass
class Documents:
    """A service's documents: the store, the table and the generated ones (generated.py)."""

    store: DocumentStore
    table: Table
    generators: tuple[Any, ...] = ()
    lean_sql: dict[str, str | None] = field(default_factory=dict)  # generated.affected's, per chain


class DocumentOut(BaseModel):
    """One version of a document attached to a record (文件的一个版本)."""

    id: uuid.UUID = Field(description="该版本的 id。This version's id")
    series_id: uuid.UUID = Field(
        description="文件的 id（首个版本的 id，各版本共用）。The document's id: its first version's"
    )
    version: int = Field(description="版本号，从 1 起。Version number, from 1")
    owner_type: str = Field(
        description="所附记录的种类（plan、project、bid、award、contract、amendment、payment、challenge、"
        "complaint、debarment、round、survey）。The kind of record it is attached to"
    )
    owner_id: str = Field(description="所附记录的 id。The record's id")
    document_type: str = Field(
        description="文件类型（OCDS documentType 代码表）。Document type (OCDS codelist)"
    )
    title: str = Field(description="标题。Title")
    language: str = Field(description="语言（BCP 47）。Language")
    media_type: str = Field(description="按字节核对过的媒体类型。Media type, checked against the bytes")
    size: int = Field(description="字节数。Size in bytes")
    sha256: str = Field(description="内容的 SHA-256（也是下载的 ETag）。The content's SHA-256, also its ETag")
    uploaded_at: datetime = Field(description="上传时间。When this version was stored")
    supersedes: uuid.UUID | None = Field(
        default=None, description="被本版本取代的版本。The version this one replaced"
    )
    superseded_by: uuid.UUID | None = Field(
        default=None, description="取代本版本的版本。The version that replaced this one"
    )
    superseded_at: datetime | None = Field(default=None, description="被取代的时间。When it was superseded")
    url: str = Field(description="下载地址。Where to download its bytes")


def _documents(request: Request) -> Documents:
    docs = request.app.state.documents
    assert isinstance(docs, Documents)
    return docs


def _out(request: Request, row: Mapping[str, Any] | Any) -> DocumentOut:
    url = str(request.url.path).split("/documents", 1)[0] + f"/documents/{row['id']}/content"
    return DocumentOut.model_validate({**row, "url": url})


def upload_paths(router: APIRouter, spec: Attachable) -> list[str]:
    """The paths of an aggregate's upload routes (the request-size limit applies there)."""
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


async def _ingest(
    request: Request, principal: Principal, spec: Attachable, owner: Owner, doc_id: uuid.UUID
) -> Any:
    settings: KitSettings = request.app.state.settings
    limit = spec.max_bytes or settings.documents_max_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(limit=limit)  # the middleware's rule, here too should a route lack it
    media_type = sniff.accept(sniff.media_type_of(request.headers.get("content-type")))
    sealed = (doc_id, owner.sealer) if owner.sealer is not None else None
    stored = await _documents(request).store.ingest(
        request.stream(), declared=media_type, limit=limit, sealed=sealed
    )
    await guard_streamed(request, principal, stored.sha256)  # replays or refuses a reused key
    return stored


async def _record(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    owner: Owner,
    values: dict[str, Any],
) -> dict[str, Any]:
    return await record_version(
        _documents(request).table, request.app.state.audit, session, Actor.of(principal), owner, values
    )


async def record_version(
    table: Table, audit: AuditLog, session: AsyncSession, actor: Actor, owner: Owner, values: dict[str, Any]
) -> dict[str, Any]:
    """Insert one version's row and append its hash, size and type to the owner's audit chain."""
    await session.execute(table.insert().values(**values))
    await audit.append(
        session,
        aggregate_type=owner.chain,
        aggregate_id=owner.chain_id,
        action=ATTACHED,
        actor=owner.actor or actor,
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
    version of its current document of that title, or the first one; the same bytes as the current
    version change nothing. Returns the current version and whether it is new."""
    values, new = await store_made(
        _documents(request),
        request.app.state.audit,
        request.app.state.settings,
        session,
        Actor.of(principal),
        owner,
        data,
        media_type=media_type,
        document_type=document_type,
        title=title,
        language=language,
    )
    return _out(request, values), new


async def store_made(
    docs: Documents,
    audit: AuditLog,
    settings: KitSettings,
    session: AsyncSession,
    actor: Actor,
    owner: Owner,
    data: bytes,
    *,
    media_type: str,
    document_type: str,
    title: str,
    language: str = "zh",
) -> tuple[dict[str, Any], bool]:
    """attach() without a request (the regeneration before a commit, generated.py). A generated
    document is known by its title: its type may change between versions (a contract's draft, then
    signed), its series stays."""
    codelist.check_type(document_type)
    table = docs.table
    # Two writes regenerating the same document at once (two projects of one plan): the second
    # waits here, then reads the first's version (a row lock alone would find no current row).
    await session.execute(
        select(
            func.pg_advisory_xact_lock(func.hashtextextended(f"document:{owner.kind}:{owner.id}:{title}", 0))
        )
    )
    current = (
        await session.execute(
            select(table)
            .where(
                table.c.owner_type == owner.kind,
                table.c.owner_id == owner.id,
                table.c.title == title,
                table.c.superseded_by.is_(None),
            )
            .with_for_update()
        )
    ).one_or_none()
    prev = current._mapping if current is not None else None

    async def chunks() -> AsyncIterator[bytes]:
        yield data

    # Hashed before storing: the same bytes (the renderers are deterministic) of the same type touch
    # nothing; the same bytes under another type (the draft now signed) are a new version.
    sha = hashlib.sha256(data).hexdigest()
    if prev is not None and (prev["sha256"], prev["document_type"]) == (sha, document_type):
        return dict(prev), False
    stored = await docs.store.ingest(chunks(), declared=media_type, limit=settings.documents_max_bytes)
    now = clock.now()
    new_id = uuid.uuid4()
    if prev is not None:
        await session.execute(
            update(table).where(table.c.id == prev["id"]).values(superseded_by=new_id, superseded_at=now)
        )
    values = await record_version(
        table,
        audit,
        session,
        actor,
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
            "uploaded_by": owner.actor.sub if owner.actor else actor.sub,
            "uploaded_at": now,
            "supersedes": prev["id"] if prev is not None else None,
            "superseded_by": None,
            "superseded_at": None,
        },
    )
    return values, True


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
_FILE_TYPES = {mt: {**_BINARY, "example": "%PDF-1.7 …"} for mt in sorted(sniff.ACCEPTED)}
_DOC_EXAMPLE = {
    "id": "8c1d2e3f-4a5b-4f0b-9a57-3f0c6a522d1e",
    "series_id": "8c1d2e3f-4a5b-4f0b-9a57-3f0c6a522d1e",
    "version": 1,
    "owner_type": "plan",
    "owner_id": "3f2b6c1e-8a4d-4e2f-9b7a-1c5d2e8f0a61",
    "document_type": "procurementPlan",
    "title": "年度计划（扫描件）",
    "language": "zh",
    "media_type": "application/pdf",
    "size": 20066,
    "sha256": "9f2c4b1f0e5a7d3c8b6a4e2f1d0c9b8a7f6e5d4c3b2a19080706050403020100",
    "uploaded_at": "2019-06-01T09:30:00+08:00",
    "supersedes": None,
    "superseded_by": None,
    "superseded_at": None,
    "url": "/plans/3f2b6c1e-8a4d-4e2f-9b7a-1c5d2e8f0a61/documents/8c1d2e3f-4a5b-4f0b-9a57-3f0c6a522d1e/content",
}


def _ok(status: int, example: Any, description: str) -> dict[int | str, dict[str, Any]]:
    return {status: {"description": description, "content": {"application/json": {"example": example}}}}


_UPLOAD_EXTRA = {
    # One declared content type, which client generators handle as a file; the server also takes
    # the file's own type in Content-Type (then checked against the bytes).
    "requestBody": {
        "required": True,
        "description": "文件内容。Content-Type 为文件本身的类型（"
        + "、".join(sorted(sniff.ACCEPTED))
        + "，与文件字节核对），或 application/octet-stream（按字节识别）。The file's bytes, sent as its own "
        "media type (checked against the bytes) or as application/octet-stream (recognised from them).",
        "content": {sniff.OCTET: {**_BINARY, "example": "%PDF-1.7 …"}},
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


def _example(param: Any, value: Any) -> Any:
    """A parameter with its OpenAPI `example` (set after construction: FastAPI warns on the keyword)."""
    param.example = value
    return param


DocumentType = Annotated[
    str,
    _example(
        Query(
            min_length=1,
            max_length=64,
            description="文件类型，OCDS documentType 代码表（GET /rules/documents 之外，见 documents/data）。"
            "OCDS documentType code",
        ),
        "tenderNotice",
    ),
]
Title = Annotated[str, _example(Query(min_length=1, max_length=300, description="标题。Title"), "采购公告")]
Language = Annotated[
    str,
    _example(
        Query(
            pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
            max_length=16,
            description="语言（BCP 47），默认 zh。Language",
        ),
        "zh",
    ),
]
NewTitle = Annotated[
    str | None,
    _example(
        Query(min_length=1, max_length=300, description="新版本的标题（默认沿用）。The new version's title"),
        "采购公告（更正）",
    ),
]
NewLanguage = Annotated[
    str | None,
    _example(
        Query(
            pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
            description="新版本的语言（默认沿用）。The new version's language",
        ),
        "zh",
    ),
]
History = Annotated[
    bool,
    _example(
        Query(description="true：列出每个版本（含被取代的）。Every version, superseded ones too"), False
    ),
]
DocumentId = Annotated[
    uuid.UUID,
    _example(
        Path(description="文件版本 id。A document version's id"), "8c1d2e3f-4a5b-4f0b-9a57-3f0c6a522d1e"
    ),
]


def _with_path(fn: Callable[..., Any], spec: Attachable) -> Callable[..., Any]:
    """`fn` with the aggregate's path parameters in its signature, so FastAPI reads and documents
    them by their own names (`plan_id`, `contract_id` and `period`, …); `fn` gets them as `**path`."""
    sig = inspect.signature(fn)
    fixed = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    extra = []
    for name in spec.names:
        description, example = spec.params.get(name, (name, ""))
        extra.append(
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[str, _example(Path(max_length=64, description=description), example)],
            )
        )
    # The owner's parameters first after the caller (request, session, principal), then the rest.
    at = next(i for i, p in enumerate(fixed) if p.name == "principal") + 1
    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in fixed[:at]] + extra
    params += [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in fixed[at:]]
    fn.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    return fn


def add_document_routes(router: APIRouter, spec: Attachable) -> None:
    base = f"{spec.path}/documents"
    kind = spec.kind
    names = spec.names
    refusals = responses(DocumentNotFound, *spec.refusals)

    def keys(path: Mapping[str, str]) -> list[str]:
        return [path[n] for n in names]

    async def upload(
        request: Request,
        session: SessionDep,
        principal: PrincipalDep,
        document_type: DocumentType,
        title: Title,
        language: Language = "zh",
        **path: str,
    ) -> DocumentOut:
        """Attach a document: the request body is the file, streamed to the store."""
        codelist.check_type(document_type)
        owner = await spec.write(request, session, principal, *keys(path))  # refused before a byte is read
        doc_id = uuid.uuid4()
        stored = await _ingest(request, principal, spec, owner, doc_id)
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
        document_id: DocumentId,
        title: NewTitle = None,
        language: NewLanguage = None,
        **path: str,
    ) -> DocumentOut:
        """A new version of a document; the old one stays in the history."""
        owner = await spec.write(request, session, principal, *keys(path))
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
        new_id = uuid.uuid4()
        stored = await _ingest(request, principal, spec, owner, new_id)
        now = clock.now()
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
        history: History = False,
        **path: str,
    ) -> list[DocumentOut]:
        """The record's documents: current versions, or every version."""
        owner = await spec.read(request, session, principal, *keys(path))
        table = _documents(request).table
        stmt = select(table).where(table.c.owner_type == kind, table.c.owner_id == owner.id)
        if not history:
            stmt = stmt.where(table.c.superseded_by.is_(None))
        rows = await session.execute(stmt.order_by(table.c.uploaded_at, table.c.series_id, table.c.version))
        return [_out(request, r._mapping) for r in rows]

    async def detail(
        request: Request, session: SessionDep, principal: PrincipalDep, document_id: DocumentId, **path: str
    ) -> DocumentOut:
        """One version of a document of the record."""
        owner = await spec.read(request, session, principal, *keys(path))
        return _out(request, await _one(session, _documents(request).table, owner, document_id))

    async def content(
        request: Request, session: SessionDep, principal: PrincipalDep, document_id: DocumentId, **path: str
    ) -> Response:
        """The document's bytes: ETag = its sha256, If-None-Match, one Range."""
        owner = await spec.read(request, session, principal, *keys(path))
        row = await _one(session, _documents(request).table, owner, document_id)
        store = _documents(request).store
        sha, size = row["sha256"], row["size"]
        headers = {
            "ETag": http.etag(sha),
            "Accept-Ranges": "bytes",
            "Cache-Control": "private, no-cache",  # revalidate with the ETag: access may change
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row['title'])}",
        }
        sealed = owner.sealer is not None and await store.size_of(sha) is None
        if not sealed and await store.size_of(sha) != size:
            raise DocumentContentMissing()  # said before the response starts, not halfway through it
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
        if sealed:
            # Encrypted at rest (only the sealed owner's own readers get here): decrypted as it
            # streams, a range from the frames that hold it only (sealed.py).
            assert owner.sealer is not None
            if span is None:
                stream = store.read_sealed(sha, row["id"], owner.sealer)
            else:
                stream = store.read_sealed_range(sha, row["id"], owner.sealer, start, end)
        else:
            stream = store.read(sha, start, end if end < size else None)
        return StreamingResponse(stream, status_code=status, media_type=row["media_type"], headers=headers)

    idempotency = responses(IdempotencyKeyReused, IdempotencyKeyInvalid)
    write_errors = responses(DocumentNotFound, *_UPLOAD_ERRORS, *spec.refusals) | idempotency
    read_errors = {**refusals, **responses(RoleForbidden)}
    name = kind.replace("-", "_")
    router.add_api_route(
        base,
        _with_path(upload, spec),
        methods=["POST"],
        status_code=201,
        response_model=DocumentOut,
        responses={**write_errors, **_ok(201, _DOC_EXAMPLE, "The document as stored")},
        openapi_extra=_UPLOAD_EXTRA,
        tags=[spec.tag],
        name=f"upload_{name}_document",
        summary=f"Attach a document to this {kind} (the body is the file)",
        description="上传文件：请求体即文件本身，流式写入存储；可带 Idempotency-Key（以文件的 SHA-256 代表请求体）。"
        "Attach a document: the body is the file, streamed to the store; Idempotency-Key is honoured "
        "(the file's SHA-256 stands for the body).",
    )
    router.add_api_route(
        base,
        _with_path(listing, spec),
        methods=["GET"],
        response_model=list[DocumentOut],
        responses={**read_errors, **_ok(200, [_DOC_EXAMPLE], "The documents")},
        tags=[spec.tag],
        name=f"list_{name}_documents",
        summary=f"This {kind}'s documents (current versions; history=true: every version)",
        description="该记录的文件：当前版本；history=true 时列出全部版本。Who sees them is the record's read policy.",
    )
    router.add_api_route(
        base + "/{document_id}",
        _with_path(detail, spec),
        methods=["GET"],
        response_model=DocumentOut,
        responses={**read_errors, **_ok(200, _DOC_EXAMPLE, "The document version")},
        tags=[spec.tag],
        name=f"get_{name}_document",
        summary=f"One document of this {kind}",
        description="该记录的一个文件版本。One version of a document of the record.",
    )
    router.add_api_route(
        base + "/{document_id}/content",
        _with_path(content, spec),
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
        name=f"download_{name}_document",
        summary=f"Download a document of this {kind} (Range, If-None-Match)",
        description="下载文件内容：ETag 为 SHA-256，支持 If-None-Match 与单个 Range。The bytes, with ETag, "
        "If-None-Match and one Range.",
    )
    router.add_api_route(
        base + "/{document_id}/versions",
        _with_path(supersede, spec),
        methods=["POST"],
        status_code=201,
        response_model=DocumentOut,
        responses={
            **write_errors,
            **responses(DocumentSuperseded),
            **_ok(201, _DOC_EXAMPLE, "The new version"),
        },
        openapi_extra=_UPLOAD_EXTRA,
        tags=[spec.tag],
        name=f"supersede_{name}_document",
        summary=f"A new version of a document of this {kind}, superseding the current one",
        description="上传新版本取代当前版本，旧版本保留在历史中。A new version; the old one stays in the history.",
    )


async def open_sealed(
    docs: Documents, session: AsyncSession, owner_type: str, owner_ids: Sequence[str], sealer: FileSealer
) -> int:
    """The opening of sealed owners (bids): each of their documents is decrypted into the ordinary
    store (checked against its recorded hash) and its sealed copy removed. Returns how many."""
    if not owner_ids:
        return 0
    table = docs.table
    rows = await session.execute(
        select(table.c.id, table.c.sha256).where(
            table.c.owner_type == owner_type, table.c.owner_id.in_(list(owner_ids))
        )
    )
    n = 0
    for doc_id, sha in rows:
        n += await docs.store.unseal(sha, doc_id, sealer)
    return n


async def sweep_orphans(
    store: DocumentStore, session: AsyncSession, table: Table, *, grace: timedelta = timedelta(hours=1)
) -> list[str]:
    """Remove the stored blobs no document refers to, once older than `grace` (an upload whose
    transaction failed or was cut off after its bytes were stored). Run under the Leader lock."""
    rows = (await session.execute(select(table.c.id, table.c.sha256))).all()
    shas = {r.sha256 for r in rows}
    ids = {str(r.id) for r in rows}
    # The store's own times (wall clock), not the business clock, which tests and demos set back.
    return await store.sweep(shas, ids, older_than=grace, now=datetime.now(UTC))


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
            # A sealed bid's file is stored encrypted until the opening: present, not checkable here.
            seen[sha] = await store.matches(sha) or await store.has_sealed(sha)
        if not seen[sha]:
            return int(ev["seq"]), "a document's stored content does not match its hash (replaced or missing)"
    return None
