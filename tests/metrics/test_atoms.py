"""The row space with one partition eliminated equals the dense computation it replaces."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse

from uptake.metrics.atoms import Atoms, unique_rows


def _random_release(seed: int, atoms: int, parts: int, others: int, hidden: float):
    """A membership matrix: a total, a partition (some segments hidden), overlapping others."""
    rng = np.random.default_rng(seed)
    part = rng.integers(0, parts, atoms)
    shown = [p for p in range(parts) if rng.random() >= hidden and (part == p).any()]
    rows = [np.ones(atoms)]
    partition = []
    for p in shown:
        partition.append(len(rows))
        rows.append((part == p).astype(float))
    for _ in range(others):
        # A second partition's segment or a random subset: both occur in releases.
        if rng.random() < 0.5:
            rows.append((rng.integers(0, 3, atoms) == 0).astype(float))
        else:
            rows.append((rng.random(atoms) < rng.uniform(0.05, 0.6)).astype(float))
    dense = np.vstack(rows)
    # A dependency on purpose: the shown segments' sum, published again as its own group.
    dense = np.vstack([dense, dense[partition].sum(axis=0)]) if partition else dense
    return dense, partition


def _reference(dense: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The projection onto the row space and the pseudo-inverse of the Gram matrix."""
    gram = dense @ dense.T
    vals, vecs = np.linalg.eigh(gram)
    keep = vals > max(vals.max(initial=0.0), 1.0) * 1e-10
    basis = dense.T @ (vecs[:, keep] / np.sqrt(vals[keep]))
    return basis @ basis.T, (vecs[:, keep] / vals[keep]) @ vecs[:, keep].T


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    atoms=st.integers(2, 60),
    parts=st.integers(1, 12),
    others=st.integers(0, 8),
    hidden=st.sampled_from([0.0, 0.3]),
)
def test_elimination_is_exact(seed: int, atoms: int, parts: int, others: int, hidden: float):
    dense, partition = _random_release(seed, atoms, parts, others, hidden)
    n = dense.shape[0]
    at = Atoms.build(
        sparse.csr_matrix(dense), np.ones(atoms, dtype=int),
        [("d", str(i)) for i in range(n)], partition=partition,
    )  # fmt: skip
    proj, pinv = _reference(dense)
    np.testing.assert_allclose(at.leverage(), np.diag(proj), atol=1e-9)
    np.testing.assert_allclose(at.block(np.arange(atoms)), proj, atol=1e-9)
    some = np.arange(0, atoms, 2)
    np.testing.assert_allclose(at.block(some, np.arange(atoms)), proj[some], atol=1e-9)
    # Off-diagonal entries are bounded as the leak search assumes.
    bound = at.within()[:, None] + np.outer(at.norms(), at.norms())
    off = np.abs(proj - np.diag(np.diag(proj)))
    assert (off <= bound + 1e-9).all()
    # The least-norm combination of groups giving a derivable vector.
    rng = np.random.default_rng(seed)
    z = proj @ rng.normal(size=atoms)
    np.testing.assert_allclose(at.solve(z), pinv @ (dense @ z), atol=1e-7)
    assert np.array_equal(at.holding([0]), dense[:, 0] > 0)
    np.testing.assert_array_equal(at.dense(), dense)


def test_overlapping_partition_is_refused():
    dense = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    with pytest.raises(ValueError, match="overlap"):
        Atoms.build(sparse.csr_matrix(dense), np.ones(3), [("", "a"), ("", "b")],
                    partition=[0, 1])  # fmt: skip


def test_without_a_partition_it_is_the_dense_method():
    dense = np.array([[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0]])
    at = Atoms.build(sparse.csr_matrix(dense), np.ones(4), [("", "x")] * 3)
    proj, _ = _reference(dense)
    np.testing.assert_allclose(at.block(np.arange(4)), proj, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(0, 300),
    width=st.integers(1, 70),
    low=st.sampled_from([0, -1]),
    high=st.integers(1, 4),
    dtype=st.sampled_from([np.int8, np.int64]),
)
def test_unique_rows_is_numpys_unique_by_row(
    seed: int, n: int, width: int, low: int, high: int, dtype: type
) -> None:
    rows = np.random.default_rng(seed).integers(low, high + 1, (n, width)).astype(dtype)
    # Many repeated rows, as people in the same groups give.
    rows[: n // 2, width // 2 :] = 0
    want = np.unique(rows, axis=0, return_inverse=True, return_counts=True)
    got = unique_rows(rows)
    assert got[0].dtype == want[0].dtype
    assert np.array_equal(got[0], want[0])
    assert np.array_equal(got[1], want[1].reshape(-1))
    assert np.array_equal(got[2], want[2])
