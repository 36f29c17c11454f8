"""Files sealed at rest: a document's bytes encrypted until its owner is opened (a sealed bid's).

The aggregate gives the key (32 bytes; procurement derives it from the project's data key, the one
that seals the bid's price: project/sealing.py). The file is cut into frames of `FRAME` plain bytes,
each AES-256-GCM with its own random nonce and, as associated data, the document id and the frame's
index, so a frame moved to another place or another document does not decrypt. Memory is one frame
either way; a 100 MiB file never sits in memory.

A frame on disk: nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FRAME = 1024 * 1024
_NONCE = 12
_TAG = 16
SEALED_FRAME = _NONCE + FRAME + _TAG
MAGIC = b"JZSEAL1\n"


def _aad(doc_id: uuid.UUID, index: int) -> bytes:
    return doc_id.bytes + index.to_bytes(8, "big")


@dataclass(frozen=True)
class FileSealer:
    """Encrypts and decrypts the files of one sealed owner with its key."""

    key: bytes

    def seal_file(self, doc_id: uuid.UUID, src: BinaryIO, dst: BinaryIO) -> None:
        """Encrypt `src` (plain) into `dst`, frame by frame."""
        aead = AESGCM(self.key)
        dst.write(MAGIC)
        index = 0
        while True:
            plain = src.read(FRAME)
            if not plain and index > 0:
                break
            nonce = os.urandom(_NONCE)
            dst.write(nonce + aead.encrypt(nonce, plain, _aad(doc_id, index)))
            index += 1
            if len(plain) < FRAME:
                break

    def frames(self, doc_id: uuid.UUID, sealed: bytes) -> Iterator[bytes]:
        """Decrypt a whole sealed blob held in memory (tests, small files)."""
        aead = AESGCM(self.key)
        body = sealed.removeprefix(MAGIC)
        for index, at in enumerate(range(0, len(body), SEALED_FRAME)):
            frame = body[at : at + SEALED_FRAME]
            yield aead.decrypt(frame[:_NONCE], frame[_NONCE:], _aad(doc_id, index))

    async def open_stream(
        self, doc_id: uuid.UUID, chunks: AsyncIterable[bytes], first: int | None = None
    ) -> AsyncIterator[bytes]:
        """The plain bytes of a sealed blob read as a stream of chunks of any size; `first`: the
        chunks start at that frame (a range read, `frame_span`), not at the header."""
        aead = AESGCM(self.key)
        buf = bytearray()
        index = first or 0
        header = first is None
        async for chunk in chunks:
            buf += chunk
            if header:
                if len(buf) < len(MAGIC):
                    continue
                if bytes(buf[: len(MAGIC)]) != MAGIC:
                    raise ValueError("not a sealed document")
                del buf[: len(MAGIC)]
                header = False
            while len(buf) >= SEALED_FRAME:
                frame = bytes(buf[:SEALED_FRAME])
                del buf[:SEALED_FRAME]
                yield aead.decrypt(frame[:_NONCE], frame[_NONCE:], _aad(doc_id, index))
                index += 1
        if buf:
            frame = bytes(buf)
            yield aead.decrypt(frame[:_NONCE], frame[_NONCE:], _aad(doc_id, index))


def frame_span(start: int, end: int) -> tuple[int, int, int]:
    """The sealed frames holding plain bytes [start, end): (first frame, the blob's offset of its
    start, the blob's offset past the last one) — a range is decrypted from these frames only."""
    first, last = start // FRAME, (end - 1) // FRAME
    return first, len(MAGIC) + first * SEALED_FRAME, len(MAGIC) + (last + 1) * SEALED_FRAME
