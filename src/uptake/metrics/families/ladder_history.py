"""Ladder history: each licensed person's level at the end of every reporting week.

Evaluates the ladder's rules from the weekly facts, with the window as `window_days // 7`
weeks; at a week's last day it agrees with the day-based evaluation (tested). Transitions and
time to proficiency read it.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis

from uptake.metrics.context import MetricContext, empty_table, small_table, week_expr
from uptake.metrics.facts import PERSON_WEEK, licensed_weeks
from uptake.metrics.families.ladder import READS, WINDOW_SUMS, Judged, level_expr
from uptake.metrics.segments import DIM_PERSON


def history(ctx: MetricContext, weeks: list[date], rules: str) -> ibis.Table:
    """Each licensed person's level at the end of each given week (week-based rules).

    Args:
        ctx: metric context.
        weeks: week start dates, oldest first (levels at each week's last day).
        rules: `tasks` or `activity_proxy`.

    Returns:
        Table (person_key, week, level) for people licensed at the week's end.
    """
    s = ctx.settings
    first_week = weeks[0] - timedelta(days=7 * max(s.window_days // 7, s.ladder_recent_weeks))
    cal_weeks = _week_range(first_week, weeks[-1])
    cal = small_table({"week": cal_weeks}, {"week": "date"})
    dim = ctx.engine.table(DIM_PERSON)
    dim = dim.filter(dim.first_assigned.notnull()).select("person_key")
    # The rules ask only whether someone has given feedback by a week's end, as the day-based
    # rules do (any day up to the date, licensed or not): the first week they did answers it
    # without a running total over every person-week.
    pre = ctx.engine.table(PERSON_WEEK)
    gave = pre.filter((pre.feedback_given + pre.feedback_events) > 0)
    first_fb = gave.group_by(f_key=gave.person_key).aggregate(first_fb=gave.week.min())
    # Every week of everyone ever licensed, the weeks before their licence too: the day rules
    # count all work in the window, licensed or not (only the level's weeks need a licence).
    grid = dim.cross_join(cal)
    pw = ctx.engine.table(PERSON_WEEK).filter(lambda w: w.week >= first_week)
    reads = READS[rules]
    cols = tuple(c for c in WINDOW_SUMS if c in reads)
    pw = pw.select(
        *cols,
        w_key=pw.person_key,
        w_week=pw.week,
        events=pw.events,
        a_days=pw.action_days,
    )
    one = ibis.literal(1, type="int64")
    zero = ibis.literal(0, type="int64")
    g = grid.left_join(pw, (grid.person_key == pw.w_key) & (grid.week == pw.w_week))
    g = g.left_join(first_fb, g.person_key == first_fb.f_key)
    g = g.select(
        "person_key",
        "week",
        feedback=(g.first_fb.notnull() & (g.first_fb <= g.week)).ifelse(one, zero),
        **{c: g[c].fill_null(0) for c in (*cols, "events", "a_days")},
    )
    over_recent = {
        "active_weeks": (g.events > 0).ifelse(one, zero),
        "action_days": g.a_days,
        "action_weeks": (g.a_days > 0).ifelse(one, zero),
    }
    span = max(s.window_days // 7, 1)
    r = g.select(
        "person_key",
        "week",
        **{c: _trailing(g[c], span) for c in cols},
        **{c: _trailing(v, s.ladder_recent_weeks) for c, v in over_recent.items() if c in reads},
        feedback=g.feedback,
    )
    helped, cases = _weekly_advocacy(ctx, cal_weeks)
    r = r.left_join(helped, (r.person_key == helped.h_key) & (r.week == helped.h_week))
    r = r.left_join(cases, (r.person_key == cases.u_key) & (r.week == cases.u_week))
    r = r.select(
        "person_key",
        "week",
        *[c for c in reads if c not in ("helped", "use_cases")],
        helped=r.helped.fill_null(0),
        use_cases=r.use_cases.fill_null(0),
    )
    r = r.filter(r.week.isin(weeks))
    lic = licensed_weeks(ctx.engine, weeks).rename(l_key="person_key", l_week="week")
    r = r.semi_join(lic, (r.person_key == lic.l_key) & (r.week == lic.l_week))
    return r.select("person_key", "week", level=level_expr(r, s, rules, Judged.of(ctx)))


# Up to this many weeks, a trailing sum is the week's value plus its lagged values rather
# than a framed window sum: DuckDB's framed sums over many small partitions (a person's weeks)
# cost more than a few lags sharing one sort (the ladder's history at 10,000 people: its
# window operator 0.12 → 0.08 s of CPU). Longer spans keep the frame (a lag per week).
_LAGGED_WEEKS = 4


def _trailing(value: ibis.Value, weeks: int) -> ibis.Value:
    """The sum of a value over a person's last `weeks` grid rows, this one included.

    The grid holds one row per person and week with no gaps, so rows are weeks.
    """
    if weeks > _LAGGED_WEEKS:
        frame = ibis.window(
            group_by="person_key", order_by="week", preceding=weeks - 1, following=0
        )
        return value.sum().over(frame)
    order = ibis.window(group_by="person_key", order_by="week")
    out = value
    for back in range(1, weeks):
        out = out + value.lag(back, default=0).over(order)
    return out


def _week_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=7 * i) for i in range((last - first).days // 7 + 1)]


def _weekly_advocacy(ctx: MetricContext, weeks: list[date]) -> tuple[ibis.Table, ibis.Table]:
    """Per person and week end: distinct colleagues helped / use cases in the last weeks."""
    span = ctx.settings.advocate_weeks
    # Which source weeks count towards each target week, built here rather than with
    # interval arithmetic so every backend runs the same plain join.
    pairs = [(w - timedelta(days=7 * k), w) for w in weeks for k in range(span)]
    cover = small_table(
        {"src": [a for a, _ in pairs], "dst": [b for _, b in pairs]}, {"src": "date", "dst": "date"}
    )
    if ctx.has("help_edges"):
        h = ctx.engine.table("help_edges")
        h = h.filter(h.asker_key != h.helper_key)
        h = h.select(hk=h.helper_key, ak=h.asker_key, hw=week_expr(h.ts, ctx.week_offset))
        h = h.distinct()
        h = h.inner_join(cover, h.hw == cover.src)
        helped = h.group_by(h_key=h.hk, h_week=h.dst).aggregate(helped=h.ak.nunique())
    else:
        helped = empty_table({"h_key": "string", "h_week": "date", "helped": "int64"})
    if ctx.has("feedback"):
        f = ctx.engine.table("feedback")
        f = f.filter(
            f.person_key.notnull() & f.category.isin(list(ctx.settings.use_case_categories))
        )
        f = f.select(uk=f.person_key, fw=week_expr(f.ts, ctx.week_offset))
        f = f.inner_join(cover, f.fw == cover.src)
        cases = f.group_by(u_key=f.uk, u_week=f.dst).aggregate(use_cases=f.count())
    else:
        cases = empty_table({"u_key": "string", "u_week": "date", "use_cases": "int64"})
    return helped, cases
