"""Sealed bids: the cryptography, and nothing else (no database, no HTTP).

A bid submitted before the opening is sealed (财政部令第87号 33, 34, 41): its price, its bidder's
identity and its proposal are stored only as an AES-256-GCM envelope, so a database reader (a
dump, a replica, a DBA) finds neither a price nor who bid. Keys:

- each project has its own random data key (256 bits), created with its first bid and stored
  *wrapped* (AES-256-GCM) under the service master key, `PROCUREMENT_BID_KEY`, which lives only in
  the service's environment, never in the database;
- from the data key, HKDF derives one key for the envelopes and one for the bidder tags (a keyed
  HMAC of the bidder's credit code: the service finds a bidder's own sealed bid and refuses a
  second one without storing the code in clear; without the key, the tag cannot be matched against
  the public contractor registry);
- each envelope is bound to its bid (the bid id is the AEAD's associated data), each wrapped key to
  its project, so a ciphertext moved to another row does not decrypt.

A commitment (SHA-256 of a random salt and the offer) goes into the hash-chained history when a bid
is submitted or replaced; the opening record publishes each salt, so anyone who reads the record can
recompute the commitments and see that what was opened is what was sealed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from jiuzhu_kit.errors import ServiceUnavailable

# Development only, refused in prod (settings.py): 32 bytes, base64.
DEV_BID_KEY = base64.urlsafe_b64encode(b"jiuzhu dev bid key: not for prod").decode()
_NONCE = 12


class BidKeyUnavailable(ServiceUnavailable):
    code = "BID_KEY_UNAVAILABLE"
    zh = "本项目密封投标的密钥不可用（服务主密钥 {key_id} 未配置），无法开标"
    en = "The key sealing this project's bids is unavailable (service master key {key_id} not configured)"


def parse_key(text: str, name: str = "PROCUREMENT_BID_KEY") -> bytes:
    """A master key from its base64 text (standard or URL-safe alphabet): exactly 32 bytes."""
    raw = text.strip()
    try:
        key = base64.b64decode(raw.replace("-", "+").replace("_", "/") + "=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{name} must be base64") from exc
    if len(key) != 32:
        raise ValueError(f"{name} must be 32 bytes (256 bits) in base64, got {len(key)}")
    return key


def key_id(master: bytes) -> str:
    """A master key's public fingerprint, stored beside what it wrapped (which key to ask for)."""
    return hashlib.sha256(b"jiuzhu-bid-master\x00" + master).hexdigest()[:16]


def _derive(data_key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"jiuzhu-bid\x00" + purpose).derive(
        data_key
    )


@dataclass(frozen=True)
class DataKey:
    """One project's data key, unwrapped (in memory, for one request)."""

    raw: bytes

    def seal(self, bid_id: uuid.UUID, content: dict[str, Any]) -> bytes:
        nonce = os.urandom(_NONCE)
        plain = json.dumps(content, ensure_ascii=False, sort_keys=True).encode()
        return nonce + AESGCM(_derive(self.raw, b"envelope")).encrypt(nonce, plain, bid_id.bytes)

    def unseal(self, bid_id: uuid.UUID, envelope: bytes) -> dict[str, Any]:
        nonce, body = envelope[:_NONCE], envelope[_NONCE:]
        plain = AESGCM(_derive(self.raw, b"envelope")).decrypt(nonce, body, bid_id.bytes)
        content: dict[str, Any] = json.loads(plain)
        return content

    def file_key(self) -> bytes:
        """The key of the bid documents' files, sealed at rest like the envelopes (jiuzhu_kit
        documents/sealed.py): one more HKDF purpose of the same data key."""
        return _derive(self.raw, b"documents")

    def bidder_tag(self, uscc: str) -> bytes:
        return hmac.new(_derive(self.raw, b"bidder"), uscc.upper().encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class Keyring:
    """The service's master key (wraps new data keys) and the previous ones (still unwrap)."""

    current: bytes
    previous: tuple[bytes, ...] = ()

    @classmethod
    def of(cls, current: str, previous: str = "") -> Keyring:
        return cls(parse_key(current), tuple(parse_key(k) for k in previous.split(",") if k.strip()))

    @property
    def current_id(self) -> str:
        return key_id(self.current)

    def new_data_key(self, project_id: uuid.UUID) -> tuple[DataKey, str, bytes]:
        """A fresh data key, the id of the master key wrapping it, and the wrapped key to store."""
        raw = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(_NONCE)
        wrapped = nonce + AESGCM(self.current).encrypt(nonce, raw, b"jiuzhu-bid-key\x00" + project_id.bytes)
        return DataKey(raw), self.current_id, wrapped

    def unwrap(self, project_id: uuid.UUID, kid: str, wrapped: bytes) -> DataKey:
        master = next((k for k in (self.current, *self.previous) if key_id(k) == kid), None)
        if master is None:
            raise BidKeyUnavailable(key_id=kid)
        try:
            raw = AESGCM(master).decrypt(
                wrapped[:_NONCE], wrapped[_NONCE:], b"jiuzhu-bid-key\x00" + project_id.bytes
            )
        except InvalidTag:
            raise BidKeyUnavailable(key_id=kid) from None
        return DataKey(raw)


def new_salt() -> str:
    return os.urandom(16).hex()


def proposal_digest(proposal: str | None) -> str | None:
    return None if proposal is None else hashlib.sha256(proposal.encode()).hexdigest()


def commitment(
    salt: str,
    bid_id: uuid.UUID | str,
    round_: int,
    uscc: str,
    price: Decimal | str,
    proposal_sha256: str | None,
) -> str:
    """SHA-256 over the salt and the offer, canonical JSON: recomputable from the opening record."""
    offer = {
        "bid_id": str(bid_id),
        "round": round_,
        "uscc": uscc,
        "price": str(price),
        "proposal_sha256": proposal_sha256,
    }
    text = salt + "\n" + json.dumps(offer, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
