"""Wins: workflows where AI already delivers a measured improvement, even for a few people.

Per workflow, over the runs (`tasks`) started in the current window, AI-assisted runs are
compared with runs without AI, or, when too few people ran it without AI, with the
catalogued `baseline_minutes`:

- minutes per completed run: the outcomes family's own comparison (`metrics.families.
  outcomes.workflow_frame`: medians, percentile-bootstrap intervals with the fixed seed, the
  same arms and thresholds), so a saving here is the saving on the outcomes page;
- completion rate (completed ÷ started runs), AI-assisted minus without AI, with a seeded
  percentile-bootstrap interval over runs computed on each arm with one completed and one
  abandoned run added (Agresti–Caffo), so an arm where every run completed is not certainty;
- steps before and after AI, as catalogued (`steps_before`, `steps_after`: not measured).

Runs are treated as independent observations; several runs of one person are not modelled
as clustered. A workflow is shown only when every compared arm counts at least k people
(and, like the outcomes page, its complement within the total reaches k). A *win* is a
workflow where at least one difference's interval excludes zero in the good direction (fewer
minutes, more completions) and none excludes zero in the bad direction; *mixed* when one is
better and another worse; *promising* when a point estimate is better but no interval yet
excludes zero. Rows rank by minutes saved in the window (saving per run × AI-assisted runs).
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pandas as pd

from uptake.metrics import stats
from uptake.metrics.context import MetricContext
from uptake.metrics.families import outcomes
from uptake.metrics.groups import noisy, suppressed_groups
from uptake.metrics.labels import signed
from uptake.metrics.privacy import SUPPRESSED, TOTAL, jsonable

WIN, MIXED, PROMISING, NONE, WORSE = "win", "mixed", "promising", "no difference", "worse"
NEEDS = ("tasks", "tasks.minutes")
REFERENCES = {"manual": "runs without AI", "baseline": "the catalogued baseline"}
METHODS = {
    "minutes": (
        "median minutes of completed runs, AI-assisted against runs without AI in the same "
        "window (or the catalogued baseline when fewer than k people or too few runs had no "
        "AI); percentile bootstrap of the difference of medians, fixed seed"
    ),
    "completion": (
        "completed ÷ started runs per arm; AI-assisted minus without AI, percentile "
        "bootstrap over runs on arms with one completed and one abandoned run added "
        "(Agresti–Caffo), fixed seed"
    ),
    "steps": "steps before and after AI as catalogued in the workflows table (not measured)",
    "independence": "runs are treated as independent; a person's runs are not clustered",
}
_HEAD = ("workflow", "name", "roles", "ai_mode", "stakes")


def wins(ctx: MetricContext) -> dict[str, Any]:
    """Workflows where AI measurably improves minutes or completion, with intervals.

    Args:
        ctx: metric context (as-of, window, k, seed, resamples, confidence, noise).

    Returns:
        {status, start, end, window_days, confidence, min_group_size, min_runs, methods,
        wins, mixed, promising, others, hidden}: each list holds workflow rows (see
        `_row`), ranked by minutes saved in the window; `hidden` names workflows not shown
        and why. Status `not_available` with `needs` and `message` without tasks with
        minutes in the window.
    """
    doc: dict[str, Any] = {
        "status": "ok",
        "start": ctx.window_start.isoformat(),
        "end": ctx.as_of.isoformat(),
        "window_days": ctx.window_days,
        "confidence": ctx.settings.confidence_level,
        "min_group_size": ctx.min_group_size,
        "min_runs": ctx.settings.outcomes_min_runs,
        "methods": METHODS,
        "wins": [],
        "mixed": [],
        "promising": [],
        "others": [],
        "hidden": [],
    }
    needs = ctx.missing(*NEEDS)
    if needs:
        return not_available(doc, task_needs(ctx, needs))
    done = outcomes.completed_runs(ctx)
    if done.empty:
        return not_available(doc, ["tasks (completed runs with minutes in the window)"])
    catalogue = catalogue_frame(ctx)
    frame, _ = outcomes.workflow_frame(ctx, done, catalogue)
    # The people behind the compared runs without AI (the outcome frame counts their runs).
    other = done[~done.ai_assisted].groupby("workflow").person_key.nunique()
    frame["people_other"] = frame.workflow.map(other).where(frame.other_runs.notna())
    shown = suppressed_groups(ctx, frame, "workflow", n_col="guard")
    people = ["guard", "n", "people_ai", "people_other"]
    shown = noisy(ctx, shown, people, ["workflow"], "wins")
    started = started_runs(ctx)
    cat = catalogue.set_index("workflow")
    for record in shown.to_dict("records"):
        rec = {str(c): v for c, v in record.items()}
        wf = str(rec["workflow"])
        if wf == TOTAL:
            continue
        if rec[SUPPRESSED]:
            why = rec.get("suppressed_reason")
            doc["hidden"].append(
                {
                    "workflow": wf,
                    "name": _text(cat, wf, "name"),
                    "reason": hidden_reason(why, ctx.min_group_size),
                }
            )
            continue
        row = _row(ctx, rec, started[started.workflow == wf], cat)
        doc[_LISTS[row["verdict"]]].append(row)
    for key in ("wins", "mixed", "promising", "others"):
        doc[key].sort(key=_rank)
    return doc


def _rank(row: dict[str, Any]) -> tuple[float, str]:
    # Most minutes saved in the window first; rows without a saving last.
    saved = row["minutes_saved"]
    return (float("inf") if saved is None else -float(saved), row["workflow"])


_LISTS = {WIN: "wins", MIXED: "mixed", PROMISING: "promising", NONE: "others", WORSE: "others"}


def not_available(doc: dict[str, Any], needs: list[str]) -> dict[str, Any]:
    """Mark a document not available, saying what it needs.

    Args:
        doc: the document.
        needs: the missing inputs.

    Returns:
        The document with status, needs and message ("not available: needs …").
    """
    doc.update(
        status="not_available", needs=needs, message=f"not available: needs {', '.join(needs)}"
    )
    return doc


def task_needs(ctx: MetricContext, missing: list[str]) -> list[str]:
    """What a workflow comparison lacks, in words a reader can act on.

    Args:
        ctx: metric context.
        missing: the missing inputs among `NEEDS`.

    Returns:
        e.g. ["tasks (workflow runs with ai_assisted and minutes)", "workflows (the
        catalogue)"]; the catalogue is named when it is missing too.
    """
    if "tasks" in missing:
        missing = ["tasks"]
    out = [
        "tasks (workflow runs with ai_assisted and minutes)" if m == "tasks" else m for m in missing
    ]
    if "tasks" in missing and ctx.missing("workflows"):
        out.append("workflows (the catalogue: roles, baseline_minutes, steps, ai_mode)")
    return out


def hidden_reason(why: Any, k: int) -> str:
    """Why a workflow row is hidden, in words.

    Args:
        why: the suppression reason ("small" or "complementary").
        k: the minimum group size.

    Returns:
        e.g. "hidden: fewer than 5 people in a compared group".
    """
    if why == "complementary":
        return "hidden so that a smaller group cannot be worked out from the total"
    return f"hidden: fewer than {k} people in a compared group"


def catalogue_frame(ctx: MetricContext) -> pd.DataFrame:
    """The workflow catalogue: name, roles, stakes, AI mode, baseline minutes and steps.

    Args:
        ctx: metric context.

    Returns:
        One row per workflow (empty with the columns when there is no catalogue).
    """
    cols = [
        "workflow",
        "name",
        "roles",
        "stakes",
        "ai_mode",
        "baseline_minutes",
        "steps_before",
        "steps_after",
    ]
    if not ctx.has("workflows"):
        return pd.DataFrame(columns=cols)
    wf = ctx.engine.table("workflows")
    return ctx.engine.execute(wf.select(*cols)).drop_duplicates("workflow")


def started_runs(ctx: MetricContext) -> pd.DataFrame:
    """Every run started in the window: person_key, workflow, ai_assisted, done.

    Args:
        ctx: metric context.

    Returns:
        The runs, sorted for repeatability (`done`: completed, or ended without a status).
    """
    t = ctx.engine.table("tasks")
    t = t.filter(t.started_at >= ctx.start_ts, t.started_at < ctx.end_ts, t.ai_assisted.notnull())
    done = (t.status == "completed") | (t.status.isnull() & t.completed_at.notnull())
    df = ctx.engine.execute(t.select("person_key", "workflow", "ai_assisted", done=done))
    df["ai_assisted"] = df.ai_assisted.astype(bool)
    df["done"] = df.done.fillna(False).astype(bool)
    return df.sort_values(["workflow", "person_key", "done"], ignore_index=True)


def completion(ctx: MetricContext, a: np.ndarray, b: np.ndarray, seed_key: str) -> stats.Interval:
    """Completion rate of arm a minus arm b, with an Agresti–Caffo bootstrap interval.

    Args:
        ctx: metric context (seed, resamples, confidence).
        a: 1 per completed run, 0 per abandoned run, arm a.
        b: the same for arm b.
        seed_key: names the comparison (each comparison draws its own resamples).

    Returns:
        The raw difference of rates and its interval (widened to contain the estimate).
    """
    s = ctx.settings
    point = float(a.mean() - b.mean())
    pad = np.array([0.0, 1.0])
    # Fixed per comparison: the same data always gets the same interval.
    seed = (zlib.crc32(seed_key.encode()) + s.seed) % 2**32
    iv = stats.bootstrap(
        [np.concatenate([a, pad]), np.concatenate([b, pad])],
        _diff_means,
        n_resamples=s.bootstrap_resamples,
        seed=seed,
        confidence=s.confidence_level,
    )
    if iv.low is None or iv.high is None:
        return stats.Interval(point, None, None)
    return stats.Interval(point, min(iv.low, point), max(iv.high, point))


def _diff_means(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.asarray(a.mean(axis=axis) - b.mean(axis=axis))


def direction(iv: stats.Interval, good_if_positive: bool = True) -> str | None:
    """Whether an interval says better, worse, leans better, or nothing.

    Args:
        iv: a difference with its interval (positive = better when `good_if_positive`).
        good_if_positive: the sign of an improvement.

    Returns:
        "better", "worse" (interval excludes zero), "leans better" (only the estimate is
        better), or None (no estimate, or no better).
    """
    if iv.value is None:
        return None
    sign = 1 if good_if_positive else -1
    low, high = iv.low, iv.high
    if low is not None and high is not None:
        if sign * low > 0 and sign * high > 0:
            return "better"
        if sign * low < 0 and sign * high < 0:
            return "worse"
    return "leans better" if sign * iv.value > 0 else None


def verdict(minutes: str | None, done: str | None) -> str:
    """The workflow's verdict from the directions of its two measured differences.

    Args:
        minutes: `direction` of the minutes saved per run.
        done: `direction` of the completion-rate difference.

    Returns:
        WIN, MIXED, PROMISING, WORSE or NONE.
    """
    found = {minutes, done}
    if "better" in found:
        return MIXED if "worse" in found else WIN
    if "worse" in found:
        return WORSE
    return PROMISING if "leans better" in found else NONE


def _row(
    ctx: MetricContext,
    rec: dict[str, Any],
    runs: pd.DataFrame,
    cat: pd.DataFrame,
) -> dict[str, Any]:
    """One shown workflow: minutes, completion and steps, with intervals, n and verdict."""
    k, min_runs = ctx.min_group_size, ctx.settings.outcomes_min_runs
    wf = str(rec["workflow"])
    ai, other = runs[runs.ai_assisted], runs[~runs.ai_assisted]
    # Completion is compared only when both arms of started runs reach k people.
    compared = (
        ai.person_key.nunique() >= k
        and other.person_key.nunique() >= k
        and len(ai) >= min_runs
        and len(other) >= min_runs
    )
    done = (
        completion(ctx, ai.done.to_numpy(float), other.done.to_numpy(float), wf)
        if compared
        else stats.Interval(None, None, None)
    )
    saving = stats.Interval(
        _f(rec.get("saving_per_run")),
        _f(rec.get("saving_per_run_low")),
        _f(rec.get("saving_per_run_high")),
    )
    ai_runs = _int(rec.get("ai_runs")) or 0
    saved = _scaled(saving, ai_runs)
    reference = jsonable(rec.get("reference"))
    v = verdict(direction(saving), direction(done))
    roles = _value(cat, wf, "roles")
    return {
        "workflow": wf,
        "name": _text(cat, wf, "name") or wf,
        "roles": [str(r) for r in roles] if isinstance(roles, list | tuple | np.ndarray) else [],
        "ai_mode": _text(cat, wf, "ai_mode"),
        "stakes": _text(cat, wf, "stakes"),
        "verdict": v,
        "reference": reference,
        "compared_with": REFERENCES.get(str(reference)),
        # A shown arm has at least k people, which its being shown already says: a noisy
        # count under k is raised to k; an arm without runs has nobody.
        "people_ai": _at_least(rec.get("people_ai"), k) if ai_runs else 0,
        "people_other": _at_least(rec.get("people_other"), k),
        "runs_ai": ai_runs,
        "runs_other": _int(rec.get("other_runs")),
        **_iv(rec, "median_ai", "minutes_ai"),
        **_iv(rec, "median_other", "minutes_other"),
        "baseline_minutes": _f(rec.get("baseline_minutes")),
        # Against the catalogued baseline too, whatever the reference (None without one).
        **_iv(rec, "saving_vs_baseline", "saving_vs_baseline"),
        **saving.as_dict("saving_per_run"),
        **saved.as_dict("minutes_saved"),
        "started_ai": len(ai) if compared else None,
        "started_other": len(other) if compared else None,
        "completion_ai": float(ai.done.mean()) if compared else None,
        "completion_other": float(other.done.mean()) if compared else None,
        **done.as_dict("completion_diff"),
        "completion_note": None
        if compared
        else (f"not compared: needs at least {k} people and {min_runs} started runs in each arm"),
        "steps_before": _int(_value(cat, wf, "steps_before")),
        "steps_after": _int(_value(cat, wf, "steps_after")),
        "evidence": _evidence(ctx, saving, done, reference)
        or ["no AI-assisted runs with minutes to compare in the window"],
    }


def _evidence(
    ctx: MetricContext, saving: stats.Interval, done: stats.Interval, reference: Any
) -> list[str]:
    """The measured differences in words, each with its interval."""
    level = f"{100 * ctx.settings.confidence_level:.0f} %"
    out = []
    if saving.value is not None:
        against = REFERENCES.get(str(reference), "the reference")
        span = (
            f" ({level} interval {saving.low:.1f} to {saving.high:.1f})"
            if saving.low is not None and saving.high is not None
            else " (no interval: too few runs)"
        )
        out.append(f"{signed(saving.value, 1)} minutes saved per run against {against}{span}")
    if done.value is not None:
        span = (
            f" ({level} interval {signed(100 * done.low, 1)} to {signed(100 * done.high, 1)})"
            if done.low is not None and done.high is not None
            else ""
        )
        out.append(f"completion {signed(100 * done.value, 1)} points with AI{span}")
    return out


def _scaled(iv: stats.Interval, factor: float) -> stats.Interval:
    def m(v: float | None) -> float | None:
        return None if v is None else v * factor

    return stats.Interval(m(iv.value), m(iv.low), m(iv.high))


def _iv(rec: dict[str, Any], src: str, dst: str) -> dict[str, float | None]:
    return {
        dst: _f(rec.get(src)),
        f"{dst}_low": _f(rec.get(f"{src}_low")),
        f"{dst}_high": _f(rec.get(f"{src}_high")),
    }


def _value(cat: pd.DataFrame, wf: str, col: str) -> Any:
    if wf not in cat.index or col not in cat.columns:
        return None
    v: Any = cat.at[wf, col]
    if isinstance(v, list | tuple | np.ndarray):
        return list(v)
    return None if pd.isna(v) else v


def _text(cat: pd.DataFrame, wf: str, col: str) -> str | None:
    v = _value(cat, wf, col)
    return None if v is None else str(v)


def _f(v: Any) -> float | None:
    v = jsonable(v)
    return None if v is None else float(v)


def _at_least(v: Any, k: int) -> int | None:
    n = _int(v)
    return None if n is None else max(n, k)


def _int(v: Any) -> int | None:
    v = jsonable(v)
    return None if v is None else int(v)
