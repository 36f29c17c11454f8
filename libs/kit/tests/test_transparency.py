"""The transparency log's pure parts (jiuzhu_kit.transparency): RFC 6962 hashing against the
Certificate Transparency test vectors and a literal reading of the RFC's definition, proofs that
verify and proofs that must not, incremental growth, head signatures and the key's rules."""

from __future__ import annotations

import base64
import hashlib

import pytest

from jiuzhu_kit.transparency import heads, merkle

# RFC 6962 test data of the CT reference implementations (certificate-transparency-go testdata).
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def mth(data: list[bytes]) -> bytes:
    """RFC 6962 §2.1, read literally."""
    n = len(data)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(data[:k]) + mth(data[k:])).digest()


def test_roots_match_the_certificate_transparency_vectors() -> None:
    tree = merkle.LeafTree([merkle.leaf_hash(d) for d in CT_LEAVES])
    assert [tree.root(n).hex() for n in range(1, 9)] == CT_ROOTS
    assert merkle.root(tree.perfect, 0) == hashlib.sha256(b"").digest()


def test_every_proof_of_small_trees_verifies_and_a_forged_one_does_not() -> None:
    data = [f"entry {i}".encode() for i in range(40)]
    leaves = [merkle.leaf_hash(d) for d in data]
    tree = merkle.LeafTree(leaves)
    other = merkle.leaf_hash(b"forged")
    for n in range(1, 41):
        r = tree.root(n)
        assert r == mth(data[:n])
        for m in range(n):
            path = merkle.inclusion_path(tree.perfect, m, n)
            assert merkle.verify_inclusion(leaves[m], m, n, path, r)
            assert not merkle.verify_inclusion(other, m, n, path, r)
            assert not merkle.verify_inclusion(leaves[m], m, m, path, r)  # index beyond the tree
        for m in range(n + 1):
            proof = merkle.consistency_proof(tree.perfect, m, n)
            first = tree.root(m) if m else merkle.EMPTY_ROOT
            assert merkle.verify_consistency(m, n, first, r, proof), (m, n)
            if 0 < m < n:
                assert not merkle.verify_consistency(m, n, other, r, proof)
                assert not merkle.verify_consistency(m, n, first, other, proof)
                assert not merkle.verify_consistency(m, n, first, r, proof[:-1])


def test_a_tree_grown_in_batches_stores_the_same_subtrees() -> None:
    leaves = [merkle.leaf_hash(str(i).encode()) for i in range(100)]
    nodes: dict[tuple[int, int], bytes] = {}
    size = 0
    for batch in (1, 2, 5, 3, 8, 13, 1, 1, 66):
        frontier = merkle.frontier(size, size + batch)
        assert frontier <= set(nodes)  # what the store fetches before appending
        nodes.update(merkle.new_nodes(size, leaves[size : size + batch], merkle.lookup(nodes)))
        size += batch
        assert merkle.root(merkle.lookup(nodes), size) == merkle.LeafTree(leaves[:size]).root()
    assert nodes == merkle.LeafTree(leaves).nodes
    # A proof reads few stored subtrees (what the store fetches in one query).
    assert len(merkle.needed(lambda p: merkle.inclusion_path(p, 41, 100))) <= 2 * 7


def test_a_head_verifies_with_its_key_only_and_not_once_changed() -> None:
    key = heads.dev_key("procurement")
    root = merkle.LeafTree([heads.entry_leaf_hash("plan", "p1", 1, "ab" * 32)]).root().hex()
    message = heads.signed_message("procurement", 1, 1, root, 1_796_324_400_000)
    head = {
        "service": "procurement",
        "sequence": 1,
        "tree_size": 1,
        "root_hash": root,
        "timestamp": 1_796_324_400_000,
        "signature": heads.sign(key, message),
    }
    public = heads.public_key_of(heads.b64(heads.public_raw(key.public_key())))
    assert heads.verify_head(head, public)
    assert not heads.verify_head({**head, "tree_size": 2}, public)
    assert not heads.verify_head(head, heads.dev_key("evaluation").public_key())
    assert (
        heads.root_of_entries(
            [{"aggregate_type": "plan", "aggregate_id": "p1", "revision": 1, "chain_hash": "ab" * 32}]
        )
        == root
    )


def test_the_signing_key_is_required_in_prod_and_must_be_a_real_one() -> None:
    seed = base64.b64encode(bytes(range(32))).decode()
    assert heads.load_key("", "staffing", "test") is not None  # derived outside prod
    with pytest.raises(ValueError, match="STAFFING_TRANSPARENCY_KEY is required in prod"):
        heads.load_key("", "staffing", "prod")
    dev_seed = base64.b64encode(hashlib.sha256(heads.DEV_KEY_LABEL + b"staffing").digest()).decode()
    with pytest.raises(ValueError, match="development key"):
        heads.load_key(dev_seed, "staffing", "prod")
    with pytest.raises(ValueError, match="32 bytes"):
        heads.load_key("c2hvcnQ=", "staffing", "prod")
    key = heads.load_key(seed, "staffing", "prod")
    assert heads.public_raw(key.public_key()) != heads.public_raw(heads.dev_key("staffing").public_key())
