"""The data components of each condition, measured from the warehouse as of a date.

Every function takes a metric context (and, where the signals already computed it, a part of
the signals document) and returns `Component`s: a share with its numerator, denominator and
the people behind it, hidden below k, or not available with what it needs. Windows:

* activity (events, tasks): the metric window (`window_days` ending at `as_of`);
* decisions: the same length of window ending `outcome_grace_days` before `as_of`, so only
  decisions whose outcome is due are asked for one;
* feedback: the feedback-health span (`feedback_weeks` reporting weeks).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import ibis
import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.metrics.families.ladder import BASIS, basis
from uptake.metrics.segments import DIM_PERSON
from uptake.programme.readiness.model import Component, missing, share
from uptake.signals import shared

# Actions that are not use: opening and closing a session.
NOT_USE = ("session_start", "session_end")
MANAGEMENT = ("M1", "M2", "M3+")


@dataclass(frozen=True)
class Rules:
    """The readiness thresholds (the `[programme]` settings carry the configurable ones).

    Attributes:
        outcome_grace_days: decisions younger than this are not yet expected to have an
            outcome.
        outcomes_per_decider: decisions with an outcome a decider needs in the window before
            a followed-versus-overridden view of their own work means anything.
        resolution_target_days: median days to resolve feedback that scores 100; four times
            it scores 0, linearly in between.
    """

    outcome_grace_days: int = 30
    outcomes_per_decider: int = 5
    resolution_target_days: int = 7


def _window(ctx: MetricContext, days_before: int = 0) -> tuple[datetime, datetime]:
    """[start, end) of the metric window ending `days_before` days before `as_of`."""
    end = datetime.combine(ctx.as_of - timedelta(days=days_before - 1), time())
    return end - timedelta(days=ctx.window_days), end


def _span(lo: datetime, hi: datetime) -> list[str]:
    return [lo.date().isoformat(), (hi - timedelta(days=1)).date().isoformat()]


# -- workflow integration ---------------------------------------------------------------------


def workflow_integration(ctx: MetricContext) -> list[Component]:
    """AI use inside catalogued workflows, and people whose workflow runs are AI-assisted.

    Args:
        ctx: metric context.

    Returns:
        `in_workflows` (AI actions naming a catalogued workflow ÷ all AI actions) and
        `ai_assisted_people` (people with an AI-assisted run ÷ people with any run).
    """
    k = ctx.min_group_size
    lo, hi = _window(ctx)
    out: list[Component] = []
    label = "AI use inside catalogued workflows (actions naming a catalogued workflow)"
    need = ctx.missing("events", "events.workflow", "workflows")
    if need:
        out.append(missing("in_workflows", label, need))
    else:
        e = ctx.engine.table("events")
        e = e.filter((e.ts >= lo) & (e.ts < hi) & ~e.action.isin(list(NOT_USE)))
        cat = ctx.engine.table("workflows").select("workflow").distinct()
        e = e.mutate(q=e.quantity.cast("int64").fill_null(1))
        e = e.left_join(cat.mutate(known=ibis.literal(1)), "workflow")
        agg = e.aggregate(
            actions=e.q.sum(),
            inside=e.known.notnull().ifelse(e.q, 0).sum(),
            people=e.person_key.nunique(),
        )
        row = ctx.engine.execute(agg).fillna(0).iloc[0]
        if int(row.actions) == 0:
            out.append(missing("in_workflows", label, ["events (AI use in the window)"]))
        else:
            out.append(
                share(
                    "in_workflows",
                    label,
                    int(row.inside),
                    int(row.actions),
                    int(row.people),
                    k,
                    detail={"window": _span(lo, hi), "counts": "AI actions"},
                    noise=ctx.noise,
                )
            )
    label = "people whose workflow runs include AI-assisted ones"
    if ctx.missing("tasks"):
        out.append(missing("ai_assisted_people", label, ["tasks"]))
        return out
    t = ctx.engine.table("tasks")
    t = t.filter((t.started_at >= lo) & (t.started_at < hi))
    per = t.group_by("person_key").aggregate(ai=t.ai_assisted.cast("int64").max())
    got = ctx.engine.execute(per.aggregate(people=per.count(), ai=per.ai.sum())).fillna(0)
    people, ai = int(got["people"].iloc[0]), int(got["ai"].iloc[0])
    if people == 0:
        out.append(missing("ai_assisted_people", label, ["tasks (workflow runs in the window)"]))
    else:
        out.append(
            share(
                "ai_assisted_people",
                label,
                ai,
                people,
                people,
                k,
                detail={"window": _span(lo, hi)},
                noise=ctx.noise,
                counts_people=True,
            )
        )
    return out


# -- decisions: override architecture and performance feedback ------------------------------


def _decisions(ctx: MetricContext, rules: Rules) -> tuple[pd.DataFrame, list[str]]:
    lo, hi = _window(ctx, rules.outcome_grace_days)
    d = ctx.engine.table("decisions")
    d = d.filter((d.ts >= lo) & (d.ts < hi))
    has = d.outcome.notnull() & (d.outcome_ts.isnull() | (d.outcome_ts < ctx.end_ts))
    frame = ctx.engine.execute(
        d.select("person_key", "workflow", "followed", outcome=has.cast("int64"))
    )
    frame["workflow"] = frame["workflow"].fillna("(none)").astype(str)
    return frame, _span(lo, hi)


def override_architecture(ctx: MetricContext, rules: Rules) -> list[Component]:
    """Decisions whose outcome is logged, among those whose outcome is due.

    Args:
        ctx: metric context.
        rules: readiness thresholds.

    Returns:
        `outcomes_logged`: decisions with an outcome ÷ decisions made in the window ending
        `outcome_grace_days` before `as_of`, with the override rate beside it.
    """
    label = "decisions whose outcome is logged (outcome due)"
    if ctx.missing("decisions"):
        return [missing("outcomes_logged", label, ["decisions"])]
    d, span = _decisions(ctx, rules)
    if d.empty:
        why = f"decisions made {span[0]} to {span[1]} (outcomes due by {ctx.as_of})"
        return [missing("outcomes_logged", label, [why])]
    over = float((~d["followed"].astype(bool)).mean())
    info = {
        "window": span,
        "counts": "decisions",
        "override_rate": round(over, 4),
        "grace_days": rules.outcome_grace_days,
    }
    return [
        share(
            "outcomes_logged",
            label,
            int(d["outcome"].sum()),
            len(d),
            int(d["person_key"].nunique()),
            ctx.min_group_size,
            n_what="deciders",
            detail=info,
            noise=ctx.noise,
        )
    ]


def performance_feedback(ctx: MetricContext, rules: Rules) -> list[Component]:
    """Deciders who could be shown followed-versus-overridden outcomes of their own work.

    A decider has a loop when they have at least `outcomes_per_decider` decisions with an
    outcome in the window, on workflows where both followed and overridden decisions have
    outcomes (so there is a comparison to show them).

    Args:
        ctx: metric context.
        rules: readiness thresholds.

    Returns:
        `deciders_with_loop`: deciders with a loop ÷ deciders in the window.
    """
    label = (
        f"deciders with ≥ {rules.outcomes_per_decider} outcomes on workflows where followed "
        "and overridden outcomes can be compared"
    )
    if ctx.missing("decisions"):
        return [missing("deciders_with_loop", label, ["decisions"])]
    d, span = _decisions(ctx, rules)
    if d.empty:
        why = f"decisions made {span[0]} to {span[1]} (outcomes due by {ctx.as_of})"
        return [missing("deciders_with_loop", label, [why])]
    done = d[d["outcome"] == 1]
    both = done.groupby("workflow")["followed"].nunique()
    comparable = set(both[both == 2].index)
    mine = done[done["workflow"].isin(comparable)].groupby("person_key").size()
    deciders = int(d["person_key"].nunique())
    looped = int((mine >= rules.outcomes_per_decider).sum())
    followed = done["followed"].astype(bool)
    info = {
        "window": span,
        "comparable_workflows": len(comparable),
        "workflows": int(d["workflow"].nunique()),
        "followed_with_outcome": int(followed.sum()),
        "overridden_with_outcome": int((~followed).sum()),
        "min_outcomes": rules.outcomes_per_decider,
    }
    return [
        share(
            "deciders_with_loop",
            label,
            looped,
            deciders,
            deciders,
            ctx.min_group_size,
            n_what="deciders",
            detail=info,
            noise=ctx.noise,
            counts_people=True,
        )
    ]


# -- role redesign ----------------------------------------------------------------------------


def role_redesign(ctx: MetricContext) -> list[Component]:
    """Catalogued workflows in AI-assisted use whose redesign is recorded.

    Args:
        ctx: metric context.

    Returns:
        `redesigned_workflows`: workflows with AI-assisted runs in the window and a recorded
        redesign (`workflow_redesigns`, on or before `as_of`) ÷ those workflows. Not available
        while no redesign has been recorded at all (that is an unused record, not a zero).
    """
    label = "workflows in AI-assisted use with a recorded redesign"
    need = ctx.missing("tasks", "workflows", "workflow_redesigns")
    if need:
        # Say how a missing redesign record gets filled, not just the table's name.
        named = {"workflow_redesigns": "workflow_redesigns (uptake redesign record)"}
        return [missing("redesigned_workflows", label, [named.get(n, n) for n in need])]
    lo, hi = _window(ctx)
    t = ctx.engine.table("tasks")
    t = t.filter((t.started_at >= lo) & (t.started_at < hi) & t.ai_assisted)
    used = ctx.engine.execute(t.select("workflow", "person_key"))
    cat = set(ctx.engine.execute(ctx.engine.table("workflows").select("workflow"))["workflow"])
    used = used[used["workflow"].isin(cat)]
    if used.empty:
        return [missing("redesigned_workflows", label, ["tasks (AI-assisted runs in the window)"])]
    r = ctx.engine.table("workflow_redesigns")
    r = r.filter(r.redesigned_on <= ctx.ibis_as_of())
    done = set(ctx.engine.execute(r.select("workflow"))["workflow"].astype(str))
    flows = set(used["workflow"].astype(str))
    return [
        share(
            "redesigned_workflows",
            label,
            len(flows & done),
            len(flows),
            int(used["person_key"].nunique()),
            ctx.min_group_size,
            detail={"window": _span(lo, hi), "counts": "workflows"},
            noise=ctx.noise,
        )
    ]


# -- management activation --------------------------------------------------------------------


def management_activation(ctx: MetricContext) -> list[Component]:
    """Licensed managers at L3 or above on the adoption ladder.

    Args:
        ctx: metric context.

    Returns:
        `managers_l3`: licensed managers (management level M1 and up, from the roster's
        manager chain) at L3+ ÷ licensed managers; the ladder basis in its detail.
    """
    label = "licensed managers at L3 or above"
    rules = basis(ctx)
    need = ctx.missing("people.manager_key") or ([] if rules else ["tasks", "events"])
    if need:
        return [missing("managers_l3", label, need)]
    dim = ctx.engine.execute(ctx.engine.table(DIM_PERSON).select("person_key", "level"))
    mgr = set(dim.loc[dim["level"].isin(MANAGEMENT), "person_key"])
    lv = shared.levels(ctx)[["person_key", "level"]]
    lv = lv[lv["person_key"].isin(mgr)]
    if lv.empty:
        return [missing("managers_l3", label, ["licences held by managers"])]
    up = int((lv["level"].astype(int) >= 3).sum())
    # Not the count of all managers: beside the licensed ones it would give the unlicensed few.
    info = {"basis": BASIS.get(str(rules), rules)}
    return [
        share(
            "managers_l3",
            label,
            up,
            len(lv),
            len(lv),
            ctx.min_group_size,
            n_what="managers",
            detail=info,
            noise=ctx.noise,
            counts_people=True,
        )
    ]
