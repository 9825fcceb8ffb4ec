"""Outcomes: minutes and hours saved, value, ROI, steps retired, wins.

Per workflow, over completed runs started in the current window: median minutes of
AI-assisted runs vs runs without AI in the same window, and vs the catalogued
`baseline_minutes`. The minutes saved per AI-assisted run use the same-period comparison when
the non-AI arm has enough runs (`outcomes_min_runs`) and people (k), else the baseline; times
the AI-assisted runs they give minutes saved, expressed per week, valued at
`settings.hourly_cost` (money in `settings.currency`), and set against licence cost prorated
to the window (ROI); a seat held in the window without a price makes the licence cost and
the ROI unknown (null, `unpriced_seats` counted, a note), never a cost of 0. Every saving
carries a percentile-bootstrap interval (fixed seed); totals resample every workflow at once.
A *win* is a workflow whose saving interval lies above zero with at least k people behind
its AI-assisted runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from uptake.metrics import stats
from uptake.metrics.context import MetricContext
from uptake.metrics.families.outcome_runs import CodedRuns, completed_runs, distinct_people
from uptake.metrics.groups import group_rows, head, result, suppressed_groups
from uptake.metrics.privacy import SUPPRESSED, TOTAL, jsonable, public_rows
from uptake.metrics.result import MetricResult, MetricSpec, SuppressReason, not_available
from uptake.metrics.seats import seats as all_seats

DAYS_PER_MONTH = 365.25 / 12
KEYS = ["workflow"]
TOTAL_COLUMNS = ("people_ai", "ai_runs", "hours_per_week")
FAMILY = "outcomes"
NEEDS = ("tasks", "tasks.minutes")
SPECS: tuple[MetricSpec, ...] = (
    MetricSpec(
        name="outcomes",
        family=FAMILY,
        label="hours saved per week by AI-assisted workflow runs",
        unit="hours",
        headline="hours_per_week",
        needs=(*NEEDS, "workflows.baseline_minutes"),
        definition=(
            "per workflow, median minutes of runs without AI (or the catalogued baseline) "
            "minus median minutes of AI-assisted runs, times AI-assisted runs, per week"
        ),
    ),
    MetricSpec(
        name="roi",
        family=FAMILY,
        label="return on licence cost in the window",
        unit="ratio",
        headline="roi",
        needs=(*NEEDS, "licenses", "licenses.monthly_cost"),
        definition=(
            "(value of hours saved in the window − licence cost prorated to the window) ÷ "
            "licence cost"
        ),
        basis="estimate",
    ),
    MetricSpec(
        name="steps_retired",
        family=FAMILY,
        label="workflow steps retired by AI in the window",
        unit="count",
        headline="steps_retired",
        needs=(*NEEDS, "workflows.steps_before", "workflows.steps_after"),
        definition="(steps before − steps after AI) of each workflow × its AI-assisted runs",
    ),
    MetricSpec(
        name="wins",
        family=FAMILY,
        label="people behind workflows where AI already saves time",
        unit="people",
        headline=None,
        needs=NEEDS,
        definition=(
            "workflows whose saving interval lies above zero with at least k people behind "
            "their AI-assisted runs"
        ),
    ),
)
OUTCOMES, ROI, STEPS_RETIRED, WINS = SPECS


@dataclass
class _Saving:
    """How one workflow's saving per AI-assisted run is estimated (for the joint bootstrap)."""

    ai: np.ndarray
    manual: np.ndarray | None
    baseline: float | None
    weight: float  # AI-assisted runs × (minutes → hours per week)
    point: float  # the saving per run: the reference's median (or baseline) − the AI median
    # Bootstrap replicates of each arm's median; the workflows' samples are independent, so
    # the total's replicate b is the weighted sum of every workflow's replicate b.
    ai_reps: np.ndarray | None = None
    manual_reps: np.ndarray | None = None
    workflow: str = ""


def compute(ctx: MetricContext) -> list[MetricResult]:
    """Outcome results: per-workflow savings, ROI, steps retired and wins.

    Args:
        ctx: metric context.

    Returns:
        One result per spec, in order; not available when the window holds no completed
        runs with minutes.
    """
    missing = ctx.missing(*NEEDS)
    if missing:
        return [not_available(spec, *missing) for spec in SPECS]
    runs = completed_runs(ctx)
    if runs.empty:
        return [
            not_available(spec, "tasks (completed runs with minutes in the window)")
            for spec in SPECS
        ]
    catalogue = _catalogue(ctx)
    coded = CodedRuns.of(runs)
    frame, plans = _frame(ctx, coded, catalogue)
    shown = suppressed_groups(ctx, frame, "workflow", n_col="guard")
    left_out = _left_out(ctx, shown, coded, plans)
    if left_out:
        # Runs and hours add up: a total over every workflow, less the ones shown, gave the
        # hidden workflows' own runs and hours, from fewer than k people's AI-assisted runs.
        # The total then leaves the hidden workflows out, and says so.
        plans = [p for p in plans if p.workflow not in left_out]
        frame = _with_total(ctx, frame, coded, plans, ~_runs_of(coded, left_out))
        shown = suppressed_groups(ctx, frame, "workflow", n_col="guard")
    shown = shown.drop(columns="guard")
    total, why = head(shown, "workflow")
    total_ci = _total_interval(ctx, plans)
    res = MetricResult(OUTCOMES, n=total.get("n"), suppressed=why)
    if left_out:
        res.notes = (
            f"the total leaves out {len(left_out)} hidden workflow"
            f"{'' if len(left_out) == 1 else 's'}: their AI-assisted runs are fewer than "
            f"{ctx.min_group_size} people's",
        )
    if why is None:
        values: dict[str, Any] = {c: total[c] for c in TOTAL_COLUMNS}
        values["workflows_compared"] = len(plans)
        values.update(total_ci.as_dict("hours_per_week"))
        values.update(_scale(total_ci, ctx.settings.hourly_cost).as_dict("value_per_week"))
        res.values.update({c: jsonable(v) for c, v in values.items()})
    res.values["window_days"] = ctx.window_days
    res.values["hourly_cost"] = ctx.settings.hourly_cost
    res.values["workflows"] = group_rows(shown, KEYS, "workflow")
    return [
        res,
        roi(ctx, total_ci, suppressed=why),
        steps_retired(ctx, coded, catalogue, ~_runs_of(coded, left_out)),
        wins(ctx, shown, coded),
    ]


def _left_out(
    ctx: MetricContext, shown: pd.DataFrame, coded: CodedRuns, plans: list[_Saving]
) -> set[str]:
    """The hidden workflows, when the part of a total they make up is fewer than k people's.

    The total's AI-assisted runs add up over every workflow, and its hours over those with a
    saving (`plans`): either part, over hidden workflows whose AI-assisted runs come from 1
    to k-1 people, would be worked out by subtracting the workflows shown. Then every hidden
    workflow is left out (none when the total is itself hidden).
    """
    hidden_rows = shown[SUPPRESSED].astype(bool)
    if hidden_rows[shown.workflow == TOTAL].all():
        return set()
    hidden = {str(w) for w in shown.loc[(shown.workflow != TOTAL) & hidden_rows, "workflow"]}
    saved = {p.workflow for p in plans} & hidden
    for part in (hidden, saved):
        people = coded.distinct(_runs_of(coded, part) & coded.is_ai) if part else 0
        if 0 < people < ctx.min_group_size:
            return hidden
    return set()


def _runs_of(coded: CodedRuns, workflows: set[str]) -> np.ndarray:
    """Which runs belong to the named workflows."""
    return coded.per_run(np.isin(coded.names.astype(str), list(workflows)), False)


def _catalogue(ctx: MetricContext) -> pd.DataFrame:
    cols = ["workflow", "name", "baseline_minutes", "steps_before", "steps_after"]
    if not ctx.has("workflows"):
        return pd.DataFrame(columns=cols)
    wf = ctx.engine.table("workflows")
    return ctx.engine.execute(wf.select(*cols)).drop_duplicates("workflow")


def workflow_frame(
    ctx: MetricContext, runs: pd.DataFrame, catalogue: pd.DataFrame
) -> tuple[pd.DataFrame, list[_Saving]]:
    """Per-workflow minutes, savings with intervals, hours and value per week, plus a total.

    Args:
        ctx: metric context.
        runs: `completed_runs` output.
        catalogue: workflow catalogue rows.

    Returns:
        One row per workflow and a `TOTAL` row (with a `guard` people count for suppression),
        and the saving plans of the workflows that enter the total.
    """
    return _frame(ctx, CodedRuns.of(runs), catalogue)


def _frame(
    ctx: MetricContext, coded: CodedRuns, catalogue: pd.DataFrame
) -> tuple[pd.DataFrame, list[_Saving]]:
    s = ctx.settings
    k = ctx.min_group_size
    weeks = ctx.window_days / 7
    cat = catalogue.set_index("workflow")
    rows: list[dict[str, Any]] = []
    plans: list[_Saving] = []
    people, size, is_ai, minutes = coded.people, coded.size, coded.is_ai, coded.minutes
    for i, wf_key in enumerate(coded.names):
        wf = str(wf_key)
        idx = coded.order[coded.bounds[i] : coded.bounds[i + 1]]
        g_ai, g_people, g_minutes = is_ai[idx], people[idx], minutes[idx]
        ai_x = g_minutes[g_ai]
        man_x = g_minutes[~g_ai]
        people_ai = distinct_people(g_people[g_ai], size)
        people_man = distinct_people(g_people[~g_ai], size)
        people_all = distinct_people(g_people, size)
        # The non-AI arm is shown (and compared) only when it describes at least k people.
        manual_ok = len(man_x) >= s.outcomes_min_runs and people_man >= k
        ai_ok = len(ai_x) >= s.outcomes_min_runs
        baseline = _num(cat, wf, "baseline_minutes")
        # One set of replicates per arm serves the arm's median, the difference and the total.
        rng = np.random.default_rng([s.seed, len(rows)])
        ai_reps = stats.median_replicates(ai_x, s.bootstrap_resamples, rng) if len(ai_x) else None
        man_reps = stats.median_replicates(man_x, s.bootstrap_resamples, rng) if manual_ok else None
        conf = s.confidence_level
        # Each arm's median once: the interval, the difference and the total all use it.
        ai_mid = float(np.median(ai_x)) if len(ai_x) else None
        man_mid = float(np.median(man_x)) if manual_ok else None
        med_ai = _arm_interval(ai_mid, len(ai_x), ai_reps, conf)
        med_man = _arm_interval(man_mid, len(man_x), man_reps, conf)
        vs_manual = (
            stats.percentile_interval(man_mid - ai_mid, man_reps - ai_reps, conf)
            if ai_ok
            and ai_mid is not None
            and man_mid is not None
            and ai_reps is not None
            and man_reps is not None
            else stats.Interval(None, None, None)
        )
        vs_base = (
            _scale(_shift(med_ai, -baseline), -1.0)
            if ai_ok and baseline is not None
            else stats.Interval(None, None, None)
        )
        reference = "manual" if vs_manual.value is not None else None
        saving = vs_manual
        if reference is None and vs_base.value is not None:
            reference, saving = "baseline", vs_base
        per_week = len(ai_x) / 60 / weeks
        hours = _scale(saving, per_week)
        if reference is not None:
            manual_used = reference == "manual"
            plans.append(
                _Saving(
                    ai_x,
                    man_x if manual_used else None,
                    baseline,
                    per_week,
                    float(saving.value or 0.0),
                    ai_reps,
                    man_reps if manual_used else None,
                    wf,
                )
            )
        steps = _steps(cat, wf)
        shown_arms = [people_ai] + ([people_man] if manual_ok else [])
        rows.append(
            {
                "workflow": wf,
                "name": _text(cat, wf, "name"),
                "n": people_all,
                "people_ai": people_ai,
                # The row shows its whole population too, so that counts as a group even
                # when no arm with people is shown (else one person's workflow leaks).
                "guard": min(c for c in [people_all, *shown_arms] if c > 0),
                "ai_runs": len(ai_x),
                "other_runs": len(man_x) if manual_ok else None,
                **med_ai.as_dict("median_ai"),
                **med_man.as_dict("median_other"),
                "baseline_minutes": baseline,
                **vs_manual.as_dict("saving_vs_other"),
                **vs_base.as_dict("saving_vs_baseline"),
                "reference": reference,
                **saving.as_dict("saving_per_run"),
                **hours.as_dict("hours_per_week"),
                **_scale(hours, s.hourly_cost).as_dict("value_per_week"),
                "steps_retired_per_run": steps,
                "steps_retired": None if steps is None else steps * len(ai_x),
            }
        )
    frame = pd.DataFrame(rows)
    every = np.ones(len(people), dtype=bool)
    return _with_total(ctx, frame, coded, plans, every), plans


def _with_total(
    ctx: MetricContext,
    frame: pd.DataFrame,
    coded: CodedRuns,
    plans: list[_Saving],
    runs: np.ndarray,
) -> pd.DataFrame:
    """The workflow rows with a `TOTAL` row over the given runs and saving plans."""
    people, size, is_ai = coded.people, coded.size, coded.is_ai
    total_hours = sum(p.weight * p.point for p in plans) if plans else None
    total = {
        "workflow": TOTAL,
        "n": distinct_people(people[runs], size),
        "people_ai": distinct_people(people[runs & is_ai], size),
        "guard": distinct_people(people[runs], size),
        "ai_runs": int((runs & is_ai).sum()),
        "hours_per_week": total_hours,
        "value_per_week": None if total_hours is None else total_hours * ctx.settings.hourly_cost,
    }
    rows = frame[frame.workflow != TOTAL] if "workflow" in frame else frame
    return pd.concat([rows, pd.DataFrame([total])], ignore_index=True)


def _total_interval(ctx: MetricContext, plans: list[_Saving]) -> stats.Interval:
    """Bootstrap interval of total hours saved per week from the workflows' replicates."""
    if not plans or any(p.ai_reps is None for p in plans):
        return stats.Interval(None, None, None)
    total_reps: np.ndarray | float = 0.0
    for p in plans:
        ref = p.manual_reps if p.manual_reps is not None else float(p.baseline or 0.0)
        total_reps = total_reps + p.weight * (ref - p.ai_reps)  # type: ignore[operator]
    point = sum(p.weight * p.point for p in plans)
    return stats.percentile_interval(
        point, np.asarray(total_reps, dtype=float), ctx.settings.confidence_level
    )


def _arm_interval(
    median: float | None, n: int, reps: np.ndarray | None, confidence: float
) -> stats.Interval:
    if median is None or reps is None or n == 0:
        return stats.Interval(None, None, None)
    if n < 2:
        return stats.Interval(median, None, None)
    return stats.percentile_interval(median, reps, confidence)


def roi(
    ctx: MetricContext, hours: stats.Interval, *, suppressed: SuppressReason | None
) -> MetricResult:
    """Value of hours saved over the window against licence cost prorated to the window.

    Args:
        ctx: metric context.
        hours: total hours saved per week with its interval.
        suppressed: why the outcome total is hidden, if it is (then ROI is hidden too).

    Returns:
        `value_saved`, `license_cost`, `roi` ((value − cost) ÷ cost) with intervals, and
        `seats` counted.
    """
    missing = ctx.missing("licenses", "licenses.monthly_cost")
    if missing:
        return not_available(ROI, *missing)
    lic = all_seats(ctx.engine)
    lic = lic.filter(
        lic.assigned_at < ctx.end_ts,
        lic.removed_at.isnull() | (lic.removed_at > ctx.start_ts),
    )
    seats = ctx.engine.execute(
        lic.select("person_key", "assigned_at", "removed_at", "monthly_cost")
    )
    if hours.value is None:
        note = (
            "no workflow has a measured saving: each needs non-AI runs in the window "
            "or baseline_minutes"
        )
        return not_available(ROI, "workflows.baseline_minutes", note=note)
    if seats.empty:
        return not_available(ROI, "licenses (seats held in the window)")
    people = seats.person_key.nunique()
    if suppressed or people < ctx.min_group_size:
        return MetricResult(ROI, suppressed=suppressed or "small")
    unpriced = int(seats.monthly_cost.isna().sum())
    weeks = ctx.window_days / 7
    value = _scale(hours, weeks * ctx.settings.hourly_cost)
    # The cost of the priced seats alone would understate the cost and flatter the ROI.
    cost = None if unpriced else license_cost(seats, ctx)
    none = stats.Interval(None, None, None)
    ratio = _scale(_shift(value, -cost), 1 / cost) if cost else none
    notes = (
        (f"ROI unknown: no price for {unpriced} of {len(seats)} seats held in the window "
         "(licenses.monthly_cost)",)
        if unpriced else ()
    )  # fmt: skip
    out = {
        "seats": len(seats),
        "unpriced_seats": unpriced,
        "window_days": ctx.window_days,
        "license_cost": cost,
        **value.as_dict("value_saved"),
        **ratio.as_dict("roi"),
    }
    return MetricResult(ROI, {c: jsonable(v) for c, v in out.items()}, n=people, notes=notes)


def license_cost(seats: pd.DataFrame, ctx: MetricContext) -> float:
    """Licence cost of seats prorated to the days each was held within the window.

    Args:
        seats: `assigned_at`, `removed_at`, `monthly_cost` of seats overlapping the window.
        ctx: metric context.

    Returns:
        Cost in currency units (monthly cost × held days ÷ 30.44).
    """
    if seats.empty:
        return 0.0
    start = pd.Timestamp(ctx.start_ts)
    end = pd.Timestamp(ctx.end_ts)
    assigned = pd.to_datetime(seats.assigned_at)
    removed = pd.to_datetime(seats.removed_at).fillna(end)
    held_from = assigned.where(assigned > start, start)
    held_to = removed.where(removed < end, end)
    days = ((held_to - held_from).dt.total_seconds() / 86400).clip(lower=0)
    return float((seats.monthly_cost.astype(float) * days / DAYS_PER_MONTH).sum())


def steps_retired(
    ctx: MetricContext,
    coded: CodedRuns,
    catalogue: pd.DataFrame,
    counted: np.ndarray | None = None,
) -> MetricResult:
    """Workflow steps retired by AI, weighted by AI-assisted runs in the window.

    Args:
        ctx: metric context.
        coded: completed runs in the window.
        catalogue: workflow catalogue rows (one per workflow).
        counted: the runs the total may count (the outcomes total's; None: every run).

    Returns:
        Total steps retired, per AI-assisted run, `n` people.
    """
    missing = ctx.missing("workflows.steps_before", "workflows.steps_after")
    if missing:
        return not_available(STEPS_RETIRED, *missing)
    cat = catalogue.dropna(subset=["steps_before", "steps_after"])
    retired = cat.steps_before.astype(float) - cat.steps_after.astype(float)
    per_workflow = pd.Series(retired.to_numpy(), index=cat.workflow).reindex(coded.names)
    per_run = coded.per_run(per_workflow.to_numpy(float), np.nan)
    ai = coded.is_ai & ~np.isnan(per_run)
    if counted is not None:
        ai &= counted
    frame = pd.DataFrame(
        [
            {
                "scope": TOTAL,
                "n": coded.distinct(ai),
                "ai_runs": int(ai.sum()),
                "steps_retired": float(per_run[ai].sum()),
                "per_ai_run": float(per_run[ai].mean()) if ai.any() else None,
            }
        ]
    )
    return result(
        STEPS_RETIRED,
        ctx,
        suppressed_groups(ctx, frame, "scope"),
        "scope",
        empty="tasks (AI-assisted runs of workflows with steps in the window)",
        by_segment=False,
        window_days=ctx.window_days,
    )


def wins(ctx: MetricContext, shown: pd.DataFrame, coded: CodedRuns) -> MetricResult:
    """Workflows where AI already delivers a measured saving, for at least k people.

    Args:
        ctx: metric context.
        shown: the suppressed workflow frame.
        coded: completed runs in the window.

    Returns:
        `n` distinct people behind the wins and one row per win.
    """
    cells = shown[(shown.workflow != TOTAL) & ~shown[SUPPRESSED].astype(bool)]
    low = pd.to_numeric(cells.saving_per_run_low, errors="coerce")
    people = pd.to_numeric(cells.people_ai, errors="coerce")
    won = cells[(low > 0) & (people >= ctx.min_group_size)]
    cols = [
        "workflow",
        "name",
        "people_ai",
        "ai_runs",
        "reference",
        "saving_per_run",
        "saving_per_run_low",
        "saving_per_run_high",
        "hours_per_week",
        "value_per_week",
    ]
    rows = public_rows(won[[*cols, SUPPRESSED]], KEYS)
    won_runs = coded.per_run(np.isin(coded.names, won.workflow.to_numpy()), False)
    behind = coded.distinct(coded.is_ai & won_runs)
    return MetricResult(WINS, {"workflows": rows}, n=behind)


# -- small helpers ---------------------------------------------------------------------------


def _num(cat: pd.DataFrame, wf: str, col: str) -> float | None:
    if wf not in cat.index:
        return None
    v: Any = cat.at[wf, col]
    return None if pd.isna(v) else float(v)


def _text(cat: pd.DataFrame, wf: str, col: str) -> str | None:
    if wf not in cat.index:
        return None
    v: Any = cat.at[wf, col]
    return None if pd.isna(v) else str(v)


def _steps(cat: pd.DataFrame, wf: str) -> float | None:
    before, after = _num(cat, wf, "steps_before"), _num(cat, wf, "steps_after")
    return None if before is None or after is None else before - after


def _scale(iv: stats.Interval, factor: float) -> stats.Interval:
    def m(v: float | None) -> float | None:
        return None if v is None else v * factor

    lo, hi = m(iv.low), m(iv.high)
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    return stats.Interval(m(iv.value), lo, hi)


def _shift(iv: stats.Interval, by: float | None) -> stats.Interval:
    if by is None:
        return stats.Interval(None, None, None)

    def a(v: float | None) -> float | None:
        return None if v is None else v + by

    return stats.Interval(a(iv.value), a(iv.low), a(iv.high))
