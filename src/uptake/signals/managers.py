"""Managers and leaders: each manager's own level, their team's against the organisation's.

A manager's team is their direct reports (`people.manager`) who hold a licence on `as_of`;
levels are the adoption ladder's (`person_levels`, `ladder_history.history` for the trend).

* Team distributions (people per level, L3+ share) are group outputs: they pass through
  `privacy.suppress` with the organisation as the public total (teams partition the people
  who have a manager), so a team below k — and any complementary cell — is hidden.
* Passive-resistance risk: a licensed manager at L1–L2 whose team (at least k licensed
  reports) has an L3+ share below the median L3+ share of the teams of at least k. Raised as
  a `Flag` on the manager with its evidence (individual data: admin and coach surfaces). An
  unlicensed manager is not flagged (cannot use the tools: a provisioning question).
* Leadership modelling: the level distribution of senior managers (management level M2 and
  M3+ from `segments`) beside the organisation's, each group shown only at or above k.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from uptake.errors import NotAvailableError
from uptake.metrics.context import MetricContext
from uptake.metrics.families.ladder import LEVELS, Judged, basis, not_judged
from uptake.metrics.groups import complete_weeks
from uptake.metrics.privacy import SUPPRESSED, TOTAL, public_rows, suppress
from uptake.metrics.segments import DIM_PERSON
from uptake.signals import shared
from uptake.signals.base import Flag

SIGNAL = "manager_passive_resistance"
SENIOR = ("M2", "M3+")
TREND_WEEKS = 4


@dataclass(frozen=True)
class ManagerReport:
    """Managers' own levels, their teams' distributions, trend, flags and leadership."""

    managers: pd.DataFrame
    teams: pd.DataFrame
    trend: pd.DataFrame
    leadership: pd.DataFrame
    org_median_l3_share: float | None
    flags: list[Flag] = field(default_factory=list)
    # Levels the data cannot judge, with what each needs (their counts are withheld).
    not_available: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: suppressed group rows, the flags and the median."""
        withheld = dict.fromkeys(self.not_available, None)

        def rows(frame: pd.DataFrame, keys: list[str]) -> list[dict[str, Any]]:
            found = public_rows(frame, keys)
            if not withheld:
                return list(found)
            return list(found.derive(lambda r: r | {c: None for c in withheld if c in r}))

        out: dict[str, Any] = {
            "org_median_team_l3_share": self.org_median_l3_share,
            "teams": rows(self.teams, ["manager_key"]),
            "trend": rows(self.trend, ["manager_key", "week"]),
            "leadership": rows(self.leadership, ["group", "table"]),
            "flags": [f.to_dict() | {"person_key": f.person_key} for f in self.flags],
        }
        if self.not_available:
            out["not_available"] = self.not_available
        return out


def _distribution(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """People per level, n and L3+ share per value of `key` (frame: key, level)."""
    cols = [key, "n", *LEVELS, "l3_plus_share"]
    frame = frame.dropna(subset=[key])
    if frame.empty:
        return pd.DataFrame([], columns=cols)
    # One counting group-by for every group (a Python pass per group took seconds at 10,000
    # people); groups come out sorted by key, as a sorted group-by gives them.
    level = frame["level"].astype(int).rename("level")
    counts = frame.groupby([frame[key], level], sort=True).size().unstack(fill_value=0)
    counts = counts.reindex(columns=range(1, len(LEVELS) + 1), fill_value=0).astype("int64")
    counts.columns = list(LEVELS)
    out = counts.rename_axis(key).reset_index()
    out.columns.name = None
    out.insert(1, "n", counts.sum(axis=1).to_numpy(dtype="int64"))
    out["l3_plus_share"] = (out["L3"] + out["L4"] + out["L5"]) / out["n"]
    return out[cols]


def managers(ctx: MetricContext, *, trend_weeks: int = TREND_WEEKS) -> ManagerReport:
    """Managers' own levels, team distributions, trend, risk flags and leadership modelling.

    Args:
        ctx: metric context (facts refreshed).
        trend_weeks: complete weeks in the trend.

    Returns:
        A `ManagerReport`.

    Raises:
        NotAvailableError: without a roster manager chain or ladder data.
    """
    rules = basis(ctx)
    if ctx.missing("people.manager_key") or rules is None:
        raise NotAvailableError(
            "manager views need the roster's manager chain and the ladder",
            needs=ctx.missing("people.manager_key") or ["tasks", "events"],
        )
    k = ctx.min_group_size
    p = ctx.engine.table("people")
    roster = ctx.engine.execute(p.select("person_key", "manager_key")).drop_duplicates("person_key")
    dim = ctx.engine.execute(ctx.engine.table(DIM_PERSON).select("person_key", "level", "team"))
    levels = shared.levels(ctx)[["person_key", "level"]]
    own = dict(zip(levels["person_key"], levels["level"].astype(int), strict=True))
    reports = roster.dropna(subset=["manager_key"])
    reports = reports[reports["manager_key"] != reports["person_key"]]
    members = reports.merge(levels, on="person_key", how="inner")

    teams = _distribution(members, "manager_key")
    org = _distribution(members.assign(manager_key=TOTAL), "manager_key")
    teams = suppress(pd.concat([teams, org], ignore_index=True), ["manager_key"], "n", k)
    raw = _distribution(members, "manager_key").set_index("manager_key")
    # Median over the teams large enough to judge (k or more licensed reports); a team's own
    # figures stay with it even when complementary suppression hides it from group surfaces.
    judged = raw[raw["n"] >= k]
    median = float(judged["l3_plus_share"].median()) if len(judged) else None

    mgr_keys = sorted(set(reports["manager_key"]))
    mgr_level = dict(zip(dim["person_key"], dim["level"], strict=True))
    rows = []
    flags: list[Flag] = []
    team_ns = raw["n"].astype(int).to_dict()
    shares = raw["l3_plus_share"].astype(float).to_dict()
    for m in mgr_keys:
        team_n = int(team_ns.get(m, 0))
        share = shares.get(m)
        level = own.get(m)
        rows.append(
            {
                "manager_key": m,
                "management_level": mgr_level.get(m),
                "own_level": level,
                "team_n": team_n,
                "team_l3_plus_share": share,
            }
        )
        if (
            level is not None
            and level <= 2
            and team_n >= k
            and median is not None
            and share is not None
            and share < median
        ):
            flags.append(
                Flag(
                    person_key=m,
                    signal=SIGNAL,
                    since=ctx.as_of,
                    evidence={
                        "own_level": f"L{level}",
                        "team_licensed": team_n,
                        "team_l3_plus_share": round(share, 4),
                        "org_median_team_l3_plus_share": round(median, 4),
                        "teams_judged": len(judged),
                        "basis": rules,
                        "as_of": ctx.as_of.isoformat(),
                    },
                )
            )
    table = pd.DataFrame(
        rows,
        columns=["manager_key", "management_level", "own_level", "team_n", "team_l3_plus_share"],
    )
    return ManagerReport(
        managers=table,
        teams=teams,
        trend=_trend(ctx, reports, rules, trend_weeks),
        leadership=_leadership(dim, levels, k),
        org_median_l3_share=median,
        flags=flags,
        not_available=not_judged(Judged.of(ctx)),
    )


def _trend(ctx: MetricContext, reports: pd.DataFrame, rules: str, weeks: int) -> pd.DataFrame:
    """Each team's L3+ share at the end of each complete week, suppressed week by week."""
    wk = complete_weeks(ctx, weeks)
    lv = shared.level_history(ctx, wk, rules)
    j = reports.merge(lv, on="person_key", how="inner")
    parts = []
    for week, part in j.groupby("week", sort=True):
        d = _distribution(part, "manager_key")
        o = _distribution(part.assign(manager_key=TOTAL), "manager_key")
        parts.append(
            pd.concat([d, o], ignore_index=True).assign(week=pd.Timestamp(str(week)).date())
        )
    cols = ["manager_key", "week", "n", "l3_plus_share"]
    frame = pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
    return suppress(frame, ["manager_key"], "n", ctx.min_group_size, partition_cols=["week"])


def _leadership(dim: pd.DataFrame, levels: pd.DataFrame, k: int) -> pd.DataFrame:
    """Level distribution of M2 and M3+ managers (one table) and of everyone (another)."""
    j = dim.merge(levels, on="person_key", how="inner")
    senior = j[j["level_x"].isin(SENIOR)].rename(columns={"level_x": "group", "level_y": "level"})
    lead = _distribution(senior, "group")
    lead = pd.concat(
        [lead, _distribution(senior.assign(group=TOTAL), "group")], ignore_index=True
    ).assign(table="senior managers")
    everyone = _distribution(
        j.rename(columns={"level_y": "level"}).assign(group=TOTAL), "group"
    ).assign(table="organisation")
    frame = pd.concat([lead, everyone], ignore_index=True)
    out = suppress(frame, ["group"], "n", k, partition_cols=["table"])
    return out[[c for c in out.columns if c != SUPPRESSED] + [SUPPRESSED]]
