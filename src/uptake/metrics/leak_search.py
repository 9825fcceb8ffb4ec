"""The exact search for a leak: a set of small atoms that carries a derivable combination.

See `disclosure` for the model. With V an orthonormal basis of the published groups' row
space in atom coordinates (P = V Vᵀ, the projection), a set S of atoms carries a derivable
combination exactly when the principal block P_S has an eigenvalue of 1. A single atom leaks
when its leverage P_aa is 1; for larger sets (fewer than k people in all), the atom where the
combination is largest in absolute value, the *anchor*, must have leverage plus |coupling| to
the others of at least 1 (Gershgorin), which prunes the search. Trying every small atom as
the anchor misses no combination. If the search would still be too large (`_MAX_COMBOS`
sets), a stricter test decides: every small atom's column lies in the span of the atoms of k
or more people.

An anchor whose search finds nothing proves no leak peaks there. The disclosure plan rebuilds
the atoms after each group it hides, which merges atoms and removes combinations, never adds
any, so the proof holds in later rounds; the caller passes what earlier rounds proved
(`cleared`) and those atoms are not anchors again (they still join other anchors' sets).
Only the budget notices: it is spent on anchors not proved before, so a round falls back to
the stricter test less often than searching every anchor again would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from uptake.metrics.atoms import Atoms

# Eigenvalues and leverages within this of 1 count as 1 (float error on 0/1 matrices).
TOL = 1e-7
# Combinations of small atoms examined before falling back to the stricter span test.
_MAX_COMBOS = 50_000
# Anchors whose row of P is computed at once (rows × small atoms floats): the first chunk,
# then twice as many each time up to the largest.
_FIRST_CHUNK = 16
_CHUNK = 256
# Pivots of I − P at or below this: the bound gives up and the exact test decides.
_PIVOT = 1e-12
# Uses of one atom's couplings after which its whole row of P is kept, and the most values
# all kept rows may hold (32 MB).
_ROW_AFTER = 8
_ROW_FLOATS = 4_000_000


def find_leak(at: Atoms, k: int, cleared: np.ndarray | None = None) -> list[int] | None:
    """A set of atoms (fewer than k people in all) carrying a derivable combination.

    Args:
        at: the atoms.
        k: the minimum group size.
        cleared: per atom, whether an earlier search proved that no leak has its largest
            value there (not searched from again; still part of other atoms' searches).
            Updated in place with the atoms this search proves so.

    Returns:
        The leaking atoms, or None.
    """
    small = np.flatnonzero(at.sizes < k)
    if small.size == 0:
        return None
    # Rounded for ordering only: equal leverages computed along different paths tie exactly.
    leverage = at.leverage()[small]
    lev = np.round(leverage, 9)
    sizes = at.sizes[small]
    budget = [_MAX_COMBOS]
    order = np.argsort(-lev, kind="stable")
    if lev[order[0]] >= 1 - TOL:
        return [int(small[order[0]])]
    # Anchor each search on the atom where the leaking combination is largest in absolute
    # value: for it, leverage plus the |P| to the other atoms must reach 1 (Gershgorin), which
    # prunes almost every branch; trying every atom as the anchor misses no combination.
    # |P_ij| <= P_T,ij + |b_i| |b_j| rules most anchors out before their row is computed.
    norms, within = at.norms()[small], at.within()[small]
    # The largest norm among the atoms that fit in each room (people left below k).
    widest = np.zeros(k)
    for room in range(1, k):
        widest[room] = norms[sizes <= room].max(initial=0.0)
    rooms = k - 1 - sizes.astype(np.int64)
    need = 1 - TOL - lev
    safe = np.clip(rooms, 0, k - 1)
    bound = (within + norms * widest[safe]) * safe
    ok = (rooms > 0) & (bound + 1e-9 >= need)
    if cleared is not None:
        # No leak has its largest value on an anchor ruled out by the bound (this round's
        # structure, so every later one: see the module notes).
        cleared[small[~ok]] = True
        ok &= ~cleared[small]
    viable = order[ok[order]].tolist()

    def sub(s: list[int]) -> np.ndarray:
        return at.block(small[s])

    # Made when the first anchor is searched (most rounds rule every anchor out first).
    couplings: _Couplings | None = None

    def proved(upto: int) -> None:
        # The anchors before this one in `viable` were each ruled out or searched in full:
        # the same ones however the anchors are chunked.
        if cleared is not None:
            cleared[small[viable[:upto]]] = True

    start = 0
    for chunk in _chunks(viable):
        mags = np.round(np.abs(at.block(small[chunk], small)), 12)
        # Each anchor's row without itself and without atoms too large for its room.
        mags[np.arange(len(chunk)), chunk] = 0.0
        mags[sizes[None, :] > rooms[chunk][:, None]] = 0.0
        # The tests below, for the whole chunk at once: an anchor whose `room` largest
        # couplings fall clearly short is skipped without looking at its row again (most
        # are; the margin leaves any anchor within rounding of the need to the tests).
        hopeful = _top_sums(mags, rooms[chunk]) >= need[chunk] - 1e-9
        for c in np.flatnonzero(hopeful).tolist():
            i = chunk[c]
            room = int(rooms[i])
            row = mags[c]
            # Even `room` more atoms at this anchor's largest coupling cannot reach 1: no leak.
            if row.max(initial=0.0) * room < need[i]:
                continue
            # Tighter: the `room` largest couplings together (each atom holds a person at
            # least) must reach the need. It skips only anchors the search cannot succeed on.
            best = row if room >= len(row) else np.partition(row, len(row) - room)[-room:]
            if best.sum() < need[i]:
                continue
            # Stable order over the couplings that count (the same as sorting the whole row).
            nz = np.flatnonzero(row > 1e-9)
            ranked = nz[np.argsort(-row[nz], kind="stable")]
            cand = _Candidates(
                ranked.tolist(),
                row[ranked].tolist(),
                sizes[ranked].tolist(),
                np.concatenate([[0.0], np.cumsum(row[ranked])]).tolist(),
            )
            try:
                if couplings is None:
                    couplings = _Couplings(at.basis[small], at.part[small], within, leverage)
                path = _Bound(couplings, i, room + 1)
                found = _grow(
                    [i], cand, 0, room, float(need[i]), sub, budget, path if path.usable else None
                )
            except _TooMany:
                proved(start + c)
                return _strict(at, k)
            if found is not None:
                proved(start + c)
                return [int(small[j]) for j in found]
        start += len(chunk)
    proved(len(viable))
    return None


def _chunks(viable: list[int]) -> Iterator[list[int]]:
    """The anchors in growing chunks: a leak is most often found among the first few."""
    lo, size = 0, _FIRST_CHUNK
    while lo < len(viable):
        yield viable[lo : lo + size]
        lo += size
        size = min(2 * size, _CHUNK)


def _top_sums(rows: np.ndarray, rooms: np.ndarray) -> np.ndarray:
    """Per row, the sum of its `room` largest values (`rooms` ≥ 1, one per row)."""
    n = rows.shape[1]
    r = min(int(rooms.max(initial=1)), n)
    top = np.sort(np.partition(rows, n - r, axis=1)[:, n - r :], axis=1)[:, ::-1]
    sums = np.cumsum(top, axis=1)
    return sums[np.arange(len(rows)), np.minimum(rooms, r) - 1]


@dataclass(frozen=True)
class _Candidates:
    """The atoms an anchor's search may add, by coupling to the anchor, largest first.

    Plain lists: the search reads them one value at a time (a numpy scalar each costs more).

    Attributes:
        atoms: the atoms (indices among the small atoms).
        coupling: each one's |P| to the anchor.
        people: each one's size.
        csum: running sums of `coupling`, from 0 (one longer).
    """

    atoms: list[int]
    coupling: list[float]
    people: list[int]
    csum: list[float]


class _Couplings:
    """P between one small atom and a few others, from the atoms' basis (no block built).

    An atom the search adds often (a deep search adds some thousands of times) gets its
    whole row of P computed once and read from then on, up to `_ROW_FLOATS` values kept in
    all (a row is as long as there are small atoms: tens of thousands at 100,000 people).
    """

    def __init__(
        self, basis: np.ndarray, part: np.ndarray, within: np.ndarray, leverage: np.ndarray
    ) -> None:
        """Per small atom: its row of the residual basis, its eliminated segment (-1: none),
        its P_T within that segment and its leverage."""
        self.basis = basis
        self.part = part
        self.within = within
        self.leverage = leverage
        self._uses: dict[int, int] = {}
        self._rows: dict[int, np.ndarray] = {}

    def of(self, a: int, others: list[int]) -> np.ndarray:
        """P from small atom `a` to each of `others` (indices among the small atoms)."""
        row = self._rows.get(a)
        if row is not None:
            return row[others]
        uses = self._uses.get(a, 0) + 1
        if uses < _ROW_AFTER or (len(self._rows) + 1) * len(self.part) > _ROW_FLOATS:
            self._uses[a] = uses
            return self._p(a, self.basis[others], self.part[others])
        row = self._rows[a] = self._p(a, self.basis, self.part)
        return row[others]

    def _p(self, a: int, basis: np.ndarray, part: np.ndarray) -> np.ndarray:
        p = basis @ self.basis[a]
        if self.part[a] >= 0:
            # P_T: 1/n between the atoms of one eliminated segment of n atoms.
            p += np.where(part == self.part[a], self.within[a], 0.0)
        return p


class _Bound:
    """A lower bound on the smallest eigenvalue of I − P over a search's chosen atoms.

    The chosen atoms carry a derivable combination exactly when P over them has the
    eigenvalue 1, i.e. when I − P over them is singular. Along one path of the search the
    Cholesky factor L of I − P grows by a row per atom added, and so does its inverse; the
    smallest eigenvalue is at least 1 / ‖L⁻¹‖²_F. Where that bound clears the tolerance, the
    exact test would find no leak and is skipped (most sets, with k of 10 or more, where the
    search examines up to its whole budget of sets); elsewhere the exact test decides, so
    the search finds what it always found. One search (depth first) keeps one row of L⁻¹
    per depth: a set's rows are its parent's, and siblings overwrite the last.

    Attributes:
        inverse: L⁻¹ of the current path, row t for its t-th atom (k × k, lower triangular).
        frob: per depth, ‖L⁻¹‖²_F over the rows up to it.
        usable: whether the bound holds on the anchor alone.
    """

    def __init__(self, couplings: _Couplings, anchor: int, depth: int) -> None:
        self.couplings = couplings
        self.inverse = np.zeros((depth, depth))
        self.frob = np.zeros(depth)
        d = 1.0 - float(couplings.leverage[anchor])
        self.usable = d > _PIVOT
        if self.usable:
            self.inverse[0, 0] = d**-0.5
            self.frob[0] = 1.0 / d

    def add(self, atom: int, chosen: list[int]) -> bool:
        """Set the row of L⁻¹ for `atom` added to the path's `chosen` atoms.

        Returns:
            Whether the bound holds on the longer path (False: I − P is close to singular).
        """
        t = len(chosen)
        inv = self.inverse[:t, :t]
        # y = L⁻¹ p, with p the new column of I − P (−P to the chosen atoms).
        y = inv @ -self.couplings.of(atom, chosen)
        d = 1.0 - float(self.couplings.leverage[atom]) - float(y @ y)
        if d <= _PIVOT:
            return False
        scale = d**-0.5
        new = self.inverse[t, : t + 1]
        new[:t] = (y @ inv) * -scale
        new[t] = scale
        self.frob[t] = self.frob[t - 1] + float(new @ new)
        return True

    def clears(self, t: int) -> bool:
        """Whether the smallest eigenvalue of I − P on the path's first t + 1 atoms surely
        exceeds the leak tolerance."""
        return bool(self.frob[t] * 2 * TOL < 1)


def _grow(
    chosen: list[int],
    cand: _Candidates,
    start: int,
    room: int,
    need: float,
    sub: Callable[[list[int]], np.ndarray],
    budget: list[int],
    bound: _Bound | None = None,
) -> list[int] | None:
    """Depth-first: add atoms to `chosen` while the anchor's row can still reach 1.

    `cand.csum` holds the running sums of the couplings (sorted largest first), so the best
    `room` more atoms from a position add up to a difference of two of them. Sets that the
    `bound` (when it holds on `chosen`) clears skip the exact test.
    """
    n, csum = len(cand.atoms), cand.csum
    t = len(chosen)
    for pos in range(start, n):
        size = cand.people[pos]
        if size > room:
            continue
        # The best this branch can add is the next `room` atoms' couplings.
        if csum[min(pos + room, n)] - csum[pos] < need:
            return None
        budget[0] -= 1
        if budget[0] < 0:
            raise _TooMany
        atom = cand.atoms[pos]
        s = [*chosen, atom]
        left = need - cand.coupling[pos]
        holds = bound is not None and bound.add(atom, chosen)
        if (
            left <= 0
            and not (holds and bound is not None and bound.clears(t))
            and np.linalg.eigvalsh(sub(s)).max() >= 1 - TOL
        ):
            return s
        found = _grow(s, cand, pos + 1, room - size, left, sub, budget, bound if holds else None)
        if found is not None:
            return found
    return None


class _TooMany(Exception):
    """The combination search would be too large: use the stricter test."""


def _strict(at: Atoms, k: int) -> list[int] | None:
    """A small atom outside the span of the atoms of k or more people, if any."""
    big = at.sizes >= k
    small = np.flatnonzero(~big)
    if not big.any():
        return [int(small[0])] if small.size else None
    matrix = at.dense()
    span = matrix[:, big]
    u, s, _ = np.linalg.svd(span, full_matrices=False)
    u = u[:, s > s.max() * 1e-10]
    for a in small:
        col = matrix[:, a]
        if np.linalg.norm(col - u @ (u.T @ col)) > 1e-6:
            return [int(a)]
    return None
