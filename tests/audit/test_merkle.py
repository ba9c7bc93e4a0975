"""The Merkle tree of ``shouhu.engine.merkle`` against RFC 9162 (CT 2.0) §2.1, read literally.

The reference below is written from the RFC's recursive definitions — MTH (§2.1.1), PATH
(§2.1.3.1) and PROOF/SUBPROOF (§2.1.4.1) — as naively as they read, and shares nothing with the
module but ``hashlib``. The module's iterative versions must equal it for every small size, and
its verifiers (§2.1.3.2, §2.1.4.2) must accept every honest proof and refuse tampered ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shouhu.engine.merkle import (
    EMPTY_ROOT,
    TreeBuilder,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

PROPERTY = settings(deadline=None, database=None, max_examples=200)
SMALL = 40  # every (size, index) and every (m, n) up to here


# --- the reference: RFC 9162 §2.1, literally -------------------------------------------------


def ref_hash(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def ref_k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over the raw inputs d(0)..d(n-1) (§2.1.1)."""
    n = len(d)
    if n == 0:
        return ref_hash(b"")
    if n == 1:
        return ref_hash(b"\x00" + d[0])
    k = ref_k(n)
    return ref_hash(b"\x01" + ref_mth(d[0:k]) + ref_mth(d[k:n]))


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) (§2.1.3.1)."""
    n = len(d)
    if n == 1:
        assert m == 0
        return []
    k = ref_k(n)
    if m < k:
        return [*ref_path(m, d[0:k]), ref_mth(d[k:n])]
    return [*ref_path(m - k, d[k:n]), ref_mth(d[0:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) (§2.1.4.1)."""
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = ref_k(n)
    if m <= k:
        return [*ref_subproof(m, d[0:k], b), ref_mth(d[k:n])]
    return [*ref_subproof(m - k, d[k:n], False), ref_mth(d[0:k])]


def ref_proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true) (§2.1.4.1)."""
    return ref_subproof(m, d, True)


# --- data ------------------------------------------------------------------------------------


def inputs(n: int, tag: bytes = b"event") -> list[bytes]:
    """n distinct leaf inputs, of varied lengths (one is empty)."""
    return [b"" if i == 0 else tag + b"-" + str(i).encode() + b"." * (i % 5) for i in range(n)]


DATA = inputs(2 * SMALL + 30)
LEAVES = [leaf_hash(x) for x in DATA]
ROOTS = [ref_mth(DATA[:n]) for n in range(len(DATA) + 1)]  # ROOTS[n] = MTH(D[0:n])


def flip(h: bytes, at: int = 0) -> bytes:
    """``h`` with one bit changed."""
    return h[:at] + bytes([h[at] ^ 0x01]) + h[at + 1 :]


def tree_root(leaves: Sequence[bytes]) -> bytes:
    builder = TreeBuilder()
    for h in leaves:
        builder.append(h)
    return builder.root()


# --- hashes and roots (§2.1.1) ---------------------------------------------------------------


def test_leaf_and_node_hashes_are_sha256_with_the_domain_separating_prefixes() -> None:
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    left, right = b"L" * 32, b"R" * 32
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert node_hash(left, right) != node_hash(right, left)
    assert leaf_hash(left + right) != node_hash(left, right)


def test_the_empty_trees_root_is_sha256_of_the_empty_string() -> None:
    expected = bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert root([]) == EMPTY_ROOT == expected
    assert TreeBuilder().root() == expected
    assert TreeBuilder().size == 0


# The reference test data of google/certificate-transparency (RFC 6962, whose MTH RFC 9162
# keeps): eight inputs and the roots of their first 1..8 leaves.
CT_INPUTS = [
    bytes.fromhex(x)
    for x in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
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


@pytest.mark.parametrize("n", range(1, 9))
def test_the_root_of_the_published_ct_vectors_is_the_published_root(n: int) -> None:
    leaves = [leaf_hash(x) for x in CT_INPUTS[:n]]
    assert root(leaves).hex() == CT_ROOTS[n - 1]
    assert ref_mth(CT_INPUTS[:n]).hex() == CT_ROOTS[n - 1]


@pytest.mark.parametrize("n", range(65))
def test_root_and_tree_builder_equal_the_literal_mth_for_every_size_up_to_64(n: int) -> None:
    expected = ref_mth(DATA[:n])
    assert root(LEAVES[:n]) == expected
    assert tree_root(LEAVES[:n]) == expected


def test_a_growing_tree_builder_gives_the_literal_mth_after_every_append() -> None:
    builder = TreeBuilder()
    assert builder.root() == ROOTS[0]
    for n, h in enumerate(LEAVES, start=1):
        builder.append(h)
        assert builder.size == n
        assert builder.root() == ROOTS[n]
        assert builder.root() == ROOTS[n]  # root() does not change the builder


def test_a_tree_builder_keeps_one_subtree_root_per_set_bit_of_its_size() -> None:
    builder = TreeBuilder()
    for n in range(1, 1025):
        builder.append(leaf_hash(n.to_bytes(2, "big")))
        assert len(builder._stack) == n.bit_count()


@pytest.mark.slow
def test_a_million_leaves_have_a_root_without_recursion() -> None:
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(1_000_000)]
    builder = TreeBuilder()
    for h in leaves:
        builder.append(h)
    assert builder.size == 1_000_000
    assert root(leaves) == builder.root()
    # the split at the largest power of two (§2.1.1), with the two halves' roots by the builder
    k = 1 << 19
    assert builder.root() == node_hash(root(leaves[:k]), root(leaves[k:]))


# --- inclusion (§2.1.3) ----------------------------------------------------------------------

PAIRS = [(size, index) for size in range(1, SMALL + 1) for index in range(size)]


def test_every_inclusion_proof_is_the_literal_path_and_verifies() -> None:
    for size, index in PAIRS:
        proof = inclusion_proof(LEAVES[:size], index)
        assert proof == ref_path(index, DATA[:size]), (size, index)
        assert verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size]), (size, index)


def test_an_inclusion_proof_fails_for_a_changed_leaf() -> None:
    for size, index in PAIRS:
        proof = inclusion_proof(LEAVES[:size], index)
        assert not verify_inclusion(leaf_hash(DATA[index] + b"!"), index, size, proof, ROOTS[size])
        assert not verify_inclusion(flip(LEAVES[index]), index, size, proof, ROOTS[size])
        other = LEAVES[(index + 1) % len(LEAVES)]
        assert not verify_inclusion(other, index, size, proof, ROOTS[size])


def test_an_inclusion_proof_fails_at_any_other_index() -> None:
    for size, index in PAIRS:
        proof = inclusion_proof(LEAVES[:size], index)
        for wrong in range(-1, size + 2):
            if wrong != index:
                assert not verify_inclusion(LEAVES[index], wrong, size, proof, ROOTS[size]), (
                    size,
                    index,
                    wrong,
                )


def test_an_inclusion_proof_fails_for_any_other_tree_head_of_the_same_log() -> None:
    for size, index in PAIRS:
        proof = inclusion_proof(LEAVES[:size], index)
        for wrong in range(SMALL + 2):
            if wrong != size:
                assert not verify_inclusion(LEAVES[index], index, wrong, proof, ROOTS[wrong])


def test_a_proof_binds_the_root_and_the_size_together_as_a_tree_head_gives_them() -> None:
    """The §2.1.3.2 and §2.1.4.2 algorithms fold the path by the bits of the sizes; where
    another size shapes the same fold, a tree's true root still comes out under it. The
    verifiers are exact to the RFC: a size is only meaningful with the root of the same tree
    head (tested above: every other tree head of the same log fails)."""
    proof = inclusion_proof(LEAVES[:3], 0)
    assert verify_inclusion(LEAVES[0], 0, 4, proof, ROOTS[3])  # the RFC's algorithm, as written
    assert not verify_inclusion(LEAVES[0], 0, 4, proof, ROOTS[4])
    consistency = consistency_proof(LEAVES[:3], 1)
    assert verify_consistency(1, 4, ROOTS[1], ROOTS[3], consistency)  # likewise
    assert not verify_consistency(1, 4, ROOTS[1], ROOTS[4], consistency)
    # the size is still checked where it shapes the fold differently
    assert not verify_inclusion(LEAVES[2], 2, 4, inclusion_proof(LEAVES[:3], 2), ROOTS[3])
    assert not verify_inclusion(LEAVES[0], 0, 2, proof, ROOTS[3])
    assert not verify_inclusion(LEAVES[0], 0, 5, proof, ROOTS[3])


def test_an_inclusion_path_longer_than_the_tree_is_deep_fails_though_it_folds_to_the_root() -> None:
    """§2.1.3.2 step 4a: the path ends when sn reaches 0, whatever the hashes would give."""
    assert not verify_inclusion(LEAVES[1], 0, 1, [LEAVES[0]], ROOTS[2])
    for n in range(2, SMALL + 1):
        # the last leaf's path has only left siblings: folded from index 0 it gives the root
        proof = inclusion_proof(LEAVES[:n], n - 1)
        assert verify_inclusion(LEAVES[n - 1], n - 1, n, proof, ROOTS[n])
        assert not verify_inclusion(LEAVES[n - 1], 0, 1, proof, ROOTS[n]), n


def test_an_inclusion_proof_fails_truncated_or_extended() -> None:
    for size, index in PAIRS:
        proof = inclusion_proof(LEAVES[:size], index)
        args = (LEAVES[index], index, size)
        if proof:
            assert not verify_inclusion(*args, proof[:-1], ROOTS[size])
            assert not verify_inclusion(*args, proof[1:], ROOTS[size])
        assert not verify_inclusion(*args, [*proof, LEAVES[0]], ROOTS[size])
        assert not verify_inclusion(*args, [*proof, ROOTS[size]], ROOTS[size])
        assert not verify_inclusion(*args, [LEAVES[0], *proof], ROOTS[size])


def test_an_inclusion_proof_fails_with_any_element_tampered() -> None:
    for size, index in PAIRS:
        proof = inclusion_proof(LEAVES[:size], index)
        for i in range(len(proof)):
            tampered = [*proof[:i], flip(proof[i], 31), *proof[i + 1 :]]
            assert not verify_inclusion(LEAVES[index], index, size, tampered, ROOTS[size])


def test_an_inclusion_proof_fails_against_a_wrong_root() -> None:
    for size, index in PAIRS:
        proof = inclusion_proof(LEAVES[:size], index)
        assert not verify_inclusion(LEAVES[index], index, size, proof, flip(ROOTS[size]))
        assert not verify_inclusion(LEAVES[index], index, size, proof, EMPTY_ROOT)
        assert not verify_inclusion(LEAVES[index], index, size, proof, b"")


def test_no_leaf_is_in_the_empty_tree() -> None:
    assert not verify_inclusion(LEAVES[0], 0, 0, [], EMPTY_ROOT)
    assert not verify_inclusion(EMPTY_ROOT, 0, 0, [], EMPTY_ROOT)


@pytest.mark.parametrize(("size", "index"), [(0, 0), (1, 1), (5, 5), (5, -1), (5, 99)])
def test_an_inclusion_proof_is_refused_for_an_index_outside_the_tree(size: int, index: int) -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_proof(LEAVES[:size], index)


# --- consistency (§2.1.4) --------------------------------------------------------------------

GROWTHS = [(m, n) for n in range(1, SMALL + 1) for m in range(1, n + 1)]


def test_every_consistency_proof_is_the_literal_proof_and_verifies() -> None:
    for m, n in GROWTHS:
        proof = consistency_proof(LEAVES[:n], m)
        assert proof == ref_proof(m, DATA[:n]), (m, n)
        assert verify_consistency(m, n, ROOTS[m], ROOTS[n], proof), (m, n)


def test_equal_sizes_have_the_empty_proof_which_verifies_iff_the_roots_are_equal() -> None:
    for n in range(1, SMALL + 1):
        assert consistency_proof(LEAVES[:n], n) == []
        assert verify_consistency(n, n, ROOTS[n], ROOTS[n], [])
        assert not verify_consistency(n, n, ROOTS[n], flip(ROOTS[n]), [])
        assert not verify_consistency(n, n, ROOTS[n], ROOTS[n + 1], [])
        assert not verify_consistency(n, n, ROOTS[n], ROOTS[n], [ROOTS[n]])


def test_no_consistency_proof_from_the_empty_tree_as_the_rfc_defines_none() -> None:
    for n in range(SMALL + 1):
        with pytest.raises(ValueError, match="no consistency proof"):
            consistency_proof(LEAVES[:n], 0)
        assert not verify_consistency(0, n, EMPTY_ROOT, ROOTS[n], [])
        assert not verify_consistency(0, n, EMPTY_ROOT, ROOTS[n], [ROOTS[n]])


def test_no_consistency_proof_to_a_smaller_tree_or_from_a_negative_size() -> None:
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_proof(LEAVES[:3], 4)
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_proof(LEAVES[:3], -1)
    proof = consistency_proof(LEAVES[:4], 3)
    assert not verify_consistency(4, 3, ROOTS[4], ROOTS[3], proof)
    assert not verify_consistency(-1, 4, ROOTS[3], ROOTS[4], proof)


def test_a_growing_log_is_consistent_with_every_earlier_tree_head_of_itself() -> None:
    builder = TreeBuilder()
    heads: list[tuple[int, bytes]] = []
    for h in LEAVES[:SMALL]:
        builder.append(h)
        heads.append((builder.size, builder.root()))
        n, new_root = heads[-1]
        for m, old_root in heads:
            assert verify_consistency(m, n, old_root, new_root, consistency_proof(LEAVES[:n], m))


def rewritten(m: int, n: int, edit: str) -> list[bytes]:
    """The first n leaves of a log whose first m leaves were edited after the old tree head."""
    data = list(DATA[: n + 1])
    if edit == "changed":
        data[m - 1] = data[m - 1] + b"!"
    elif edit == "removed":
        del data[m - 1]
    elif edit == "reordered":
        i = m - 2 if m >= 2 else 0
        data[i], data[i + 1] = data[i + 1], data[i]
    return [leaf_hash(x) for x in data[:n]]


@pytest.mark.parametrize("edit", ["changed", "removed", "reordered"])
def test_a_consistency_proof_fails_if_an_old_leaf_was_rewritten(edit: str) -> None:
    """The new tree head and its proof come from the rewritten log; the old head is the true one.

    Any old leaf changed, one removed (the later ones move up), or two swapped — one of them
    always among the old leaves — and the rewritten log does not extend the old tree head.
    """
    for m, n in GROWTHS:
        forged = rewritten(m, n, edit)
        assert forged[:m] != LEAVES[:m]
        forged_root = root(forged)
        proof = consistency_proof(forged, m)
        assert not verify_consistency(m, n, ROOTS[m], forged_root, proof), (edit, m, n)
    for m in range(1, 9):  # and any of the old leaves, not only the last
        n = m + 3
        for i in range(m):
            data = list(DATA[:n])
            data[i] += b"!"
            forged = [leaf_hash(x) for x in data]
            proof = consistency_proof(forged, m)
            assert not verify_consistency(m, n, ROOTS[m], root(forged), proof), (m, i)


def test_a_consistency_proof_fails_against_a_wrong_old_or_new_root() -> None:
    for m, n in GROWTHS:
        proof = consistency_proof(LEAVES[:n], m)
        for wrong in (flip(ROOTS[m]), ROOTS[m - 1], ROOTS[m + 1], EMPTY_ROOT):
            if wrong != ROOTS[m]:
                assert not verify_consistency(m, n, wrong, ROOTS[n], proof), (m, n)
        for wrong in (flip(ROOTS[n]), ROOTS[n - 1], ROOTS[n + 1], EMPTY_ROOT):
            if wrong != ROOTS[n]:
                assert not verify_consistency(m, n, ROOTS[m], wrong, proof), (m, n)


def test_a_consistency_proof_fails_with_any_element_tampered() -> None:
    for m, n in GROWTHS:
        proof = consistency_proof(LEAVES[:n], m)
        for i in range(len(proof)):
            tampered = [*proof[:i], flip(proof[i], 7), *proof[i + 1 :]]
            assert not verify_consistency(m, n, ROOTS[m], ROOTS[n], tampered), (m, n, i)


def test_a_consistency_proof_fails_truncated_extended_or_reordered() -> None:
    for m, n in GROWTHS:
        if m == n:
            continue
        proof = consistency_proof(LEAVES[:n], m)
        args = (m, n, ROOTS[m], ROOTS[n])
        assert not verify_consistency(*args, [])
        assert not verify_consistency(*args, proof[:-1])
        assert not verify_consistency(*args, proof[1:])
        assert not verify_consistency(*args, [*proof, LEAVES[0]])
        assert not verify_consistency(*args, [LEAVES[0], *proof])
        if len(proof) >= 2 and proof[0] != proof[1]:
            assert not verify_consistency(*args, [proof[1], proof[0], *proof[2:]])


def test_a_consistency_proof_fails_for_other_tree_heads_of_the_same_log() -> None:
    for m, n in GROWTHS:
        if m == n:
            continue
        proof = consistency_proof(LEAVES[:n], m)
        for m2, n2 in ((m, n + 1), (m, n - 1), (m + 1, n), (m - 1, n)):
            if (m2, n2) != (m, n) and 0 < m2 < n2:
                assert not verify_consistency(m2, n2, ROOTS[m2], ROOTS[n2], proof), (m, n, m2, n2)


def test_a_consistency_path_too_short_for_the_new_size_fails_though_both_roots_match() -> None:
    """§2.1.4.2 step 7: sn must have reached 0, so the path covers the whole new tree."""
    for m, n in GROWTHS:
        if m < n:
            proof = consistency_proof(LEAVES[:n], m)
            assert not verify_consistency(m, 4096, ROOTS[m], ROOTS[n], proof), (m, n)


@pytest.mark.parametrize(("m", "n"), [(3, 4), (5, 6), (6, 7), (6, 8), (9, 10), (10, 11)])
def test_a_consistency_path_longer_than_the_new_tree_is_deep_fails_though_both_roots_match(
    m: int, n: int
) -> None:
    """§2.1.4.2 step 6a: the path ends when sn reaches 0. The proof from 7 to 8 leaves folds to
    their roots also under these smaller sizes if the remaining hashes are folded on."""
    proof = consistency_proof(LEAVES[:8], 7)
    assert verify_consistency(7, 8, ROOTS[7], ROOTS[8], proof)
    assert not verify_consistency(m, n, ROOTS[7], ROOTS[8], proof)


# --- random sizes ----------------------------------------------------------------------------


@PROPERTY
@given(
    size=st.integers(min_value=1, max_value=300),
    seed=st.binary(max_size=8),
    data=st.data(),
)
def test_random_trees_up_to_300_leaves_agree_with_the_rfc_and_their_proofs_hold(
    size: int, seed: bytes, data: st.DataObject
) -> None:
    raw = inputs(size, tag=seed)
    leaves = [leaf_hash(x) for x in raw]
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    old = data.draw(st.integers(min_value=1, max_value=size), label="old_size")
    new_root = ref_mth(raw)
    old_root = ref_mth(raw[:old])
    assert root(leaves) == tree_root(leaves) == new_root

    path = inclusion_proof(leaves, index)
    assert path == ref_path(index, raw)
    assert verify_inclusion(leaves[index], index, size, path, new_root)

    proof = consistency_proof(leaves, old)
    assert proof == ref_proof(old, raw)
    assert verify_consistency(old, size, old_root, new_root, proof)

    if path:
        at = data.draw(st.integers(min_value=0, max_value=len(path) - 1), label="tampered")
        bad = [*path[:at], flip(path[at], at % 32), *path[at + 1 :]]
        assert not verify_inclusion(leaves[index], index, size, bad, new_root)
    if proof:
        at = data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="tampered")
        bad = [*proof[:at], flip(proof[at], at % 32), *proof[at + 1 :]]
        assert not verify_consistency(old, size, old_root, new_root, bad)
    if old < size:
        changed = data.draw(st.integers(min_value=0, max_value=old - 1), label="changed")
        forged = list(leaves)
        forged[changed] = leaf_hash(raw[changed] + b"!")
        assert not verify_consistency(
            old, size, old_root, root(forged), consistency_proof(forged, old)
        )
