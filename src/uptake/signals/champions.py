"""Champions: credible helpers ranked, a selection that covers teams and roles, and its impact.

Credibility over enthusiasm: a person's own volume of use never enters the score. Over the
credibility window (`days` ending at `as_of`):

* credibility — distinct colleagues who asked them for help (`help_edges`, self-asks ignored);
* depth — their ladder level on `as_of` is L4 or L5 (`person_levels`);
* conversion — they started low (their first pulse confidence answer within `early_days` of
  their first licence was ≤ `low_confidence`, or they acted on fewer than `low_use_days`
  days in those first days) and are now at L3 or above.

`score = askers × (1 + DEPTH_WEIGHT·depth + CONVERSION_WEIGHT·conversion)`: someone nobody
asks scores 0 however deep or converted. Credible candidates have at least `min_askers`
askers and are at L3+ (a helper who does not use the tools is not a model to follow).

Selection is greedy set cover: each candidate covers their own team and role; the candidate
adding the most uncovered teams and roles is taken (ties: higher score, then more teams
bridged in the help graph), until nothing new is covered or `max_champions` is reached.

Impact compares ladder progression (levels gained between the ends of two weeks `weeks`
apart, from `ladder_history.history`) of the people who asked a selected champion in between
with people who asked no one, within strata of the same starting level and role; the
comparison's mean is re-weighted to the helped people's strata (only strata holding both).
Both groups are shown only at or above k (`privacy.suppress`).

Rankings and selections name people: individual data for admins and coaches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

import ibis
import pandas as pd

from uptake.errors import NotAvailableError
from uptake.metrics.context import MetricContext
from uptake.metrics.facts import PERSON_DAY
from uptake.metrics.families.ladder import basis
from uptake.metrics.groups import complete_weeks
from uptake.metrics.privacy import SUPPRESSED, jsonable, suppress
from uptake.metrics.segments import DIM_PERSON, NO_SEGMENT
from uptake.signals import shared
from uptake.signals.betweenness import betweenness

DEPTH_WEIGHT = 0.5
CONVERSION_WEIGHT = 0.5
CREDIBILITY_DAYS = 56
EARLY_DAYS = 28
LOW_CONFIDENCE = 4.0
LOW_USE_DAYS = 3
MIN_ASKERS = 2
# Help graphs larger than this estimate betweenness from this many sources.
BETWEENNESS_SAMPLE = 500
IMPACT_WEEKS = 4


@dataclass(frozen=True)
class Ranking:
    """Every helper with their credibility, depth, conversion and score (individual data)."""

    frame: pd.DataFrame
    window: tuple[str, str]

    def candidates(self) -> pd.DataFrame:
        """The credible candidates, best score first."""
        return self.frame[self.frame["credible"]].reset_index(drop=True)


@dataclass(frozen=True)
class Selection:
    """Selected champions and the share of people whose team has one."""

    champions: list[str]
    covered_people: int
    people: int
    teams_covered: int
    teams: int
    roles_covered: int
    roles: int
    detail: pd.DataFrame = field(repr=False)

    @property
    def coverage(self) -> float | None:
        """Share of people whose team has a selected champion."""
        return self.covered_people / self.people if self.people else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (champion keys are individual data)."""
        return {
            "champions": list(self.champions),
            "coverage": jsonable(self.coverage),
            "covered_people": self.covered_people,
            "people": self.people,
            "teams_covered": self.teams_covered,
            "teams": self.teams,
            "roles_covered": self.roles_covered,
            "roles": self.roles,
        }


@dataclass(frozen=True)
class Impact:
    """Levels gained by people a champion helped against comparable people not helped."""

    start_week: str
    end_week: str
    groups: pd.DataFrame
    difference: float | None
    strata: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; a group below k carries only its name and why it is hidden."""
        rows = []
        for rec in self.groups.to_dict(orient="records"):
            if rec[SUPPRESSED]:
                rows.append({"group": rec["group"], "suppressed": rec["suppressed_reason"]})
            else:
                rows.append(
                    {
                        "group": rec["group"],
                        "n": jsonable(rec["n"]),
                        "mean_gain": jsonable(rec["mean_gain"]),
                    }
                )
        return {
            "start_week": self.start_week,
            "end_week": self.end_week,
            "comparison": "same starting level and role; comparison asked no one",
            "strata": self.strata,
            "groups": rows,
            "difference": jsonable(self.difference),
        }


def rank(
    ctx: MetricContext,
    *,
    days: int = CREDIBILITY_DAYS,
    min_askers: int = MIN_ASKERS,
    early_days: int = EARLY_DAYS,
    low_confidence: float = LOW_CONFIDENCE,
    low_use_days: int = LOW_USE_DAYS,
) -> Ranking:
    """Rank every helper by the documented champion score (see the module docstring).

    Args:
        ctx: metric context (facts refreshed).
        days: credibility window ending at `as_of`.
        min_askers: distinct askers that make a helper a credible candidate.
        early_days: days after the first licence that count as "early".
        low_confidence: an early pulse confidence at or below this is low (0–10 scale).
        low_use_days: fewer early action days than this is low use.

    Returns:
        A `Ranking` (person_key, team, role, askers, bridges, betweenness, level, depth,
        early_confidence, early_action_days, converted, score, credible), best first.

    Raises:
        NotAvailableError: without help edges (credibility cannot be measured) or ladder data.
    """
    if ctx.missing("help_edges"):
        raise NotAvailableError(
            "champions need help edges: credibility (who colleagues ask) is not measured",
            needs=["help_edges"],
        )
    lo = ctx.days_back(days)
    edges = _edges(ctx, datetime.combine(lo, time()), ctx.end_ts)
    dim = ctx.engine.execute(ctx.engine.table(DIM_PERSON).select("person_key", "team", "role"))
    team = dict(zip(dim["person_key"], dim["team"], strict=True))
    pairs = list(zip(edges["asker_key"], edges["helper_key"], strict=True))
    # Nodes in order of first appearance, as a graph built from the edges holds them (the
    # sampled sources are drawn from this order).
    nodes = list(dict.fromkeys(p for pair in pairs for p in pair))
    # Betweenness on the undirected graph: who sits on the paths between groups of askers.
    # Exact betweenness is O(people × edges); above BETWEENNESS_SAMPLE nodes it is estimated
    # from that many sources with a fixed seed (reported, not ranked on).
    sample = BETWEENNESS_SAMPLE if len(nodes) > BETWEENNESS_SAMPLE else None
    between = betweenness(nodes, pairs, k=sample, seed=0)
    askers_of: dict[str, set[str]] = {}
    for asker, helper in pairs:
        askers_of.setdefault(helper, set()).add(asker)
    rows = []
    for helper in sorted(askers_of):
        askers = askers_of[helper]
        own = team.get(helper, NO_SEGMENT)
        bridges = {team.get(a, NO_SEGMENT) for a in askers} - {own, NO_SEGMENT}
        rows.append((helper, len(askers), len(bridges), between.get(helper, 0.0)))
    frame = pd.DataFrame(rows, columns=["person_key", "askers", "bridges", "betweenness"])
    frame = frame.merge(dim, on="person_key", how="left")
    levels = shared.levels(ctx)[["person_key", "level"]]
    frame = frame.merge(levels, on="person_key", how="left")
    early = _early(ctx, early_days)
    frame = frame.merge(early, on="person_key", how="left")
    frame["level"] = frame["level"].astype("Int64")
    lvl = frame["level"].fillna(0).astype(int)
    frame["depth"] = lvl >= 4
    low_conf = frame["early_confidence"].le(low_confidence).fillna(False).astype(bool)
    low_use = frame["early_action_days"].fillna(0) < low_use_days
    frame["converted"] = (low_conf | low_use) & (lvl >= 3)
    frame["score"] = frame["askers"] * (
        1 + DEPTH_WEIGHT * frame["depth"] + CONVERSION_WEIGHT * frame["converted"]
    )
    frame["credible"] = (frame["askers"] >= min_askers) & (lvl >= 3)
    frame = frame.sort_values(
        ["score", "bridges", "person_key"], ascending=[False, False, True]
    ).reset_index(drop=True)
    return Ranking(frame=frame, window=(lo.isoformat(), ctx.as_of.isoformat()))


def _edges(ctx: MetricContext, lo: datetime, hi: datetime) -> pd.DataFrame:
    """Distinct (asker, helper) pairs with a help edge in [lo, hi), self-asks dropped."""
    h = ctx.engine.table("help_edges")
    lo_ts, hi_ts = ibis.literal(lo), ibis.literal(hi)
    h = h.filter((h.ts >= lo_ts) & (h.ts < hi_ts) & (h.asker_key != h.helper_key))
    # Sorted: the graph's node order (and so the sampled betweenness sources) is then the
    # same on every run, whatever order the engine's distinct returns.
    pairs = h.select("asker_key", "helper_key").distinct()
    return ctx.engine.execute(pairs.order_by("asker_key", "helper_key"))


def _early(ctx: MetricContext, early_days: int) -> pd.DataFrame:
    """Per licensed person: first early pulse confidence and action days in the early span."""
    dim = ctx.engine.table(DIM_PERSON)
    dim = dim.filter(dim.first_assigned.notnull()).select(
        e_key=dim.person_key, first=dim.first_assigned
    )
    span = ibis.interval(days=early_days)
    pd_ = ctx.engine.table(PERSON_DAY)
    j = pd_.inner_join(dim, pd_.person_key == dim.e_key)
    j = j.filter((j.day >= j.first.date()) & (j.day < (j.first + span).date()) & (j.actions > 0))
    use = ctx.engine.execute(j.group_by("person_key").aggregate(early_action_days=j.day.nunique()))
    out = ctx.engine.execute(dim.select(person_key=dim.e_key)).merge(
        use, on="person_key", how="left"
    )
    out["early_action_days"] = out["early_action_days"].fillna(0).astype(int)
    if ctx.has("responses"):
        r = ctx.engine.table("responses")
        s = ctx.settings
        r = r.filter(
            (r.instrument == s.confidence_instrument)
            & (r.item == s.confidence_item)
            & r.score.notnull()
            & r.person_key.notnull()
        )
        rj = r.inner_join(dim, r.person_key == dim.e_key)
        rj = rj.filter((rj.ts >= rj.first) & (rj.ts < rj.first + span) & (rj.ts < ctx.end_ts))
        conf = ctx.engine.execute(rj.select("person_key", "ts", "score"))
        first = conf.sort_values(["person_key", "ts"]).drop_duplicates("person_key")
        out = out.merge(
            first[["person_key", "score"]].rename(columns={"score": "early_confidence"}),
            on="person_key",
            how="left",
        )
    else:
        out["early_confidence"] = float("nan")
    return out


def select(ctx: MetricContext, ranking: Ranking, *, max_champions: int | None = None) -> Selection:
    """Greedy set cover of teams and roles by the credible candidates.

    Args:
        ctx: metric context.
        ranking: the result of `rank`.
        max_champions: stop after this many (None: until nothing new is covered).

    Returns:
        The `Selection`, with coverage over the roster people not marked as left.
    """
    cands = ranking.candidates()
    covers: dict[str, set[tuple[str, str]]] = {
        str(p): {("team", str(t)), ("role", str(r))} - {("team", NO_SEGMENT), ("role", NO_SEGMENT)}
        for p, t, r in zip(cands["person_key"], cands["team"], cands["role"], strict=True)
    }
    order = {str(k): i for i, k in enumerate(cands["person_key"])}
    covered: set[tuple[str, str]] = set()
    chosen: list[str] = []
    gains: list[int] = []
    remaining = set(covers)
    while remaining and (max_champions is None or len(chosen) < max_champions):
        # Ranking order already holds the tie-breaks (score, then bridges, then key).
        best = min(remaining, key=lambda p: (-len(covers[p] - covered), order[p]))
        gain = len(covers[best] - covered)
        if gain == 0:
            break
        chosen.append(best)
        gains.append(gain)
        covered |= covers[best]
        # Gains only shrink: a candidate adding nothing now never will (fewer to scan).
        remaining = {p for p in remaining if p != best and covers[p] - covered}
    people = _people(ctx)
    champ_teams = set(cands.set_index("person_key").loc[chosen, "team"]) - {NO_SEGMENT}
    teams = set(people["team"]) - {NO_SEGMENT}
    roles = set(people["role"]) - {NO_SEGMENT}
    detail = cands.set_index("person_key").loc[chosen].reset_index().assign(gain=gains)
    return Selection(
        champions=chosen,
        covered_people=int(people["team"].isin(champ_teams).sum()),
        people=len(people),
        teams_covered=len(champ_teams & teams),
        teams=len(teams),
        roles_covered=len({v for kind, v in covered if kind == "role"} & roles),
        roles=len(roles),
        detail=detail,
    )


def _people(ctx: MetricContext) -> pd.DataFrame:
    """Roster people not marked as left (person_key, team, role)."""
    dim = ctx.engine.table(DIM_PERSON)
    dim = dim.filter(dim.status.isnull() | (dim.status != "left"))
    return ctx.engine.execute(dim.select("person_key", "team", "role"))


def impact(ctx: MetricContext, champions: Iterable[str], *, weeks: int = IMPACT_WEEKS) -> Impact:
    """Levels gained by people who asked a selected champion against people who asked no one.

    Args:
        ctx: metric context (facts refreshed, help edges present).
        champions: selected champion keys.
        weeks: weeks between the start and end level (the help counted falls in between).

    Returns:
        An `Impact`; each group is hidden below k, and the difference with it.
    """
    rules = basis(ctx)
    if rules is None or ctx.missing("help_edges"):
        raise NotAvailableError(
            "champion impact needs help edges and the ladder",
            needs=ctx.missing("help_edges") or ["tasks", "events"],
        )
    champs = set(champions)
    wk = complete_weeks(ctx, weeks + 1)
    start, end = wk[0], wk[-1]
    lv = shared.level_history(ctx, [start, end], rules)
    wide = lv.pivot_table(index="person_key", columns="week", values="level", aggfunc="first")
    wide.columns = [pd.Timestamp(c).date() for c in wide.columns]
    wide = wide.dropna(subset=[start, end]).astype(int)
    frame = pd.DataFrame({"start": wide[start], "gain": wide[end] - wide[start]})
    frame = frame[~frame.index.isin(champs)]
    # Help after the starting level was taken, up to the end of the last week.
    lo = datetime.combine(start + timedelta(days=7), time())
    hi = datetime.combine(end + timedelta(days=7), time())
    edges = _edges(ctx, lo, hi)
    helped = set(edges.loc[edges["helper_key"].isin(champs), "asker_key"])
    asked_anyone = set(edges["asker_key"])
    roles = ctx.engine.execute(ctx.engine.table(DIM_PERSON).select("person_key", "role"))
    frame = frame.join(roles.set_index("person_key")["role"], how="left")
    frame["group"] = None
    frame.loc[frame.index.isin(helped), "group"] = "helped"
    frame.loc[~frame.index.isin(asked_anyone), "group"] = "comparison"
    frame = frame.dropna(subset=["group"])
    by = frame.groupby(["start", "role", "group"])["gain"].agg(["size", "mean"]).unstack("group")
    both = by.dropna() if {"helped", "comparison"} <= set(by.columns.get_level_values(1)) else None
    if both is None or both.empty:
        n_h = n_c = 0
        m_h = m_c = None
        strata = 0
    else:
        w = both[("size", "helped")]
        n_h, n_c = int(w.sum()), int(both[("size", "comparison")].sum())
        m_h = float((both[("mean", "helped")] * w).sum() / w.sum())
        # The comparison's stratum means, weighted as the helped people are spread.
        m_c = float((both[("mean", "comparison")] * w).sum() / w.sum())
        strata = len(both)
    groups = pd.DataFrame(
        {"group": ["helped", "comparison"], "n": [n_h, n_c], "mean_gain": [m_h, m_c]}
    )
    groups["mean_gain"] = groups["mean_gain"].astype(float)
    shown = suppress(groups, ["group"], "n", ctx.min_group_size)
    visible = not shown[SUPPRESSED].any() and m_h is not None and m_c is not None
    return Impact(
        start_week=start.isoformat(),
        end_week=end.isoformat(),
        groups=shown,
        difference=(m_h - m_c) if visible and m_h is not None and m_c is not None else None,
        strata=strata,
    )


def precision(selected: Iterable[str], true_champions: Iterable[str]) -> dict[str, Any]:
    """Share of selected champions that are true champions (evaluation against a truth).

    Args:
        selected: selected person keys.
        true_champions: person keys the truth marks as champions.

    Returns:
        selected, true_positive, precision (None when nothing was selected).
    """
    sel = set(selected)
    hit = len(sel & set(true_champions))
    return {
        "selected": len(sel),
        "true_positive": hit,
        "precision": round(hit / len(sel), 4) if sel else None,
    }
