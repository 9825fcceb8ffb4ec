"""A black-box differencing attacker: what an analyst can work out by combining one release.

uptake promises that nobody in a group below the minimum group size k can be seen, across
every combination of the outputs of one release (one `as_of`: the report without `by` and one
report per segment dimension). This module attacks that promise the way an analyst would:

* `collect` asks for every output of one release (as the JSON documents surfaces print);
* `published` turns every visible group row into a set of people and its additive numbers
  (people counts such as `n`, count fields, and shares turned back into counts with `n`);
  the attacker knows the roster (who is in which team, function, manager …: `dim_person`)
  and the licences, which decide the population of the usage, ladder and licence metrics;
* `differencing` is linear algebra over those groups: nested pairs (B − A), single people
  whose indicator lies in the row space of the published groups, and atoms (and pairs of
  atoms) of the partition the groups induce;
* `weekly_attack` subtracts the visible weeks of a segment from its 28-day window total;
* `transition_attack` rebuilds hidden rows of the ladder-transition table from its margins.

A derivation counts as a recovery only when the set holds 1 … k−1 people of the metric's
population and the derived number equals the truth computed from the warehouse for exactly
that set (`truths`): so a wrong model of membership never inflates the count, and a test that
asserts "no recoveries" fails only on a real disclosure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.metrics.dimensions import SEGMENTS
from uptake.metrics.facts import PERSON_WEEK, licensed_weeks
from uptake.metrics.families import depth, ladder, ladder_history, licenses, usage
from uptake.metrics.groups import complete_weeks
from uptake.metrics.privacy import TOTAL
from uptake.metrics.segments import NO_SEGMENT, person_segments
from uptake.workspace import Workspace

# The release without `by` is stored under this name; its only group is the whole population.
ALL = "all"
NOISE_ENV = "UPTAKE__PRIVACY__NOISE"
# Keys naming a row (never a value) in group rows and result documents.
_KEYS = frozenset({"segment", "group", "week", "suppressed", "by", "from", "cell"})
# Exact means exact: counts are integers, money has cents; anything further off is no match.
_EXACT = 1e-6
# Tolerance of the rank tests (values are 0/1 membership, so this is far from any real gap).
_RANK_TOL = 1e-8


def noise_off(monkeypatch: Any) -> None:
    """Publish exact values (the attack measures suppression, not noise).

    The setting is set only where the settings know it: an unknown key is a configuration
    error, and the noise option is being introduced alongside this suite.

    Args:
        monkeypatch: pytest's monkeypatch fixture (or `pytest.MonkeyPatch()`).
    """
    from uptake.config.sections import PrivacySettings

    if "noise" in PrivacySettings.model_fields:
        monkeypatch.setenv(NOISE_ENV, "false")
    else:
        monkeypatch.delenv(NOISE_ENV, raising=False)


# -- the release -----------------------------------------------------------------------------


Releases = dict[str, dict[str, Any]]


def collect(ws: Workspace, as_of: date) -> Releases:
    """Every output of one release: the report without `by`, then one per dimension.

    Args:
        ws: the workspace.
        as_of: the release's date.

    Returns:
        `{"all": doc, dim: doc, …}`, each doc being `MetricsReport.to_dict()`.
    """
    out: Releases = {ALL: ws.metrics(as_of=as_of, by=None).to_dict()}
    for dim in SEGMENTS:
        out[dim] = ws.metrics(as_of=as_of, by=dim).to_dict()
    return out


@dataclass(frozen=True)
class Group:
    """One visible group row: which metric (and week), whose people, and its numbers."""

    metric: str
    part: str  # the week a weekly row belongs to ("" for the window)
    dim: str
    label: str
    values: Mapping[str, float]


def counts(row: Mapping[str, Any]) -> dict[str, float]:
    """The additive numbers of one visible row, as an analyst reads them.

    Integers are counts (people, runs, seats); other numbers are kept as they are (money adds
    up too); a share of `n` becomes the count behind it, `share*n`, when that is a whole
    number — which is how a published percentage gives away a count.

    Args:
        row: a visible row (or a result's top-level values).

    Returns:
        Field → number.
    """
    out: dict[str, float] = {}
    n = row.get("n")
    for key, v in row.items():
        if key in _KEYS or isinstance(v, bool) or not isinstance(v, int | float):
            continue
        out[key] = float(v)
        if isinstance(v, float) and isinstance(n, int) and n > 0 and 0.0 <= v <= 1.0:
            c = v * n
            if abs(c - round(c)) < 1e-3:
                out[f"{key}*n"] = float(round(c))
    return out


def published(releases: Releases) -> list[Group]:
    """Every visible group row of a release, with its additive numbers.

    Args:
        releases: the output of `collect`.

    Returns:
        One `Group` per visible row (totals, segment rows, weekly rows, `by_<dim>` tables).
    """
    groups: list[Group] = []
    for dim, doc in releases.items():
        for name, m in doc["metrics"].items():
            if m.get("status") == "not_available":
                continue
            if m.get("suppressed") is False and isinstance(m.get("n"), int):
                top = {k: v for k, v in m.items() if not isinstance(v, list | dict)}
                groups.append(Group(name, str(m.get("week", "")), ALL, TOTAL, counts(top)))
            for row in m.get("weeks") or []:
                if row.get("suppressed") is False and "week" in row:
                    groups.append(Group(name, str(row["week"]), ALL, TOTAL, counts(row)))
            tables: list[tuple[str, list[Any]]] = []
            if dim != ALL:
                tables.append((dim, m.get("segments") or []))
            # Tables the families add on their own (`by_role`, `by_cohort`) are segments too.
            tables += [
                (key[3:], v)
                for key, v in m.items()
                if key.startswith("by_") and key[3:] in SEGMENTS and isinstance(v, list)
            ]
            for seg_dim, rows in tables:
                for row in rows:
                    if not isinstance(row, Mapping) or row.get("suppressed") is not False:
                        continue
                    label = row.get("segment", row.get("group"))
                    if label is None or label == TOTAL:
                        continue
                    part = str(row.get("week", ""))
                    groups.append(Group(name, part, seg_dim, str(label), counts(row)))
    return groups


# -- what the attacker knows: the roster -----------------------------------------------------


class Roster:
    """Who is in which segment on a date, from `dim_person` (the attacker knows the roster)."""

    def __init__(self, ws: Workspace, as_of: date) -> None:
        self.engine = ws.engine()
        self.as_of = as_of
        self._cache: dict[tuple[str, date], dict[str, frozenset[str]]] = {}

    def on(self, part: str) -> date:
        """The date membership is read on: a weekly row's last day, else as_of."""
        return date.fromisoformat(part) + timedelta(days=6) if part else self.as_of

    def members(self, dim: str, label: str, part: str = "") -> frozenset[str] | None:
        """The people of one segment (everyone for the total); None for an unknown label."""
        key = (dim, self.on(part))
        if key not in self._cache:
            d = ALL if dim == ALL else dim
            seg = person_segments(self.engine, SEGMENTS[0] if d == ALL else d, key[1])
            frame = self.engine.execute(seg)
            frame["segment"] = frame["segment"].fillna(NO_SEGMENT).astype(str)
            if d == ALL:
                self._cache[key] = {TOTAL: frozenset(frame["person_key"].astype(str))}
            else:
                self._cache[key] = {
                    str(lab): frozenset(g["person_key"].astype(str))
                    for lab, g in frame.groupby("segment")
                }
        return self._cache[key].get(label)


# -- the truth -------------------------------------------------------------------------------


Truth = dict[tuple[str, str], pd.DataFrame]


def _ctx(ws: Workspace, as_of: date, k: int) -> MetricContext:
    return MetricContext(ws.engine(), as_of, ws.settings.metrics, k)


def truths(ws: Workspace, as_of: date) -> Truth:
    """Each person's true numbers for the metrics attacked, read from the warehouse.

    Keyed by (metric, week or ""), one row per person of the metric's population (index
    person_key) and one column per additive field, so the truth of any set of people is a
    sum. The readers are the families' own per-person inputs: the truth is what the group
    numbers would have been for that set of people.

    Args:
        ws: the workspace (facts refreshed).
        as_of: the release's date.

    Returns:
        (metric, part) → per-person frame.
    """
    k = ws.settings.privacy.min_group_size
    ctx = _ctx(ws, as_of, k)
    eng = ctx.engine
    out: Truth = {}
    act = eng.execute(usage.window_activity(ctx)).set_index("person_key")
    active = (act["events"] > 0).astype(float)
    out[("usage_rate", "")] = pd.DataFrame(
        {"n": 1.0, "active": active, "rate*n": active}, index=act.index
    )
    try:
        lv = ladder.person_levels(ctx).set_index("person_key")["level"]
    except Exception:  # the ladder is not available without activity: nothing to attack
        lv = None
    if lv is not None:
        frame = pd.DataFrame({"n": 1.0}, index=lv.index)
        for i in range(1, 6):
            frame[f"L{i}"] = (lv == i).astype(float)
        frame["l3_plus_share*n"] = (lv >= 3).astype(float)
        out[("adoption_ladder", "")] = frame
        van = pd.DataFrame({"n": 1.0, "l3_plus_share*n": frame["l3_plus_share*n"]})
        van["active_rate*n"] = active.reindex(van.index).fillna(0.0)
        out[("vanity_vs_value", "")] = van
    seats = licenses.seat_frame(ctx)
    if len(seats):
        s = seats.assign(
            unused_=seats["known"] & ~seats["used"],
            used_=seats["known"] & seats["used"],
        )
        g = s.groupby("person_key")
        out[("licenses", "")] = pd.DataFrame(
            {
                "n": 1.0,
                "seats": g.size().astype(float),
                "used": g["used_"].sum().astype(float),
                "unused": g["unused_"].sum().astype(float),
                "unknown": (~s["known"]).groupby(s["person_key"]).sum().astype(float),
                "reclaim_seats": g["candidate"].sum().astype(float),
            }
        )
    runs = eng.execute(depth.window_runs(ctx)).set_index("person_key")
    if len(runs):
        frame = runs[list(depth.RUN_COLS)].astype(float)
        frame.insert(0, "n", 1.0)
        out[("depth_of_use", "")] = frame
    weeks = complete_weeks(ctx)
    held = eng.execute(licensed_weeks(eng, weeks))
    pw = eng.table(PERSON_WEEK)
    cols = ["events", *depth.RUN_COLS]
    facts = eng.execute(pw.filter(pw.week.isin(weeks)).select("person_key", "week", *cols))
    both = held.merge(facts, on=["person_key", "week"], how="left").fillna(dict.fromkeys(cols, 0))
    for w, frame in both.groupby(pd.to_datetime(both["week"]).dt.date):
        f = frame.set_index("person_key")
        on = (f["events"] > 0).astype(float)
        out[("weekly_active_rate", w.isoformat())] = pd.DataFrame(
            {"n": 1.0, "active": on, "rate*n": on}
        )
        elig = f[f["elig"] > 0]
        wd = elig[list(depth.RUN_COLS)].astype(float)
        wd.insert(0, "n", 1.0)
        out[("weekly_depth", w.isoformat())] = wd
    return out


# -- recoveries ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recovery:
    """A number about 1 … k−1 people, derived from published values and equal to the truth."""

    attack: str
    metric: str
    part: str
    field: str
    people: frozenset[str]
    derived: float
    truth: float

    @property
    def size(self) -> int:
        return len(self.people)


def _recovery(
    attack: str,
    metric: str,
    part: str,
    field: str,
    people: Iterable[str],
    derived: float,
    truth: pd.DataFrame,
    k: int,
) -> Recovery | None:
    """A recovery when the set is small and the derived number is exactly its truth."""
    who = frozenset(people)
    if not 1 <= len(who) < k or field not in truth.columns:
        return None
    true = float(truth[field].reindex(list(who)).fillna(0.0).sum())
    if abs(derived - true) > _EXACT:
        return None
    return Recovery(attack, metric, part, field, who, float(derived), true)


def differencing(groups: list[Group], roster: Roster, truth: Truth, k: int) -> list[Recovery]:
    """Linear-algebra differencing of every published group of each metric (and week).

    For each metric, week and additive field: the published groups are rows of a matrix over
    the metric's population (its people as columns). A set of people whose indicator lies in
    the row space has a value the published numbers fix; the attack looks for such sets of
    1 … k−1 people among (a) nested pairs B ⊃ A (value(B) − value(A)), (b) single people and
    (c) atoms of the partition the groups induce, and pairs of atoms. Any vector of the row
    space is constant on atoms, so every such set is a union of atoms.

    Args:
        groups: from `published`.
        roster: membership.
        truth: from `truths` (its people are the metric's population: licence holders).
        k: minimum group size.

    Returns:
        Every recovery found.
    """
    by_metric: dict[tuple[str, str], list[Group]] = defaultdict(list)
    for g in groups:
        if (g.metric, g.part) in truth:
            by_metric[(g.metric, g.part)].append(g)
    found: list[Recovery] = []
    for (metric, part), gs in by_metric.items():
        pop = truth[(metric, part)]
        people = list(pop.index.astype(str))
        col = {p: i for i, p in enumerate(people)}
        rows: list[tuple[np.ndarray, Group]] = []
        for g in gs:
            who = roster.members(g.dim, g.label, part)
            if who is None:
                continue
            vec = np.zeros(len(people))
            vec[[col[p] for p in who if p in col]] = 1.0
            rows.append((vec, g))
        # Fields published on the same rows share one decomposition (the usual case).
        spaces: dict[bytes, _Space] = {}
        for field in pop.columns:
            usable = [(v, g.values[field]) for v, g in rows if field in g.values]
            if not usable:
                continue
            # Identical member sets are one equation (their values agree: the same people).
            eqs: dict[bytes, tuple[np.ndarray, float]] = {}
            for v, val in usable:
                eqs.setdefault(v.astype(np.uint8).tobytes(), (v, val))
            key = b"|".join(sorted(eqs))
            if key not in spaces:
                spaces[key] = _Space(np.array([v for v, _ in eqs.values()]), k)
            space = spaces[key]
            vals = np.array([eqs[b][1] for b in space.order])
            true = pop[field].to_numpy(dtype=float)
            for attack, ix, derived in space.derive(vals):
                if abs(derived - true[ix].sum()) <= _EXACT:
                    who = frozenset(people[i] for i in ix)
                    found.append(
                        Recovery(attack, metric, part, field, who, derived, true[ix].sum())
                    )
    return found


class _Space:
    """The published groups of one metric as a matrix: which small sets their values fix."""

    def __init__(self, mat: np.ndarray, k: int) -> None:
        self.order = [v.astype(np.uint8).tobytes() for v in mat]
        self.mat = mat
        self.pinv = np.linalg.pinv(mat, rcond=_RANK_TOL)
        # (a) nested pairs: A ⊂ B with |B \ A| small gives value(B) − value(A) exactly.
        sizes = mat.sum(axis=1)
        overlap = mat @ mat.T
        nested = (overlap == sizes[:, None]) & (sizes[None, :] > sizes[:, None])
        nested &= sizes[None, :] - sizes[:, None] < k
        self.nested = [
            (int(a), int(b), np.flatnonzero(mat[b] - mat[a] > 0.5))
            for a, b in zip(*np.nonzero(nested), strict=True)
        ]
        # (b, c) atoms: people in exactly the same published groups. A set is fixed when its
        # indicator equals its projection onto the row space (residual zero).
        sig: dict[bytes, list[int]] = defaultdict(list)
        for j in range(mat.shape[1]):
            sig[mat[:, j].astype(np.uint8).tobytes()].append(j)
        small = [np.array(ix) for ix in sig.values() if len(ix) < k]
        self.sets: list[tuple[str, np.ndarray]] = []
        if not small:
            return
        ind = np.zeros((len(small), mat.shape[1]))
        for r, ix in enumerate(small):
            ind[r, ix] = 1.0
        # pinv(M) @ M projects onto the row space.
        resid = ind - ind @ (self.pinv @ mat).T
        norm2 = (resid**2).sum(axis=1)
        lone: list[int] = []
        for r, ix in enumerate(small):
            if norm2[r] < 1e-12:
                self.sets.append(("person" if len(ix) == 1 else "atom", ix))
            else:
                lone.append(r)
        # Pairs of atoms: |r_a + r_b|² = |r_a|² + |r_b|² + 2 r_a·r_b, all at once.
        if len(lone) > 1:
            rl = resid[lone]
            pair = norm2[lone][:, None] + norm2[lone][None, :] + 2 * (rl @ rl.T)
            sizes_l = np.array([len(small[r]) for r in lone])
            ok = (pair < 1e-12) & (sizes_l[:, None] + sizes_l[None, :] < k)
            for a, b in zip(*np.nonzero(np.triu(ok, 1)), strict=True):
                self.sets.append(("atoms", np.concatenate([small[lone[a]], small[lone[b]]])))

    def derive(self, vals: np.ndarray) -> Iterable[tuple[str, np.ndarray, float]]:
        """Each fixed small set with the value the published numbers give it."""
        for a, b, ix in self.nested:
            yield "nested", ix, float(vals[b] - vals[a])
        x = self.pinv @ vals
        for kind, ix in self.sets:
            yield kind, ix, float(x[ix].sum())


# -- over time: the window minus its weeks ---------------------------------------------------

# A window metric and the weekly metric counting the same things week by week.
WINDOW_WEEKS = {"depth_of_use": "weekly_depth", "usage_rate": "weekly_active_rate"}


def weekly_attack(groups: list[Group], roster: Roster, truth: Truth, k: int) -> list[Recovery]:
    """A hidden week of a segment: its window total minus its visible weeks.

    Applies when the window covers exactly the weeks published (as_of on a week's last day,
    window of 28 days), for fields that add up over time (run counts, not people).

    Args:
        groups: from `published`.
        roster: membership (the window's and each week's).
        truth: from `truths`.
        k: minimum group size.

    Returns:
        Every hidden segment-week recovered exactly.
    """
    found: list[Recovery] = []
    window = {(g.metric, g.dim, g.label): g for g in groups if not g.part}
    weekly: dict[tuple[str, str, str], dict[str, Group]] = defaultdict(dict)
    for g in groups:
        if g.part:
            weekly[(g.metric, g.dim, g.label)][g.part] = g
    as_of = roster.as_of
    span = [(as_of - timedelta(days=27 - 7 * i)).isoformat() for i in range(4)]
    for (metric, dim, label), win in window.items():
        wk_metric = WINDOW_WEEKS.get(metric)
        if wk_metric is None:
            continue
        seen = weekly.get((wk_metric, dim, label), {})
        hidden = [w for w in span if w not in seen]
        if len(hidden) != 1 or (wk_metric, hidden[0]) not in truth:
            continue
        week = hidden[0]
        who = roster.members(dim, label, week)
        if who is None:
            continue
        pop = truth[(wk_metric, week)]
        who = frozenset(p for p in who if p in pop.index)
        for field, total in win.values.items():
            if field == "n" or not all(field in seen[w].values for w in span if w != week):
                continue
            derived = total - sum(seen[w].values[field] for w in span if w != week)
            rec = _recovery("weekly", wk_metric, week, field, who, derived, pop, k)
            if rec is not None:
                found.append(rec)
    return found


# -- the ladder-transition table -------------------------------------------------------------

LEVELS = ("L1", "L2", "L3", "L4", "L5")


def transition_attack(ws: Workspace, releases: Releases) -> list[Recovery]:
    """Hidden rows of `ladder_transitions`, rebuilt from the table's two published margins.

    The rows (from-level × to-level) are a cross-tab: the row sums are the from-week's level
    counts and the column sums the to-week's (both in `weeks`), and the total row adds `up`
    and `down`. Hidden cells are unknowns of that linear system; a cell the system fixes, in
    a hidden row of 1 … k−1 people, is recovered when it equals the true count.

    Args:
        ws: the workspace (for the truth: each person's level at both weeks' ends).
        releases: the output of `collect`.

    Returns:
        Every hidden cell recovered exactly.
    """
    doc = releases[ALL]
    k = int(doc["min_group_size"])
    m = doc["metrics"].get("ladder_transitions", {})
    rows = m.get("rows") or []
    if m.get("suppressed") is not False or not rows:
        return []
    weeks = {r["week"]: r for r in m.get("weeks") or [] if r.get("suppressed") is False}
    frm, to = weeks.get(m["from_week"]), weeks.get(m["to_week"])
    hidden = [i for i, r in enumerate(rows) if r.get("suppressed") is not False]
    # The margins describe everyone licensed at a week's end; the table, people at a level in
    # both weeks. An analyst uses them only when the counts agree.
    if not hidden or frm is None or to is None or not frm["n"] == to["n"] == m["n"]:
        return []
    unknown = [(i, j) for i in hidden for j in range(5)]
    eqs: list[np.ndarray] = []
    rhs: list[float] = []

    def add(cells: Iterable[tuple[int, int]], value: float) -> None:
        vec = np.zeros(len(unknown))
        for c in cells:
            vec[unknown.index(c)] = 1.0
        eqs.append(vec)
        rhs.append(value)

    for i in hidden:
        add([(i, j) for j in range(5)], float(frm[LEVELS[i]]))
    for j in range(5):
        seen = sum(r[f"to_{LEVELS[j]}"] for i, r in enumerate(rows) if i not in hidden)
        add([(i, j) for i in hidden], float(to[LEVELS[j]] - seen))
    for name, cells in (
        ("up", [(i, j) for i in hidden for j in range(i + 1, 5)]),
        ("down", [(i, j) for i in hidden for j in range(i)]),
    ):
        seen = sum(r[name] for i, r in enumerate(rows) if i not in hidden)
        add(cells, float(m[name] - seen))
    mat, vals = np.array(eqs), np.array(rhs)
    _, sv, vt = np.linalg.svd(mat, full_matrices=False)
    basis = vt[: int((sv > _RANK_TOL * max(1.0, sv[0])).sum())]
    solution = np.linalg.pinv(mat, rcond=_RANK_TOL) @ vals
    grid = _true_moves(ws, date.fromisoformat(doc["as_of"]), k)
    found: list[Recovery] = []
    for c, (i, j) in enumerate(unknown):
        e = np.zeros(len(unknown))
        e[c] = 1.0
        if np.linalg.norm(e - basis.T @ (basis @ e)) > 1e-6:
            continue
        people = grid[(grid["frm"] == i + 1)]
        movers = people[people["to"] == j + 1]
        # The hidden row is the group (its people, fewer than k); the cell is its value.
        if 1 <= len(people) < k and abs(solution[c] - len(movers)) < _EXACT:
            found.append(
                Recovery(
                    "transitions",
                    "ladder_transitions",
                    doc["as_of"],
                    f"{LEVELS[i]}->to_{LEVELS[j]}",
                    frozenset(people["person_key"].astype(str)),
                    float(solution[c]),
                    float(len(movers)),
                )
            )
    return found


def _true_moves(ws: Workspace, as_of: date, k: int) -> pd.DataFrame:
    """Each person's level at the ends of the last two complete weeks (frm, to)."""
    ctx = _ctx(ws, as_of, k)
    rules = ladder.basis(ctx)
    weeks = complete_weeks(ctx)
    hist = ctx.engine.execute(ladder_history.history(ctx, weeks, rules or "tasks"))
    hist["week"] = pd.to_datetime(hist["week"]).dt.date
    a = hist[hist["week"] == weeks[-2]][["person_key", "level"]].rename(columns={"level": "frm"})
    b = hist[hist["week"] == weeks[-1]][["person_key", "level"]].rename(columns={"level": "to"})
    return a.merge(b, on="person_key")


# -- everything ------------------------------------------------------------------------------


def attack_releases(ws: Workspace, releases: Releases) -> list[Recovery]:
    """Every attack on one release; each recovery once per (metric, week, field, people).

    Args:
        ws: the workspace (roster and truth; the attacker's derivations use only `releases`
            and the roster).
        releases: the output of `collect`.

    Returns:
        The recoveries, de-duplicated.
    """
    as_of = date.fromisoformat(releases[ALL]["as_of"])
    k = int(releases[ALL]["min_group_size"])
    roster = Roster(ws, as_of)
    truth = truths(ws, as_of)
    groups = published(releases)
    found = differencing(groups, roster, truth, k)
    found += weekly_attack(groups, roster, truth, k)
    found += transition_attack(ws, releases)
    unique: dict[tuple[str, str, str, frozenset[str]], Recovery] = {}
    for r in found:
        unique.setdefault((r.metric, r.part, r.field, r.people), r)
    return list(unique.values())


def attack(ws: Workspace, as_of: date) -> list[Recovery]:
    """Collect one release and run every attack on it."""
    return attack_releases(ws, collect(ws, as_of))


def summary(found: list[Recovery]) -> dict[str, Any]:
    """Counts an engineer reads: people pinned, small sets, per attack and per metric."""
    pinned = {p for r in found if r.size == 1 for p in r.people}
    sets = {r.people for r in found}
    per_attack: dict[str, int] = defaultdict(int)
    per_metric: dict[str, int] = defaultdict(int)
    for r in found:
        per_attack[r.attack] += 1
        per_metric[r.metric] += 1
    return {
        "recoveries": len(found),
        "individuals_pinned": len(pinned),
        "small_sets": len(sets),
        "per_attack": dict(sorted(per_attack.items())),
        "per_metric": dict(sorted(per_metric.items())),
    }
