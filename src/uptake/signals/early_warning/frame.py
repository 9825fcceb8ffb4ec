"""Early-warning data: the abandonment label and per person-week features, from the facts.

Everything is computed on dense person × day arrays built once from `fact_person_tool_day`,
`fact_person_day`, the seats and (optionally) feedback texts. A feature for the day `e` reads
only columns `≤ e` of those arrays (cumulative sums up to `e`), so adding data after `e`
cannot change it; the label reads the days after `e`, and only the label does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import numpy as np
import pandas as pd

from uptake.errors import InputError
from uptake.metrics.context import MetricContext, constant_table
from uptake.metrics.facts import PERSON_DAY, PERSON_TOOL_DAY
from uptake.metrics.seats import seats

# Label: licensed ≥ LICENSED_DAYS days and no meaningful event in the last QUIET_DAYS days.
QUIET_DAYS = 28
LICENSED_DAYS = 28
# A person-week is positive when the label first holds within this many days after it.
HORIZON_DAYS = 28
# Rules baseline: the first two weeks, and days 1–14 against 15–28 after first use.
EARLY_DAYS = 14
DROP_SHARE = 0.5
# Counts read from the person-day facts (zero where the workspace lacks the source).
OTHER_COUNTS = (
    "runs",
    "ai_runs",
    "elig",
    "ai_elig_done",
    "decisions",
    "overrides",
    "feedback_given",
    "help_given",
)
RULES = ("no_meaningful_first_14d", "week3_4_drop", "distress_language")
# Counts read from the person-tool-day facts.
COUNTS = ("events", "actions", "meaningful")

Distress = Callable[[str], bool]


@dataclass
class History:
    """Dense per person × day arrays of one workspace, from `start` to `as_of` inclusive.

    Attributes:
        keys: person keys (rows of every array): people holding a seat by `as_of`.
        start: the day of column 0.
        as_of: the last day (last column).
        data_start: column of the first day with any fact (quiet windows start no earlier).
        licence: column of each person's first seat.
        counts: name → (people, days) float array of daily counts.
        seats: the seats (person row, first and end column; end exclusive, -1 open).
        distress_day: column of each person's first distressed feedback (-1 none).
        proxy_tools: tools with no meaningful event at all, whose actions count instead.
    """

    keys: np.ndarray
    start: date
    as_of: date
    data_start: int
    licence: np.ndarray
    counts: dict[str, np.ndarray]
    seats: pd.DataFrame
    distress_day: np.ndarray
    proxy_tools: tuple[str, ...]

    @property
    def days(self) -> int:
        """Number of day columns."""
        return (self.as_of - self.start).days + 1

    def col(self, d: date) -> int:
        """Column of a day."""
        return (d - self.start).days

    def day(self, col: int) -> date:
        """Day of a column."""
        return self.start + timedelta(days=int(col))


def _day_index(values: pd.Series, start: date) -> np.ndarray:
    return (pd.to_datetime(values).dt.normalize() - pd.Timestamp(start)).dt.days.to_numpy()


def load_history(ctx: MetricContext, distress: Distress | None = None) -> History:
    """Read the facts, seats and (with `distress`) feedback texts up to `ctx.as_of`.

    Args:
        ctx: metric context over a warehouse whose facts are refreshed.
        distress: optional test of a feedback text for distress language.

    Returns:
        The dense history.
    """
    engine, as_of = ctx.engine, ctx.as_of
    if not ctx.has("licenses"):
        raise InputError("early warning needs licences: ingest licenses (or vendor seats)")
    s = engine.execute(seats(engine).select("person_key", "tool", "assigned_at", "removed_at"))
    s["first"] = pd.to_datetime(s.assigned_at).dt.date
    s = s[s["first"] <= as_of]
    if s.empty:
        raise InputError(f"early warning: no seat assigned by {as_of}")
    keys = np.array(sorted(s.person_key.unique()))
    row = pd.Series(np.arange(len(keys)), index=keys)
    # Summed per tool and per day in DuckDB: the arrays need days, not rows (at 10,000 people
    # the per-row reads and pandas lookups took 1.2 s, this 0.34 s).
    td = engine.table(PERSON_TOOL_DAY)
    td = td.filter(td.day <= as_of)
    tools = engine.execute(td.group_by("tool").aggregate(m=td.meaningful.sum(), first=td.day.min()))
    pd_t = engine.table(PERSON_DAY)
    pd_t = pd_t.filter(pd_t.day <= as_of)
    firsts = [d for d in tools["first"] if not pd.isna(d)]
    got = engine.execute(pd_t.aggregate(first=pd_t.day.min()))["first"]
    firsts += [d for d in got if not pd.isna(d)]
    first_fact = min(pd.Timestamp(d).date() for d in firsts) if firsts else as_of
    start = min(min(s["first"]), first_fact)
    n_days = (as_of - start).days + 1
    # A tool whose source never says "accepted" (Microsoft 365 reports only active days)
    # would make every one of its users abandon; a day with an action stands in for it.
    proxy_tools = tuple(
        sorted(str(t) for t in tools.loc[tools["m"] == 0, "tool"] if not pd.isna(t))
    )
    meaningful = (
        ibis.cases((td.tool.isin(proxy_tools), td.actions), else_=td.meaningful)
        if proxy_tools
        else td.meaningful
    )
    # As floats (the arrays' type; exact for counts): DuckDB sums integers as 128-bit
    # numbers, which reach pandas as Python decimals (Ibis drops a cast to int64 as a no-op).
    per_day = td.group_by("person_key", "day").aggregate(
        events=td.events.sum().cast("float64"),
        actions=td.actions.sum().cast("float64"),
        meaningful=meaningful.sum().cast("float64"),
    )
    # Rows are numbered in DuckDB too: fetching a million person keys as Python strings
    # cost more than the sums. People without a seat by as_of are not in the arrays.
    rows = constant_table(
        {"person_key": keys.tolist(), "r": list(range(len(keys)))},
        {"person_key": "string", "r": "int64"},
    )
    counts: dict[str, np.ndarray] = {}
    for t, names in ((per_day, COUNTS), (pd_t, OTHER_COUNTS)):
        col = t.day.delta(ibis.literal(start), unit="day").cast("int64").name("c")
        daily = engine.execute(t.join(rows, "person_key").select("r", col, *names))
        counts.update(_dense(daily, len(keys), n_days, names))
    seat_rows = pd.DataFrame(
        {
            "row": row[s.person_key].to_numpy(),
            "first": [(d - start).days for d in s["first"]],
            # A seat removed at any time on a day no longer counts as held at that day's end.
            "end": [
                -1 if pd.isna(x) else (pd.Timestamp(x).date() - start).days for x in s.removed_at
            ],
        }
    )
    licence = seat_rows.groupby("row")["first"].min().reindex(range(len(keys))).to_numpy()
    return History(
        keys=keys,
        start=start,
        as_of=as_of,
        data_start=(first_fact - start).days,
        licence=licence,
        counts=counts,
        seats=seat_rows,
        distress_day=_distress_days(ctx, distress, row, start),
        proxy_tools=proxy_tools,
    )


def _dense(
    rows: pd.DataFrame, people: int, n_days: int, names: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """(people, days) arrays of daily counts from rows of row number `r`, column `c`, counts."""
    flat = rows["r"].to_numpy(dtype=np.int64) * n_days + rows["c"].to_numpy(dtype=np.int64)
    return {
        name: np.bincount(
            flat, weights=rows[name].to_numpy(dtype=float), minlength=people * n_days
        ).reshape(people, n_days)
        for name in names
    }


def _distress_days(
    ctx: MetricContext, distress: Distress | None, row: pd.Series, start: date
) -> np.ndarray:
    out = np.full(len(row), -1)
    if distress is None or not ctx.has("feedback"):
        return out
    f = ctx.engine.table("feedback")
    f = ctx.engine.execute(
        f.filter(f.person_key.notnull() & (f.ts.date() <= ctx.as_of)).select(
            "person_key", "ts", "text"
        )
    )
    f = f[f.person_key.isin(row.index)]
    hit = f[[bool(distress(str(t))) for t in f.text]]
    if hit.empty:
        return out
    first = hit.assign(c=_day_index(hit.ts, start)).groupby("person_key").c.min()
    out[row[first.index].to_numpy()] = first.to_numpy()
    return out


def abandonment(h: History) -> np.ndarray:
    """Column on which the label first holds per person (-1: not by `as_of`).

    The label holds on day d when the person's first seat is ≥ `LICENSED_DAYS` days old
    (d ≥ first seat + 27) and days d−27 … d hold no meaningful event; a quiet window may not
    begin before the first day of data (nothing is known about the days before it).

    Args:
        h: the history.

    Returns:
        Integer column per person.
    """
    m = (h.counts["meaningful"] > 0).astype(np.int64)
    cum = np.concatenate([np.zeros((len(m), 1), dtype=np.int64), m.cumsum(axis=1)], axis=1)
    cols = np.arange(h.days)
    lo = cols - (QUIET_DAYS - 1)
    quiet = np.zeros_like(m, dtype=bool)
    ok = lo >= 0
    quiet[:, ok] = (cum[:, cols[ok] + 1] - cum[:, lo[ok]]) == 0
    eligible = (cols[None, :] >= (h.licence[:, None] + LICENSED_DAYS - 1)) & (
        cols[None, :] >= h.data_start + QUIET_DAYS - 1
    )
    hit = quiet & eligible
    return np.where(hit.any(axis=1), hit.argmax(axis=1), -1)


def held(h: History, col: int) -> np.ndarray:
    """Whether each person holds a seat at the end of a day (column).

    Args:
        h: the history.
        col: the day's column.

    Returns:
        Boolean per person.
    """
    s = h.seats
    on = (s["first"] <= col) & ((s["end"] < 0) | (s["end"] > col))
    out = np.zeros(len(h.keys), dtype=bool)
    out[s.loc[on, "row"].to_numpy()] = True
    return out


class _Sums:
    """Window sums over one day column from cumulative sums (days ≤ the column only)."""

    def __init__(self, h: History) -> None:
        self.cum = {
            k: np.concatenate([np.zeros((len(v), 1)), v.cumsum(axis=1)], axis=1)
            for k, v in h.counts.items()
        }
        active = (h.counts["events"] > 0).astype(float)
        mdays = (h.counts["meaningful"] > 0).astype(float)
        for k, v in (("active_days", active), ("meaningful_days", mdays)):
            self.cum[k] = np.concatenate([np.zeros((len(v), 1)), v.cumsum(axis=1)], axis=1)
        cols = np.arange(h.days)
        # Last/first day with an event or a meaningful event, as of each column.
        self.last_event = np.maximum.accumulate(np.where(active > 0, cols, -1), axis=1)
        self.last_meaningful = np.maximum.accumulate(np.where(mdays > 0, cols, -1), axis=1)
        self.first_event = np.where(active.any(axis=1), active.argmax(axis=1), -1)
        self.first_meaningful = np.where(mdays.any(axis=1), mdays.argmax(axis=1), -1)

    def between(self, name: str, lo: np.ndarray | int, hi: np.ndarray | int) -> np.ndarray:
        """Sum over columns lo … hi inclusive, per person (clipped to the array)."""
        c = self.cum[name]
        width = c.shape[1] - 1
        lo_c = np.clip(lo, 0, width)
        hi_c = np.clip(np.asarray(hi) + 1, 0, width)
        idx = np.arange(len(c))
        out = c[idx, np.broadcast_to(hi_c, idx.shape)] - c[idx, np.broadcast_to(lo_c, idx.shape)]
        return np.where(np.broadcast_to(hi_c, idx.shape) > lo_c, out, 0.0)


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)


def features_at(h: History, sums: _Sums, e: int) -> pd.DataFrame:
    """Features and rule hits of every person at the end of day column `e` (days ≤ e only).

    Args:
        h: the history.
        sums: window sums over `h`.
        e: the day's column.

    Returns:
        One row per person (same order as `h.keys`); NaN where a feature is undefined.
    """
    f: dict[str, np.ndarray] = {}
    nan = np.nan
    lic = h.licence
    f["days_licensed"] = (e - lic).astype(float)
    for k in (7, 14, 28):
        for name in ("active_days", "actions", "meaningful", "meaningful_days"):
            f[f"{name}_{k}d"] = sums.between(name, e - k + 1, e)
    for name in ("active_days", "meaningful_days"):
        f[f"{name}_prev14d"] = sums.between(name, e - 27, e - 14)
        f[f"{name}_trend"] = f[f"{name}_14d"] - f[f"{name}_prev14d"]
        f[f"{name}_since_licence"] = _ratio(
            sums.between(name, lic, e), np.maximum(e - lic + 1, 1).astype(float)
        )
    last_m, last_e = sums.last_meaningful[:, e], sums.last_event[:, e]
    f["days_since_last_meaningful"] = np.where(last_m >= 0, e - last_m, nan)
    f["days_since_last_event"] = np.where(last_e >= 0, e - last_e, nan)
    # Days before the label could hold: quiet so far, capped by the licence age rule.
    quiet_from = np.maximum(np.where(last_m >= 0, last_m + 1, lic), lic)
    f["quiet_days"] = (e - quiet_from + 1).astype(float)
    # Days of further quiet the label still needs (1–28 for a person at risk): the label's own
    # clock. It spans the same range in the first weeks of a rollout as in later ones, which
    # tenure and running totals do not (they only grow), so a model trained on early weeks
    # can use it on later ones.
    label_from = np.maximum(quiet_from, h.data_start) + QUIET_DAYS - 1
    f["need_days"] = (label_from - e).astype(float)
    first = np.where((sums.first_event >= 0) & (sums.first_event <= e), sums.first_event, -1)
    first_m = sums.first_meaningful
    f["days_since_first_use"] = np.where(first >= 0, e - first, nan)
    f["days_since_first_meaningful"] = np.where((first_m >= 0) & (first_m <= e), e - first_m, nan)
    early = sums.between("events", first, first + EARLY_DAYS - 1)
    recent = sums.between("events", e - EARLY_DAYS + 1, e)
    known = (first >= 0) & (e >= first + 2 * EARLY_DAYS - 1)
    f["recent_to_early"] = np.where(known, _ratio(recent, early), nan)
    f["actions_per_active_day_28d"] = _ratio(f["actions_28d"], f["active_days_28d"])
    f["meaningful_share_28d"] = _ratio(f["meaningful_28d"], f["actions_28d"])
    for name in OTHER_COUNTS:
        f[f"{name}_28d"] = sums.between(name, e - 27, e)
    for name in ("feedback_given", "help_given", "runs", "ai_runs"):
        f[f"{name}_total"] = sums.between(name, 0, e)
    f["ai_run_share_28d"] = _ratio(f["ai_runs_28d"], f["runs_28d"])
    f["override_rate_28d"] = _ratio(f["overrides_28d"], f["decisions_28d"])
    rules = rule_hits(h, sums, e)
    for name in RULES:
        f[f"rule_{name}"] = rules[name].astype(float)
    return pd.DataFrame(f)


def rule_hits(h: History, sums: _Sums, e: int) -> dict[str, np.ndarray]:
    """The three classic predictors per person at the end of day column `e`.

    Args:
        h: the history.
        sums: window sums over `h`.
        e: the day's column.

    Returns:
        Rule name → boolean per person (a rule holds only once its window has ended).
    """
    lic = h.licence
    first14 = sums.between("meaningful", lic, lic + EARLY_DAYS - 1)
    no_early = (e >= lic + EARLY_DAYS - 1) & (first14 == 0)
    first = sums.first_event
    used = (first >= 0) & (e >= first + 2 * EARLY_DAYS - 1)
    a = sums.between("events", first, first + EARLY_DAYS - 1)
    b = sums.between("events", first + EARLY_DAYS, first + 2 * EARLY_DAYS - 1)
    drop = used & (b < DROP_SHARE * a)
    distress = (h.distress_day >= 0) & (h.distress_day <= e)
    return {RULES[0]: no_early, RULES[1]: drop, RULES[2]: distress}


def person_weeks(h: History, week_offset: int, horizon: int = HORIZON_DAYS) -> pd.DataFrame:
    """Every at-risk person-week with its features, rule score and label.

    A row is a person holding a seat at the end of a complete week (ending ≤ `as_of`) on
    which the label has not held yet. `label` = the label first holds within `horizon` days
    after the week's end; `known` = that is decided by `as_of` (positive, or the horizon
    has passed).

    Args:
        h: the history.
        week_offset: weekday number (Monday 0) on which weeks start.
        horizon: days after the week's end in which abandonment counts.

    Returns:
        Frame (person_key, week_end, features…, rules, abandoned_on, label, known).
    """
    sums = _Sums(h)
    ab = abandonment(h)
    first_end = h.start + timedelta(days=(week_offset + 6 - h.start.weekday()) % 7)
    frames = []
    for e in range(h.col(first_end), h.days, 7):
        risk = held(h, e) & (h.licence <= e) & ((ab < 0) | (ab > e))
        if not risk.any():
            continue
        x = features_at(h, sums, e)[risk]
        x.insert(0, "person_key", h.keys[risk])
        x.insert(1, "week_end", h.day(e))
        a = ab[risk]
        x["rules"] = rules_score(x)
        x["abandoned_on"] = [h.day(v) if v >= 0 else None for v in a]
        x["label"] = (a >= 0) & (a <= e + horizon)
        x["known"] = x["label"] | (e + horizon <= h.days - 1)
        frames.append(x)
    if not frames:
        raise InputError(f"early warning: no licensed person-week ends by {h.as_of}")
    return pd.concat(frames, ignore_index=True)


def rules_score(x: pd.DataFrame) -> np.ndarray:
    """Share of the classic predictors that hold (0, 1/3, 2/3, 1).

    Args:
        x: frame with the `rule_*` columns.

    Returns:
        The score per row.
    """
    return np.asarray(x[[f"rule_{r}" for r in RULES]].mean(axis=1), dtype=float)
