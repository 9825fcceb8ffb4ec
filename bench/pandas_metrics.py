"""The core metrics written plainly in pandas: the benchmark's straightforward reference.

Usage rate, weekly active rate, depth of use, the adoption-ladder distribution and hours
saved per week, computed from the canonical tables read into pandas (only the columns they
need) with ordinary vectorised pandas: filters, merges and group-bys. The definitions follow
docs/metrics.md and the documented rules of `uptake.metrics` (windows, eligibility, ladder
rules, saving reference), so the benchmark can check that both give the same numbers.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from uptake.config import MetricsSettings

COLUMNS: dict[str, list[str]] = {
    "licenses": ["person_key", "assigned_at", "removed_at"],
    "events": ["person_key", "ts", "action"],
    "tasks": [
        "person_key",
        "workflow",
        "started_at",
        "completed_at",
        "status",
        "ai_assisted",
        "minutes",
    ],
    "workflows": ["workflow", "stakes", "roles", "baseline_minutes"],
    "people": ["person_key", "role"],
    "decisions": ["person_key", "ts", "followed"],
    "feedback": ["person_key", "ts", "category"],
    "help_edges": ["ts", "asker_key", "helper_key"],
}
NON_ACTIONS = ("session_start", "session_end")
MEANINGFUL = ("accept", "task_complete")


def read_lake(lake: Path) -> dict[str, pd.DataFrame]:
    """Read the tables the core metrics need from a Parquet lake (needed columns only).

    Args:
        lake: lake folder written by `uptake export --parquet`.

    Returns:
        Table name -> DataFrame.
    """
    out = {}
    for name, cols in COLUMNS.items():
        path = lake / name if (lake / name).is_dir() else lake / f"{name}.parquet"
        out[name] = pd.read_parquet(path, columns=cols)
    return out


def _midnight(d: date) -> pd.Timestamp:
    return pd.Timestamp(datetime.combine(d, time()))


def licensed_on(lic: pd.DataFrame, day: date) -> pd.Index:
    """People holding a licence at the end of `day`."""
    end = _midnight(day + timedelta(days=1))
    held = (lic.assigned_at < end) & (lic.removed_at.isna() | (lic.removed_at >= end))
    return pd.Index(lic.loc[held, "person_key"].unique())


def _rate(num: float, den: float) -> float | None:
    return float(num) / float(den) if den > 0 else None


def usage(t: dict[str, pd.DataFrame], as_of: date, s: MetricsSettings) -> dict[str, Any]:
    """Usage rate over the window and weekly active rate over the last complete weeks."""
    ev, lic = t["events"], t["licenses"]
    lo = _midnight(as_of - timedelta(days=s.window_days - 1))
    hi = _midnight(as_of + timedelta(days=1))
    base = licensed_on(lic, as_of)
    seen = pd.Index(ev.loc[(ev.ts >= lo) & (ev.ts < hi), "person_key"].unique())
    active = len(base.intersection(seen))
    rate = {"n": len(base), "active": active, "rate": _rate(active, len(base))}

    last = as_of - timedelta(days=as_of.weekday())
    if last + timedelta(days=6) > as_of:
        last -= timedelta(days=7)
    weeks = [last - timedelta(days=7 * i) for i in range(s.trend_weeks - 1, -1, -1)]
    week_of = ev.ts.dt.normalize() - pd.to_timedelta(ev.ts.dt.weekday, unit="D")
    recent = ev.loc[week_of >= _midnight(weeks[0]), ["person_key"]].assign(week=week_of)
    seen_by_week = recent.drop_duplicates().groupby("week")["person_key"].apply(pd.Index)
    rows = []
    for w in weeks:
        held = licensed_on(lic, w + timedelta(days=6))
        who = seen_by_week.get(_midnight(w), pd.Index([]))
        act = len(held.intersection(who))
        rows.append({"week": w, "n": len(held), "active": act, "rate": _rate(act, len(held))})
    return {"usage_rate": rate, "weekly_active_rate": rows}


def _runs(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every task with its eligibility and AI / completion flags."""
    tasks = t["tasks"].merge(t["workflows"].drop_duplicates("workflow"), on="workflow", how="left")
    tasks = tasks.merge(t["people"], on="person_key", how="left")
    roles = tasks.roles
    open_to_all = roles.isna() | (roles.map(lambda r: 0 if r is None else len(r)) == 0)
    role_ok = open_to_all | pd.Series(
        [
            r is not None and p is not None and p in r
            for r, p in zip(roles, tasks.role, strict=True)
        ],
        index=tasks.index,
    )
    elig = (tasks.stakes == "high") & role_ok
    ai = tasks.ai_assisted.fillna(False).astype(bool)
    done = (tasks.status == "completed") | (tasks.status.isna() & tasks.completed_at.notna())
    return tasks.assign(
        elig=elig,
        ai=ai,
        done=done,
        ai_elig=elig & ai,
        ai_elig_done=elig & ai & done,
        elig_done=elig & done,
    )


def depth(
    runs: pd.DataFrame, t: dict[str, pd.DataFrame], as_of: date, s: MetricsSettings
) -> dict[str, Any]:
    """Depth of use and completion on eligible high-stakes runs in the window."""
    lo = _midnight(as_of - timedelta(days=s.window_days - 1))
    hi = _midnight(as_of + timedelta(days=1))
    base = licensed_on(t["licenses"], as_of)
    r = runs[(runs.started_at >= lo) & (runs.started_at < hi) & runs.person_key.isin(base)]
    cols = ["elig", "ai_elig", "ai_elig_done", "elig_done"]
    per = r.groupby("person_key")[cols].sum()
    per = per[per.elig > 0]
    sums = {c: int(per[c].sum()) for c in cols}
    return {
        "n": len(per),
        **sums,
        "depth": _rate(sums["ai_elig_done"], sums["elig"]),
        "completion_share": _rate(sums["ai_elig_done"], sums["elig_done"]),
        "ai_completion_rate": _rate(sums["ai_elig_done"], sums["ai_elig"]),
    }


def ladder(
    runs: pd.DataFrame, t: dict[str, pd.DataFrame], as_of: date, s: MetricsSettings
) -> dict[str, Any]:
    """Ladder level counts (the ladder's task rules) for people licensed on `as_of`."""
    end = _midnight(as_of + timedelta(days=1))
    win_lo = _midnight(as_of - timedelta(days=s.window_days - 1))
    recent_lo = as_of - timedelta(days=7 * s.ladder_recent_weeks - 1)
    adv_lo = _midnight(as_of - timedelta(days=7 * s.advocate_weeks - 1))
    base = pd.DataFrame(index=licensed_on(t["licenses"], as_of))

    r = runs[(runs.started_at >= win_lo) & (runs.started_at < end)]
    task_sums = r.groupby("person_key")[["elig", "ai_elig_done", "ai"]].sum()
    task_sums = task_sums.rename(columns={"ai": "ai_runs"})

    ev = t["events"]
    in_win = ev[(ev.ts >= win_lo) & (ev.ts < end)]
    actions = (~in_win.action.isin(NON_ACTIONS)).groupby(in_win.person_key).sum().rename("actions")
    recent = ev[(ev.ts >= _midnight(recent_lo)) & (ev.ts < end)]
    block = (pd.Timestamp(as_of) - recent.ts.dt.normalize()).dt.days // 7
    active_weeks = block.groupby(recent.person_key).nunique().rename("active_weeks")

    d = t["decisions"]
    d = d[(d.ts >= win_lo) & (d.ts < end)]
    dec = d.groupby("person_key").agg(decisions=("followed", "size"), followed=("followed", "sum"))
    dec["overrides"] = dec.decisions - dec.followed

    fb_rows = t["feedback"]
    fb_rows = fb_rows[fb_rows.person_key.notna() & (fb_rows.ts < end)]
    fb_events = ev[(ev.action == "feedback") & (ev.ts < end)]
    feedback = (
        pd.concat([fb_rows.person_key, fb_events.person_key]).value_counts().rename("feedback")
    )
    h = t["help_edges"]
    h = h[(h.ts >= adv_lo) & (h.ts < end) & (h.asker_key != h.helper_key)]
    helped = h.groupby("helper_key").asker_key.nunique().rename("helped")
    uc = fb_rows[(fb_rows.ts >= adv_lo) & fb_rows.category.isin(s.use_case_categories)]
    use_cases = uc.groupby("person_key").size().rename("use_cases")

    p = base.join(
        [
            task_sums,
            actions,
            active_weeks,
            dec[["decisions", "overrides"]],
            feedback,
            helped,
            use_cases,
        ]
    )
    p = p.fillna(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = p.ai_elig_done / p.elig
        rate = p.overrides / p.decisions
    band_ok = (p.decisions == 0) | ((rate >= s.override_band_low) & (rate <= s.override_band_high))
    l3 = (p.elig > 0) & (share >= s.ladder_trial_share)
    l4 = (
        l3
        & (share >= s.ladder_integrated_share)
        & (p.active_weeks >= s.ladder_active_weeks)
        & band_ok
        & (p.feedback > 0)
    )
    advocate = (p.helped >= s.advocate_helped) | (p.use_cases > 0)
    level = np.select([l4 & advocate, l4, l3, p.ai_runs == 0], [5, 4, 3, 1], default=2)
    counts = {f"L{i}": int((level == i).sum()) for i in range(1, 6)}
    n = len(p)
    return {"n": n, **counts, "l3_plus_share": _rate(counts["L3"] + counts["L4"] + counts["L5"], n)}


def hours_saved(
    runs: pd.DataFrame, t: dict[str, pd.DataFrame], as_of: date, s: MetricsSettings, k: int
) -> dict[str, Any]:
    """Hours saved per week over the window (point estimate), summed over workflows."""
    lo = _midnight(as_of - timedelta(days=s.window_days - 1))
    hi = _midnight(as_of + timedelta(days=1))
    r = runs[
        (runs.started_at >= lo)
        & (runs.started_at < hi)
        & runs.done
        & runs.minutes.notna()
        & (runs.minutes >= 0)
    ]
    weeks = s.window_days / 7
    total = 0.0
    compared = 0
    for _, g in r.groupby("workflow", sort=True):
        ai, man = g[g.ai], g[~g.ai]
        manual_ok = len(man) >= s.outcomes_min_runs and man.person_key.nunique() >= k
        if len(ai) < s.outcomes_min_runs:
            continue
        baseline = g.baseline_minutes.iloc[0]
        if manual_ok:
            saving = float(man.minutes.median() - ai.minutes.median())
        elif pd.notna(baseline):
            saving = float(baseline - ai.minutes.median())
        else:
            continue
        compared += 1
        total += saving * len(ai) / 60 / weeks
    return {
        "n": int(r.person_key.nunique()),
        "ai_runs": int(r.ai.sum()),
        "workflows_compared": compared,
        "hours_per_week": total if compared else None,
    }


def core_metrics(
    t: dict[str, pd.DataFrame], as_of: date, s: MetricsSettings, k: int
) -> dict[str, Any]:
    """All five core metrics from the tables.

    Args:
        t: tables from `read_lake`.
        as_of: last day included.
        s: metrics settings.
        k: minimum group size (decides which outcome arms are compared).

    Returns:
        `usage_rate`, `weekly_active_rate` (rows), `depth_of_use`, `adoption_ladder`,
        `outcomes`.
    """
    runs = _runs(t)
    return {
        **usage(t, as_of, s),
        "depth_of_use": depth(runs, t, as_of, s),
        "adoption_ladder": ladder(runs, t, as_of, s),
        "outcomes": hours_saved(runs, t, as_of, s, k),
    }


def pipeline_view(doc: dict[str, Any]) -> dict[str, Any]:
    """The same numbers picked from a `compute_all` report's JSON, shaped like `core_metrics`.

    Args:
        doc: `compute_all(...).to_dict()`.

    Returns:
        The pipeline's values under the keys `core_metrics` returns.
    """
    m = doc["metrics"]

    def pick(entry: dict[str, Any], keys: list[str]) -> dict[str, Any]:
        return {key: entry.get(key) for key in keys}

    weeks = [
        {
            "week": date.fromisoformat(str(r["week"])[:10]),
            "n": r.get("n"),
            "active": r.get("active"),
            "rate": r.get("rate"),
        }
        for r in m["weekly_active_rate"].get("weeks", [])
    ]
    depth_keys = ["n", "elig", "ai_elig", "ai_elig_done", "elig_done", "depth"]
    depth_keys += ["completion_share", "ai_completion_rate"]
    return {
        "usage_rate": pick(m["usage_rate"], ["n", "active", "rate"]),
        "weekly_active_rate": weeks,
        "depth_of_use": pick(m["depth_of_use"], depth_keys),
        "adoption_ladder": pick(
            m["adoption_ladder"], ["n", "L1", "L2", "L3", "L4", "L5", "l3_plus_share"]
        ),
        "outcomes": pick(m["outcomes"], ["n", "ai_runs", "workflows_compared", "hours_per_week"]),
    }
