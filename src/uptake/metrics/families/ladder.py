"""Adoption quality ladder L1–L5: per person, per segment, week over week.

For each person licensed on the date, over the current window (`window_days` ending at the
date) and the recent weeks (`ladder_recent_weeks` 7-day blocks ending at the date):

* L1 Aware — no AI-assisted workflow run in the window;
* L2 Trial — some AI-assisted runs, but < `ladder_trial_share` of their eligible high-stakes
  runs (or only low-stakes / no eligible runs);
* L3 Active — ≥ `ladder_trial_share` of eligible high-stakes runs AI-assisted and completed
  (the person's depth of use: an abandoned AI-assisted run is a trial, not adoption);
* L4 Integrated — ≥ `ladder_integrated_share`, active (≥ 1 event) in ≥ `ladder_active_weeks`
  of the recent weeks, override rate inside [`override_band_low`, `override_band_high`]
  (people with no decisions pass: nothing to judge), and has given feedback at least once;
* L5 Advocate — L4 and helped ≥ `advocate_helped` distinct colleagues in the last
  `advocate_weeks` weeks, or contributed a use case (feedback in `use_case_categories`) then.

Without tasks (or without workflow stakes) the ladder uses documented activity proxies and
says so (basis `proxy: activity`): L1 no action in the window; L2 some actions; L3 a
meaningful event (accept, task_complete) in ≥ `proxy_active_weeks` of the recent weeks; L4
in ≥ `proxy_integrated_weeks` of them plus the L4 activity, override and feedback rules; L5
as above.

History (for transitions and time to proficiency) evaluates the same rules at the end of
every reporting week from weekly facts, with the window as `window_days // 7` weeks; at a
week's last day it agrees with the day-based evaluation (tested). Microsoft's usage segments,
read beside the ladder, are their own family (`usage_segments`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import ibis
import pandas as pd

from uptake.config import MetricsSettings
from uptake.errors import NotAvailableError
from uptake.metrics.context import MetricContext, empty_table, week_expr
from uptake.metrics.facts import PERSON_DAY, PERSON_WEEK
from uptake.metrics.groups import (
    any_activity,
    complete_weeks,
    grouped,
    head,
    licensed_on,
    ratio,
    result,
)
from uptake.metrics.privacy import SUPPRESSED, TOTAL, public_rows, suppress
from uptake.metrics.result import MetricResult, MetricSpec, not_available
from uptake.metrics.segments import DIM_PERSON

LEVELS = ("L1", "L2", "L3", "L4", "L5")
TASKS = "tasks"
PROXY = "activity_proxy"
# What each set of rules rests on, as a result's basis.
BASIS = {TASKS: "measured: tasks", PROXY: "proxy: activity"}
FAMILY = "ladder"
# Tasks with workflow stakes give the measured rules; events alone give the proxy rules.
NEEDS = ("licenses", "events", "tasks", "workflows.stakes")
SPECS: tuple[MetricSpec, ...] = (
    MetricSpec(
        name="adoption_ladder",
        family=FAMILY,
        label="licensed people at L3 or above on the adoption ladder",
        unit="share",
        headline="l3_plus_share",
        needs=NEEDS,
        definition=(
            "each licensed person's level L1 (aware) to L5 (advocate) from AI-assisted "
            "high-stakes work, regular activity, overrides, feedback and helping colleagues"
        ),
    ),
    MetricSpec(
        name="ladder_transitions",
        family=FAMILY,
        label="people who moved up a ladder level last week",
        unit="people",
        headline="up",
        needs=NEEDS,
        definition=(
            "people licensed at the end of both of the last two complete weeks, counted by "
            "their level in the first and in the second"
        ),
    ),
)
ADOPTION_LADDER, LADDER_TRANSITIONS = SPECS
_INPUTS = (
    "elig",
    "ai_elig_done",
    "ai_runs",
    "actions",
    "decisions",
    "overrides",
    "active_weeks",
    "meaningful_weeks",
    "feedback",
    "helped",
    "use_cases",
)


# Inputs summed over the window.
_WINDOW_SUMS = ("elig", "ai_elig_done", "ai_runs", "actions", "decisions", "overrides")


def basis(ctx: MetricContext) -> str | None:
    """Which ladder rules apply: `tasks`, `activity_proxy` (no tasks), or None (no data)."""
    if not ctx.missing("tasks", "workflows.stakes"):
        return TASKS
    if ctx.has("events"):
        return PROXY
    return None


def compute(ctx: MetricContext) -> list[MetricResult]:
    """Ladder results: the distribution on `as_of` and last week's transitions.

    Args:
        ctx: metric context (facts refreshed).

    Returns:
        One result per spec, in order.
    """
    b = basis(ctx)
    if ctx.missing("licenses") or b is None:
        needs = ctx.missing("licenses") or ["tasks", "events"]
        return [not_available(spec, *needs) for spec in SPECS]
    if not any_activity(ctx, ctx.window_start):
        # Everyone at L1 only because nothing arrived for the window: no data, not a zero.
        return [not_available(spec, "events (activity in the window)") for spec in SPECS]
    return [distribution(ctx, b), transitions(ctx, b)]


# -- the rules -------------------------------------------------------------------------------


def level_expr(t: ibis.Table, s: MetricsSettings, rules: str) -> ibis.Value:
    """Ladder level (1–5) from a table holding the `_INPUTS` columns.

    Args:
        t: per-person (or per-person-week) inputs.
        s: settings (thresholds).
        rules: `tasks` or `activity_proxy`.

    Returns:
        An int8 expression.
    """
    rate = t.overrides.cast("float64") / t.decisions.cast("float64")
    band_ok = (t.decisions == 0) | ((rate >= s.override_band_low) & (rate <= s.override_band_high))
    fed_back = t.feedback > 0
    advocate = (t.helped >= s.advocate_helped) | (t.use_cases > 0)
    active = t.active_weeks >= s.ladder_active_weeks
    if rules == TASKS:
        share = t.ai_elig_done.cast("float64") / t.elig.cast("float64")
        l3 = (t.elig > 0) & (share >= s.ladder_trial_share)
        l4 = l3 & (share >= s.ladder_integrated_share) & active & band_ok & fed_back
        l1 = t.ai_runs == 0
    else:
        l3 = t.meaningful_weeks >= s.proxy_active_weeks
        l4 = (t.meaningful_weeks >= s.proxy_integrated_weeks) & active & band_ok & fed_back
        l1 = t.actions == 0
    return ibis.cases((l4 & advocate, 5), (l4, 4), (l3, 3), (l1, 1), else_=2).cast("int8")


def _advocacy(ctx: MetricContext, lo: date, end: date) -> tuple[ibis.Table, ibis.Table]:
    """Distinct colleagues helped and use cases contributed in [lo, end)."""
    lo_ts = ibis.literal(datetime.combine(lo, time()))
    end_ts = ibis.literal(datetime.combine(end, time()))
    if ctx.has("help_edges"):
        h = ctx.engine.table("help_edges")
        h = h.filter((h.ts >= lo_ts) & (h.ts < end_ts) & (h.asker_key != h.helper_key))
        helped = h.group_by(h_key=h.helper_key).aggregate(helped=h.asker_key.nunique())
    else:
        helped = _empty({"h_key": "string", "helped": "int64"})
    if ctx.has("feedback"):
        f = ctx.engine.table("feedback")
        f = f.filter(
            (f.ts >= lo_ts)
            & (f.ts < end_ts)
            & f.person_key.notnull()
            & f.category.isin(list(ctx.settings.use_case_categories))
        )
        cases = f.group_by(u_key=f.person_key).aggregate(use_cases=f.count())
    else:
        cases = _empty({"u_key": "string", "use_cases": "int64"})
    return helped, cases


def _empty(schema: dict[str, str]) -> ibis.Table:
    return empty_table(schema)


def person_inputs(ctx: MetricContext, at: date) -> ibis.Table:
    """Per person licensed on `at`: the `_INPUTS` of the ladder rules (day-based).

    Args:
        ctx: metric context.
        at: the evaluation date (inclusive).

    Returns:
        Table (person_key, *_INPUTS).
    """
    s = ctx.settings
    win_lo = at - timedelta(days=s.window_days - 1)
    recent_lo = at - timedelta(days=7 * s.ladder_recent_weeks - 1)
    days = ctx.engine.table(PERSON_DAY)
    d = days.filter((days.day >= min(win_lo, recent_lo)) & (days.day <= at))
    block = ibis.literal(at, type="date").delta(d.day, unit="day") // 7
    in_win = d.day >= win_lo
    in_recent = d.day >= recent_lo
    zero = ibis.literal(0, type="int64")
    none = ibis.null("int64")

    def win(col: str) -> ibis.Value:
        return in_win.ifelse(d[col], zero).sum()

    act = d.group_by(a_key=d.person_key).aggregate(
        **{c: win(c) for c in _WINDOW_SUMS},
        active_weeks=(in_recent & (d.events > 0)).ifelse(block, none).nunique(),
        meaningful_weeks=(in_recent & (d.meaningful > 0)).ifelse(block, none).nunique(),
    )
    ever = days.filter(days.day <= at)
    fb = ever.group_by(f_key=ever.person_key).aggregate(
        feedback=(ever.feedback_given + ever.feedback_events).sum()
    )
    adv_lo = at - timedelta(days=7 * s.advocate_weeks - 1)
    helped, cases = _advocacy(ctx, adv_lo, at + timedelta(days=1))
    base = licensed_on(ctx.engine, at)
    j = base.left_join(act, base.person_key == act.a_key).drop("a_key")
    j = j.left_join(fb, j.person_key == fb.f_key).drop("f_key")
    j = j.left_join(helped, j.person_key == helped.h_key).drop("h_key")
    j = j.left_join(cases, j.person_key == cases.u_key).drop("u_key")
    return j.select("person_key", **{c: j[c].fill_null(0).cast("int64") for c in _INPUTS})


def person_levels(ctx: MetricContext, at: date | None = None) -> pd.DataFrame:
    """Each licensed person's level on a date (individual data: not for group surfaces).

    Args:
        ctx: metric context.
        at: evaluation date (default `ctx.as_of`).

    Returns:
        Frame (person_key, level 1–5, basis, and the rule inputs).
    """
    rules = basis(ctx)
    if rules is None or ctx.missing("licenses"):
        needs = ctx.missing("licenses") or ["tasks", "events"]
        raise NotAvailableError("the ladder needs licences and activity", needs=needs)
    t = person_inputs(ctx, at or ctx.as_of)
    df = ctx.engine.execute(t.mutate(level=level_expr(t, ctx.settings, rules)))
    return df.assign(basis=rules)


# -- outputs ---------------------------------------------------------------------------------


def _level_counts(t: ibis.Table) -> dict[str, ibis.Value]:
    one = ibis.literal(1, type="int64")
    zero = ibis.literal(0, type="int64")
    out: dict[str, ibis.Value] = {"n": t.count()}
    for i, name in enumerate(LEVELS, start=1):
        out[name] = (t.level == i).ifelse(one, zero).sum()
    return out


def _shares(f: pd.DataFrame) -> pd.DataFrame:
    return f.assign(l3_plus_share=ratio(f["L3"] + f["L4"] + f["L5"], f["n"]))


def distribution(ctx: MetricContext, rules: str) -> MetricResult:
    """Ladder distribution on `as_of`, overall and per segment.

    Args:
        ctx: metric context.
        rules: `tasks` or `activity_proxy`.

    Returns:
        n, people per level, the L3+ share and the rules applied (basis: tasks or proxy).
    """
    t = person_inputs(ctx, ctx.as_of)
    t = t.mutate(level=level_expr(t, ctx.settings, rules))
    frame = grouped(
        ctx, t, _level_counts, derive=_shares, people=LEVELS, question=ADOPTION_LADDER.name
    )
    return result(
        ADOPTION_LADDER,
        ctx,
        frame,
        empty="licenses (held on as_of)",
        basis=BASIS[rules],
        rules=_rules_text(ctx.settings, rules),
    )


def _rules_text(s: MetricsSettings, rules: str) -> str:
    if rules == TASKS:
        return (
            f"L1 no AI-assisted run in {s.window_days} days; L2 some; L3 ≥ "
            f"{s.ladder_trial_share:.0%} of eligible high-stakes runs AI-assisted; L4 ≥ "
            f"{s.ladder_integrated_share:.0%}, active {s.ladder_active_weeks} of "
            f"{s.ladder_recent_weeks} weeks, override rate in [{s.override_band_low}, "
            f"{s.override_band_high}], feedback given; L5 L4 and helped ≥ "
            f"{s.advocate_helped} colleagues or a use case in {s.advocate_weeks} weeks"
        )
    return (
        f"activity proxies (no task data): L1 no action in {s.window_days} days; L2 some "
        f"actions; L3 a meaningful event in ≥ {s.proxy_active_weeks} of the last "
        f"{s.ladder_recent_weeks} weeks; L4 in ≥ {s.proxy_integrated_weeks}, active "
        f"{s.ladder_active_weeks} weeks, override rate in band, feedback given; L5 L4 and "
        f"helped ≥ {s.advocate_helped} colleagues or a use case in {s.advocate_weeks} weeks"
    )


def history(ctx: MetricContext, weeks: list[date], rules: str) -> ibis.Table:
    """Each licensed person's level at the end of each given week (week-based rules).

    Args:
        ctx: metric context.
        weeks: week start dates, oldest first (levels at each week's last day).
        rules: `tasks` or `activity_proxy`.

    Returns:
        Table (person_key, week, level) for people licensed at the week's end.
    """
    from uptake.metrics.facts import licensed_weeks

    s = ctx.settings
    first_week = weeks[0] - timedelta(days=7 * max(s.window_days // 7, s.ladder_recent_weeks))
    cal_weeks = _week_range(first_week, weeks[-1])
    cal = ibis.memtable(
        pd.DataFrame(
            {
                "week": cal_weeks,
                "week_end": [datetime.combine(w + timedelta(days=7), time()) for w in cal_weeks],
            }
        ),
        schema=ibis.schema({"week": "date", "week_end": "timestamp"}),
    )
    dim = ctx.engine.table(DIM_PERSON)
    dim = dim.filter(dim.first_assigned.notnull()).select("person_key", "first_assigned")
    pre = ctx.engine.table(PERSON_WEEK)
    before = pre.filter(pre.week < first_week)
    fb0 = before.group_by(f0_key=before.person_key).aggregate(
        fb0=(before.feedback_given + before.feedback_events).sum()
    )
    grid = dim.cross_join(cal).filter(lambda g: g.first_assigned < g.week_end)
    pw = ctx.engine.table(PERSON_WEEK).filter(lambda w: w.week >= first_week)
    cols = _WINDOW_SUMS
    pw = pw.select(
        *cols,
        w_key=pw.person_key,
        w_week=pw.week,
        events=pw.events,
        meaningful=pw.meaningful,
        fb=pw.feedback_given + pw.feedback_events,
    )
    g = grid.left_join(pw, (grid.person_key == pw.w_key) & (grid.week == pw.w_week))
    g = g.left_join(fb0, g.person_key == fb0.f0_key)
    g = g.select(
        "person_key",
        "week",
        fb0=g.fb0.fill_null(0),
        **{c: g[c].fill_null(0) for c in (*cols, "events", "meaningful", "fb")},
    )
    one = ibis.literal(1, type="int64")
    zero = ibis.literal(0, type="int64")
    win = ibis.window(
        group_by="person_key",
        order_by="week",
        preceding=max(s.window_days // 7, 1) - 1,
        following=0,
    )
    recent = ibis.window(
        group_by="person_key", order_by="week", preceding=s.ladder_recent_weeks - 1, following=0
    )
    upto = ibis.cumulative_window(group_by="person_key", order_by="week")
    r = g.select(
        "person_key",
        "week",
        **{c: g[c].sum().over(win) for c in cols},
        active_weeks=(g.events > 0).ifelse(one, zero).sum().over(recent),
        meaningful_weeks=(g.meaningful > 0).ifelse(one, zero).sum().over(recent),
        feedback=g.fb.sum().over(upto) + g.fb0,
    )
    helped, cases = _weekly_advocacy(ctx, cal_weeks)
    r = r.left_join(helped, (r.person_key == helped.h_key) & (r.week == helped.h_week))
    r = r.left_join(cases, (r.person_key == cases.u_key) & (r.week == cases.u_week))
    r = r.select(
        "person_key",
        "week",
        *[c for c in _INPUTS if c not in ("helped", "use_cases")],
        helped=r.helped.fill_null(0),
        use_cases=r.use_cases.fill_null(0),
    )
    r = r.filter(r.week.isin(weeks))
    lic = licensed_weeks(ctx.engine, weeks).rename(l_key="person_key", l_week="week")
    r = r.semi_join(lic, (r.person_key == lic.l_key) & (r.week == lic.l_week))
    return r.select("person_key", "week", level=level_expr(r, s, rules))


def _week_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=7 * i) for i in range((last - first).days // 7 + 1)]


def _weekly_advocacy(ctx: MetricContext, weeks: list[date]) -> tuple[ibis.Table, ibis.Table]:
    """Per person and week end: distinct colleagues helped / use cases in the last weeks."""
    span = ctx.settings.advocate_weeks
    # Which source weeks count towards each target week, built here rather than with
    # interval arithmetic so every backend runs the same plain join.
    pairs = pd.DataFrame(
        [(w - timedelta(days=7 * k), w) for w in weeks for k in range(span)],
        columns=["src", "dst"],
    )
    cover = ibis.memtable(pairs, schema={"src": "date", "dst": "date"})
    if ctx.has("help_edges"):
        h = ctx.engine.table("help_edges")
        h = h.filter(h.asker_key != h.helper_key)
        h = h.select(hk=h.helper_key, ak=h.asker_key, hw=week_expr(h.ts, ctx.week_offset))
        h = h.distinct()
        h = h.inner_join(cover, h.hw == cover.src)
        helped = h.group_by(h_key=h.hk, h_week=h.dst).aggregate(helped=h.ak.nunique())
    else:
        helped = _empty({"h_key": "string", "h_week": "date", "helped": "int64"})
    if ctx.has("feedback"):
        f = ctx.engine.table("feedback")
        f = f.filter(
            f.person_key.notnull() & f.category.isin(list(ctx.settings.use_case_categories))
        )
        f = f.select(uk=f.person_key, fw=week_expr(f.ts, ctx.week_offset))
        f = f.inner_join(cover, f.fw == cover.src)
        cases = f.group_by(u_key=f.uk, u_week=f.dst).aggregate(use_cases=f.count())
    else:
        cases = _empty({"u_key": "string", "u_week": "date", "use_cases": "int64"})
    return helped, cases


def transitions(ctx: MetricContext, rules: str) -> MetricResult:
    """Week-over-week moves between levels, and the distribution per recent week.

    Args:
        ctx: metric context.
        rules: `tasks` or `activity_proxy`.

    Returns:
        n (people at a level both weeks), up/same/down, one row per starting level
        (`to_L1`…`to_L5`), and `weeks` with the distribution at each week's end.
    """
    weeks = complete_weeks(ctx)
    hist = history(ctx, weeks, rules)
    by_week = ctx.engine.execute(hist.group_by("week").aggregate(**_level_counts(hist)))
    by_week = _shares(by_week)
    by_week["week"] = pd.to_datetime(by_week["week"]).dt.date
    by_week["cell"] = "\0all"
    weekly = suppress(by_week, ["cell"], "n", ctx.min_group_size, partition_cols=["week"])
    weeks_rows = public_rows(weekly.sort_values("week"), ["cell", "week"]).derive(
        lambda r: {k: v for k, v in r.items() if k != "cell"}
    )
    prev_w, last_w = weeks[-2], weeks[-1]
    a = hist.filter(hist.week == prev_w).select(p_key="person_key", frm="level")
    b = hist.filter(hist.week == last_w).select(n_key="person_key", to="level")
    pair = a.inner_join(b, a.p_key == b.n_key)
    moves = ctx.engine.execute(pair.group_by("frm", "to").aggregate(people=pair.count()))
    table = pd.DataFrame({"from": list(LEVELS)})
    for j, name in enumerate(LEVELS, start=1):
        col = moves[moves["to"] == j].set_index("frm")["people"]
        table[f"to_{name}"] = [int(col.get(i, 0)) for i in range(1, 6)]
    to_cols = [f"to_{x}" for x in LEVELS]
    table["n"] = table[to_cols].sum(axis=1)
    grid = table[to_cols].to_numpy()
    table["up"] = [int(grid[i, i + 1 :].sum()) for i in range(5)]
    table["down"] = [int(grid[i, :i].sum()) for i in range(5)]
    total = {
        "from": TOTAL,
        **{c: int(table[c].sum()) for c in [*to_cols, "n", "up", "down"]},
    }
    if total["n"] == 0:
        return not_available(
            LADDER_TRANSITIONS, "licenses (held at the end of both of the last two weeks)"
        )
    full = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    full = full[["from", "n", "up", "down", *to_cols]]
    out = suppress(full, ["from"], "n", ctx.min_group_size)
    # Rows of nobody describe no one and stay shown.
    rows = ((out["from"] != TOTAL) & (full["n"] > 0)).to_numpy()
    if (out[SUPPRESSED].to_numpy(dtype=bool) & rows).any():
        # A cross-tab with both margins public (the total row here, each week's distribution
        # in `weeks`) lets hidden rows be solved for from the margins; rather than a linked
        # suppression, the rows are shown all together or not at all.
        out = suppress(full, ["from"], "n", ctx.min_group_size, hide=rows)
    values, why = head(out, "from")
    res = MetricResult(
        LADDER_TRANSITIONS,
        {"from_week": prev_w.isoformat(), "to_week": last_w.isoformat()},
        suppressed=why,
        basis=BASIS[rules],
        weeks=weeks_rows,
    )
    if why is None:
        res.n = values["n"]
        res.values.update(up=values["up"], down=values["down"])
        res.values["same"] = values["n"] - values["up"] - values["down"]
    res.values["rows"] = public_rows(out, ["from"]).where(lambda r: r["from"] != TOTAL)
    return res
