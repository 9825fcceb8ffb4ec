"""The audit sample: a few people to talk to, across functions, seniority and ladder levels.

"Talk to ten people across levels and functions": the sample is stratified over up to three
dimensions of each person in the roster (people who left or are on leave are not invited):

* function — the roster's `function`;
* seniority — a roster attribute (`attrs`: the first of `SENIORITY_KEYS` present), else the
  management level from the reporting lines (IC, M1, M2, M3+), else not available;
* ladder — the person's ladder level on the as-of day, `L0` for people without a seat
  (non-users are part of the audit), from tasks or the activity proxy; not available without
  licences and activity.

A stratum is one combination of the available dimensions. The draw is greedy with a
one-step look-ahead: each pick comes from a stratum not yet in the sample (while any is left)
adding the most values of dimensions still short of their goal — min(n, the dimension's
values) — counting what the best next pick could add; ties go to the person first in a keyed
random order (HMAC-SHA256 of the seed and the person key), so one seed always gives the same
sample in a workspace and different workspaces' samples are unrelated. Once every stratum is
in the sample, further picks go to the strata with the fewest picks. So a sample of n covers
min(n, strata) strata. The goals are aimed at, not promised (a look-ahead of one pick is a
heuristic): the plain greedy missed one in a sixth of the draws of three people from a
roster of four functions, three grades and three levels; with the look-ahead none of 500
keyed orders missed, for any size from 1 to 10.
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
    return Population(frame=frame, dimensions=tuple(dims))


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
    covered: list[np.ndarray] = []
    for j, d in enumerate(dims):
        codes[:, j], uniques = pd.factorize(firsts[d].astype(str))
        covered.append(np.zeros(len(uniques), dtype=bool))
    total = min(size, len(people))
    goal = np.array([min(total, len(c)) for c in covered], dtype=np.int64)
    strata = list(members)
    picks = np.zeros(len(strata), dtype=np.int64)
    sizes = np.array([len(m) for m in members.values()], dtype=np.int64)
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
        chosen.append(members[strata[i]][picks[i]])
        picks[i] += 1
        for j, c in enumerate(covered):
            c[codes[i, j]] = True
    return people.loc[chosen].drop(columns="_rank").reset_index(drop=True)


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
    three levels miss a value in about one draw in six), then to the most new values, then
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
