"""The document store on real storage: the local filesystem, and S3 through a real S3-compatible
HTTP server (moto's server mode, started here), never a mock of the client."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import boto3
import docx
import pytest
from moto.server import ThreadedMotoServer

from jiuzhu_kit.bodylimit import PayloadTooLarge
from jiuzhu_kit.documents import sniff
from jiuzhu_kit.documents.store import DocumentStore, key_of, open_store
from jiuzhu_kit.settings import KitSettings

PDF_BYTES = (
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"0" * 5000 + b"\n%%EOF\n"
)


def docx_bytes(text: str = "合同") -> bytes:
    d = docx.Document()
    d.add_paragraph(text)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


async def chunks(data: bytes, size: int = 4096) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    boto3.client(
        "s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    ).create_bucket(Bucket="jiuzhu-docs")
    yield url
    server.stop()


@pytest.fixture(params=["local", "s3"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> KitSettings:
    if request.param == "local":
        return KitSettings(documents_dir=str(tmp_path / "docs"))
    url = request.getfixturevalue("s3_server")
    return KitSettings(
        documents_backend="s3",
        documents_s3_bucket="jiuzhu-docs",
        documents_s3_endpoint=url,
        documents_s3_access_key_id="k",
        documents_s3_secret_access_key="s",
    )


@pytest.fixture
def store(settings: KitSettings, tmp_path: Path) -> DocumentStore:
    spool = tmp_path / "spool"
    spool.mkdir()
    # A prefix of its own per test: the S3 bucket is shared by the module's tests.
    return DocumentStore(open_store(settings, f"t{tmp_path.name}"), spool_dir=str(spool))


async def read_all(store: DocumentStore, sha: str, start: int = 0, end: int | None = None) -> bytes:
    return b"".join([c async for c in store.read(sha, start, end)])


async def test_stored_once_by_hash_and_read_back_whole_and_in_ranges(store: DocumentStore) -> None:
    first = await store.ingest(chunks(PDF_BYTES), declared=sniff.PDF, limit=1 << 20)
    assert first.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert (first.size, first.media_type, first.created) == (len(PDF_BYTES), sniff.PDF, True)
    again = await store.ingest(chunks(PDF_BYTES, 1000), declared=sniff.PDF, limit=1 << 20)
    assert (again.sha256, again.created) == (first.sha256, False)
    assert await read_all(store, first.sha256) == PDF_BYTES
    assert await read_all(store, first.sha256, 10, 20) == PDF_BYTES[10:20]
    assert await read_all(store, first.sha256, 100) == PDF_BYTES[100:]
    assert await store.size_of(first.sha256) == len(PDF_BYTES)
    assert await store.matches(first.sha256) is True
    assert os.listdir(store.spool_dir or "") == []


async def test_a_replaced_file_no_longer_matches_its_hash(store: DocumentStore) -> None:
    import obstore

    stored = await store.ingest(chunks(PDF_BYTES), declared=sniff.PDF, limit=1 << 20)
    await obstore.put_async(store.store, key_of(stored.sha256), PDF_BYTES.replace(b"Catalog", b"Katalog"))
    assert await store.matches(stored.sha256) is False
    assert await store.matches("0" * 64) is False  # missing


async def test_over_the_limit_while_streaming_is_refused_and_nothing_is_stored(store: DocumentStore) -> None:
    with pytest.raises(PayloadTooLarge):
        await store.ingest(chunks(PDF_BYTES), declared=sniff.PDF, limit=len(PDF_BYTES) - 1)
    assert await store.size_of(hashlib.sha256(PDF_BYTES).hexdigest()) is None
    assert os.listdir(store.spool_dir or "") == []


async def test_an_interrupted_upload_leaves_nothing(store: DocumentStore) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield PDF_BYTES[:1000]
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await store.ingest(broken(), declared=sniff.PDF, limit=1 << 20)
    assert os.listdir(store.spool_dir or "") == []
    assert await store.size_of(hashlib.sha256(PDF_BYTES[:1000]).hexdigest()) is None


@pytest.mark.parametrize(
    ("declared", "data", "code"),
    [
        (sniff.PDF, b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "DOCUMENT_TYPE_MISMATCH"),
        (sniff.DOCX, PDF_BYTES, "DOCUMENT_TYPE_MISMATCH"),
        (sniff.TEXT, b"abc\x00def", "DOCUMENT_TYPE_MISMATCH"),
        (sniff.PDF, b"\x7fELF\x02\x01\x01" + b"\0" * 64, "DOCUMENT_EXECUTABLE"),
        (sniff.TEXT, b"#!/bin/sh\nrm -rf /\n", "DOCUMENT_EXECUTABLE"),
        (sniff.PDF, b"MZ\x90\x00" + b"\0" * 64, "DOCUMENT_EXECUTABLE"),
        (sniff.PDF, b"", "DOCUMENT_EMPTY"),
        ("application/x-msdownload", b"MZ", "DOCUMENT_MEDIA_TYPE_UNSUPPORTED"),
    ],
)
async def test_bytes_that_are_not_what_they_claim_are_refused(
    store: DocumentStore, declared: str, data: bytes, code: str
) -> None:
    with pytest.raises(Exception) as err:
        await store.ingest(chunks(data), declared=declared, limit=1 << 20)
    assert getattr(err.value, "code", None) == code
    assert await store.size_of(hashlib.sha256(data).hexdigest()) is None


async def test_a_zip_bomb_dressed_as_docx_is_refused(store: DocumentStore) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * (300 * 1024 * 1024))  # 300 MiB of zeros, ~300 KiB zipped
    bomb = out.getvalue()
    assert len(bomb) < 1024 * 1024
    with pytest.raises(sniff.ZipBomb):
        await store.ingest(chunks(bomb, 65536), declared=sniff.DOCX, limit=10 << 20)
    assert await store.size_of(hashlib.sha256(bomb).hexdigest()) is None


async def test_a_real_docx_and_utf8_text_are_accepted(store: DocumentStore) -> None:
    d = await store.ingest(chunks(docx_bytes()), declared=sniff.DOCX, limit=1 << 20)
    t = await store.ingest(chunks("采购文件，第一条。\n".encode() * 5000), declared=sniff.TEXT, limit=1 << 20)
    assert (d.media_type, t.media_type, t.size) == (
        sniff.DOCX,
        sniff.TEXT,
        len("采购文件，第一条。\n".encode()) * 5000,
    )


def test_s3_settings_need_a_bucket() -> None:
    with pytest.raises(ValueError, match="documents_s3_bucket"):
        KitSettings(documents_backend="s3")


async def test_bytes_sent_as_octet_stream_are_recognised_or_refused(store: DocumentStore) -> None:
    pdf = await store.ingest(chunks(PDF_BYTES), declared=sniff.OCTET, limit=1 << 20)
    assert pdf.media_type == sniff.PDF
    text = await store.ingest(chunks("灵武市 说明\n".encode() * 20), declared=sniff.OCTET, limit=1 << 20)
    assert text.media_type == sniff.TEXT
    with pytest.raises(sniff.UnsupportedMediaType) as refused:
        await store.ingest(chunks(bytes(range(256)) * 8), declared=sniff.OCTET, limit=1 << 20)
    assert refused.value.code == "DOCUMENT_MEDIA_TYPE_UNSUPPORTED"


async def test_a_sealed_file_is_stored_encrypted_opened_once_and_swept_when_orphaned(
    store: DocumentStore,
) -> None:
    """Local and S3 alike: a sealed owner's file is ciphertext in the store (several frames, so a
    frame boundary is crossed), read back through its key, moved into the content-addressed place
    by the opening; blobs no document refers to are swept once past the grace period."""
    import uuid
    from datetime import UTC, datetime, timedelta

    import obstore
    from cryptography.exceptions import InvalidTag

    from jiuzhu_kit.documents.sealed import FRAME, FileSealer
    from jiuzhu_kit.documents.store import sealed_key_of

    secret = b"SEALED-PRICE-BREAKDOWN " * (2 * FRAME // 23 + 5)  # > 2 frames
    sealer, doc_id = FileSealer(os.urandom(32)), uuid.uuid4()
    stored = await store.ingest(
        chunks(secret, 65536), declared=sniff.TEXT, limit=1 << 24, sealed=(doc_id, sealer)
    )
    assert stored.sha256 == hashlib.sha256(secret).hexdigest()
    assert await store.size_of(stored.sha256) is None  # not in clear
    raw = await (await obstore.get_async(store.store, sealed_key_of(stored.sha256, doc_id))).bytes_async()
    assert b"SEALED-PRICE" not in bytes(raw)
    assert b"".join([c async for c in store.read_sealed(stored.sha256, doc_id, sealer)]) == secret
    assert await store.has_sealed(stored.sha256)
    with pytest.raises(InvalidTag):  # another key does not open it
        _ = [c async for c in store.read_sealed(stored.sha256, doc_id, FileSealer(os.urandom(32)))]

    assert await store.unseal(stored.sha256, doc_id, sealer) is True
    assert await read_all(store, stored.sha256) == secret
    assert not await store.has_sealed(stored.sha256)
    assert await store.unseal(stored.sha256, doc_id, sealer) is False

    orphan = await store.ingest(chunks(PDF_BYTES), declared=sniff.PDF, limit=1 << 20)
    now = datetime.now(UTC)
    kept = {stored.sha256}
    assert await store.sweep(kept, set(), older_than=timedelta(hours=1), now=now) == []  # too young
    gone = await store.sweep(kept, set(), older_than=timedelta(0), now=now + timedelta(seconds=5))
    assert gone == [key_of(orphan.sha256)]
    assert await store.size_of(orphan.sha256) is None and await store.size_of(stored.sha256) == len(secret)
