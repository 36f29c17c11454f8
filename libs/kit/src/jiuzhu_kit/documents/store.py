"""The document store: content addressed by sha256, through obstore (local filesystem or S3).

An upload streams into a spool file while it is hashed and counted (constant memory; over the
limit → 413 as soon as the count passes it), its bytes are checked (sniff.py), and only then is it
put under `sha256/<2 hex>/<hash>`: the same bytes are stored once, and an upload that fails or is
interrupted leaves nothing behind (the spool file is always removed; obstore's put is atomic).

A sealed owner's file (a bid's before the opening) is stored encrypted instead (sealed.py), under
`sealed/<hash>/<document id>`: one blob per document, never shared, never in clear; the opening
decrypts it into the content-addressed place (`unseal`). Blobs that no document refers to (the
transaction that would have recorded them failed or was cut off) are removed by `sweep`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import obstore
from obstore.exceptions import NotFoundError
from obstore.store import LocalStore, S3Store

from jiuzhu_kit.bodylimit import PayloadTooLarge
from jiuzhu_kit.documents import sniff
from jiuzhu_kit.documents.sealed import FRAME, FileSealer, frame_span
from jiuzhu_kit.settings import KitSettings

if TYPE_CHECKING:
    from obstore.store import ObjectStore

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Stored:
    """What the store holds for one upload: its hash, size and (checked) media type; `created` is
    False when the same bytes were already stored."""

    sha256: str
    size: int
    media_type: str
    created: bool


def key_of(sha256: str) -> str:
    return f"sha256/{sha256[:2]}/{sha256}"


def sealed_key_of(sha256: str, doc_id: uuid.UUID | str) -> str:
    return f"sealed/{sha256}/{doc_id}"


class DocumentStore:
    def __init__(self, store: ObjectStore, *, spool_dir: str | None = None) -> None:
        self.store = store
        self.spool_dir = spool_dir

    @classmethod
    def from_settings(cls, settings: KitSettings, service: str) -> DocumentStore:
        return cls(open_store(settings, service))

    async def ingest(
        self,
        chunks: AsyncIterable[bytes],
        *,
        declared: str,
        limit: int,
        sealed: tuple[uuid.UUID, FileSealer] | None = None,
    ) -> Stored:
        """Store one upload's bytes if they are what `declared` says and no more than `limit`;
        `sealed` (the document's id and its owner's sealer): encrypted, under its own key."""
        sniff.accept(declared)
        fd, name = tempfile.mkstemp(prefix="jiuzhu-doc-", dir=self.spool_dir)
        spool = Path(name)
        try:
            digest, size = hashlib.sha256(), 0
            with os.fdopen(fd, "wb") as f:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise PayloadTooLarge(limit=limit)
                    digest.update(chunk)
                    f.write(chunk)
            if declared == sniff.OCTET:
                declared = await asyncio.to_thread(sniff.detect, spool, size)
            await asyncio.to_thread(sniff.check, spool, declared, size)
            sha = digest.hexdigest()
            if sealed is not None:
                await self._put_sealed(sha, spool, *sealed)
                return Stored(sha, size, declared, True)
            created = await self._put_absent(sha, spool, size)
            return Stored(sha, size, declared, created)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(spool)

    async def _put_absent(self, sha: str, spool: Path, size: int) -> bool:
        key = key_of(sha)
        try:
            meta = await obstore.head_async(self.store, key)
            if meta["size"] == size:
                return False  # the same bytes are already there (content addressed)
        except (NotFoundError, FileNotFoundError):
            pass
        # From the path: obstore reads it in parts (multipart above 5 MiB), never the whole file.
        await _put(self.store, key, spool)
        return True

    async def _put_sealed(self, sha: str, spool: Path, doc_id: uuid.UUID, sealer: FileSealer) -> None:
        fd, name = tempfile.mkstemp(prefix="jiuzhu-doc-sealed-", dir=self.spool_dir)
        try:
            with os.fdopen(fd, "wb") as dst, spool.open("rb") as src:
                await asyncio.to_thread(sealer.seal_file, doc_id, src, dst)
            await _put(self.store, sealed_key_of(sha, doc_id), Path(name))
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)

    async def read_sealed(self, sha256: str, doc_id: uuid.UUID, sealer: FileSealer) -> AsyncIterator[bytes]:
        """A sealed document's plain bytes, decrypted as they stream (its owner's reader)."""
        result = await obstore.get_async(self.store, sealed_key_of(sha256, doc_id))
        raw = (bytes(c) async for c in result.stream(min_chunk_size=CHUNK))
        async for plain in sealer.open_stream(doc_id, raw):
            yield plain

    async def read_sealed_range(
        self, sha256: str, doc_id: uuid.UUID, sealer: FileSealer, start: int, end: int
    ) -> AsyncIterator[bytes]:
        """Plain bytes [start, end) of a sealed document: only the frames holding them are read
        and decrypted (each frame authenticates its own place, so a range needs no other)."""
        key = sealed_key_of(sha256, doc_id)
        first, at, until = frame_span(start, end)
        size = int((await obstore.head_async(self.store, key))["size"])
        result = await obstore.get_async(self.store, key, options={"range": (at, min(until, size))})
        raw = (bytes(c) async for c in result.stream(min_chunk_size=CHUNK))
        skip, left = start - first * FRAME, end - start
        async for plain in sealer.open_stream(doc_id, raw, first):
            piece = plain[skip:][:left]
            skip = max(skip - len(plain), 0)
            left -= len(piece)
            if piece:
                yield piece
            if left <= 0:
                break

    async def has_sealed(self, sha256: str) -> bool:
        """Whether a sealed copy of these bytes is stored (it cannot be checked without its key)."""
        async for batch in obstore.list(self.store, prefix=f"sealed/{sha256}/", chunk_size=1):
            if batch:
                return True
        return False

    async def unseal(self, sha256: str, doc_id: uuid.UUID, sealer: FileSealer) -> bool:
        """The opening: decrypt a sealed document into the content-addressed place, check it hashes
        to what was recorded, then drop the sealed copy. False when there was nothing sealed."""
        key = sealed_key_of(sha256, doc_id)
        try:
            await obstore.head_async(self.store, key)
        except (NotFoundError, FileNotFoundError):
            return False
        fd, name = tempfile.mkstemp(prefix="jiuzhu-doc-open-", dir=self.spool_dir)
        spool = Path(name)
        try:
            digest, size = hashlib.sha256(), 0
            with os.fdopen(fd, "wb") as f:
                async for plain in self.read_sealed(sha256, doc_id, sealer):
                    digest.update(plain)
                    size += len(plain)
                    f.write(plain)
            if digest.hexdigest() != sha256:
                raise ValueError(f"sealed document {doc_id} does not decrypt to its recorded hash")
            await self._put_absent(sha256, spool, size)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(spool)
        await obstore.delete_async(self.store, key)
        return True

    async def sweep(
        self, shas: Collection[str], ids: Collection[str], *, older_than: timedelta, now: datetime
    ) -> list[str]:
        """Delete the blobs no document refers to (`shas`: every recorded sha256; `ids`: every
        document id, for the sealed copies) that were stored more than `older_than` ago (younger
        ones may belong to an upload still committing). Returns the keys deleted."""
        gone: list[str] = []
        async for batch in obstore.list(self.store, chunk_size=1000):
            for meta in batch:
                path = str(meta["path"])
                parts = path.split("/")
                if parts[0] == "sha256" and len(parts) == 3:
                    kept = parts[2] in shas
                elif parts[0] == "sealed" and len(parts) == 3:
                    kept = parts[2] in ids
                else:
                    continue
                if kept or now - meta["last_modified"] < older_than:
                    continue
                await obstore.delete_async(self.store, path)
                gone.append(path)
        return gone

    async def size_of(self, sha256: str) -> int | None:
        try:
            meta = await obstore.head_async(self.store, key_of(sha256))
        except (NotFoundError, FileNotFoundError):
            return None
        return int(meta["size"])

    async def read(self, sha256: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """The stored bytes [start, end) as a stream of chunks."""
        options: dict[str, Any] = {}
        if start or end is not None:
            options["range"] = (start, end) if end is not None else {"offset": start}
        result = await obstore.get_async(self.store, key_of(sha256), options=options)  # type: ignore[arg-type]
        async for chunk in result.stream(min_chunk_size=CHUNK):
            yield bytes(chunk)

    async def matches(self, sha256: str) -> bool:
        """Whether the stored bytes still hash to their key (a replaced or missing file: False)."""
        digest = hashlib.sha256()
        try:
            async for chunk in self.read(sha256):
                digest.update(chunk)
        except (NotFoundError, FileNotFoundError):
            return False
        return digest.hexdigest() == sha256


# A multipart put keeps `max_concurrency` parts of PART bytes in memory at once: obstore's default
# (12 × 5 MiB) made a 100 MiB upload grow the service by 65 MiB (bench/documents_transfer.py);
# two parts keep it near 10 MiB and the local disk or S3 no slower for one upload.
PART = 5 * 1024 * 1024
PARTS_IN_FLIGHT = 2


async def _put(store: ObjectStore, key: str, path: Path) -> None:
    await obstore.put_async(store, key, path, chunk_size=PART, max_concurrency=PARTS_IN_FLIGHT)


def open_store(settings: KitSettings, service: str) -> ObjectStore:
    """The obstore store the settings choose, one prefix (folder) per service."""
    if settings.documents_backend == "s3":
        endpoint = settings.documents_s3_endpoint
        config: dict[str, Any] = {"region": settings.documents_s3_region}
        if endpoint:
            config |= {"endpoint": endpoint, "virtual_hosted_style_request": False}
        if settings.documents_s3_access_key_id:
            config |= {
                "access_key_id": settings.documents_s3_access_key_id,
                "secret_access_key": settings.documents_s3_secret_access_key,
            }
        return S3Store(
            settings.documents_s3_bucket,
            prefix=service,
            config=config,  # type: ignore[arg-type]
            client_options={"allow_http": endpoint.startswith("http://")},
        )
    root = Path(settings.documents_dir or Path(".data") / "documents").resolve() / service
    root.mkdir(parents=True, exist_ok=True)
    return LocalStore(prefix=root)
