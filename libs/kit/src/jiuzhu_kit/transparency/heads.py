"""Signed tree heads and the client-side verifier: pure functions, no database, no HTTP.

A head is signed with Ed25519 over its canonical JSON (sorted keys, no spaces, UTF-8):

    {"root_hash":"<hex>","sequence":7,"service":"procurement","timestamp":1796324400000,"tree_size":1234}

`timestamp` is milliseconds since the Unix epoch (UTC). Anyone holding a head, the service's
public key (GET /public/transparency/key) and the published entries or proofs can check it with
`verify_head`, `verify_inclusion_of` and `verify_consistency_of`; `verify_aggregate` checks an
aggregate's history (its audit events) against a head published earlier.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from jiuzhu_kit.audit import verify_chain
from jiuzhu_kit.transparency import merkle

DEV_KEY_LABEL = b"jiuzhu-dev-transparency-key:"


def leaf_data(aggregate_type: str, aggregate_id: str, revision: int, chain_hash: str) -> bytes:
    """The bytes of one log entry: an aggregate's revision and its audit chain hash after it."""
    return json.dumps(
        [aggregate_type, aggregate_id, revision, chain_hash], ensure_ascii=False, separators=(",", ":")
    ).encode()


def entry_leaf_hash(aggregate_type: str, aggregate_id: str, revision: int, chain_hash: str) -> bytes:
    return merkle.leaf_hash(leaf_data(aggregate_type, aggregate_id, revision, chain_hash))


def signed_message(service: str, sequence: int, tree_size: int, root_hash: str, timestamp: int) -> bytes:
    return json.dumps(
        {
            "root_hash": root_hash,
            "sequence": sequence,
            "service": service,
            "timestamp": timestamp,
            "tree_size": tree_size,
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def dev_key(service: str) -> Ed25519PrivateKey:
    """The development/test key of a service: derived from its name, so it is the same on every
    replica and restart, and public knowledge (refused in prod)."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(DEV_KEY_LABEL + service.encode()).digest())


def load_key(configured: str, service: str, environment: str) -> Ed25519PrivateKey:
    """The signing key: `configured` is a base64 32-byte Ed25519 seed (or a PEM private key); empty
    outside prod derives the development key; prod requires a real one."""
    value = configured.strip()
    name = service.upper().replace("-", "_") + "_TRANSPARENCY_KEY"
    if not value:
        if environment == "prod":
            raise ValueError(f"{name} is required in prod (Ed25519 key)")
        return dev_key(service)
    if value.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(value.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{name} must be an Ed25519 key")
    else:
        try:
            seed = base64.b64decode(value, validate=True)
        except ValueError as exc:
            raise ValueError(f"{name} must be base64 (32 bytes)") from exc
        if len(seed) != 32:
            raise ValueError(f"{name} must be 32 bytes (base64)")
        key = Ed25519PrivateKey.from_private_bytes(seed)
    if environment == "prod" and public_raw(key.public_key()) == public_raw(dev_key(service).public_key()):
        raise ValueError(f"{name} is the development key; set a real one")
    return key


def public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def key_id(key: Ed25519PublicKey) -> str:
    """SHA-256 of the key's DER SubjectPublicKeyInfo, hex (RFC 6962's log id)."""
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def public_key_of(raw_b64: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(raw_b64))


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message)).decode()


def verify_head(head: Mapping[str, Any], key: Ed25519PublicKey) -> bool:
    """Whether `head` (as served: service, sequence, tree_size, root_hash, timestamp, signature)
    carries a valid signature by `key`."""
    message = signed_message(
        head["service"], head["sequence"], head["tree_size"], head["root_hash"], head["timestamp"]
    )
    try:
        key.verify(base64.b64decode(head["signature"]), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _hashes(path: Sequence[str]) -> list[bytes]:
    return [bytes.fromhex(p) for p in path]


def verify_inclusion_of(leaf: bytes, index: int, head: Mapping[str, Any], path: Sequence[str]) -> bool:
    return merkle.verify_inclusion(
        leaf, index, head["tree_size"], _hashes(path), bytes.fromhex(head["root_hash"])
    )


def verify_consistency_of(first: Mapping[str, Any], second: Mapping[str, Any], proof: Sequence[str]) -> bool:
    return merkle.verify_consistency(
        first["tree_size"],
        second["tree_size"],
        bytes.fromhex(first["root_hash"]),
        bytes.fromhex(second["root_hash"]),
        _hashes(proof),
    )


def root_of_entries(entries: Sequence[Mapping[str, Any]]) -> str:
    """The root hash of a tree of published entries (aggregate_type, aggregate_id, revision,
    chain_hash), recomputed from them alone."""
    leaves = [
        entry_leaf_hash(e["aggregate_type"], e["aggregate_id"], e["revision"], e["chain_hash"])
        for e in entries
    ]
    return merkle.LeafTree(leaves).root().hex()


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str | None = None


def as_stored(aggregate_type: str, aggregate_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
    """An event as GET …/events serves it (JSON) in the form its hash covers: with its aggregate's
    type and id, and its time parsed back."""
    ev = {"aggregate_type": aggregate_type, "aggregate_id": aggregate_id, **event}
    if isinstance(ev.get("occurred_at"), str):
        ev["occurred_at"] = datetime.fromisoformat(ev["occurred_at"])
    return ev


def verify_aggregate(
    aggregate_type: str,
    aggregate_id: str,
    events: Sequence[Mapping[str, Any]],
    head: Mapping[str, Any],
    proof: Mapping[str, Any],
    key: Ed25519PublicKey,
) -> Verdict:
    """An aggregate's history (its audit events, as GET …/events serves them to a reader who sees
    them whole) against a head published earlier: the head is signed by `key`, the chain
    recomputes, and the chain hash the history has at the proof's revision is the leaf the head
    includes at the proof's index. A chain rewritten after the head was published recomputes to
    another hash: its leaf is not in the head's tree."""
    if not verify_head(head, key):
        return Verdict(False, "the head's signature does not verify")
    stored = [as_stored(aggregate_type, aggregate_id, e) for e in events]
    chain = verify_chain(stored)
    if not chain.ok:
        return Verdict(False, f"the chain is broken at revision {chain.broken_at_seq}: {chain.reason}")
    revision = proof["revision"]
    at = [e for e in stored if e["seq"] == revision]
    if not at:
        return Verdict(False, f"the history has no revision {revision}")
    leaf = entry_leaf_hash(aggregate_type, aggregate_id, revision, at[0]["hash"])
    if not verify_inclusion_of(leaf, proof["leaf_index"], head, proof["audit_path"]):
        return Verdict(False, f"revision {revision} as stored now is not the one the head includes")
    return Verdict(True)
