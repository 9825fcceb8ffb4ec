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
says so (basis `proxy: activity`): L1 no action in the window; L2 some actions; L3 regular
use — actions on ≥ `proxy_active_days` days of the recent weeks and in ≥
`proxy_active_weeks` of them (someone active about one day a week stays at L2, however
many actions a vendor counts that day); L4 ≥ `proxy_integrated_days` days in ≥
`proxy_integrated_weeks` weeks plus the override and feedback rules — each only where the
workspace holds that data (decisions, feedback): a rule that cannot be judged does not hold
people back; L5 as above. Days, not counts, because vendors count in different units
(GitHub counts suggestions, Microsoft 365 only says on which days an app was used).

History (for transitions and time to proficiency) evaluates the same rules at the end of
every reporting week from weekly facts, with the window as `window_days // 7` weeks; at a
week's last day it agrees with the day-based evaluation (tested). Microsoft's usage segments,
read beside the ladder, are their own family (`usage_segments`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import ibis
import pandas as pd

from uptake.config import MetricsSettings
from uptake.errors import NotAvailableError
from uptake.metrics.context import MetricContext, empty_table
from uptake.metrics.facts import PERSON_DAY
from uptake.metrics.groups import (
    any_activity,
    grouped,
    licensed_on,
    ratio,
    result,
)
from uptake.metrics.result import MetricResult, MetricSpec, not_available

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
            "high-stakes work, regular activity, overrides, feedback and helping colleagues; "
            "without task data, from activity proxies instead of the work (basis "
            "proxy: activity)"
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
INPUTS = (
    "elig",
    "ai_elig_done",
    "ai_runs",
    "actions",
    "decisions",
    "overrides",
    "active_weeks",
    "action_days",
    "action_weeks",
    "feedback",
    "helped",
    "use_cases",
)


# Inputs summed over the window.
WINDOW_SUMS = ("elig", "ai_elig_done", "ai_runs", "actions", "decisions", "overrides")
# The inputs each set of rules reads. The history computes only these: each is a window sum
# over every person-week, and DuckDB computes every one a query holds, read or not.
READS = {
    TASKS: (
        "elig",
        "ai_elig_done",
        "ai_runs",
        "decisions",
        "overrides",
        "active_weeks",
        "feedback",
        "helped",
        "use_cases",
    ),
    PROXY: (
        "actions",
        "decisions",
        "overrides",
        "action_days",
        "action_weeks",
        "feedback",
        "helped",
        "use_cases",
    ),
}


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
    # The moves read the history, which builds on this module's rules: imported here.
    from uptake.metrics.families.ladder_moves import transitions

    return [distribution(ctx, b), transitions(ctx, b)]


# -- the rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Judged:
    """Which rules the workspace's data can judge: the proxy L4 rules' decisions and
    feedback, and L5's advocacy (colleagues helped or use cases contributed)."""

    decisions: bool = True
    feedback: bool = True
    advocacy: bool = True

    @classmethod
    def of(cls, ctx: MetricContext) -> Judged:
        """What `ctx`'s workspace holds."""
        feedback = ctx.has("feedback")
        return cls(
            decisions=ctx.has("decisions"),
            feedback=feedback,
            advocacy=feedback or ctx.has("help_edges"),
        )


# What L5's rule reads: who helped whom, or feedback naming a use case. Without either, nobody
# can be seen to advocate, and a count of 0 at L5 would claim that nobody does.
ADVOCACY_NEEDS = "help_edges or feedback"
NOT_JUDGED = (
    "L5 (advocate) not judged: needs help_edges (who helps whom) or feedback (use cases); "
    "everyone who meets L4 is counted at L4"
)


def not_judged(judge: Judged) -> dict[str, list[str]]:
    """Levels the data cannot judge, with what each needs (`not_available` of a result).

    Args:
        judge: what the workspace's data can judge (`Judged.of(ctx)`).

    Returns:
        {"L5": needs} when advocacy cannot be judged, else empty.
    """
    return {} if judge.advocacy else {"L5": [ADVOCACY_NEEDS]}


def level_expr(t: ibis.Table, s: MetricsSettings, rules: str, judge: Judged) -> ibis.Value:
    """Ladder level (1–5) from a table holding the columns its rules read (`READS`).

    Args:
        t: per-person (or per-person-week) inputs.
        s: settings (thresholds).
        rules: `tasks` or `activity_proxy`.
        judge: proxy rules the data can judge (`Judged.of(ctx)`; required, so that the
            distribution, the levels and the history can never disagree).

    Returns:
        An int8 expression.
    """
    rate = t.overrides.cast("float64") / t.decisions.cast("float64")
    band_ok = (t.decisions == 0) | ((rate >= s.override_band_low) & (rate <= s.override_band_high))
    fed_back = t.feedback > 0
    advocate = (t.helped >= s.advocate_helped) | (t.use_cases > 0)
    if rules == TASKS:
        share = t.ai_elig_done.cast("float64") / t.elig.cast("float64")
        l3 = (t.elig > 0) & (share >= s.ladder_trial_share)
        active = t.active_weeks >= s.ladder_active_weeks
        l4 = l3 & (share >= s.ladder_integrated_share) & active & band_ok & fed_back
        l1 = t.ai_runs == 0
    else:
        l3 = (t.action_days >= s.proxy_active_days) & (t.action_weeks >= s.proxy_active_weeks)
        regular = (t.action_days >= s.proxy_integrated_days) & (
            t.action_weeks >= s.proxy_integrated_weeks
        )
        judged_band = band_ok if judge.decisions else ibis.literal(True)
        judged_fb = fed_back if judge.feedback else ibis.literal(True)
        l4 = l3 & regular & judged_band & judged_fb
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


def person_inputs(ctx: MetricContext, at: date, inputs: tuple[str, ...] = INPUTS) -> ibis.Table:
    """Per person licensed on `at`: inputs of the ladder rules (day-based).

    Args:
        ctx: metric context.
        at: the evaluation date (inclusive).
        inputs: which of `INPUTS` to compute (a level needs `READS[rules]`); each one left
            out is a sum, a distinct count or a join the query does not make.

    Returns:
        Table (person_key, *inputs).
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
    one = ibis.literal(1, type="int64")
    none = ibis.null("int64")

    def win(col: str) -> ibis.Value:
        return in_win.ifelse(d[col], zero).sum()

    over_days = {
        **{c: win(c) for c in WINDOW_SUMS},
        "active_weeks": (in_recent & (d.events > 0)).ifelse(block, none).nunique(),
        "action_days": (in_recent & (d.actions > 0)).ifelse(one, zero).sum(),
        "action_weeks": (in_recent & (d.actions > 0)).ifelse(block, none).nunique(),
    }
    base = licensed_on(ctx.engine, at)
    j = base
    wanted = {c: v for c, v in over_days.items() if c in inputs}
    if wanted:
        act = d.group_by(a_key=d.person_key).aggregate(**wanted)
        j = j.left_join(act, j.person_key == act.a_key).drop("a_key")
    if "feedback" in inputs:
        ever = days.filter(days.day <= at)
        fb = ever.group_by(f_key=ever.person_key).aggregate(
            feedback=(ever.feedback_given + ever.feedback_events).sum()
        )
        j = j.left_join(fb, j.person_key == fb.f_key).drop("f_key")
    if "helped" in inputs or "use_cases" in inputs:
        adv_lo = at - timedelta(days=7 * s.advocate_weeks - 1)
        helped, cases = _advocacy(ctx, adv_lo, at + timedelta(days=1))
        j = j.left_join(helped, j.person_key == helped.h_key).drop("h_key")
        j = j.left_join(cases, j.person_key == cases.u_key).drop("u_key")
    return j.select(
        "person_key", **{c: j[c].fill_null(0).cast("int64") for c in INPUTS if c in inputs}
    )


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
    if (at is None or at == ctx.as_of) and not any_activity(ctx, ctx.window_start):
        # As the distribution says: everyone at L1 only because nothing arrived for the
        # window is no data (signals had ranked teams on "L3+ 0 %" at an as-of past the data).
        raise NotAvailableError(
            "no activity in the window", needs=["events (activity in the window)"]
        )
    t = person_inputs(ctx, at or ctx.as_of)
    df = ctx.engine.execute(t.mutate(level=level_expr(t, ctx.settings, rules, Judged.of(ctx))))
    return df.assign(basis=rules)


# -- outputs ---------------------------------------------------------------------------------


def _level_counts(t: ibis.Table) -> dict[str, ibis.Value]:
    one = ibis.literal(1, type="int64")
    zero = ibis.literal(0, type="int64")
    out: dict[str, ibis.Value] = {"n": t.count()}
    for i, name in enumerate(LEVELS, start=1):
        out[name] = (t.level == i).ifelse(one, zero).sum()
    return out


def level_shares(f: pd.DataFrame) -> pd.DataFrame:
    """The L3+ share of a frame of people per level (`L1`…`L5`), as `l3_plus_share`."""
    # Of the people counted at a level: n without noise, and with it the share agrees with
    # the levels a chart draws (their noisy counts), where n (noised apart) had made a
    # team's "L3+ 18 %" sit beside bars for L3 to L5 adding up to 16 %.
    levels = f["L1"] + f["L2"] + f["L3"] + f["L4"] + f["L5"]
    share = ratio(f["L3"] + f["L4"] + f["L5"], levels)
    return f.assign(l3_plus_share=pd.to_numeric(share).clip(upper=1.0))


def distribution(ctx: MetricContext, rules: str) -> MetricResult:
    """Ladder distribution on `as_of`, overall and per segment.

    Args:
        ctx: metric context.
        rules: `tasks` or `activity_proxy`.

    Returns:
        n, people per level, the L3+ share and the rules applied (basis: tasks or proxy).
    """
    judge = Judged.of(ctx)
    t = person_inputs(ctx, ctx.as_of, READS[rules])
    t = t.mutate(level=level_expr(t, ctx.settings, rules, judge))
    frame = grouped(
        ctx, t, _level_counts, derive=level_shares, people=LEVELS, question=ADOPTION_LADDER.name
    )
    unjudged = not_judged(judge)
    if unjudged:
        # After the counts are released: the level's column is withheld, not recounted.
        frame = frame.assign(**dict.fromkeys(unjudged, None))
    res = result(
        ADOPTION_LADDER,
        ctx,
        frame,
        empty="licenses (held on as_of)",
        basis=BASIS[rules],
        rules=_rules_text(ctx.settings, rules),
    )
    if unjudged and res.available:
        res.values["not_available"] = unjudged
        res.notes = (*res.notes, NOT_JUDGED)
    return res


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
        f"actions; L3 actions on ≥ {s.proxy_active_days} days of the last "
        f"{s.ladder_recent_weeks} weeks and in ≥ {s.proxy_active_weeks} of them; L4 ≥ "
        f"{s.proxy_integrated_days} days in ≥ {s.proxy_integrated_weeks} weeks, override "
        f"rate in band and feedback given (where the data holds decisions and feedback); "
        f"L5 L4 and helped ≥ {s.advocate_helped} colleagues or a use case in "
        f"{s.advocate_weeks} weeks"
    )
