"""Depth of use and task completion on AI-assisted high-stakes workflows (DESIGN §6.2).

An *eligible* run is a task whose workflow has `stakes = high` and whose `roles` include the
person's role (a workflow naming no roles is open to every role). Over the runs started in
the current window by people licensed on `as_of`:

* `depth` = eligible runs completed with `ai_assisted = true` ÷ eligible runs;
* `completion_share` (the §6.2 formula) = completed AI-assisted eligible runs ÷ all completed
  eligible runs;
* `ai_completion_rate` = completed AI-assisted eligible runs ÷ AI-assisted eligible runs
  (how often an AI-assisted run is finished rather than abandoned).

`n` counts the people with at least one eligible run. `weekly_depth` gives depth per complete
week from the segment-week facts.
"""

from __future__ import annotations

from typing import Any

import ibis
import pandas as pd

from uptake.metrics.context import MetricContext, not_available
from uptake.metrics.facts import PERSON_DAY
from uptake.metrics.population import entry, grouped, licensed_on, ratio, weekly_entry

RUN_COLS = ("elig", "ai_elig", "ai_elig_done", "elig_done")


def compute(ctx: MetricContext) -> dict[str, dict[str, Any]]:
    """Depth entries: `depth_of_use` (window) and `weekly_depth`.

    Args:
        ctx: metric context (facts refreshed).

    Returns:
        Two named entries.
    """
    missing = ctx.missing("licenses", "tasks", "workflows.stakes")
    if missing:
        need = not_available(*missing)
        return {"depth_of_use": need, "weekly_depth": need}
    return {"depth_of_use": depth_of_use(ctx), "weekly_depth": weekly_depth(ctx)}


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


def depth_of_use(ctx: MetricContext) -> dict[str, Any]:
    """Depth and completion over the window, overall and per segment.

    Args:
        ctx: metric context.

    Returns:
        Entry with n (people with eligible runs), run counts and the three ratios.
    """

    def aggs(t: ibis.Table) -> dict[str, ibis.Value]:
        return {"n": t.count(), **{c: t[c].sum() for c in RUN_COLS}}

    frame = grouped(ctx, window_runs(ctx), aggs, derive=_derive)
    return entry(
        frame,
        ctx,
        window={"start": ctx.window_start.isoformat(), "end": ctx.as_of.isoformat()},
        definition=(
            "depth = completed AI-assisted eligible high-stakes runs ÷ eligible runs; "
            "completion_share = completed AI-assisted ÷ completed eligible runs; "
            "ai_completion_rate = completed ÷ all AI-assisted eligible runs"
        ),
    )


def weekly_depth(ctx: MetricContext) -> dict[str, Any]:
    """Depth per complete week (segment-week facts), overall and per segment.

    Args:
        ctx: metric context.

    Returns:
        Entry with the latest week's values and `weeks` rows; n = people with eligible runs.
    """
    return weekly_entry(ctx, "elig_people", list(RUN_COLS), _derive, ["depth"])
