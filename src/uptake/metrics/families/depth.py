"""Depth of use and task completion on AI-assisted high-stakes workflows.

An *eligible* run is a task whose workflow has `stakes = high` and whose `roles` include the
person's role (a workflow naming no roles is open to every role). Over the runs started in
the current window by people licensed on `as_of`:

* `depth` = eligible runs completed with `ai_assisted = true` ÷ eligible runs;
* `completion_share` = completed AI-assisted eligible runs ÷ all completed
  eligible runs;
* `ai_completion_rate` = completed AI-assisted eligible runs ÷ AI-assisted eligible runs
  (how often an AI-assisted run is finished rather than abandoned).

`n` counts the people with at least one eligible run; a window without eligible runs is
not available rather than a zero. `weekly_depth` gives depth per complete week from the
segment-week facts.
"""

from __future__ import annotations

import ibis
import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.metrics.facts import PERSON_DAY
from uptake.metrics.groups import grouped, licensed_on, ratio, result, weekly_result
from uptake.metrics.result import MetricResult, MetricSpec, not_available

RUN_COLS = ("elig", "ai_elig", "ai_elig_done", "elig_done")
FAMILY = "depth"
NEEDS = ("licenses", "tasks", "workflows.stakes")
SPECS: tuple[MetricSpec, ...] = (
    MetricSpec(
        name="depth_of_use",
        family=FAMILY,
        label="eligible high-stakes runs completed with AI",
        unit="share",
        headline="depth",
        needs=NEEDS,
        definition=(
            "depth = completed AI-assisted eligible high-stakes runs ÷ eligible runs; "
            "completion_share = completed AI-assisted ÷ completed eligible runs; "
            "ai_completion_rate = completed ÷ all AI-assisted eligible runs"
        ),
    ),
    MetricSpec(
        name="weekly_depth",
        family=FAMILY,
        label="eligible high-stakes runs completed with AI, latest complete week",
        unit="share",
        headline="depth",
        needs=NEEDS,
        definition=(
            "per complete week: completed AI-assisted eligible high-stakes runs ÷ eligible runs"
        ),
    ),
)
DEPTH_OF_USE, WEEKLY_DEPTH = SPECS


def compute(ctx: MetricContext) -> list[MetricResult]:
    """Depth results: `depth_of_use` (window) and `weekly_depth`.

    Args:
        ctx: metric context (facts refreshed).

    Returns:
        One result per spec, in order.
    """
    missing = ctx.missing(*NEEDS)
    if missing:
        return [not_available(spec, *missing) for spec in SPECS]
    return [depth_of_use(ctx), weekly_depth(ctx)]


def window_runs(ctx: MetricContext) -> ibis.Table:
    """Per licensed person with eligible runs in the window: the run counts.

    Args:
        ctx: metric context.

    Returns:
        Table (person_key, elig, ai_elig, ai_elig_done, elig_done) with elig > 0.
    """
    days = ctx.engine.table(PERSON_DAY)
    days = days.filter((days.day >= ctx.window_start) & (days.day <= ctx.as_of) & (days.elig > 0))
    runs = days.group_by("person_key").aggregate(**{c: days[c].sum() for c in RUN_COLS})
    base = licensed_on(ctx.engine, ctx.as_of)
    return runs.semi_join(base, runs.person_key == base.person_key)


def _derive(f: pd.DataFrame) -> pd.DataFrame:
    return f.assign(
        depth=ratio(f["ai_elig_done"], f["elig"]),
        completion_share=ratio(f["ai_elig_done"], f["elig_done"]),
        ai_completion_rate=ratio(f["ai_elig_done"], f["ai_elig"]),
    )


def depth_of_use(ctx: MetricContext) -> MetricResult:
    """Depth and completion over the window, overall and per segment.

    Args:
        ctx: metric context.

    Returns:
        n (people with eligible runs), run counts and the three ratios.
    """

    def aggs(t: ibis.Table) -> dict[str, ibis.Value]:
        return {"n": t.count(), **{c: t[c].sum() for c in RUN_COLS}}

    # Run counts are sums over many runs per person, not people: only `n` carries noise.
    frame = grouped(ctx, window_runs(ctx), aggs, derive=_derive, question=DEPTH_OF_USE.name)
    return result(
        DEPTH_OF_USE,
        ctx,
        frame,
        empty="tasks (eligible high-stakes runs in the window)",
        window={"start": ctx.window_start.isoformat(), "end": ctx.as_of.isoformat()},
    )


def weekly_depth(ctx: MetricContext) -> MetricResult:
    """Depth per complete week (segment-week facts), overall and per segment.

    Args:
        ctx: metric context.

    Returns:
        The latest week's values and `weeks` rows; n = people with eligible runs.
    """
    return weekly_result(
        WEEKLY_DEPTH,
        ctx,
        "elig_people",
        list(RUN_COLS),
        _derive,
        ["depth"],
        ("elig", "tasks (eligible high-stakes runs in the recent complete weeks)"),
    )
