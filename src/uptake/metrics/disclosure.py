"""Release-wide disclosure control: no group below k can be derived from published groups.

Suppression inside one table (`privacy.suppress`) stops "total minus the visible cells".
An analyst who combines tables goes further: a function minus one of its teams is the other
team; a team lead's team minus the lead's reports (the `manager` segment) is the lead. This
module decides, for one population (the people a metric counts on one as-of date), which
segments of *every* dimension may be published, so that the answer does not depend on which
`--by` was asked and combining all of them is as safe as any one.

The model. Each published group's additive values (people counts, sums of per-person
numbers) are linear in the per-person values, so an analyst can derive exactly the linear
combinations in the row space of the published groups' membership matrix. People who belong
to exactly the same published groups (an *atom*) are indistinguishable: every derivable
combination is constant on an atom, so what can be derived is a combination of atom totals.
A leak is a derivable combination supported on fewer than k people; because it is supported
on whole atoms it involves only atoms below k. A single atom leaks when its leverage is 1;
`leak_search` finds larger leaks exactly (or, past a budget, with a stricter test).

Every population first gets a fast sparse pass (no two groups differ by 1 … k−1 people; no
group minus the groups of another dimension inside it leaves 1 … k−1). Large populations
(more than `EXACT_LIMIT` groups) then get the exact check per block (function): every group
spanning blocks is treated as if its per-block pieces were published. Those pieces add up to
the group, so what the truth lets an analyst derive is a subset of what the pieces would:
safe, if stricter. The block totals are pieces of the public total and stay published.

Each round rebuilds the atoms, and the search skips the atoms earlier rounds proved no leak
peaks on (see `leak_search`): hiding a group merges atoms and removes combinations, never
adds any.

While a leak remains, one published group that its derivation uses is hidden: from the
dimension least worth keeping (the caller orders them; uptake gives up reporting lines first
and functions last), the smallest first. That dimension's table is then re-suppressed so a
hidden cell never stands alone against its total. Hiding only removes rows, so the loop
ends; at worst only the total (a group of at least k) remains.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from uptake.errors import PrivacyError
from uptake.metrics import leak_search
from uptake.metrics.atoms import Atoms, unique_rows
from uptake.metrics.leak_search import TOL
from uptake.metrics.privacy import check_k, table_hidden
from uptake.metrics.result import COMPLEMENTARY, SMALL, SuppressReason

# Published groups checked as one problem; larger populations are split into blocks.
EXACT_LIMIT = 300


@dataclass
class Plan:
    """Which segments of each dimension a release hides, and why.

    Attributes:
        k: the minimum group size.
        people: the population's size.
        hidden: dimension → segment → reason ("small" or "complementary").
        rounds: cross-dimension hiding rounds the plan needed.
    """

    k: int
    people: int
    hidden: dict[str, dict[str, SuppressReason]] = field(default_factory=dict)
    rounds: int = 0

    @property
    def total_hidden(self) -> bool:
        """Whether the whole population counts fewer than k people (then all is hidden)."""
        return 0 < self.people < self.k

    def reasons(self, dim: str) -> dict[str, SuppressReason]:
        """The hidden segments of one dimension with why.

        Args:
            dim: a dimension of the plan.

        Returns:
            Segment → reason.
        """
        return dict(self.hidden.get(dim, {}))


def plan(
    members: pd.DataFrame,
    dims: Sequence[str],
    k: int,
    *,
    block: str | None = None,
    exact_limit: int = EXACT_LIMIT,
) -> Plan:
    """Decide which segments of every dimension one population may publish.

    Args:
        members: one row per person of the population, one string column per dimension
            (the person's segment in it).
        dims: the dimensions published for this population, most worth keeping first:
            when a leak can be closed by hiding a group of either of two dimensions, the
            later dimension's group goes.
        k: minimum group size (at least 3).
        block: a dimension to split large populations by (e.g. function): each block is
            checked on its own, with every group that spans blocks counted as published in
            pieces, which is stricter than the truth (see the module notes), so still safe.
        exact_limit: the largest count of published groups checked as one problem.

    Returns:
        The plan: hidden segments per dimension, with reasons.
    """
    check_k(k)
    dims = list(dims)
    frame = members[dims].astype(str).reset_index(drop=True)
    out = Plan(k=k, people=len(frame))
    # Each dimension's segments and their people as plain dictionaries: the ranking of groups
    # to give up asks them tens of thousands of times per plan, and each table suppression
    # reads them whole (a pandas lookup each costs microseconds).
    sizes: dict[str, dict[str, int]] = {}
    for d in dims:
        c = frame[d].value_counts(sort=False)
        sizes[d] = dict(zip(map(str, c.index.tolist()), c.tolist(), strict=True))
    if out.total_hidden:
        out.hidden = {d: dict.fromkeys(sizes[d], SMALL) for d in dims}
        return out
    for d in dims:
        out.hidden[d] = _within(sizes[d], k, {})
    if not len(frame):
        return out
    groups = sum(len(s) for s in sizes.values())
    # Every dimension's segments as integer codes, once: the checks below group people by
    # them many times (grouping the strings themselves costs ten times as much).
    coded = _Coded.of(frame, dims)
    # Close the common leaks (a lead's team minus their reports, a group minus the groups of
    # another dimension inside it) cheaply first, so the exact check needs few rounds.
    out.rounds += _pairs_and_nests(coded, dims, out.hidden, sizes, k)
    if block is None or groups <= exact_limit or frame[block].nunique() < 2:
        parts = [np.arange(len(frame))]
    else:
        # Hidden blocks go together: their union counts at least k (the table rule), so
        # each block's total, itself a piece of the public total, is never a small group.
        key = frame[block].where(~frame[block].isin(list(out.hidden[block])), "\0hidden")
        parts = [np.asarray(ix) for ix in frame.groupby(key, sort=True).indices.values()]
    blocks = [_Block.of(coded, ix) for ix in parts]
    clean = [False] * len(blocks)
    # Per block, the people (distinct rows) that no leak can have its largest value on, as
    # earlier rounds' searches proved; later rounds do not anchor a search there again.
    cleared = [np.zeros(len(sub.counts), dtype=bool) for sub in blocks]
    while not all(clean):
        for b, sub in enumerate(blocks):
            if clean[b]:
                continue
            leaks = _find_leaks(sub, dims, out.hidden, k, cleared[b])
            if not leaks:
                clean[b] = True
                continue
            skip = block if len(parts) > 1 else None
            chosen = {_choose(dims, leak, sizes, skip) for leak in leaks}
            for d, seg in sorted(chosen):
                if seg in out.hidden[d]:
                    continue
                out.hidden[d][seg] = COMPLEMENTARY
                out.hidden[d] = _within(sizes[d], k, out.hidden[d])
            out.rounds += 1
            # A clean block stays clean: hiding a group only removes rows, so every
            # combination derivable afterwards was derivable before (and was no leak).
    return out


def _within(
    counts: dict[str, int], k: int, forced: dict[str, SuppressReason]
) -> dict[str, SuppressReason]:
    """One dimension's table suppression (segment → people), keeping the cells already hidden."""
    labels = list(counts)
    n = np.fromiter(counts.values(), dtype=float, count=len(labels))
    # A plan re-runs this after every group it hides: the membership test and the result
    # touch each label once, in C where they can (teams run to thousands of labels).
    keep = np.fromiter(map(forced.__contains__, labels), dtype=bool, count=len(labels))
    hide = table_hidden(n, k, keep)
    out: dict[str, SuppressReason] = {}
    for i in np.flatnonzero(hide).tolist():
        s = labels[i]
        out[s] = forced.get(s, SMALL if n[i] < k else COMPLEMENTARY)
    return out


@dataclass(frozen=True)
class _Coded:
    """A population's segments as integer codes.

    Attributes:
        names: per dimension, its segments, sorted (as `pd.Categorical` orders them).
        codes: people × dimensions, each person's segment's position in `names`.
    """

    names: list[list[str]]
    codes: np.ndarray

    @classmethod
    def of(cls, frame: pd.DataFrame, dims: Sequence[str]) -> _Coded:
        """The codes of these people (one string column per dimension)."""
        names: list[list[str]] = []
        codes = np.zeros((len(frame), len(dims)), dtype=np.int64)
        for j, d in enumerate(dims):
            cat = pd.Categorical(frame[d])
            names.append([str(c) for c in cat.categories.tolist()])
            codes[:, j] = np.asarray(cat.codes, dtype=np.int64)
        return cls(names, codes)

    def groups(self, j: int) -> Iterator[tuple[str, np.ndarray]]:
        """Dimension `j`'s segments, sorted, each with its people's positions (ascending)."""
        if not self.names[j]:
            return
        col = self.codes[:, j]
        # People with no segment (code -1) are in no group of the dimension.
        valid = np.flatnonzero(col >= 0)
        order = valid[np.argsort(col[valid], kind="stable")]
        counts = np.bincount(col[valid], minlength=len(self.names[j]))
        for seg, ix in zip(self.names[j], np.split(order, np.cumsum(counts)[:-1]), strict=True):
            if len(ix):
                yield seg, ix


@dataclass(frozen=True)
class _Block:
    """One (sub)population as the rounds of the exact check read it, made once per plan.

    Attributes:
        names: per dimension, its segments (sorted, as `pd.Categorical` orders them).
        rows: the distinct rows of the people's segment codes (people × dimensions).
        counts: how many people each distinct row has.
    """

    names: list[list[str]]
    rows: np.ndarray
    counts: np.ndarray

    @classmethod
    def of(cls, coded: _Coded, people: np.ndarray) -> _Block:
        """The block of these people (positions in `coded`)."""
        names: list[list[str]] = []
        codes = np.zeros((len(people), coded.codes.shape[1]), dtype=np.int64)
        for j, every in enumerate(coded.names):
            # The block's own segments, in the population's (sorted) order; people with no
            # segment keep -1.
            col = coded.codes[people, j]
            present = np.unique(col[col >= 0])
            names.append([every[c] for c in present.tolist()])
            codes[:, j] = np.where(col >= 0, np.searchsorted(present, col), -1)
        # People with the same segment in every dimension stay together in every round
        # (hiding only merges atoms): each round starts from these rows, not from everyone.
        rows, _, counts = unique_rows(codes)
        return cls(names, rows, counts)


def _atoms(
    block: _Block, dims: Sequence[str], hidden: dict[str, dict[str, SuppressReason]]
) -> tuple[Atoms, np.ndarray]:
    """The atoms of the published groups, and each of the block's rows' atom.

    The dimension with most groups is eliminated (see atoms.py).
    """
    sig = np.empty_like(block.rows)
    for j, d in enumerate(dims):
        shown = np.array([name not in hidden[d] for name in block.names[j]], dtype=bool)
        c = block.rows[:, j]
        sig[:, j] = np.where(shown[c], c, -1)
    # The atoms are the distinct masked rows, in the order `unique_rows` gives them over
    # the people themselves (the same rows, each as many times as it has people).
    uniq, inverse, _ = unique_rows(sig)
    sizes = np.bincount(inverse, weights=block.counts, minlength=len(uniq)).astype(np.int64)
    rows: list[tuple[str, str]] = [("", "")]
    ri: list[np.ndarray] = [np.zeros(len(uniq), dtype=np.int64)]
    ci: list[np.ndarray] = [np.arange(len(uniq))]
    spans: list[range] = []
    for j, d in enumerate(dims):
        cats = block.names[j]
        on = uniq[:, j] >= 0
        present, local = np.unique(uniq[on, j], return_inverse=True)
        spans.append(range(len(rows), len(rows) + len(present)))
        rows.extend((d, cats[code]) for code in present)
        ri.append(spans[-1].start + local.reshape(-1))
        ci.append(np.flatnonzero(on))
    r, c = np.concatenate(ri), np.concatenate(ci)
    member = sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(rows), len(uniq)))
    # One dimension's segments are disjoint: eliminate the largest exactly (see atoms.py).
    widest = max(spans, key=len)
    return Atoms.build(member, sizes, rows, partition=list(widest)), inverse


def _find_leaks(
    block: _Block,
    dims: Sequence[str],
    hidden: dict[str, dict[str, SuppressReason]],
    k: int,
    cleared: np.ndarray,
) -> list[tuple[Atoms, list[int]]]:
    """Leaks of one (sub)population: every single-atom leak at once, else one larger one.

    `cleared` (per distinct row of the block) says where earlier rounds proved no leak has
    its largest value, and gains what this round's search proves.
    """
    at, inverse = _atoms(block, dims, hidden)
    lev = at.leverage()
    single = np.flatnonzero((at.sizes < k) & (lev >= 1 - TOL))
    if single.size:
        # Closing many independent leaks per round keeps large organisations to a few rounds.
        return [(at, [int(a)]) for a in single]
    # An atom holding a cleared row holds the whole atom that was proved (atoms only merge
    # as groups are hidden), and a leak is constant on an atom.
    mine = np.zeros(len(at.sizes), dtype=bool)
    mine[inverse[cleared]] = True
    leak = leak_search.find_leak(at, k, mine)
    cleared |= mine[inverse]
    return [] if leak is None else [(at, leak)]


def _choose(
    dims: Sequence[str],
    leak: tuple[Atoms, list[int]],
    sizes: dict[str, dict[str, int]],
    skip: str | None = None,
) -> tuple[str, str]:
    """The published group to hide next, among those the leaking combination uses.

    The combination is solved for in terms of the published groups (least-norm solution on
    the membership matrix); hiding any group with a non-zero coefficient breaks it.
    """
    at, atoms = leak
    vals, vecs = np.linalg.eigh(at.block(atoms))
    z = np.zeros(len(at.sizes))
    if vals.size and vals[-1] >= 1 - TOL:
        z[atoms] = vecs[:, -1]
        # The least-norm solution of matrixᵀ · coef = z (z lies in the row space).
        used = np.abs(at.solve(z)) > 1e-6
    else:
        # The stricter test's find: any group holding the atom.
        used = at.holding(atoms)
    # The block's own dimension is one row per block, the same as the block's total.
    ok = [r for r in at.rows if r != ("", "") and r[0] != skip]
    allowed = set(ok)
    candidates = [at.rows[i] for i in np.flatnonzero(used) if at.rows[i] in allowed]
    if not candidates:
        candidates = ok
    if not candidates:
        raise PrivacyError("release plan: a leak that no published group can close")
    # Dimensions listed later are given up first; within one, the smallest group.
    candidates.sort(key=lambda r: (-dims.index(r[0]), sizes[r[0]].get(r[1], 0), r[1]))
    return candidates[0]


def _pairs_and_nests(
    coded: _Coded,
    dims: Sequence[str],
    hidden: dict[str, dict[str, SuppressReason]],
    sizes: dict[str, dict[str, int]],
    k: int,
) -> int:
    """Hide groups until no two published groups differ by 1 … k−1 people and no group
    minus the published groups of another dimension inside it leaves 1 … k−1 people.

    Sparse and fast on large populations; a subset of what the exact check finds.

    Returns:
        The rounds it took.
    """
    rounds = 0
    # Each dimension's segments with their people, found once (the rounds only hide some).
    groups = [(d, seg, ix) for j, d in enumerate(dims) for seg, ix in coded.groups(j)]
    people = len(coded.codes)
    while True:
        rows: list[tuple[str, str]] = []
        cols: list[np.ndarray] = []
        for d, seg, ix in groups:
            if seg not in hidden[d]:
                rows.append((d, seg))
                cols.append(ix)
        if not rows:
            return rounds
        size = np.array([len(c) for c in cols], dtype=np.int64)
        ind = sparse.csr_matrix(
            (
                np.ones(int(size.sum())),
                (np.repeat(np.arange(len(rows)), size), np.concatenate(cols)),
            ),
            shape=(len(rows), people),
        )
        inter = (ind @ ind.T).tocoo()
        a, b, both = inter.row, inter.col, inter.data.astype(np.int64)
        diff = size[a] + size[b] - 2 * both
        bad: set[tuple[str, str]] = set()
        pair = (a < b) & (diff > 0) & (diff < k)
        for i, j in zip(a[pair], b[pair], strict=True):
            bad.add(_later(dims, rows[i], rows[j], sizes))
        # Nested sums: B minus the groups of dimension D lying wholly inside it.
        for bb, smallest in _nested_rests(a, b, both, size, rows, dims, k):
            bad.add(_later(dims, rows[bb], rows[smallest], sizes))
        if not bad:
            return rounds
        for d, seg in sorted(bad):
            hidden[d][seg] = COMPLEMENTARY
        for d in {d for d, _ in bad}:
            hidden[d] = _within(sizes[d], k, hidden[d])
        rounds += 1


def _nested_rests(
    a: np.ndarray,
    b: np.ndarray,
    both: np.ndarray,
    size: np.ndarray,
    rows: list[tuple[str, str]],
    dims: Sequence[str],
    k: int,
) -> list[tuple[int, int]]:
    """Groups B that the groups of another dimension inside them leave 1 … k−1 people short.

    Args:
        a, b: pairs of published groups (indices into `rows`) that share people.
        both: how many people each pair shares.
        size: each group's people.
        rows: each group's (dimension, segment).
        dims: the dimensions, in order.
        k: the minimum group size.

    Returns:
        (B, the smallest group of that dimension inside B) for each such B and dimension.
    """
    inside = (both == size[a]) & (a != b)
    dim_of = np.array([dims.index(r[0]) for r in rows])
    ia, ib = a[inside], b[inside]
    other = dim_of[ia] != dim_of[ib]
    ia, ib = ia[other], ib[other]
    if not len(ia):
        return []
    da, n = dim_of[ia], size[ia]
    # Sorted by B, then the inner groups' dimension, then size, then the pairs' own order:
    # each (B, dimension) is a run whose first row is its smallest group (ties: the first).
    order = np.lexsort((np.arange(len(ia)), n, da, ib))
    ia, ib, da, n = ia[order], ib[order], da[order], n[order]
    starts = np.flatnonzero(np.r_[True, (ib[1:] != ib[:-1]) | (da[1:] != da[:-1])])
    rest = size[ib[starts]] - np.add.reduceat(n, starts)
    hit = starts[(rest > 0) & (rest < k)]
    return [(int(ib[i]), int(ia[i])) for i in hit]


def _later(
    dims: Sequence[str], x: tuple[str, str], y: tuple[str, str], sizes: dict[str, dict[str, int]]
) -> tuple[str, str]:
    """Of two groups, the one to give up: the later dimension's, else the smaller."""

    def rank(r: tuple[str, str]) -> tuple[int, int, str]:
        return (-dims.index(r[0]), sizes[r[0]].get(r[1], 0), r[1])

    return min(x, y, key=rank)
