"""Override spikes: a person overriding the AI far more than before and than their peers."""

from __future__ import annotations

import ibis

from uptake.metrics.context import MetricContext
from uptake.signals.base import Flag
from uptake.signals.friction.rules import FrictionRules
from uptake.signals.friction.windows import I64, Span, day_col, day_of, records


def override_spike(ctx: MetricContext, rules: FrictionRules, span: Span) -> list[Flag]:
    """Override rate in the recent window well above the person's earlier and workflow rate.

    Evaluated on each day the person decides: recent = the `spike_recent_days` ending that
    day, earlier = the `spike_baseline_days` before them; the workflow rate is every
    decision's override rate on the same workflows over both windows, weighted by the
    person's recent decisions per workflow. It holds when the recent rate is ≥ `spike_ratio`
    times and ≥ `spike_margin` above both, with enough decisions in each window. Decision
    days on which it holds, less than `spike_gap_days` apart, are one episode.

    Args:
        ctx: the metric context (needs decisions).
        rules: the thresholds.
        span: the detection span.

    Returns:
        One flag per episode, `since` = its first day.
    """
    rec, base, gap = rules.spike_recent_days, rules.spike_baseline_days, rules.spike_gap_days
    total = rec + base
    dec = span.clip(ctx.engine.table("decisions"), "ts", gap + total)
    one, zero = ibis.literal(1, type=I64), ibis.literal(0, type=I64)
    dec = dec.mutate(
        d=day_col(dec.ts), wf=dec.workflow.fill_null("(none)"), ov=(~dec.followed).ifelse(one, zero)
    )
    pwd = dec.group_by("person_key", "wf", "d").aggregate(n=dec.count().cast(I64), ov=dec.ov.sum())
    wfd = dec.group_by(w_wf=dec.wf, w_d=dec.d).aggregate(
        w_n=dec.count().cast(I64), w_ov=dec.ov.sum()
    )
    days = pwd.select(e_key=pwd.person_key, x=pwd.d).distinct()
    if span.first is not None:
        days = days.filter(days.x >= span.first_day(-gap))
    j = days.join(
        pwd, (days.e_key == pwd.person_key) & (pwd.d <= days.x) & (pwd.d > days.x - total)
    )
    recent = j.d > j.x - rec
    per = j.group_by("e_key", "x").aggregate(
        n_r=recent.ifelse(j.n, zero).sum(),
        ov_r=recent.ifelse(j.ov, zero).sum(),
        n_b=(~recent).ifelse(j.n, zero).sum(),
        ov_b=(~recent).ifelse(j.ov, zero).sum(),
    )
    # Workflow rate: for each workflow the person decided on recently, every decision on it.
    pw = j.filter(recent).group_by("e_key", "x", "wf").aggregate(n_rw=j.n.sum())
    k = pw.join(wfd, (pw.wf == wfd.w_wf) & (wfd.w_d <= pw.x) & (wfd.w_d > pw.x - total))
    k = k.group_by("e_key", "x", "wf", "n_rw").aggregate(w_n=k.w_n.sum(), w_ov=k.w_ov.sum())
    k = k.group_by(k_key=k.e_key, k_x=k.x).aggregate(
        expected=(k.n_rw * k.w_ov / k.w_n).sum() / k.n_rw.sum()
    )
    per = per.left_join(k, (per.e_key == k.k_key) & (per.x == k.k_x))
    rate_r = per.ov_r / per.n_r
    rate_b = per.ov_b / per.n_b
    per = per.mutate(rate_r=rate_r, rate_b=rate_b.fill_null(0.0))
    holds = (
        (per.n_r >= rules.spike_min_recent)
        & (per.n_b >= rules.spike_min_baseline)
        & (per.rate_r >= per.rate_b * rules.spike_ratio)
        & (per.rate_r - per.rate_b >= rules.spike_margin)
        & (per.rate_r >= per.expected * rules.spike_ratio)
        & (per.rate_r - per.expected >= rules.spike_margin)
    )
    # Among the decision days on which the rule holds, one less than `gap` days after the
    # previous such day continues its episode (a day between on which it does not hold
    # does not end it): the look-back above reads `gap` days for exactly this.
    held = per.filter(holds.fill_null(False))
    w = ibis.window(group_by="e_key", order_by="x")
    held = held.mutate(prev_x=held.x.lag().over(w))
    cont = (held.x - held.prev_x < gap).fill_null(False)
    st = held.filter(~cont)
    st = st.filter(st.x <= span.last_day())
    if span.first is not None:
        st = st.filter(st.x >= span.first_day())
    df = ctx.engine.execute(
        st.select(
            "x",
            "n_r",
            "ov_r",
            "n_b",
            "ov_b",
            "rate_r",
            "rate_b",
            "expected",
            person_key=st.e_key,
        )
    ).sort_values(["person_key", "x"])
    flags = []
    for r in records(df):
        day = day_of(r["x"])
        flags.append(
            Flag(
                str(r["person_key"]),
                "override_spike",
                day,
                {
                    "recent": {
                        "start": day_of(r["x"] - rec + 1).isoformat(),
                        "end": day.isoformat(),
                        "decisions": int(r["n_r"]),
                        "overrides": int(r["ov_r"]),
                        "rate": round(float(r["rate_r"]), 3),
                    },
                    "earlier": {
                        "start": day_of(r["x"] - total + 1).isoformat(),
                        "end": day_of(r["x"] - rec).isoformat(),
                        "decisions": int(r["n_b"]),
                        "overrides": int(r["ov_b"]),
                        "rate": round(float(r["rate_b"]), 3),
                    },
                    "workflow_rate": round(float(r["expected"]), 3),
                    "threshold": {
                        "ratio": rules.spike_ratio,
                        "margin": rules.spike_margin,
                        "min_recent": rules.spike_min_recent,
                        "min_earlier": rules.spike_min_baseline,
                    },
                },
            )
        )
    return flags
