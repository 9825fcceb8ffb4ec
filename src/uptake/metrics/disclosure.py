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
on whole atoms it involves only atoms below k. The check, exact for every set of small atoms
that together count fewer than k people:

* with V an orthonormal basis of the row space in atom coordinates, a set S of atoms carries a
  derivable combination exactly when the principal block V_S V_Sᵀ has an eigenvalue of 1;
* a single atom leaks when its leverage ‖V_a‖² is 1; for larger sets, the atom where the
  combination is largest must have leverage plus |coupling| to the others of at least 1
  (Gershgorin), which prunes the search; if the search would still be too large, a stricter
  test (every small atom's column lies in the span of the atoms of k or more people) decides.

Every population first gets a fast sparse pass (no two groups differ by 1 … k−1 people; no
group minus the groups of another dimension inside it leaves 1 … k−1). Large populations
(more than `EXACT_LIMIT` groups) then get the exact check per block (function): every group
spanning blocks is treated as if its per-block pieces were published. Those pieces add up to
the group, so what the truth lets an analyst derive is a subset of what the pieces would:
safe, if stricter. The block totals are pieces of the public total and stay published.

A search anchored on an atom that finds nothing proves that no leak peaks there, and that
stays true in later rounds (hiding a group merges atoms and removes combinations, never adds
any), so later rounds of the same population anchor only on atoms not yet proved. Only the
combination budget notices: it is spent on anchors not proved before, so a round falls back
to the stricter test less often than searching every anchor again would.

While a leak remains, one published group that its derivation uses is hidden: from the
dimension least worth keeping (the caller orders them; uptake gives up reporting lines first
and functions last), the smallest first. That dimension's table is then re-suppressed so a
hidden cell never stands alone against its total. Hiding only removes rows, so the loop
ends; at worst only the total (a group of at least k) remains.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from uptake.errors import PrivacyError
from uptake.metrics.atoms import Atoms, unique_rows
from uptake.metrics.privacy import check_k, table_hidden
from uptake.metrics.result import COMPLEMENTARY, SMALL, SuppressReason

# Eigenvalues and leverages within this of 1 count as 1 (float error on 0/1 matrices).
_TOL = 1e-7
# Combinations of small atoms examined before falling back to the stricter span test.
_MAX_COMBOS = 50_000
# Anchors whose row of P is computed at once (rows × small atoms floats): the first chunk,
# then twice as many each time up to the largest.
_FIRST_CHUNK = 16
_CHUNK = 256
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
        col = self.codes[:, j]
        # People with no segment (code -1) are in no group of the dimension.
        valid = np.flatnonzero(col >= 0)
        order = valid[np.argsort(col[valid], kind="stable")]
        counts = np.bincount(col[valid], minlength=len(self.names[j]))
        if not self.names[j]:
            return
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


def _leaks(at: Atoms, k: int, cleared: np.ndarray | None = None) -> list[int] | None:
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
    lev = np.round(at.leverage()[small], 9)
    sizes = at.sizes[small]
    budget = [_MAX_COMBOS]
    order = np.argsort(-lev, kind="stable")
    if lev[order[0]] >= 1 - _TOL:
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
    need = 1 - _TOL - lev
    safe = np.clip(rooms, 0, k - 1)
    bound = (within + norms * widest[safe]) * safe
    ok = (rooms > 0) & (bound + 1e-9 >= need)
    if cleared is not None:
        # No leak has its largest value on an anchor ruled out by the bound (this round's
        # structure, so every later one: see `plan`).
        cleared[small[~ok]] = True
        ok &= ~cleared[small]
    viable = order[ok[order]].tolist()

    def sub(s: list[int]) -> np.ndarray:
        return at.block(small[s])

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
                found = _grow([i], cand, 0, room, float(need[i]), sub, budget)
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


def _grow(
    chosen: list[int],
    cand: _Candidates,
    start: int,
    room: int,
    need: float,
    sub: Callable[[list[int]], np.ndarray],
    budget: list[int],
) -> list[int] | None:
    """Depth-first: add atoms to `chosen` while the anchor's row can still reach 1.

    `cand.csum` holds the running sums of the couplings (sorted largest first), so the best
    `room` more atoms from a position add up to a difference of two of them.
    """
    n, csum = len(cand.atoms), cand.csum
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
        s = [*chosen, cand.atoms[pos]]
        left = need - cand.coupling[pos]
        if left <= 0 and np.linalg.eigvalsh(sub(s)).max() >= 1 - _TOL:
            return s
        found = _grow(s, cand, pos + 1, room - size, left, sub, budget)
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


def _find_leaks(
    block: _Block,
    dims: Sequence[str],
    hidden: dict[str, dict[str, SuppressReason]],
    k: int,
    cleared: np.ndarray | None = None,
) -> list[tuple[Atoms, list[int]]]:
    """Leaks of one (sub)population: every single-atom leak at once, else one larger one.

    `cleared` (per distinct row of the block) says where earlier rounds proved no leak has
    its largest value, and gains what this round's search proves.
    """
    at, inverse = _atoms(block, dims, hidden)
    lev = at.leverage()
    single = np.flatnonzero((at.sizes < k) & (lev >= 1 - _TOL))
    if single.size:
        # Closing many independent leaks per round keeps large organisations to a few rounds.
        return [(at, [int(a)]) for a in single]
    if cleared is None:
        leak = _leaks(at, k)
    else:
        # An atom holding a cleared row holds the whole atom that was proved (atoms only
        # merge as groups are hidden), and a leak is constant on an atom.
        mine = np.zeros(len(at.sizes), dtype=bool)
        mine[inverse[cleared]] = True
        leak = _leaks(at, k, mine)
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
    if vals.size and vals[-1] >= 1 - _TOL:
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
