"""Who is in which AI tool in a window: seats, daily activity and period-grain reports.

One row per person and tool: licensed in the window (a seat overlapping it), active in the
window, active days (daily-grain tools only) and active in the latest complete reporting
week. A tool's *population* in the window is everyone licensed for it or active in it.

Sources report at different grains. Daily per-user counts arrive as events (through
`fact_person_tool_day`). Weekly or monthly exports (ChatGPT Enterprise) arrive as
`person_facts` rows whose attrs carry `granularity` (`week` or `month`) and
`period_start`/`period_end`: a person listed in such a period that overlaps the window is in
the tool's population, and active when any of their activity facts in it is above zero.
Nothing is spread over days: for such a tool, day-based figures are "not available at daily
grain" and, for monthly tools, the weekly figure is too — never 0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import ibis
import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.metrics.seats import LISTED, seats

DAY, WEEK, MONTH = "day", "week", "month"
GRAINS = (DAY, WEEK, MONTH)
# Person facts that say something other than "this person used the tool in the period".
PASSIVE_FACTS = frozenset(
    {"cost", "credits", LISTED, "seat", "seats", "enabled", "last_active", "spend"}
)
# How far before the window a period may start and still overlap it (a month at most).
_LOOKBACK = timedelta(days=62)
COLUMNS = ("person_key", "tool", "licensed", "active", "active_days", "week_active", "weeks")
# Per tool, people by how many of the window's 7-day blocks (ending at as_of) they used it
# in: all of them, more than one, exactly one (none: population minus active).
LEVELS = ("every_week", "some_weeks", "one_week")


@dataclass
class Presence:
    """People per tool in one window.

    Attributes:
        frame: one row per person and tool (`COLUMNS`): `licensed`, `active` (bools),
            `weeks` (7-day blocks of the window with use; NaN for monthly tools),
            `active_days` (float, NaN for period-grain tools), `week_active` (bool, NA where
            the tool reports monthly).
        grains: tool → its finest grain (`day`, `week` or `month`).
        licensed_now: people holding any seat at the end of `as_of` (the metrics' total).
        start: first day of the window.
        end: last day of the window (as_of).
        week: first day of the latest complete reporting week, or None.
        held_now: tool → its seat holders at the end of `as_of`.
        seats: every seat (person_key, tool, assigned_at, removed_at, monthly_cost).
    """

    frame: pd.DataFrame
    grains: dict[str, str]
    licensed_now: list[str]
    start: date
    end: date
    week: date | None
    held_now: dict[str, list[str]] = field(default_factory=dict)
    seats: pd.DataFrame | None = None

    @property
    def blocks(self) -> int:
        """How many whole 7-day blocks (ending at `end`) the window holds."""
        return max(1, ((self.end - self.start).days + 1) // 7)

    @property
    def tools(self) -> list[str]:
        """Tools with anyone in their population, sorted."""
        return sorted(self.frame["tool"].unique().tolist())

    def population(self, tool: str) -> pd.DataFrame:
        """The rows of one tool's population."""
        return self.frame[self.frame["tool"] == tool]


def unavailable_day(tool: str, grain: str) -> str:
    """The words for a day-based figure of a tool that reports at a coarser grain."""
    return f"not available at daily grain: {tool} reports {_ly(grain)}"


def unavailable_licences(tool: str) -> str:
    """The words for a tool's licensed people and usage rate when no seat of it is known."""
    return f"not available: needs licences for {tool} (a seat list or licences naming it)"


def unavailable_week(tool: str, grain: str) -> str:
    """The words for a weekly figure of a tool that reports monthly."""
    return f"not available at weekly grain: {tool} reports {_ly(grain)}"


def period_counted(tool: str, grain: str) -> str:
    """The words for a count read from a tool's weekly or monthly reports."""
    return f"{tool} reports {_ly(grain)}: a period overlapping the window counts whole"


def _ly(grain: str) -> str:
    return {DAY: "daily", WEEK: "weekly", MONTH: "monthly"}.get(grain, grain)


def latest_week(ctx: MetricContext) -> date | None:
    """First day of the latest reporting week that ends on or before `as_of`."""
    week = ctx.current_week
    if week + timedelta(days=6) > ctx.as_of:
        week -= timedelta(days=7)
    return week if week >= ctx.window_start - timedelta(days=6) else None


def presence(ctx: MetricContext) -> Presence:
    """Every person's presence in every tool over the current window.

    Args:
        ctx: metric context (facts refreshed).

    Returns:
        The presence table, each tool's grain and the people licensed on `as_of`.
    """
    start, end = ctx.window_start, ctx.as_of
    week = latest_week(ctx)
    lic = seat_frame(ctx)
    parts = [_licensed(ctx, lic), _daily(ctx, week), _periodic(ctx, week)]
    frame = (
        pd.concat([p for p, _ in parts if len(p)], ignore_index=True)
        if any(len(p) for p, _ in parts)
        else _empty()
    )
    grains: dict[str, str] = {}
    for _, found in parts:
        for tool, grain in found.items():
            # The finest grain wins: daily counts answer day-based questions.
            if tool not in grains or GRAINS.index(grain) < GRAINS.index(grains[tool]):
                grains[tool] = grain
    if len(frame):
        # Nullable max: NA only where every part's answer is unknown (no Python per group).
        frame["week_active"] = frame["week_active"].astype("boolean")
        frame = frame.groupby(["person_key", "tool"], as_index=False, sort=True).agg(
            licensed=("licensed", "max"),
            active=("active", "max"),
            active_days=("active_days", "max"),
            weeks=("weeks", "max"),
            week_active=("week_active", "max"),
        )
    for tool in frame["tool"].unique():
        grains.setdefault(str(tool), DAY)
    frame = frame.astype({"licensed": bool, "active": bool})
    frame["week_active"] = frame["week_active"].astype("boolean")
    for tool, grain in grains.items():
        at = (frame["tool"] == tool).to_numpy()
        if grain == MONTH:
            frame.loc[at, "weeks"] = float("nan")
        if grain != DAY:
            frame.loc[at, "active_days"] = float("nan")
        else:
            frame.loc[at, "active_days"] = frame.loc[at, "active_days"].fillna(0.0)
        if grain == MONTH or week is None:
            frame.loc[at, "week_active"] = pd.NA
        else:
            frame.loc[at, "week_active"] = frame.loc[at, "week_active"].fillna(False)
    now, held = _licensed_now(ctx, lic)
    return Presence(frame[list(COLUMNS)], grains, now, start, end, week, held, lic)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_key": pd.Series(dtype=object),
            "tool": pd.Series(dtype=object),
            "licensed": pd.Series(dtype=bool),
            "active": pd.Series(dtype=bool),
            "active_days": pd.Series(dtype=float),
            "weeks": pd.Series(dtype=float),
            "week_active": pd.Series(dtype="boolean"),
        }
    )


def seat_frame(ctx: MetricContext) -> pd.DataFrame:
    """Every seat (licence data and inferred seats) as pandas: read once per computation."""
    if not ctx.has("licenses"):
        return pd.DataFrame(
            {c: pd.Series(dtype=object) for c in ("person_key", "tool", "assigned_at",
                                                  "removed_at", "monthly_cost")}
        )  # fmt: skip
    lic = seats(ctx.engine)
    frame = ctx.engine.execute(
        lic.select("person_key", "tool", "assigned_at", "removed_at", "monthly_cost")
    )
    frame["assigned_at"] = pd.to_datetime(frame["assigned_at"])
    frame["removed_at"] = pd.to_datetime(frame["removed_at"])
    return frame


def held_at(frame: pd.DataFrame, end: datetime) -> pd.DataFrame:
    """Seats held at an instant (assigned before it, not removed by it)."""
    at = pd.Timestamp(end)
    removed = frame["removed_at"]
    return frame[(frame["assigned_at"] < at) & (removed.isna() | (removed >= at))]


def _licensed(ctx: MetricContext, lic: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Seats overlapping the window, one row per person and tool."""
    lo = pd.Timestamp(datetime.combine(ctx.window_start, time()))
    hi = pd.Timestamp(ctx.end_ts)
    removed = lic["removed_at"]
    held = lic[(lic["assigned_at"] < hi) & (removed.isna() | (removed > lo))]
    frame = held[["person_key", "tool"]].drop_duplicates().reset_index(drop=True)
    frame = frame.assign(licensed=True, active=False, active_days=float("nan"), weeks=0.0)
    frame["week_active"] = pd.array([pd.NA] * len(frame), dtype="boolean")
    return frame, {}


def _licensed_now(ctx: MetricContext, lic: pd.DataFrame) -> tuple[list[str], dict[str, list[str]]]:
    """People holding any seat at the end of as_of, and each tool's seat holders then."""
    frame = held_at(lic, ctx.end_ts)[["person_key", "tool"]].drop_duplicates()
    per = {str(t): sorted(g["person_key"].astype(str)) for t, g in frame.groupby("tool")}
    return sorted(set(frame["person_key"].astype(str))), per


def _daily(ctx: MetricContext, week: date | None) -> tuple[pd.DataFrame, dict[str, str]]:
    """Active days per person and tool from the daily facts, and the last week's activity."""
    from uptake.metrics.facts import PERSON_TOOL_DAY

    if not ctx.has(PERSON_TOOL_DAY):
        return _empty(), {}
    td = ctx.engine.table(PERSON_TOOL_DAY)
    td = td.filter((td.day >= ctx.window_start) & (td.day <= ctx.as_of) & (td.events > 0))
    if week is not None:
        w0 = ibis.literal(week, type="date")
        w1 = ibis.literal(week + timedelta(days=6), type="date")
        in_week = ((td.day >= w0) & (td.day <= w1)).cast("int64")
    else:
        in_week = ibis.literal(0, type="int64")
    block = ctx.ibis_as_of().delta(td.day, unit="day") // 7
    per = td.group_by("person_key", "tool").aggregate(
        active_days=td.day.nunique(), week_days=in_week.sum(), weeks=block.nunique()
    )
    frame = ctx.engine.execute(per)
    grains = dict.fromkeys(frame["tool"].astype(str).unique().tolist(), DAY)
    frame = frame.assign(
        licensed=False,
        active=True,
        active_days=frame["active_days"].astype(float),
        weeks=frame["weeks"].astype(float),
        week_active=(frame["week_days"] > 0).astype("boolean"),
    ).drop(columns="week_days")
    return frame, grains


def _periodic(ctx: MetricContext, week: date | None) -> tuple[pd.DataFrame, dict[str, str]]:
    """People listed in weekly or monthly reports whose period overlaps the window."""
    if not ctx.has("person_facts"):
        return _empty(), {}
    pf = ctx.engine.table("person_facts")
    lo = ctx.window_start - _LOOKBACK
    hi = ctx.as_of + _LOOKBACK
    # Only a fact whose attributes name a weekly or monthly granularity can be a period's:
    # the rest (daily reports, seats: 1.7 M rows in the window of a 2,000-person vendor view)
    # stay in the warehouse instead of being parsed one by one here (about 6 s for the
    # licences, and again for the tools). Attributes that spell out their key and value
    # contain these words; which rows are periods is still decided from the parsed JSON.
    a = pf.attrs
    pf = pf.filter(
        (pf.report_date >= lo)
        & (pf.report_date <= hi)
        & a.notnull()
        & a.contains("granularity")
        & (a.contains(WEEK) | a.contains(MONTH))
    )
    raw = ctx.engine.execute(pf.select("person_key", "tool", "fact", "value", "attrs"))
    if raw.empty:
        return _empty(), {}
    attrs = raw["attrs"].map(_attrs)
    grain = attrs.map(lambda a: a.get("granularity"))
    raw = raw.assign(grain=grain)[grain.isin([WEEK, MONTH]).to_numpy()]
    if raw.empty:
        return _empty(), {}
    attrs = attrs[raw.index]
    raw = raw.assign(
        p0=_day(attrs.map(lambda a: a.get("period_start"))),
        p1=_day(attrs.map(lambda a: a.get("period_end"))),
    ).dropna(subset=["p0", "p1"])
    # Overlapping the window and begun by as_of: what happened after as_of is not counted,
    # but a period's total cannot be split, so a period running past as_of counts whole.
    raw = raw[
        (raw["p0"] <= pd.Timestamp(ctx.as_of)) & (raw["p1"] >= pd.Timestamp(ctx.window_start))
    ]
    if raw.empty:
        return _empty(), {}
    grains: dict[str, str] = {}
    for tool, g in raw.groupby("tool"):
        grains[str(tool)] = MONTH if (g["grain"] == MONTH).any() else WEEK
    value = pd.to_numeric(raw["value"], errors="coerce").fillna(0)
    # Period connectors prefix facts with their grain (`week.messages`): judge the name.
    name = raw["fact"].astype(str).str.rsplit(".", n=1).str[-1]
    raw = raw.assign(used=(~name.isin(PASSIVE_FACTS)) & (value > 0))
    if week is not None:
        w0 = pd.Timestamp(week)
        w1 = w0 + pd.Timedelta(days=6)
        end = raw["p1"].where(raw["p1"] <= w1, w1)
        begin = raw["p0"].where(raw["p0"] >= w0, w0)
        overlap = (end - begin).dt.days + 1
        raw = raw.assign(this_week=(raw["grain"] == WEEK) & (overlap >= 4) & raw["used"])
    else:
        raw = raw.assign(this_week=False)
    # Weekly periods with use count as blocks (capped at the window's blocks).
    weekly_used = raw["p0"].where(raw["used"] & (raw["grain"] == WEEK))
    raw = raw.assign(used_week=weekly_used)
    per = raw.groupby(["person_key", "tool"], as_index=False).agg(
        active=("used", "max"), week_active=("this_week", "max"), weeks=("used_week", "nunique")
    )
    per = per.assign(
        licensed=False,
        active_days=float("nan"),
        weeks=per["weeks"].clip(upper=ctx.window_days // 7).astype(float),
        week_active=per["week_active"].astype("boolean"),
    )
    return per, grains


def _day(values: pd.Series) -> pd.Series:
    """Dates of ISO strings as midnight timestamps; anything unreadable is missing."""
    text = values.map(lambda v: v if isinstance(v, str) else None)
    return pd.to_datetime(text, errors="coerce", format="ISO8601").dt.normalize()


def _attrs(v: Any) -> dict[str, Any]:
    if isinstance(v, dict):
        return v
    if isinstance(v, str) and v:
        try:
            out = json.loads(v)
        except ValueError:
            return {}
        return out if isinstance(out, dict) else {}
    return {}
