"""A Merkle tree over a log of leaves, exactly as RFC 9162 (Certificate Transparency 2.0) §2.1.

Standard library only. Hashes are SHA-256 (RFC 9162 §2.1: the log's hash algorithm; this module
fixes it). The leaves are given already hashed (``leaf_hash``), in log order.

* §2.1.1 ``MTH``: ``root`` and the append-only ``TreeBuilder`` (a stack of the roots of the
  perfect subtrees the log splits into, so memory stays O(log n) and ``root()`` folds O(log n)
  hashes; no recursion).
* §2.1.3.1 ``PATH(m, D[n])``: ``inclusion_proof``; §2.1.3.2: ``verify_inclusion``.
* §2.1.4.1 ``PROOF(m, D[n])``: ``consistency_proof``; §2.1.4.2: ``verify_consistency``.

Proof generation walks the RFC's recursive definitions as loops (depth log2 n) and computes each
sibling subtree's root with ``TreeBuilder``: O(n) hashes in all over the given leaves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "EMPTY_ROOT",
    "TreeBuilder",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = HASH(), the root of the empty tree (RFC 9162 §2.1.1)."""


def leaf_hash(data: bytes) -> bytes:
    """MTH({d(0)}) = HASH(0x00 || d(0)): the hash of one leaf (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """HASH(0x01 || left || right): the hash of an interior node (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """k, the largest power of two smaller than n, for n > 1 (RFC 9162 §2.1.1)."""
    return 1 << ((n - 1).bit_length() - 1)


class TreeBuilder:
    """The Merkle Tree Hash of an append-only log, kept as it grows (RFC 9162 §2.1.1).

    A log of n leaves splits into perfect subtrees, one per set bit of n, largest first — the
    same split as MTH's "k is the largest power of two smaller than n", applied repeatedly. The
    builder keeps the roots of those subtrees on a stack (at most log2 n + 1 hashes). Appending
    merges equal-sized subtrees the way a binary counter carries; ``root()`` folds the stack
    from the right, the smallest subtree being the deepest right child.
    """

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        self._size = 0
        self._stack: list[bytes] = []

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return self._size

    def append(self, leaf_hash: bytes) -> None:
        """Append one already-hashed leaf (``leaf_hash(data)``) to the log."""
        carry = leaf_hash
        n = self._size
        while n & 1:
            carry = node_hash(self._stack.pop(), carry)
            n >>= 1
        self._stack.append(carry)
        self._size += 1

    def extend(self, leaf_hashes: Sequence[bytes]) -> None:
        """Append already-hashed leaves, in order."""
        for h in leaf_hashes:
            self.append(h)

    def root(self) -> bytes:
        """MTH(D[n]) of the leaves appended so far (RFC 9162 §2.1.1); O(log n) hashes."""
        if not self._stack:
            return EMPTY_ROOT
        acc = self._stack[-1]
        for subtree in reversed(self._stack[:-1]):
            acc = node_hash(subtree, acc)
        return acc


def _subtree_root(leaf_hashes: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH(D[start:end]) (RFC 9162 §2.1.1) without recursion; O(end - start) hashes."""
    builder = TreeBuilder()
    for i in range(start, end):
        builder.append(leaf_hashes[i])
    return builder.root()


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]), the Merkle Tree Hash over already-hashed leaves (RFC 9162 §2.1.1).

    The empty tree's root is SHA-256 of the empty string (``EMPTY_ROOT``).
    """
    builder = TreeBuilder()
    builder.extend(leaf_hashes)
    return builder.root()


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]), the inclusion proof of leaf ``index`` in the tree of all the given leaves.

    RFC 9162 §2.1.3.1, with m = ``index`` and n = ``len(leaf_hashes)``:
    PATH(0, {d(0)}) = {}; for n > 1 and k the largest power of two smaller than n,
    PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) if m < k, and
    PATH(m - k, D[k:n]) : MTH(D[0:k]) if m >= k. The descent is a loop; the siblings are
    gathered from the root down and returned leaf first, as the definition orders them.

    Raises ``ValueError`` unless 0 <= index < n (the RFC defines PATH only there).
    """
    n = len(leaf_hashes)
    if not 0 <= index < n:
        raise ValueError(f"leaf index {index} is not in a tree of {n} leaves")
    siblings: list[bytes] = []
    lo, hi, m = 0, n, index
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if m < k:
            siblings.append(_subtree_root(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            siblings.append(_subtree_root(leaf_hashes, lo, lo + k))
            lo += k
            m -= k
    siblings.reverse()
    return siblings


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows ``leaf_hash`` at ``index`` in the tree of ``size`` leaves with
    root ``root``: the algorithm of RFC 9162 §2.1.3.2, step by step.

    The result binds the leaf to the pair (``size``, ``root``) taken together, as from one
    signed tree head: with a root of another size the same path can fold to that root too.
    """
    # 1. leaf_index >= tree_size fails (the RFC's integers are unsigned: a negative one fails).
    if index < 0 or index >= size:
        return False
    # 2.
    fn = index
    sn = size - 1
    # 3.
    r = leaf_hash
    # 4.
    for p in proof:
        # a.
        if sn == 0:
            return False
        # b.
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:  # ii. LSB(fn) not set: shift until it is, or fn is 0
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        # c.
        fn >>= 1
        sn >>= 1
    # 5.
    return sn == 0 and r == root


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(m, D[n]), the consistency proof from the tree of the first ``old_size`` leaves to
    the tree of all the given leaves.

    RFC 9162 §2.1.4.1, with m = ``old_size`` and n = ``len(leaf_hashes)``:
    PROOF(m, D[n]) = SUBPROOF(m, D[n], true); SUBPROOF(m, D[m], true) = {};
    SUBPROOF(m, D[m], false) = {MTH(D[m])}; for m < n and k the largest power of two smaller
    than n, SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) if m <= k, and
    SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]) if m > k. The descent is a loop.

    m == n gives the empty proof. Raises ``ValueError`` unless 0 < m <= n: the RFC defines no
    proof from the empty tree (every tree extends it).
    """
    n = len(leaf_hashes)
    if not 0 < old_size <= n:
        raise ValueError(f"no consistency proof from size {old_size} to size {n}")
    siblings: list[bytes] = []
    lo, hi, m, whole = 0, n, old_size, True
    while m != hi - lo:
        k = _largest_power_of_two_below(hi - lo)
        if m <= k:
            siblings.append(_subtree_root(leaf_hashes, lo + k, hi))
            hi = lo + k
        else:
            siblings.append(_subtree_root(leaf_hashes, lo, lo + k))
            lo += k
            m -= k
            whole = False
    proof = [] if whole else [_subtree_root(leaf_hashes, lo, hi)]
    proof.extend(reversed(siblings))
    return proof


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree (``new_size``, ``new_root``) extends the tree
    (``old_size``, ``old_root``): the algorithm of RFC 9162 §2.1.4.2, step by step, for
    0 < old_size < new_size.

    Outside that range: equal sizes are consistent iff the proof is empty (PROOF(m, D[m]) = {})
    and the roots are equal; an old size of 0, a negative size, or an old size greater than
    the new one is False (the RFC defines no proof there).

    As for inclusion, each size is bound to its root only as one tree head gives them both:
    with the roots of other sizes the same path can fold to those roots too.
    """
    if old_size <= 0 or new_size < old_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    path = list(proof)
    # 1.
    if not path:
        return False
    # 2.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # 3.
    fn = old_size - 1
    sn = new_size - 1
    # 4.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5.
    fr = sr = path[0]
    # 6.
    for c in path[1:]:
        # a.
        if sn == 0:
            return False
        # b.
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:  # iii. LSB(fn) not set: shift until it is, or fn is 0
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        # c.
        fn >>= 1
        sn >>= 1
    # 7.
    return fr == old_root and sr == new_root and sn == 0
