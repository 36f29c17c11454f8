"""The document store: content addressed by sha256, through obstore (local filesystem or S3).

An upload streams into a spool file while it is hashed and counted (constant memory; over the
limit → 413 as soon as the count passes it), its bytes are checked (sniff.py), and only then is it
put under `sha256/<2 hex>/<hash>`: the same bytes are stored once, and an upload that fails or is
interrupted leaves nothing behind (the spool file is always removed; obstore's put is atomic).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import obstore
from obstore.exceptions import NotFoundError
from obstore.store import LocalStore, S3Store

from jiuzhu_kit.bodylimit import PayloadTooLarge
from jiuzhu_kit.documents import sniff
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


class DocumentStore:
    def __init__(self, store: ObjectStore, *, spool_dir: str | None = None) -> None:
        self.store = store
        self.spool_dir = spool_dir

    @classmethod
    def from_settings(cls, settings: KitSettings, service: str) -> DocumentStore:
        return cls(open_store(settings, service))

    async def ingest(self, chunks: AsyncIterable[bytes], *, declared: str, limit: int) -> Stored:
        """Store one upload's bytes if they are what `declared` says and no more than `limit`."""
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
        await obstore.put_async(self.store, key, spool)
        return True

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
