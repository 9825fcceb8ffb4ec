"""The row space of published groups in atom coordinates: leverages, projections, solutions.

An *atom* is a set of people who belong to exactly the same published groups; the groups'
membership matrix (groups × atoms, 0/1) spans the combinations an analyst can derive. The
disclosure checks need three things from it: the projection P onto that row space (its
diagonal, the leverages, and small blocks of it), and the least-norm combination of groups
that gives a derivable vector.

Done densely this costs groups² × atoms, which grows with the cube of an organisation's size
(thousands of teams in a function of tens of thousands of people). One dimension's published
segments are disjoint, so their rows are orthogonal and can be eliminated exactly: with T
those rows and O the others,

* P = P_T + P_R, where P_T is 1/n inside each published segment of n atoms (0 elsewhere) and
  P_R projects onto the rows of O with their segment means removed; the Gram matrix of those
  residual rows is the Schur complement S = O Oᵀ − B D⁻¹ Bᵀ (B = O Tᵀ, D = T Tᵀ diagonal), as
  large as O, not as the whole release;
* the least-norm solution of Mᵀ c = z follows from the same blocks: c_T = D⁻¹(y_T − Bᵀ c_O),
  S c_O = y_O − B D⁻¹ y_T, and the null space of S (a handful of dependencies, such as a
  dimension's segments adding up to the total) is used to make the whole c least-norm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

# Eigenvalues below this share of the largest (or of 1) count as 0.
_RANK_TOL = 1e-10


def unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct rows of an integer matrix, as `np.unique(rows, axis=0, ...)` gives them.

    `np.unique` with an axis sorts the rows as records, with numpy's generic field-by-field
    comparison; one stable sort per column (`np.lexsort`) gives the same order far faster
    (a tool release's 15 checks at 10,000 people: 1.06 s -> 0.05 s finding atoms).

    Args:
        rows: 2-D integer array, one row per person.

    Returns:
        The distinct rows in lexicographic order, each row's index among them, and how many
        rows each distinct one has.
    """
    n, width = rows.shape
    if n == 0 or width == 0:
        return np.unique(rows, axis=0, return_inverse=True, return_counts=True)
    # lexsort's last key is the primary one: the first column leads.
    order = np.lexsort(rows.T[::-1])
    ordered = rows[order]
    starts = np.empty(n, dtype=bool)
    starts[0] = True
    np.any(ordered[1:] != ordered[:-1], axis=1, out=starts[1:])
    group = np.cumsum(starts) - 1
    inverse = np.empty(n, dtype=np.intp)
    inverse[order] = group
    first = np.flatnonzero(starts)
    counts = np.diff(np.append(first, n))
    return ordered[first], inverse, counts


@dataclass
class Atoms:
    """Atoms of the published groups, with what the disclosure checks read from them.

    Attributes:
        sizes: people per atom.
        rows: the published groups, (dimension, segment); ("", "") is the total.
        member: groups × atoms membership (0/1, sparse).
        part: each atom's position among the eliminated segments (-1: in none of them).
        part_rows: the row of each eliminated segment.
        other_rows: the rows of every other group.
        part_n: atoms per eliminated segment.
        basis: atoms × rank, an orthonormal basis of the residual rows' space (P_R = B Bᵀ).
    """

    sizes: np.ndarray
    rows: list[tuple[str, str]]
    member: sparse.csr_matrix
    part: np.ndarray
    part_rows: np.ndarray
    other_rows: np.ndarray
    part_n: np.ndarray
    basis: np.ndarray
    _cross: np.ndarray  # B: other rows × eliminated segments, atoms in common
    _vecs: np.ndarray  # eigenvectors of S kept (other rows × rank)
    _vals: np.ndarray  # their eigenvalues
    _null: np.ndarray  # the null space of S (other rows × nullity)
    _sq: np.ndarray  # each atom's squared length in `basis` (read by leverage and norms)

    @classmethod
    def build(
        cls,
        member: sparse.csr_matrix,
        sizes: np.ndarray,
        rows: Sequence[tuple[str, str]],
        partition: Sequence[int] = (),
    ) -> Atoms:
        """The projection's pieces for a membership matrix.

        Args:
            member: groups × atoms, 0/1.
            sizes: people per atom.
            rows: one name per group.
            partition: rows whose groups are pairwise disjoint (eliminated exactly); none is
                allowed (everything is then the Schur side, the plain dense method).

        Returns:
            The atoms.
        """
        member = sparse.csr_matrix(member, dtype=float)
        n_rows, n_atoms = member.shape
        part_rows = np.asarray(partition, dtype=np.int64)
        other = np.setdiff1d(np.arange(n_rows), part_rows)
        part = np.full(n_atoms, -1, dtype=np.int64)
        if part_rows.size:
            e = member[part_rows].tocoo()
            if np.bincount(e.col, minlength=n_atoms).max(initial=0) > 1:
                raise ValueError("atoms: the eliminated groups overlap")
            part[e.col] = e.row
        inside = part >= 0
        part_n = np.bincount(part[inside], minlength=part_rows.size).astype(float)
        mo = member[other]
        ind = sparse.csr_matrix(
            (np.ones(int(inside.sum())), (part[inside], np.flatnonzero(inside))),
            shape=(part_rows.size, n_atoms),
        )
        cross = (mo @ ind.T).toarray()
        scaled = cross / np.where(part_n > 0, part_n, 1.0)
        schur = (mo @ mo.T).toarray() - scaled @ cross.T
        schur = (schur + schur.T) / 2
        vals, vecs = np.linalg.eigh(schur)
        keep = vals > max(vals.max(initial=0.0), 1.0) * _RANK_TOL
        w = vecs[:, keep] / np.sqrt(vals[keep])
        basis = np.asarray(mo.T @ w)
        if part_rows.size:
            basis[inside] -= (scaled.T @ w)[part[inside]]
        return cls(
            sizes=np.asarray(sizes),
            rows=list(rows),
            member=member,
            part=part,
            part_rows=part_rows,
            other_rows=other,
            part_n=part_n,
            basis=basis,
            _cross=cross,
            _vecs=vecs[:, keep],
            _vals=vals[keep],
            _null=vecs[:, ~keep],
            _sq=np.einsum("ij,ij->i", basis, basis),
        )

    def leverage(self) -> np.ndarray:
        """Each atom's leverage, the diagonal of P (1: derivable on its own).

        Returns:
            One value per atom.
        """
        return self._sq + self.within()

    def norms(self) -> np.ndarray:
        """The length of each atom's row of the residual basis (bounds P's off-diagonal).

        Returns:
            One value per atom.
        """
        return np.sqrt(self._sq)

    def within(self) -> np.ndarray:
        """Each atom's value of P_T inside its eliminated segment (0 outside every one).

        Returns:
            One value per atom.
        """
        out = np.zeros(len(self.part))
        inside = self.part >= 0
        out[inside] = 1.0 / self.part_n[self.part[inside]]
        return out

    def block(
        self, a: Sequence[int] | np.ndarray, b: Sequence[int] | np.ndarray | None = None
    ) -> np.ndarray:
        """P restricted to rows `a` and columns `b` (default `a`).

        Args:
            a: atom indices.
            b: atom indices (default: `a`).

        Returns:
            The dense block, len(a) × len(b).
        """
        a = np.asarray(a, dtype=np.int64)
        b = a if b is None else np.asarray(b, dtype=np.int64)
        out = self.basis[a] @ self.basis[b].T
        # P_T: 1/n between atoms of one eliminated segment, found by sorting (no len(a) ×
        # len(b) comparison: a row of P over every small atom is tens of thousands long).
        pa, pb = self.part[a], self.part[b]
        in_b = np.flatnonzero(pb >= 0)
        order = in_b[np.argsort(pb[in_b], kind="stable")]
        sorted_b = pb[order]
        lo = np.searchsorted(sorted_b, pa, side="left")
        hi = np.searchsorted(sorted_b, pa, side="right")
        count = np.where(pa >= 0, hi - lo, 0)
        if count.any():
            ii = np.repeat(np.arange(len(a)), count)
            first = np.repeat(lo - (np.cumsum(count) - count), count)
            jj = order[first + np.arange(int(count.sum()))]
            out[ii, jj] += 1.0 / self.part_n[pa[ii]]
        return out

    def solve(self, z: np.ndarray) -> np.ndarray:
        """The least-norm coefficients c over the groups with Mᵀ c = z (z in the row space).

        Args:
            z: one value per atom.

        Returns:
            One coefficient per group (row order).
        """
        inside = self.part >= 0
        y_t = np.bincount(
            self.part[inside], weights=z[inside], minlength=self.part_rows.size
        ).astype(float)
        y_o = np.asarray(self.member[self.other_rows] @ z).reshape(-1)
        n = np.where(self.part_n > 0, self.part_n, 1.0)
        r = y_o - self._cross @ (y_t / n)
        c_o = self._vecs @ ((self._vecs.T @ r) / self._vals)
        c_t = (y_t - self._cross.T @ c_o) / n
        if self._null.shape[1]:
            # Any null-space vector u of S keeps the solution exact; the least-norm one.
            f = (self._cross.T @ self._null) / n[:, None]
            stacked = np.vstack([f, -self._null])
            u, *_ = np.linalg.lstsq(stacked, np.concatenate([c_t, c_o]), rcond=None)
            c_o = c_o + self._null @ u
            c_t = c_t - f @ u
        coef = np.zeros(self.member.shape[0])
        coef[self.part_rows] = c_t
        coef[self.other_rows] = c_o
        return coef

    def holding(self, atoms: Sequence[int]) -> np.ndarray:
        """Which groups hold any of the atoms.

        Args:
            atoms: atom indices.

        Returns:
            A boolean mask over the groups.
        """
        return np.asarray(self.member[:, list(atoms)].sum(axis=1)).reshape(-1) > 0

    def dense(self) -> np.ndarray:
        """The membership matrix, dense (groups × atoms).

        Returns:
            The 0/1 matrix as floats.
        """
        return np.asarray(self.member.toarray())
