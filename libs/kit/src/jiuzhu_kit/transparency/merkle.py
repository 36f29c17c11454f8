"""Merkle trees as RFC 6962 / RFC 9162 (Certificate Transparency) define them: pure functions.

    leaf hash  = SHA-256(0x00 || leaf data)
    node hash  = SHA-256(0x01 || left || right)
    MTH(D[n])  = the hash of the tree whose left subtree holds the largest power of two < n leaves

A tree is read through `perfect(level, index)`: the hash of the complete subtree of 2**level
leaves starting at leaf index * 2**level (level 0: a leaf hash). Any range the RFC's algorithms use
is made of such subtrees, so a store only keeps those (jiuzhu_kit.transparency.log) and a client
holding every leaf builds them with `LeafTree`. `needed(...)` lists the subtrees a computation
reads, so a store can fetch them in one query before computing.

The verifiers (`verify_inclusion`, `verify_consistency`) are RFC 9162 §2.1.3.2 and §2.1.4.2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence

Perfect = Callable[[int, int], bytes]
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_hash(perfect: Perfect, start: int, end: int) -> bytes:
    """MTH of leaves [start, end): start is aligned to a power of two at least end - start, as every
    range of the RFC's algorithms is."""
    n = end - start
    if n == 0:
        return EMPTY_ROOT
    if n & (n - 1) == 0:
        level = n.bit_length() - 1
        return perfect(level, start >> level)
    k = _split(n)
    return node_hash(range_hash(perfect, start, start + k), range_hash(perfect, start + k, end))


def root(perfect: Perfect, size: int) -> bytes:
    return range_hash(perfect, 0, size)


def inclusion_path(perfect: Perfect, index: int, size: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 §2.1.1: the audit path of leaf `index` in the tree of `size`."""
    if not 0 <= index < size:
        raise ValueError("leaf index out of range")

    def path(m: int, a: int, b: int) -> list[bytes]:
        if b - a == 1:
            return []
        k = _split(b - a)
        if m < a + k:
            return [*path(m, a, a + k), range_hash(perfect, a + k, b)]
        return [*path(m, a + k, b), range_hash(perfect, a, a + k)]

    return path(index, 0, size)


def consistency_proof(perfect: Perfect, first: int, second: int) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 6962 §2.1.2: the tree of `first` leaves is a prefix of that of `second`."""
    if not 0 <= first <= second:
        raise ValueError("tree sizes out of order")
    if first in (0, second):
        return []

    def sub(m: int, a: int, b: int, whole: bool) -> list[bytes]:
        n = b - a
        if m == n:
            return [] if whole else [range_hash(perfect, a, b)]
        k = _split(n)
        if m <= k:
            return [*sub(m, a, a + k, whole), range_hash(perfect, a + k, b)]
        return [*sub(m - k, a + k, b, False), range_hash(perfect, a, a + k)]

    return sub(first, 0, second, True)


def lookup(nodes: Mapping[tuple[int, int], bytes]) -> Perfect:
    """`perfect` over stored subtrees keyed (level, index)."""

    def perfect(level: int, index: int) -> bytes:
        return nodes[(level, index)]

    return perfect


def needed(compute: Callable[[Perfect], object]) -> set[tuple[int, int]]:
    """The (level, index) subtrees `compute(perfect)` reads (its shape does not depend on hashes)."""
    keys: set[tuple[int, int]] = set()

    def record(level: int, index: int) -> bytes:
        keys.add((level, index))
        return bytes(32)

    compute(record)
    return keys


def new_nodes(old_size: int, leaves: Sequence[bytes], known: Perfect) -> dict[tuple[int, int], bytes]:
    """The complete subtrees that appending `leaves` (leaf hashes) to a tree of `old_size` creates,
    level 0 included. `known(level, index)` answers the older subtrees they need (`frontier`)."""
    out: dict[tuple[int, int], bytes] = {(0, old_size + i): h for i, h in enumerate(leaves)}
    new_size = old_size + len(leaves)
    level = 1
    while (1 << level) <= new_size:
        for i in range(old_size >> level, new_size >> level):
            left, right = (level - 1, 2 * i), (level - 1, 2 * i + 1)
            out[(level, i)] = node_hash(
                out[left] if left in out else known(*left), out[right] if right in out else known(*right)
            )
        level += 1
    return out


def frontier(old_size: int, new_size: int) -> set[tuple[int, int]]:
    """The older subtrees `new_nodes` reads when growing a tree from old_size to new_size."""
    keys = set()
    level = 1
    while (1 << level) <= new_size:
        i = old_size >> level
        if i < new_size >> level and (2 * i + 1) << (level - 1) <= old_size:
            keys.add((level - 1, 2 * i))
        level += 1
    return keys


class LeafTree:
    """A tree held in memory from its leaf hashes (a client, a test): `perfect` for the functions above."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.nodes = new_nodes(0, leaves, self._missing)
        self.size = len(leaves)

    @staticmethod
    def _missing(level: int, index: int) -> bytes:
        raise KeyError((level, index))

    def perfect(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]

    def root(self, size: int | None = None) -> bytes:
        return root(self.perfect, self.size if size is None else size)


def _shift_until_odd_or_zero(fn: int, sn: int) -> tuple[int, int]:
    while fn & 1 == 0 and fn != 0:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], root_hash: bytes) -> bool:
    """RFC 9162 §2.1.3.2: whether the leaf hash at `index` is in the tree of `size` with `root_hash`."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                fn, sn = _shift_until_odd_or_zero(fn, sn)
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root_hash


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: whether the tree of `first` leaves with `first_root` is a prefix of the
    tree of `second` leaves with `second_root`."""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof and first_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                fn, sn = _shift_until_odd_or_zero(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root
