"""Disclosure control for overlapping groups: tool populations, tool mixes and their overlaps.

Segments of a dimension partition people; tools do not (a person may use two tools), so the
release plan of `uptake.metrics.release` cannot decide on them. This module decides which
of a set of overlapping published groups may be shown, with the same guarantee as the
release plan (noise off, exactly): no set of 1 … k−1 people has any additive value that a
linear combination of the shown groups computes. It reuses the exact check of
`uptake.metrics.disclosure` (atoms, the row space of the membership matrix, the search over
small atoms): a difference such as |A ∪ B| − |A| below k, a pair overlap minus the cells
inside it, or a tool's users minus the mix cells that name the tool are all such
combinations.

Groups are given with a rank: when a leak can be closed by hiding either of two groups, the
lower-ranked one goes (then the smaller). Fixed groups (the organisation's licensed total,
published by every metric) are never hidden here. A group may count what its people hold
rather than the people (the licences' seat totals: a person with two seats counts twice);
the check takes its counts per person as they are, and people the fixed counts alone single
out are taken as known (`set_aside`). Groups of one *table* (cells adding up to a
public total) get the table rule of `privacy` as well: no hidden cell alone, hidden cells
together at least k. Against the segment groups the segment metrics publish (too many to
check exactly with the tool groups), a pairwise rule holds: no shown group differs from a
published segment group by 1 … k−1 people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from uptake.metrics.atoms import Atoms, unique_rows
from uptake.metrics.leak_search import TOL, find_leak
from uptake.metrics.privacy import check_k, table_hidden
from uptake.metrics.result import COMPLEMENTARY, SMALL, SuppressReason

# Rounds of hiding before giving up on everything non-fixed (each round hides one group).
_MAX_ROUNDS = 500


@dataclass(frozen=True)
class Group:
    """One published group of people.

    Attributes:
        name: unique name (e.g. `active:cursor`).
        members: membership over the universe of people (bool array).
        rank: how much it is worth keeping (lower ranks are hidden first).
        fixed: published elsewhere whatever this plan says (never hidden here).
        table: the table whose cells this group is one of (None: not a cell).
        weights: a published count that is not of people but of things they hold (seats: a
            person holding two counts twice): each member's count; None for a count of
            people (every member counts once).
    """

    name: str
    members: np.ndarray
    rank: int = 0
    fixed: bool = False
    table: str | None = None
    weights: np.ndarray | None = None

    @classmethod
    def counting(cls, name: str, weights: np.ndarray) -> Group:
        """A fixed count that sums a count per person (members: count above 0)."""
        w = np.asarray(weights, dtype=np.int64)
        return cls(name, w > 0, rank=100, fixed=True, weights=w)

    @property
    def row(self) -> np.ndarray:
        """What each person adds to the published count (1 per member unless weighted)."""
        return self.members.astype(np.int64) if self.weights is None else self.weights

    @property
    def size(self) -> int:
        return int(self.members.sum())


def overlap_plan(
    groups: Sequence[Group],
    k: int,
    *,
    totals: dict[str, str] | None = None,
    external: np.ndarray | sparse.spmatrix | None = None,
    start: dict[str, SuppressReason] | None = None,
    known: np.ndarray | None = None,
) -> dict[str, SuppressReason]:
    """Which groups to hide so that no fewer than k people can be singled out.

    Args:
        groups: every group the release shows, over one universe of people.
        k: minimum group size (at least 3).
        totals: table name → the group that is its total (cells of a table whose total is
            hidden get no table rule: nothing to subtract them from).
        external: published segment groups (rows × people, 0/1, dense or sparse) checked
            pairwise.
        start: groups already hidden (by an earlier stage of the plan) and why.
        known: people taken as known to the reader and left out of the check (`set_aside`);
            None for nobody.

    Returns:
        Hidden group name → why ("small" below k, else "complementary").
    """
    check_k(k)
    totals = totals or {}
    by_name = {g.name: g for g in groups}
    if len(by_name) != len(groups):
        raise ValueError("overlap_plan: group names must be unique")
    hidden: dict[str, SuppressReason] = dict(start or {})
    for g in groups:
        if not g.fixed and 0 < g.size < k and g.name not in hidden:
            hidden[g.name] = SMALL
    # A weighted count is a value over everyone it counts (seats among the licensed), not a
    # group of people: no size rule for it.
    if any(g.fixed and g.weights is None and 0 < g.size < k for g in groups):
        # A fixed group below k means the release itself is below k: show nothing.
        return {g.name: SMALL for g in groups if not g.fixed}
    _tables(groups, k, totals, hidden)
    if external is not None and external.shape[0] and external.shape[1]:
        _pairwise(groups, k, sparse.csr_matrix(external, dtype=np.int64), hidden)
        _tables(groups, k, totals, hidden)
    for _ in range(_MAX_ROUNDS):
        shown = [g for g in groups if g.name not in hidden and g.size > 0]
        leak = _leak(shown, k, known)
        if leak is None:
            return hidden
        at, atoms = leak
        pick = _choose(shown, at, atoms)
        if pick is None:
            break
        hidden[pick.name] = COMPLEMENTARY
        _tables(groups, k, totals, hidden)
    # Not closed within the budget (or only fixed groups leak): hide every non-fixed group.
    return {g.name: hidden.get(g.name, COMPLEMENTARY) for g in groups if not g.fixed}


def _tables(
    groups: Sequence[Group], k: int, totals: dict[str, str], hidden: dict[str, SuppressReason]
) -> None:
    """The table rule for each table whose total is shown: no hidden cell stands alone."""
    tables: dict[str, list[Group]] = {}
    for g in groups:
        if g.table is not None:
            tables.setdefault(g.table, []).append(g)
    for table, cells in tables.items():
        total = totals.get(table)
        if total is not None and total in hidden:
            continue
        n = np.array([c.size for c in cells], dtype=float)
        forced = np.array([c.name in hidden for c in cells], dtype=bool)
        for cell, hide in zip(cells, table_hidden(n, k, forced), strict=True):
            if hide and cell.name not in hidden:
                hidden[cell.name] = SMALL if cell.size < k else COMPLEMENTARY


def _pairwise(
    groups: Sequence[Group],
    k: int,
    external: sparse.csr_matrix,
    hidden: dict[str, SuppressReason],
) -> None:
    """Hide each group that differs from a published segment group by 1 … k−1 people."""
    ext_size = np.asarray(external.sum(axis=1)).reshape(-1)
    for g in groups:
        # A weighted count is no set of people a segment group could differ from.
        if g.fixed or g.name in hidden or g.size == 0 or g.weights is not None:
            continue
        both = external @ g.members.astype(np.int64)
        diff = ext_size + g.size - 2 * both
        if ((diff > 0) & (diff < k)).any():
            hidden[g.name] = COMPLEMENTARY


def _atoms(shown: Sequence[Group], known: np.ndarray | None) -> Atoms:
    """Atoms (people in exactly the same shown groups) and the row space's basis."""
    # Weighted counts join as their per-person counts: people with equal counts in every
    # shown group are one atom, and the row space is that of every published number.
    rows = np.vstack([g.row for g in shown]).astype(np.int16)
    inside = rows.any(axis=0)
    if known is not None:
        inside &= ~known
    sig = rows[:, inside].T
    uniq, _, sizes = unique_rows(sig)
    names = [("", g.name) for g in shown]
    # Tool groups overlap: nothing to eliminate, the plain dense method (few groups).
    return Atoms.build(sparse.csr_matrix(uniq.T.astype(float)), sizes, names)


def set_aside(fixed: Sequence[Group], k: int) -> np.ndarray | None:
    """People the fixed counts alone already single out, to be taken as known (or None).

    Fixed counts are published whatever a plan says: when they single people out (13 seats
    held by 12 people: the one holding a second seat), no group can be hidden to help. Those
    people are then treated as known to the reader and left out of the check, as a reader
    who knows them would subtract them: a combination singling out anyone else, with them
    or without, is still found.

    Args:
        fixed: the fixed groups (the licensed total, the licences' seat counts).
        k: the minimum group size.

    Returns:
        One flag per person, or None when nothing is set aside (no weighted count).
    """
    if not any(g.weights is not None for g in fixed):
        return None
    sig = np.vstack([g.row for g in fixed]).T
    _, which, counts = unique_rows(sig)
    counted = np.vstack([g.members for g in fixed]).any(axis=0)
    aside = (counts[which] < k) & counted
    return aside if aside.any() else None


def _leak(
    shown: Sequence[Group], k: int, known: np.ndarray | None = None
) -> tuple[Atoms, list[int]] | None:
    if not shown:
        return None
    at = _atoms(shown, known)
    found = find_leak(at, k)
    return None if found is None else (at, found)


def _choose(shown: Sequence[Group], at: Atoms, atoms: list[int]) -> Group | None:
    """The shown, non-fixed group the leaking combination uses that is least worth keeping."""
    vals, vecs = np.linalg.eigh(at.block(atoms))
    holding = at.holding(atoms)
    if vals.size and vals[-1] >= 1 - TOL:
        z = np.zeros(len(at.sizes))
        z[atoms] = vecs[:, -1]
        used = np.abs(at.solve(z)) > 1e-6
    else:
        # The stricter test's find: any group holding the atom.
        used = holding
    cands = [g for g, u in zip(shown, used, strict=True) if u and not g.fixed]
    if not cands:
        cands = [g for g, u in zip(shown, holding, strict=True) if u and not g.fixed]
    if not cands:
        return None
    return min(cands, key=lambda g: (g.rank, g.size, g.name))
