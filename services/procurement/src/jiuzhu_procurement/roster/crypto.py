"""Column-level encryption of a worker's personal data (ID number, phone), and nothing else.

The same library and key handling as the sealed bids (project/sealing.py): a 32-byte master key
from the environment (`PROCUREMENT_PERSONAL_DATA_KEY`, the development key refused in prod), never
in the database. HKDF derives one AES-256-GCM key for the values and one HMAC key for the blind
index of ID numbers (the roster finds a person already on a contract without storing the number in
clear; without the key the index cannot be matched against a list of numbers). Each value is bound
to its row and column (the associated data), so a ciphertext copied to another row does not decrypt.
"""

from __future__ import annotations

import base64
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from jiuzhu_kit.errors import ServiceUnavailable
from jiuzhu_procurement.project.sealing import key_id, parse_key

# Development only, refused in prod (settings.py): 32 bytes, base64.
DEV_PERSONAL_DATA_KEY = base64.urlsafe_b64encode(b"jiuzhu dev personal-data key: !!").decode()
_NONCE = 12
_VERSION = b"\x01"


class PersonalDataKeyUnavailable(ServiceUnavailable):
    code = "PERSONAL_DATA_KEY_UNAVAILABLE"
    zh = "个人信息密钥不可用（{key_id}），无法读取"
    en = "The personal-data key is unavailable ({key_id})"


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"jiuzhu-roster\x00" + purpose).derive(
        master
    )


@dataclass(frozen=True)
class PersonalDataKey:
    """The service's personal-data key, with the two keys derived from it."""

    value_key: bytes
    index_key: bytes
    fingerprint: str

    @classmethod
    def of(cls, text: str) -> PersonalDataKey:
        master = parse_key(text, "PROCUREMENT_PERSONAL_DATA_KEY")
        return cls(_derive(master, b"value"), _derive(master, b"index"), key_id(master))

    def seal(self, value: str, row: str, column: str) -> bytes:
        nonce = os.urandom(_NONCE)
        aad = f"{row}\x00{column}".encode()
        return _VERSION + nonce + AESGCM(self.value_key).encrypt(nonce, value.encode(), aad)

    def open(self, blob: bytes, row: str, column: str) -> str:
        if blob[:1] != _VERSION:
            raise PersonalDataKeyUnavailable(key_id=self.fingerprint)
        nonce, ct = blob[1 : 1 + _NONCE], blob[1 + _NONCE :]
        try:
            return AESGCM(self.value_key).decrypt(nonce, ct, f"{row}\x00{column}".encode()).decode()
        except InvalidTag as exc:  # another key, or a value moved from another row
            raise PersonalDataKeyUnavailable(key_id=self.fingerprint) from exc

    def index(self, id_number: str) -> str:
        """The blind index of an ID number (HMAC-SHA256, hex): equal numbers, equal indexes."""
        return hmac.new(self.index_key, id_number.strip().upper().encode(), "sha256").hexdigest()
