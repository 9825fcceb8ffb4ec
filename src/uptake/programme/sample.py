"""The audit sample: a few people to talk to, across functions, seniority and ladder levels.

"Talk to ten people across levels and functions": the sample is stratified over up to three
dimensions of each person in the roster (people who left or are on leave are not invited, nor,
when there is a roster, people it does not list: seat holders known only by a tool's login):

* function — the roster's `function`;
* seniority — a roster attribute (`attrs`: the first of `SENIORITY_KEYS` present), else the
  management level from the reporting lines (IC, M1, M2, M3+), else not available;
* ladder — the person's ladder level on the as-of day, `L0` for people without a seat
  (non-users are part of the audit), from tasks or the activity proxy; not available without
  licences and activity.

A stratum is one combination of the available dimensions. A sample of n people comes from
min(n, strata) different strata. When there are more strata than people, the strata are the
n that cover the most dimension values (functions, levels and ladder levels) — an exact
choice, an integer programme solved by SciPy's HiGHS — and among choices covering as many,
those earliest in a keyed random order (HMAC-SHA256 of the seed and the person key, a
stratum placed by its first person); each stratum gives its first person. So one seed always
gives the same sample in a workspace, and different workspaces' samples are unrelated. When
there are as many people as strata or more, every stratum is in the sample and further picks
go to the strata with the fewest picks. Should the solver find no choice in
`SOLVER_SECONDS`, a greedy draw stands in: each pick from a new stratum adding the most values
of dimensions still short of min(n, their values), looking one pick ahead. (Greedy alone fell
short of the most values: on the 2,000-person demo roster, 9 functions, 5 levels and 6 ladder
levels in 110 strata, samples of 5 and 6 missed in 35 of 40 seeds what the exact choice
reaches.)
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from uptake.errors import NotAvailableError
from uptake.metrics.context import MetricContext
from uptake.metrics.segments import DIM_PERSON, NO_SEGMENT

DIMENSIONS = ("function", "seniority", "ladder")
# Roster attributes naming a person's seniority, in order of preference.
SENIORITY_KEYS = ("seniority", "management_level", "level", "job_level", "grade", "band")
NOT_INVITED = ("left", "leave")
NO_SEAT = "L0"


@dataclass(frozen=True)
class Dimension:
    """One stratification dimension and where its values come from.

    Attributes:
        name: `function`, `seniority` or `ladder`.
        status: `ok`, or `not_available` (not used for strata).
        basis: where the values come from, in words.
        needs: what would make it available.
    """

    name: str
    status: str
    basis: str
    needs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"name": self.name, "status": self.status, "basis": self.basis,
                "needs": list(self.needs)}  # fmt: skip


@dataclass(frozen=True)
class Population:
    """The people who may be invited, with each available dimension's value."""

    frame: pd.DataFrame
    dimensions: tuple[Dimension, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def used(self) -> list[str]:
        """The available dimensions (the strata are their combinations)."""
        return [d.name for d in self.dimensions if d.status == "ok"]


def population(ctx: MetricContext) -> Population:
    """Everyone who may be invited, with function, seniority and ladder level where known.

    Args:
        ctx: metric context (its as-of day is the ladder's day).

    Returns:
        The population: frame (person_key, function, seniority, ladder) and its dimensions.

    Raises:
        NotAvailableError: no one is known (no roster and no licences).
    """
    if not ctx.engine.has(DIM_PERSON):
        raise NotAvailableError("the audit sample needs a roster", needs=["people"])
    dim = ctx.engine.table(DIM_PERSON)
    frame = ctx.engine.execute(dim.select("person_key", "function", "level", "status"))
    frame = frame[~frame["status"].isin(NOT_INVITED)].drop(columns="status")
    notes: tuple[str, ...] = ()
    if ctx.engine.has("people"):
        # With a roster, someone known only by a tool's account (a seat or activity under a
        # login the roster does not list) has no function, team or contact to invite by.
        roster = ctx.engine.table("people").select("person_key").distinct()
        listed = frame["person_key"].isin(set(ctx.engine.execute(roster)["person_key"]))
        unlisted = int((~listed).sum())
        if unlisted:
            who = "1 person" if unlisted == 1 else f"{unlisted} people"
            verb = "is" if unlisted == 1 else "are"
            notes = (f"{who} known only by a tool's account, not on the roster, {verb} "
                     "not invited",)  # fmt: skip
        frame = frame[listed]
    if frame.empty:
        raise NotAvailableError("the audit sample needs a roster", needs=["people"])
    frame = frame.sort_values("person_key").reset_index(drop=True)
    dims = []
    if (frame["function"] != NO_SEGMENT).any():
        dims.append(Dimension("function", "ok", "the roster's function"))
    else:
        dims.append(Dimension("function", "not_available", "no function in the roster",
                              ("people.function",)))  # fmt: skip
    seniority, dim_s = _seniority(ctx, frame)
    frame["seniority"] = seniority
    dims.append(dim_s)
    ladder, dim_l = _ladder(ctx, frame)
    frame["ladder"] = ladder
    dims.append(dim_l)
    frame = frame.drop(columns="level")
    for d in dims:
        if d.status != "ok":
            frame[d.name] = None
    return Population(frame=frame, dimensions=tuple(dims), notes=notes)


def _seniority(ctx: MetricContext, frame: pd.DataFrame) -> tuple[pd.Series, Dimension]:
    """Seniority from a roster attribute, else the reporting lines, else not available."""
    attrs = _attrs(ctx)
    for key in SENIORITY_KEYS:
        values = frame["person_key"].map(lambda p, k=key: attrs.get(p, {}).get(k))
        if values.notna().any():
            out = values.map(lambda v: NO_SEGMENT if v is None or pd.isna(v) else str(v))
            return out, Dimension("seniority", "ok", f"the roster attribute {key!r}")
    if (~frame["level"].isin(["IC", NO_SEGMENT])).any():
        return frame["level"].astype(str), Dimension(
            "seniority", "ok", "management level from the reporting lines (IC, M1, M2, M3+)"
        )
    return pd.Series([None] * len(frame), index=frame.index), Dimension(
        "seniority", "not_available",
        "no seniority attribute in the roster and no reporting lines",
        (f"people.attrs.{SENIORITY_KEYS[0]} (or {', '.join(SENIORITY_KEYS[1:])}) "
         "or people.manager",),
    )  # fmt: skip


def _attrs(ctx: MetricContext) -> dict[str, dict[str, Any]]:
    """Each roster person's attributes (parsed JSON objects; others ignored)."""
    if not ctx.engine.has("people") or not ctx.has_values("people", "attrs"):
        return {}
    p = ctx.engine.table("people")
    got = ctx.engine.execute(p.filter(p.attrs.notnull()).select("person_key", "attrs"))
    out: dict[str, dict[str, Any]] = {}
    for key, raw in zip(got["person_key"], got["attrs"], strict=True):
        try:
            value = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            continue
        if isinstance(value, dict):
            out[str(key)] = value
    return out


def _ladder(ctx: MetricContext, frame: pd.DataFrame) -> tuple[pd.Series, Dimension]:
    """The ladder level on the as-of day, L0 without a seat; not available without the ladder."""
    from uptake.metrics.families.ladder import person_levels

    try:
        levels = person_levels(ctx)
    except NotAvailableError as exc:
        return pd.Series([None] * len(frame), index=frame.index), Dimension(
            "ladder", "not_available", "the ladder needs licences and activity", tuple(exc.needs)
        )
    by_key = {str(k): f"L{int(v)}" for k, v in zip(levels["person_key"], levels["level"],
                                                  strict=True)}  # fmt: skip
    basis = str(levels["basis"].iloc[0]) if len(levels) else "tasks"
    words = "the activity proxy (vendor data)" if basis != "tasks" else "workflow runs (tasks)"
    return frame["person_key"].map(lambda p: by_key.get(str(p), NO_SEAT)), Dimension(
        "ladder", "ok", f"ladder level on the as-of day from {words}; {NO_SEAT} = no seat"
    )


def rank_key(key: bytes, seed: int, person_key: str) -> str:
    """A person's place in the seed's random order (HMAC-SHA256, hex).

    Args:
        key: the workspace's secret (or any key).
        seed: the draw's seed.
        person_key: the person.

    Returns:
        The hex digest: sorting by it is the seed's order.
    """
    return hmac.new(key, f"audit-sample:{seed}:{person_key}".encode(), hashlib.sha256).hexdigest()


def draw(frame: pd.DataFrame, dims: list[str], size: int, key: bytes, seed: int) -> pd.DataFrame:
    """The stratified sample (see the module docstring for the rule).

    Args:
        frame: one row per person: person_key and a column per dimension in `dims`.
        dims: the dimensions to stratify over (may be empty: a keyed random sample).
        size: how many people (at most everyone).
        key: the HMAC key of the random order.
        seed: the seed.

    Returns:
        The chosen rows in the order drawn, with `stratum` (the values joined by " · ").
    """
    if size < 1:
        raise ValueError("size must be at least 1")
    people = frame.assign(
        _rank=[rank_key(key, seed, str(p)) for p in frame["person_key"]],
        stratum=[" · ".join(str(v) for v in row) for row in frame[dims].itertuples(index=False)]
        if dims else "",
    ).sort_values("_rank")  # fmt: skip
    # Each stratum's members in the seed's order (strata ordered by their first member), and
    # each stratum's value of each dimension as a code.
    members: dict[str, list[int]] = {}
    for idx, stratum in zip(people.index, people["stratum"], strict=True):
        members.setdefault(stratum, []).append(idx)
    firsts = people.loc[[m[0] for m in members.values()]]
    codes = np.zeros((len(members), len(dims)), dtype=np.int64)
    values: list[int] = []
    for j, d in enumerate(dims):
        codes[:, j], uniques = pd.factorize(firsts[d].astype(str))
        values.append(len(uniques))
    total = min(size, len(people))
    strata = list(members.values())
    best = _cover(codes, values, total) if total < len(strata) else None
    # The strata covering the most values give their first person each; else the greedy draw.
    chosen = [strata[i][0] for i in best] if best is not None else _greedy(
        strata, codes, values, total
    )  # fmt: skip
    return people.loc[chosen].drop(columns="_rank").reset_index(drop=True)


def _greedy(strata: list[list[int]], codes: np.ndarray, values: list[int], total: int) -> list[int]:
    """The greedy draw: a new stratum per pick while any is left, then the least picked.

    Args:
        strata: each stratum's members in the seed's order (strata by their first member).
        codes: per stratum, the code of its value of each dimension.
        values: per dimension, how many values it has.
        total: how many people (at most everyone).

    Returns:
        The chosen members in the order drawn.
    """
    covered = [np.zeros(v, dtype=bool) for v in values]
    goal = np.array([min(total, v) for v in values], dtype=np.int64)
    picks = np.zeros(len(strata), dtype=np.int64)
    sizes = np.array([len(m) for m in strata], dtype=np.int64)
    chosen: list[int] = []
    while len(chosen) < total:
        if (picks == 0).any():
            new = np.zeros(codes.shape, dtype=bool)
            for j, c in enumerate(covered):
                new[:, j] = ~c[codes[:, j]]
            counts = np.array([c.sum() for c in covered], dtype=np.int64)
            i = _next_stratum(picks == 0, codes, new, goal - counts, total - len(chosen))
        else:
            left = np.flatnonzero(picks < sizes)
            i = int(left[np.argmin(picks[left])])  # fewest picks, then the earliest stratum
        chosen.append(strata[i][picks[i]])
        picks[i] += 1
        for j, c in enumerate(covered):
            c[codes[i, j]] = True
    return chosen


# How long the exact choice of strata may take before the greedy draw stands in for it.
SOLVER_SECONDS = 10.0


def _cover(codes: np.ndarray, values: list[int], k: int) -> list[int] | None:
    """The k strata covering the most dimension values, the seed's earliest among equals.

    An integer programme (SciPy's HiGHS): choose k strata, count a value when a chosen
    stratum holds it, maximise the count; a penalty of less than one value in all favours
    strata early in the seed's order, so the same inputs give the same strata.

    Args:
        codes: per stratum (in the seed's order), the code of its value of each dimension.
        values: per dimension, how many values it has.
        k: how many strata (fewer than there are).

    Returns:
        The chosen strata's indices in the seed's order, or None without dimensions or when
        the solver found no choice in `SOLVER_SECONDS`.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    n, m = codes.shape
    if m == 0:
        return None
    offsets = np.cumsum([0, *values[:-1]])
    nv = int(sum(values))
    # Rows: each value's indicator is at most the number of chosen strata holding it; the
    # last row fixes how many strata are chosen.
    a = np.zeros((nv + 1, n + nv))
    for j in range(m):
        a[offsets[j] + codes[:, j], np.arange(n)] = -1.0
    a[np.arange(nv), n + np.arange(nv)] = 1.0
    a[nv, :n] = 1.0
    low = np.r_[np.full(nv, -np.inf), k]
    high = np.r_[np.zeros(nv), k]
    order = (np.arange(n) + 1.0) / (k * n + 1.0)  # all k chosen weigh less than one value
    got = milp(
        np.r_[order, -np.ones(nv)],
        constraints=LinearConstraint(a, low, high),
        integrality=np.ones(n + nv),
        bounds=Bounds(0, 1),
        options={"time_limit": SOLVER_SECONDS},
    )
    if got.x is None:
        return None
    return sorted(int(i) for i in np.flatnonzero(got.x[:n] > 0.5))[:k]


# How many of the best first picks are tried against every second pick (bounds the look-ahead
# for rosters with hundreds of strata).
LOOKAHEAD = 64


def _next_stratum(
    fresh: np.ndarray, codes: np.ndarray, new: np.ndarray, gap: np.ndarray, left: int
) -> int:
    """The stratum to pick next: the most values still short of their dimension's goal.

    A value counts while its dimension has fewer than its goal, min(sample size, its
    values), covered; ties go to the pick after which the next pick can cover the most (a
    one-step look-ahead: plain greedy, three picks from four functions, three grades and
    three levels miss a value in about one draw in five), then to the most new values, then
    to the earliest stratum in the seed's order.

    Args:
        fresh: per stratum, whether it has no pick yet (only these are candidates).
        codes: per stratum, the code of its value of each dimension.
        new: per stratum and dimension, whether its value is not covered yet.
        gap: per dimension, how many values it still lacks to reach its goal.
        left: picks left, this one included.

    Returns:
        The stratum's index.
    """
    first = (new & (gap > 0)).sum(axis=1)
    fresh_at = np.flatnonzero(fresh)
    # Rank fresh strata by (most short values, most new values, earliest).
    ranked = fresh_at[np.lexsort((fresh_at, -new[fresh_at].sum(axis=1), -first[fresh_at]))]
    if left < 2 or first[ranked[0]] == 0:
        return int(ranked[0])
    best, best_key = int(ranked[0]), None
    for i in ranked[:LOOKAHEAD]:
        open_next = gap - new[i] > 0
        after = new[fresh_at] & (codes[fresh_at] != codes[i])
        nxt = (after & open_next).sum(axis=1)
        nxt[fresh_at == i] = 0
        key = (-(first[i] + nxt.max()), -first[i], -int(new[i].sum()), int(i))
        if best_key is None or key < best_key:
            best, best_key = int(i), key
    return best


def coverage(frame: pd.DataFrame, sample: pd.DataFrame, dims: list[str]) -> dict[str, Any]:
    """How much of the population's variety the sample holds.

    Args:
        frame: the population.
        sample: the drawn rows.
        dims: the dimensions stratified over.

    Returns:
        {strata, strata_covered, values: {dim: [n covered, n in the population]}}.
    """

    def strata(f: pd.DataFrame) -> set[tuple[str, ...]]:
        return {tuple(str(v) for v in row) for row in f[dims].itertuples(index=False)}

    return {
        "strata": len(strata(frame)) if dims else 1,
        "strata_covered": len(strata(sample)) if dims else min(1, len(sample)),
        "values": {
            d: [int(sample[d].astype(str).nunique()), int(frame[d].astype(str).nunique())]
            for d in dims
        },
    }
