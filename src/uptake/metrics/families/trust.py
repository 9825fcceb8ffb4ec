"""Trust and overrides: override rate and trend, outcomes followed vs overridden.

Override rate is 1 − followed over the decisions (AI recommendations acted on) in the current
window, per workflow and segment, with its weekly trend (least-squares slope over the last
`trust_trend_weeks` weeks). Outcomes compare followed and overridden decisions per workflow
(outcome scales differ between workflows, so they are never pooled): means with t intervals,
Welch's t-test and Mann–Whitney U as a robustness check. Decisions are treated as independent
observations; several decisions of one person are not modelled as clustered.
Override accuracy — the share of a person's overrides whose outcome beat the followed-case
average of the same workflow — is individual: only `override_accuracy` returns it per person;
`compute` reports its distribution over people, suppressed below k.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import ibis
import numpy as np
import pandas as pd

from uptake.metrics import stats
from uptake.metrics.context import MetricContext
from uptake.metrics.groups import (
    SEGMENT,
    group_rows,
    head,
    result,
    suppressed_groups,
    with_segment,
)
from uptake.metrics.privacy import TOTAL, public_rows
from uptake.metrics.release import release_hide
from uptake.metrics.result import MetricResult, MetricSpec, not_available

NO_WORKFLOW = "(none)"
FAMILY = "trust"
SPECS: tuple[MetricSpec, ...] = (
    MetricSpec(
        name="override_rate",
        family=FAMILY,
        label="AI recommendations overridden in the window",
        unit="share",
        headline="override_rate",
        needs=("decisions",),
        definition=(
            "decisions where the person did not follow the AI recommendation ÷ decisions, "
            "with the weekly trend (least-squares slope per week)"
        ),
    ),
    MetricSpec(
        name="override_outcomes",
        family=FAMILY,
        label="decisions with a recorded outcome, compared followed vs overridden",
        unit="count",
        headline="decisions",
        needs=("decisions", "decisions.outcome"),
        definition=(
            "per workflow, mean outcome of overridden minus followed decisions, with t "
            "intervals, Welch's t-test and Mann–Whitney U"
        ),
    ),
    MetricSpec(
        name="override_accuracy",
        family=FAMILY,
        label="mean share of a person's overrides that beat following the AI",
        unit="share",
        headline="mean",
        needs=("decisions", "decisions.outcome"),
        definition=(
            "per person, overrides whose outcome beat the workflow's followed-case average ÷ "
            "judged overrides; mean over people with enough judged overrides"
        ),
    ),
)
OVERRIDE_RATE, OVERRIDE_OUTCOMES, OVERRIDE_ACCURACY = SPECS


def compute(ctx: MetricContext) -> list[MetricResult]:
    """Trust results: override rate with trend, outcome comparison, override accuracy.

    Args:
        ctx: metric context.

    Returns:
        One result per spec, in order.
    """
    if ctx.missing("decisions"):
        return [not_available(spec, "decisions") for spec in SPECS]
    out = [override_rate(ctx)]
    if ctx.missing("decisions.outcome"):
        out += [not_available(spec, "decisions.outcome") for spec in SPECS[1:]]
    else:
        out += [override_outcomes(ctx), accuracy_summary(ctx)]
    return out


def _decisions(ctx: MetricContext, start: datetime) -> ibis.Table:
    d = ctx.engine.table("decisions")
    d = d.filter(d.ts >= start, d.ts < ctx.end_ts)
    return d.mutate(workflow=d.workflow.fill_null(NO_WORKFLOW))


# -- override rate ---------------------------------------------------------------------------


def override_rate(ctx: MetricContext) -> MetricResult:
    """Override rate in the window overall, per workflow and per segment, with weekly trend.

    Args:
        ctx: metric context.

    Returns:
        `n` people, `decisions`, `override_rate`, `slope` (rate change per week) with
        `slope_p`, `weeks` rows, `workflows` rows (each with its own slope) and, with
        `ctx.by`, segment rows.
    """
    d = _decisions(ctx, ctx.start_ts)
    overridden = (~d.followed).cast("int64")
    by_wf = d.group_by("workflow").aggregate(
        n=d.person_key.nunique(), decisions=d.count(), overrides=overridden.sum()
    )
    total = d.aggregate(n=d.person_key.nunique(), decisions=d.count(), overrides=overridden.sum())
    tot = ctx.engine.execute(total).assign(workflow=TOTAL)
    if int(tot.decisions.iloc[0]) == 0:
        return not_available(OVERRIDE_RATE, "decisions (in the window)")
    wf = ctx.engine.execute(by_wf)
    weekly = _weekly(ctx)
    slopes = {
        w: stats.trend(g.week_no.to_numpy(float), g.rate.to_numpy(float))
        for w, g in weekly.groupby("workflow")
    }
    frame = pd.concat([tot, wf], ignore_index=True)
    frame["override_rate"] = _rate(frame.overrides, frame.decisions)
    frame["slope"] = [slopes.get(w, {}).get("slope") for w in frame.workflow]
    frame["slope_p"] = [slopes.get(w, {}).get("slope_p") for w in frame.workflow]
    frame = frame[["workflow", "n", "decisions", "override_rate", "slope", "slope_p"]]
    frame = frame.sort_values("workflow", ignore_index=True)

    wf_frame = suppressed_groups(ctx, frame, "workflow")
    weeks = _week_rows(ctx, weekly)
    week_rows = public_rows(weeks, ["week"]).derive(
        lambda r: {k: v for k, v in r.items() if k != "week_no"}
    )
    segments = None
    if ctx.by is not None:
        seg = with_segment(ctx, d)
        per_seg = seg.group_by(SEGMENT).aggregate(
            n=seg.person_key.nunique(),
            decisions=seg.count(),
            overrides=(~seg.followed).cast("int64").sum(),
        )
        sf = pd.concat(
            [tot.rename(columns={"workflow": SEGMENT}), ctx.engine.execute(per_seg)],
            ignore_index=True,
        )
        sf["override_rate"] = _rate(sf.overrides, sf.decisions)
        sf = sf[[SEGMENT, "n", "decisions", "override_rate"]].sort_values(
            SEGMENT, ignore_index=True
        )
        deciders = ctx.engine.execute(d.select("person_key").distinct())["person_key"]
        hide = release_hide(ctx, deciders.tolist(), sf)
        segments = group_rows(suppressed_groups(ctx, sf, hide=hide), [SEGMENT])
    res = result(
        OVERRIDE_RATE,
        ctx,
        wf_frame,
        "workflow",
        segments=segments,
        workflows=group_rows(wf_frame, ["workflow"], "workflow"),
    )
    res.weeks = week_rows
    if not res.suppressed:
        # The headline slope only uses weeks shown to the reader (n ≥ k).
        shown = weeks[~weeks.suppressed]
        res.values.update(
            stats.trend(shown.week_no.to_numpy(float), shown.override_rate.to_numpy(float))
        )
    return res


def _rate(num: pd.Series, den: pd.Series) -> pd.Series:
    den = den.astype(float)
    return (num.astype(float) / den).where(den > 0)


def _trend_start(ctx: MetricContext) -> datetime:
    first = ctx.current_week - timedelta(weeks=ctx.settings.trust_trend_weeks - 1)
    return datetime.combine(first, time())


def _weekly(ctx: MetricContext) -> pd.DataFrame:
    """Override rate per workflow (and `TOTAL`) per trend week with decisions in it."""
    d = _decisions(ctx, _trend_start(ctx))
    d = d.mutate(week=ctx.week(d.ts), overridden=(~d.followed).cast("int64"))
    per_wf = d.group_by(["workflow", "week"]).aggregate(
        n=d.person_key.nunique(), decisions=d.count(), overrides=d.overridden.sum()
    )
    per_all = d.group_by("week").aggregate(
        n=d.person_key.nunique(), decisions=d.count(), overrides=d.overridden.sum()
    )
    df = pd.concat(
        [ctx.engine.execute(per_wf), ctx.engine.execute(per_all).assign(workflow=TOTAL)],
        ignore_index=True,
    )
    df["week"] = pd.to_datetime(df.week).dt.date
    first = ctx.current_week - timedelta(weeks=ctx.settings.trust_trend_weeks - 1)
    df["week_no"] = [(w - first).days // 7 for w in df.week]
    df["rate"] = _rate(df.overrides, df.decisions)
    return df.sort_values(["workflow", "week"], ignore_index=True)


def _week_rows(ctx: MetricContext, weekly: pd.DataFrame) -> pd.DataFrame:
    """Overall weekly override rate, each week its own table for suppression."""
    w = weekly[weekly.workflow == TOTAL]
    frame = pd.DataFrame(
        {
            "week": w.week.astype(str),
            "scope": TOTAL,
            "week_no": w.week_no,
            "n": w.n,
            "decisions": w.decisions,
            "override_rate": w.rate,
        }
    )
    out = suppressed_groups(ctx, frame, "scope", partition_cols=["week"])
    return out.drop(columns="scope")


# -- outcomes when followed vs overridden -----------------------------------------------------


def _outcome_decisions(ctx: MetricContext) -> ibis.Table:
    start = ctx.end_ts - timedelta(days=ctx.settings.trust_outcome_days)
    d = _decisions(ctx, start)
    return d.filter(d.outcome.notnull())


def override_outcomes(ctx: MetricContext) -> MetricResult:
    """Outcome when followed vs overridden, per workflow, with intervals and tests.

    A workflow row is shown only when both arms count at least k people, so neither arm's
    mean describes fewer than k people.

    Args:
        ctx: metric context.

    Returns:
        `n` people and `decisions` with an outcome, plus
        `workflows` rows with `followed_mean` / `overridden_mean` (and `_low`/`_high`),
        `difference` (overridden − followed) with Welch's `difference_low` /
        `difference_high`, `welch_t`, `welch_p`, `mannwhitney_u`,
        `mannwhitney_p`.
    """
    s = ctx.settings
    d = _outcome_decisions(ctx)
    df = ctx.engine.execute(d.select("person_key", "workflow", "followed", "outcome"))
    if df.empty:
        return not_available(OVERRIDE_OUTCOMES, "decisions.outcome (in the window)")
    rows = []
    for wf, g in df.groupby("workflow", sort=True):
        fol = g[g.followed.astype(bool)]
        ovr = g[~g.followed.astype(bool)]
        f_ci = stats.mean_ci(fol.outcome.to_numpy(float), s.confidence_level)
        o_ci = stats.mean_ci(ovr.outcome.to_numpy(float), s.confidence_level)
        diff = None if f_ci.value is None or o_ci.value is None else o_ci.value - f_ci.value
        rows.append(
            {
                "workflow": wf,
                "n": g.person_key.nunique(),
                # An empty arm shows nothing, so the guard is the smaller non-empty arm.
                "n_arm": min(
                    c for c in (fol.person_key.nunique(), ovr.person_key.nunique()) if c > 0
                ),
                "followed_decisions": len(fol),
                "overridden_decisions": len(ovr),
                **f_ci.as_dict("followed_mean"),
                **o_ci.as_dict("overridden_mean"),
                "difference": diff,
                **stats.compare_means(
                    ovr.outcome.to_numpy(float), fol.outcome.to_numpy(float), s.confidence_level
                ),
            }
        )
    people = df.person_key.nunique()
    rows.append({"workflow": TOTAL, "n": people, "n_arm": people, "decisions": len(df)})
    # The total is a margin: complementary suppression keeps a hidden workflow's counts
    # from being recovered as total minus the visible workflows.
    frame = suppressed_groups(ctx, pd.DataFrame(rows), "workflow", n_col="n_arm")
    frame = frame.drop(columns="n_arm")
    values, why = head(frame, "workflow")
    res = MetricResult(OVERRIDE_OUTCOMES, n=values.get("n"), suppressed=why)
    if why is None:
        res.values["decisions"] = values["decisions"]
    res.values["window_days"] = s.trust_outcome_days
    res.values["higher_is_better"] = s.outcome_higher_is_better
    res.values["workflows"] = group_rows(frame, ["workflow"], "workflow").derive(
        lambda r: {k: v for k, v in r.items() if k != "decisions"}
    )
    return res


# -- override accuracy -----------------------------------------------------------------------


def override_accuracy(ctx: MetricContext) -> pd.DataFrame:
    """Per person: share of their overrides whose outcome beat the followed-case average.

    Individual path only (coaching, self view); never part of a group output. An override
    counts when its workflow has followed decisions with outcomes in the same window.

    Args:
        ctx: metric context.

    Returns:
        One row per person with overrides: `person_key`, `overrides` (judged), `beat`,
        `accuracy` (None below `override_accuracy_min` judged overrides).
    """
    s = ctx.settings
    d = _outcome_decisions(ctx)
    fol = d.filter(d.followed)
    ref = fol.group_by("workflow").aggregate(ref_mean=fol.outcome.mean())
    ref = ref.rename(ref_workflow="workflow")
    ovr = d.filter(~d.followed)
    ovr = ovr.join(ref, ovr.workflow == ref.ref_workflow)
    better = (
        ovr.outcome > ovr.ref_mean if s.outcome_higher_is_better else ovr.outcome < ovr.ref_mean
    )
    per = ovr.group_by("person_key").aggregate(
        overrides=ovr.count(), beat=better.cast("int64").sum()
    )
    df = ctx.engine.execute(per).sort_values("person_key", ignore_index=True)
    acc = df.beat.astype(float) / df.overrides.astype(float)
    df["accuracy"] = acc.where(df.overrides >= s.override_accuracy_min)
    return df


def accuracy_summary(ctx: MetricContext) -> MetricResult:
    """Distribution of override accuracy over people with enough judged overrides.

    Args:
        ctx: metric context.

    Returns:
        `n` people, `mean` (t interval), `median`, and `min_overrides`; suppressed below k
        people, not available when nobody has enough judged overrides.
    """
    s = ctx.settings
    per = override_accuracy(ctx)
    x = per.accuracy.dropna().to_numpy(float)
    ci = stats.mean_ci(x, s.confidence_level).clip(0, 1)
    frame = pd.DataFrame(
        [
            {
                "scope": TOTAL,
                "n": len(x),
                **ci.as_dict("mean"),
                "median": float(np.median(x)) if len(x) else None,
            }
        ]
    )
    return result(
        OVERRIDE_ACCURACY,
        ctx,
        suppressed_groups(ctx, frame, "scope"),
        "scope",
        empty="decisions.outcome (people with enough judged overrides)",
        by_segment=False,
        min_overrides=s.override_accuracy_min,
        individual="per person only through uptake.metrics.families.trust.override_accuracy",
    )
