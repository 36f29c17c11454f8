"""The transparency routes of a service: public reads under /public/transparency (anonymous through
the gateway at /api/public/<service>/transparency/…, cacheable with a strong ETag) and the
on-demand publication POST /transparency/heads (bureau or admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from pydantic import BaseModel, Field

from jiuzhu_kit import httpcache
from jiuzhu_kit.auth import Principal, Role, RoleForbidden, require_roles
from jiuzhu_kit.db import SessionDep
from jiuzhu_kit.errors import DomainError, NotFound, responses
from jiuzhu_kit.transparency import heads
from jiuzhu_kit.transparency.log import Head, TransparencyLog

MAX_ENTRIES = 1000
# A head once published never changes: cache it for long. The latest one changes with each head.
LATEST = 60
IMMUTABLE = 86_400


class TreeHeadNotFound(NotFound):
    code = "TREE_HEAD_NOT_FOUND"
    zh = "未找到该树头（尚未发布）"
    en = "No such tree head (not published yet)"


class LogEntryNotFound(NotFound):
    code = "LOG_ENTRY_NOT_FOUND"
    zh = "该记录不在此树头的日志中"
    en = "The record is not in the log under this tree head"


class ProofRangeInvalid(DomainError):
    code = "PROOF_RANGE_INVALID"
    status = 422
    zh = "证明范围无效：{why}"
    en = "The proof range is invalid: {why}"


class TreeHeadOut(BaseModel):
    """A signed tree head: the Merkle root over the first `tree_size` log entries, signed with the
    service's Ed25519 key over the canonical JSON of service, sequence, tree_size, root_hash and
    timestamp (sorted keys, no spaces)."""

    service: str = Field(description="签名服务 the service whose log this is", examples=["procurement"])
    sequence: int = Field(description="树头序号，从 1 递增 the head's number, 1, 2, …", examples=[7])
    tree_size: int = Field(
        description="日志条目数 the number of log entries the tree covers", examples=[1234]
    )
    root_hash: str = Field(
        description="Merkle 根哈希 (RFC 6962 SHA-256, hex)",
        examples=["5c1b2d0f0a4e6c8d9e7f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f"],
    )
    timestamp: int = Field(
        description="发布时间，Unix 毫秒 milliseconds since the epoch (UTC)", examples=[1796324400000]
    )
    signature: str = Field(description="Ed25519 签名 (base64) over the canonical JSON of the fields above")
    key_id: str = Field(description="签名公钥标识 SHA-256 of the key's DER SubjectPublicKeyInfo (hex)")
    trigger: str = Field(description="`periodic` 定期发布 or `on_demand` 按需发布")


class PublicKeyOut(BaseModel):
    """The key the service signs its tree heads with."""

    service: str = Field(description="签名服务 the service", examples=["procurement"])
    algorithm: str = Field(description="签名算法 the signature algorithm", examples=["Ed25519"])
    key_id: str = Field(description="公钥标识 SHA-256 of the DER SubjectPublicKeyInfo (hex)")
    public_key: str = Field(description="公钥 the raw 32-byte public key, base64")
    pem: str = Field(description="公钥 PEM (SubjectPublicKeyInfo)")


class LogEntryOut(BaseModel):
    """One log entry: an aggregate's revision and its audit chain hash after it. Its leaf hash is
    SHA-256(0x00 || JSON `[aggregate_type, aggregate_id, revision, chain_hash]` without spaces)."""

    index: int = Field(description="条目序号（叶子序号）the leaf index, from 0")
    aggregate_type: str = Field(description="记录类型 the aggregate type", examples=["project"])
    aggregate_id: str = Field(description="记录 id the aggregate's id")
    revision: int = Field(description="记录版本 the aggregate's revision (its history's seq)", examples=[3])
    chain_hash: str = Field(description="该版本后的审计链哈希 the audit chain hash after this revision (hex)")


class LogEntriesOut(BaseModel):
    """Entries `start` ≤ index < `end` of the log (at most 1000)."""

    entries: list[LogEntryOut] = Field(description="条目，按序号 in index order")


class InclusionProofOut(BaseModel):
    """An aggregate's entry in a head's tree, with its RFC 6962 audit path: hash the entry's leaf
    up the path and get the head's root (RFC 9162 §2.1.3.2)."""

    head: TreeHeadOut = Field(description="所证明的树头 the head the proof is for")
    entry: LogEntryOut = Field(description="记录在该树头下的条目 the aggregate's entry")
    leaf_index: int = Field(description="叶子序号 the entry's leaf index", examples=[41])
    leaf_hash: str = Field(description="叶子哈希 (hex)")
    revision: int = Field(description="所证明的版本 the revision proved", examples=[3])
    audit_path: list[str] = Field(description="审计路径 the audit path, leaf to root (hex)")


class ConsistencyProofOut(BaseModel):
    """That the tree of the first head is a prefix of the tree of the second (RFC 6962 §2.1.2,
    verified as RFC 9162 §2.1.4.2): nothing logged before the first head was changed since."""

    first: TreeHeadOut = Field(description="较早的树头 the earlier head")
    second: TreeHeadOut = Field(description="较晚的树头 the later head")
    proof: list[str] = Field(description="一致性证明 the consistency proof (hex)")


Sequence = Annotated[int, Path(ge=1, description="树头序号 the head's sequence number", examples=[1])]


def _log(request: Request) -> TransparencyLog:
    t = request.app.state.transparency
    assert isinstance(t, TransparencyLog)
    return t


def _out(head: Head) -> TreeHeadOut:
    return TreeHeadOut(**head.signed(), key_id=head.key_id, trigger=head.trigger)


async def _head(session: SessionDep, log: TransparencyLog, sequence: int | None) -> Head:
    head = await log.latest(session) if sequence is None else await log.head(session, sequence)
    if head is None:
        raise TreeHeadNotFound()
    return head


def _cached(request: Request, response: Response, kind: str, head: Head, max_age: int) -> Response | None:
    stamp = httpcache.Stamp.of(kind, head.sequence, head.root_hash)
    return httpcache.answer(request, response, stamp, max_age)


def transparency_router() -> APIRouter:
    router = APIRouter(tags=["transparency"])

    @router.get(
        "/public/transparency/heads/latest",
        response_model=TreeHeadOut,
        responses={**httpcache.documented(LATEST), **responses(TreeHeadNotFound)},
    )
    async def get_latest_tree_head(
        request: Request, response: Response, session: SessionDep
    ) -> TreeHeadOut | Response:
        """The latest signed tree head of this service's log (keep it: a later head must prove
        consistent with it, and any aggregate's history must prove included in it)."""
        head = await _head(session, _log(request), None)
        if (hit := _cached(request, response, "tree-head-latest", head, LATEST)) is not None:
            return hit
        return _out(head)

    @router.get(
        "/public/transparency/heads/{sequence}",
        response_model=TreeHeadOut,
        responses={**httpcache.documented(IMMUTABLE), **responses(TreeHeadNotFound)},
    )
    async def get_tree_head(
        request: Request, response: Response, session: SessionDep, sequence: Sequence
    ) -> TreeHeadOut | Response:
        """A signed tree head by its sequence number (never changes once published)."""
        head = await _head(session, _log(request), sequence)
        if (hit := _cached(request, response, "tree-head", head, IMMUTABLE)) is not None:
            return hit
        return _out(head)

    @router.get(
        "/public/transparency/key",
        response_model=PublicKeyOut,
        responses={**httpcache.documented(IMMUTABLE), **responses(TreeHeadNotFound)},
    )
    async def get_transparency_key(request: Request, response: Response) -> PublicKeyOut | Response:
        """The Ed25519 public key this service signs its tree heads with."""
        log = _log(request)
        stamp = httpcache.Stamp.of("transparency-key", log.key_id)
        if (hit := httpcache.answer(request, response, stamp, IMMUTABLE)) is not None:
            return hit
        return PublicKeyOut(
            service=log.service,
            algorithm="Ed25519",
            key_id=log.key_id,
            public_key=heads.b64(heads.public_raw(log.public_key)),
            pem=heads.public_pem(log.public_key),
        )

    @router.get(
        "/public/transparency/entries",
        response_model=LogEntriesOut,
        responses={**httpcache.documented(IMMUTABLE), **responses(ProofRangeInvalid)},
    )
    async def list_log_entries(
        request: Request,
        response: Response,
        session: SessionDep,
        start: Annotated[
            int, Query(ge=0, description="第一个条目序号（含） first index, included", examples=[0])
        ],
        end: Annotated[
            int, Query(ge=1, description="最后条目序号之后（不含） end index, excluded", examples=[100])
        ],
    ) -> LogEntriesOut | Response:
        """Log entries by index (at most 1000 at a time): with them anyone recomputes a head's root."""
        if end <= start or end - start > MAX_ENTRIES:
            raise ProofRangeInvalid(why=f"need start < end ≤ start + {MAX_ENTRIES}")
        log = _log(request)
        rows = await log.entries(session, start, end)
        if len(rows) == end - start:  # a full range never changes (the log is append-only)
            stamp = httpcache.Stamp.of("log-entries", start, end, rows[-1].chain_hash)
            if (hit := httpcache.answer(request, response, stamp, IMMUTABLE)) is not None:
                return hit
        return LogEntriesOut(
            entries=[
                LogEntryOut(
                    index=r.idx,
                    aggregate_type=r.aggregate_type,
                    aggregate_id=r.aggregate_id,
                    revision=r.revision,
                    chain_hash=r.chain_hash,
                )
                for r in rows
            ]
        )

    @router.get(
        "/public/transparency/proofs/inclusion",
        response_model=InclusionProofOut,
        responses={**httpcache.documented(IMMUTABLE), **responses(TreeHeadNotFound, LogEntryNotFound)},
    )
    async def get_inclusion_proof(
        request: Request,
        response: Response,
        session: SessionDep,
        aggregate_type: Annotated[
            str, Query(max_length=64, description="记录类型 the aggregate type", examples=["project"])
        ],
        aggregate_id: Annotated[
            str,
            Query(
                max_length=128,
                description="记录 id the aggregate's id",
                examples=["0b7c6f1e-3f0a-4c59-9a53-2f3c1d2e4b5a"],
            ),
        ],
        sequence: Annotated[
            int | None,
            Query(ge=1, description="树头序号；不传为最新 the head (default: the latest)", examples=[1]),
        ] = None,
        revision: Annotated[
            int | None,
            Query(
                ge=1,
                description="版本；不传为该树头下的最新版本 the revision (default: its latest)",
                examples=[1],
            ),
        ] = None,
    ) -> InclusionProofOut | Response:
        """That an aggregate's revision (by default its latest under the head) is in a head's tree:
        recompute its chain from GET …/events, hash the entry's leaf up the audit path, and compare
        with the signed root."""
        log = _log(request)
        head = await _head(session, log, sequence)
        row = await log.entry_of(session, aggregate_type, aggregate_id, head.tree_size, revision)
        if row is None:
            raise LogEntryNotFound()
        stamp = httpcache.Stamp.of("inclusion", head.sequence, head.root_hash, row.idx)
        if (hit := httpcache.answer(request, response, stamp, IMMUTABLE if sequence else LATEST)) is not None:
            return hit
        path = await log.inclusion(session, row.idx, head.tree_size)
        entry = LogEntryOut(
            index=row.idx,
            aggregate_type=row.aggregate_type,
            aggregate_id=row.aggregate_id,
            revision=row.revision,
            chain_hash=row.chain_hash,
        )
        leaf = heads.entry_leaf_hash(row.aggregate_type, row.aggregate_id, row.revision, row.chain_hash)
        return InclusionProofOut(
            head=_out(head),
            entry=entry,
            leaf_index=row.idx,
            leaf_hash=leaf.hex(),
            revision=row.revision,
            audit_path=[p.hex() for p in path],
        )

    @router.get(
        "/public/transparency/proofs/consistency",
        response_model=ConsistencyProofOut,
        responses={**httpcache.documented(IMMUTABLE), **responses(TreeHeadNotFound, ProofRangeInvalid)},
    )
    async def get_consistency_proof(
        request: Request,
        response: Response,
        session: SessionDep,
        first: Annotated[int, Query(ge=1, description="较早的树头序号 the earlier head", examples=[1])],
        second: Annotated[int, Query(ge=1, description="较晚的树头序号 the later head", examples=[2])],
    ) -> ConsistencyProofOut | Response:
        """That the earlier head's tree is a prefix of the later one's: the log was only appended to."""
        if first > second:
            raise ProofRangeInvalid(why="first must not be after second")
        log = _log(request)
        a, b = await _head(session, log, first), await _head(session, log, second)
        stamp = httpcache.Stamp.of("consistency", a.sequence, b.sequence, a.root_hash, b.root_hash)
        if (hit := httpcache.answer(request, response, stamp, IMMUTABLE)) is not None:
            return hit
        proof = await log.consistency(session, a.tree_size, b.tree_size)
        return ConsistencyProofOut(first=_out(a), second=_out(b), proof=[p.hex() for p in proof])

    @router.post(
        "/transparency/heads",
        status_code=status.HTTP_201_CREATED,
        response_model=TreeHeadOut,
        responses=responses(RoleForbidden),
    )
    async def publish_tree_head(
        request: Request,
        session: SessionDep,
        principal: Annotated[Principal, Depends(require_roles(Role.BUREAU))],
    ) -> TreeHeadOut:
        """Publish a signed tree head now (bureau or admin), over every change committed so far
        (the periodic publication does the same when the log grew)."""
        log = _log(request)
        head = await log.publish(session, "on_demand")
        assert head is not None
        await request.app.state.audit.append(
            session,
            aggregate_type="transparency_head",
            aggregate_id=head.sequence,
            action="transparency_head.published",
            actor=principal,
            data={"sequence": head.sequence, "tree_size": head.tree_size, "root_hash": head.root_hash},
        )
        return _out(head)

    return router
