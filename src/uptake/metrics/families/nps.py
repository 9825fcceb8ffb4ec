"""AI tool NPS: share of promoters minus share of detractors, overall and per rollout cohort.

A person's latest answer to the NPS item in a month counts once; anonymous answers count one
each and have cohort "(none)", as do people without a licence. The headline is the current
window's NPS with a bootstrap interval; `months` rows give each month by rollout cohort (the
month of a person's first licence), suppressed below k within each month.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import ibis
import numpy as np
import pandas as pd

from uptake.metrics import stats
from uptake.metrics.context import MetricContext
from uptake.metrics.groups import noisy, result, suppressed_groups
from uptake.metrics.privacy import TOTAL, public_rows
from uptake.metrics.result import MetricResult, MetricSpec, not_available
from uptake.metrics.seats import seats

NO_COHORT = "(none)"
SPEC = MetricSpec(
    name="nps",
    family="nps",
    label="AI tool net promoter score (−100 to 100)",
    unit="score",
    headline="nps",
    needs=("responses.score",),
    definition="100 × (share answering 9–10 − share answering 0–6) on the NPS item, in the window",
)
SPECS: tuple[MetricSpec, ...] = (SPEC,)


def compute(ctx: MetricContext) -> list[MetricResult]:
    """The `nps` result.

    Args:
        ctx: metric context.

    Returns:
        One result.
    """
    return [nps(ctx)]


def nps(ctx: MetricContext) -> MetricResult:
    """AI tool NPS (share 9–10 minus share 0–6, ×100) overall and per rollout cohort by month.

    A person's latest answer in a month counts once; anonymous answers count one each and
    have cohort "(none)", as do people without a licence.

    Args:
        ctx: metric context.

    Returns:
        Current-window NPS with a bootstrap interval, plus `months` rows (month × cohort)
        suppressed below k within each month.
    """
    s = ctx.settings
    if ctx.missing("responses.score"):
        return not_available(SPEC, "responses.score")
    r = ctx.engine.table("responses")
    first_month = _months_back(ctx.as_of, s.nps_months - 1)
    r = r.filter(
        r.item == s.nps_item,
        r.score.between(0, 10),
        r.ts >= datetime.combine(first_month, time()),
        r.ts < ctx.end_ts,
    )
    if s.nps_instrument is not None:
        r = r.filter(r.instrument == s.nps_instrument)
    r = r.mutate(month=r.ts.truncate("M").cast("date"))
    w = ibis.window(
        group_by=[r.person_key, r.month], order_by=[ibis.desc(r.ts), ibis.desc(r.response_id)]
    )
    named = r.filter(r.person_key.notnull())
    named = named.mutate(rank=ibis.row_number().over(w))
    named = named.filter(named["rank"] == 0).drop("rank")
    answers = named.union(r.filter(r.person_key.isnull()))
    if ctx.has("licenses"):
        lic = seats(ctx.engine)
        first = lic.group_by("person_key").aggregate(first_seat=lic.assigned_at.min())
        first = first.select(c_person=first.person_key, cohort=first.first_seat.truncate("M"))
        answers = answers.left_join(first, answers.person_key == first.c_person)
        cohort = answers.cohort.cast("date")
    else:
        cohort = ibis.null("date")
    answers = answers.select("month", "ts", "score", cohort=cohort)
    df = ctx.engine.execute(answers)
    if df.empty:
        note = f"no '{s.nps_item}' answers in the last {s.nps_months} months"
        return not_available(SPEC, "responses.score", note=note)

    rows = []
    df["month"] = _month_label(df["month"])
    df["cohort"] = _month_label(df["cohort"]).fillna(NO_COHORT)
    for month, part in df.groupby("month", sort=True):
        groups = [(TOTAL, part), *part.groupby("cohort", sort=True)]
        for cohort_name, g in groups:
            rows.append({"month": month, "cohort": str(cohort_name), **_nps_values(g.score)})
    frame = suppressed_groups(ctx, pd.DataFrame(rows), "cohort", partition_cols=["month"])
    frame = _noisy(ctx, frame, ["month", "cohort"], f"{SPEC.name}:months")

    window = df[pd.to_datetime(df.ts) >= pd.Timestamp(ctx.start_ts)]
    if window.empty:
        return not_available(SPEC, "responses.score (NPS answers in the window)")
    # The window total repeats people counted in the month rows, so it is its own table.
    overall = pd.DataFrame([{"cohort": TOTAL, **_nps_values(window.score)}])
    x = window.score.to_numpy(dtype=float)
    ci = stats.bootstrap(
        [x],
        _nps_stat,
        n_resamples=s.bootstrap_resamples,
        seed=s.seed,
        confidence=s.confidence_level,
    )
    overall["nps_low"], overall["nps_high"] = ci.low, ci.high
    shown = _noisy(ctx, suppressed_groups(ctx, overall, "cohort"), ["cohort"], SPEC.name)
    months = public_rows(frame, ["month", "cohort"])
    return result(
        SPEC, ctx, shown, "cohort", by_segment=False, window_days=ctx.window_days, months=months
    )


def _month_label(col: pd.Series) -> pd.Series:
    """ "YYYY-MM" labels of month-start dates (missing stays missing)."""
    return pd.to_datetime(col).dt.strftime("%Y-%m").astype(object)


def _nps_values(scores: pd.Series) -> dict[str, Any]:
    x = scores.to_numpy(dtype=float)
    n = len(x)
    if n == 0:
        return {"n": 0, "promoters": None, "detractors": None, "nps": None, **_COUNTS0}
    promoters = float((x >= 9).mean())
    detractors = float((x <= 6).mean())
    return {
        "n": n,
        "promoters": promoters,
        "detractors": detractors,
        "nps": 100 * (promoters - detractors),
        _PROMOTERS: int((x >= 9).sum()),
        _DETRACTORS: int((x <= 6).sum()),
    }


# The answers counted as promoters and detractors: noised with n, then the shares are theirs.
_PROMOTERS, _DETRACTORS = "promoters_n", "detractors_n"
_COUNTS0 = {_PROMOTERS: 0, _DETRACTORS: 0}


def _shares(f: pd.DataFrame) -> pd.DataFrame:
    n = pd.to_numeric(f["n"], errors="coerce").astype(float)
    promoters = pd.to_numeric(f[_PROMOTERS], errors="coerce") / n
    detractors = pd.to_numeric(f[_DETRACTORS], errors="coerce") / n
    return f.assign(promoters=promoters, detractors=detractors, nps=100 * (promoters - detractors))


def _noisy(ctx: MetricContext, frame: pd.DataFrame, keys: list[str], question: str) -> pd.DataFrame:
    """The answers' counts with the release noise (when on), the shares derived from them.

    A month's answers compared with the next month's showed one person's change of mind
    when exact. The counts are what is noised; the internal count columns are dropped.
    """
    out = noisy(ctx, frame, ["n", _PROMOTERS, _DETRACTORS], keys, question, derive=_shares)
    return out.drop(columns=[_PROMOTERS, _DETRACTORS])


def _nps_stat(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return 100 * ((x >= 9).mean(axis=axis) - (x <= 6).mean(axis=axis))


def _months_back(d: date, months: int) -> date:
    """First day of the month `months` calendar months before the month of `d`."""
    index = d.year * 12 + (d.month - 1) - months
    return date(index // 12, index % 12 + 1, 1)
