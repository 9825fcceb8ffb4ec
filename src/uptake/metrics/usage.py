"""Usage rate (DESIGN §6.1): licensed people with at least one event, in the window and weekly.

`usage_rate`: people holding a licence on `as_of` with ≥ 1 event in the current window
(the `window_days` days ending at `as_of`) ÷ those licensed people. `weekly_active_rate`:
per complete reporting week ending on or before `as_of` (the last `trend_weeks`), people
licensed at the week's end with ≥ 1 event in the week ÷ those licensed people, read from
`fact_segment_week`. Both are segmented by any §6.1 dimension with `--by`.
"""

from __future__ import annotations

from typing import Any

import ibis
import pandas as pd

from uptake.metrics.context import MetricContext, not_available
from uptake.metrics.facts import PERSON_DAY
from uptake.metrics.population import entry, grouped, licensed_on, ratio, weekly_entry


def compute(ctx: MetricContext) -> dict[str, dict[str, Any]]:
    """Usage entries: `usage_rate` (window) and `weekly_active_rate`.

    Args:
        ctx: metric context (facts refreshed).

    Returns:
        Two named entries.
    """
    missing = ctx.missing("licenses", "events")
    if missing:
        need = not_available(*missing)
        return {"usage_rate": need, "weekly_active_rate": need}
    return {"usage_rate": usage_rate(ctx), "weekly_active_rate": weekly_active_rate(ctx)}


def window_activity(ctx: MetricContext) -> ibis.Table:
    """Per licensed person on `as_of`: events, actions and meaningful events in the window.

    Args:
        ctx: metric context.

    Returns:
        Table (person_key, events, actions, meaningful), zeros for inactive people.
    """
    days = ctx.engine.table(PERSON_DAY)
    days = days.filter((days.day >= ctx.window_start) & (days.day <= ctx.as_of))
    act = days.group_by("person_key").aggregate(
        w_events=days.events.sum(), w_actions=days.actions.sum(), w_meaningful=days.meaningful.sum()
    )
    base = licensed_on(ctx.engine, ctx.as_of)
    j = base.left_join(act, base.person_key == act.person_key)
    return j.select(
        base.person_key,
        events=j.w_events.fill_null(0),
        actions=j.w_actions.fill_null(0),
        meaningful=j.w_meaningful.fill_null(0),
    )


def usage_rate(ctx: MetricContext) -> dict[str, Any]:
    """Window usage rate, overall and per segment.

    Args:
        ctx: metric context.

    Returns:
        Entry with n (licensed people), active, rate and the window.
    """
    one = ibis.literal(1, type="int64")
    zero = ibis.literal(0, type="int64")

    def aggs(t: ibis.Table) -> dict[str, ibis.Value]:
        return {"n": t.count(), "active": (t.events > 0).ifelse(one, zero).sum()}

    def derive(f: pd.DataFrame) -> pd.DataFrame:
        return f.assign(rate=ratio(f["active"], f["n"]))

    frame = grouped(ctx, window_activity(ctx), aggs, derive=derive)
    return entry(
        frame,
        ctx,
        window={"start": ctx.window_start.isoformat(), "end": ctx.as_of.isoformat()},
        definition="licensed people with ≥1 event in the window ÷ licensed people",
    )


def weekly_active_rate(ctx: MetricContext) -> dict[str, Any]:
    """Weekly active rate over the last complete weeks, overall and per segment.

    Args:
        ctx: metric context.

    Returns:
        Entry with the latest week's n, active and rate, and `weeks` rows.
    """

    def derive(f: pd.DataFrame) -> pd.DataFrame:
        return f.assign(rate=ratio(f["active"], f["n"]))

    return weekly_entry(ctx, "licensed", ["active"], derive, ["active", "rate"])
