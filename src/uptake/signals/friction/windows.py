"""Shared machinery: day numbers, time bounds, trailing windows and episode starts (Ibis)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import ibis
import pandas as pd

from uptake.metrics.context import MetricContext

EPOCH = date(1970, 1, 1)
I64 = "int64"


def day_of(n: int) -> date:
    """The date of a day number."""
    return EPOCH + timedelta(days=int(n))


def day_value(d: date) -> ibis.Value:
    """The day number of a date, as a query value built from the date itself.

    A date constant takes a slot in the query's SQL template (`warehouse.sql_template`) and an
    integer does not, so with this a rule's query keeps one SQL from one day to the next.
    """
    return ibis.literal(d).epoch_days().cast(I64)


def midnight(d: date) -> datetime:
    """Midnight (naive UTC) at the start of a day."""
    return datetime.combine(d, time())


@dataclass(frozen=True)
class Span:
    """The days one detection covers.

    Attributes:
        first: the first day whose new episodes are reported (None: all history).
        last: `as_of`, the last day included.
    """

    first: date | None
    last: date

    @classmethod
    def of(cls, ctx: MetricContext, since: date | None) -> Span:
        """The span of a detection as of `ctx.as_of` reporting episodes from `since`."""
        return cls(since, ctx.as_of)

    def first_day(self, shift: int = 0) -> ibis.Value:
        """The day number `shift` days from the first reported day, as a query value.

        Args:
            shift: days added to the first reported day (negative: before it).

        Returns:
            An int64 value (the span must have a first day).
        """
        if self.first is None:
            raise ValueError("the span reports all history: it has no first day")
        return day_value(self.first + timedelta(days=shift))

    def last_day(self) -> ibis.Value:
        """The day number of `as_of`, as a query value."""
        return day_value(self.last)

    @property
    def end_ts(self) -> datetime:
        """Exclusive upper timestamp bound: nothing after `as_of` is read."""
        return midnight(self.last + timedelta(days=1))

    def start_ts(self, lookback_days: int) -> datetime | None:
        """Inclusive lower timestamp bound: `lookback_days` before the first reported day.

        Args:
            lookback_days: how far back a rule must read to decide the first reported day
                and the day before it (its previous state).

        Returns:
            The bound, or None for all history.
        """
        if self.first is None:
            return None
        return midnight(self.first - timedelta(days=lookback_days))

    def clip(self, t: ibis.Table, col: str, lookback_days: int) -> ibis.Table:
        """Rows of `t` whose timestamp `col` is within [first − lookback, as_of]."""
        t = t.filter(t[col] < ibis.literal(self.end_ts))
        lo = self.start_ts(lookback_days)
        return t if lo is None else t.filter(t[col] >= ibis.literal(lo))


def day_col(ts: ibis.Value) -> ibis.Value:
    """Integer day number of a timestamp or date expression."""
    return ts.date().epoch_days().cast(I64)


def rolling(
    t: ibis.Table, windows: Mapping[str, tuple[str, int]], span: Span, *, key: str = "person_key"
) -> ibis.Table:
    """Trailing-window sums, evaluated on every day on which any of them can change.

    A window's sum changes only on a day with data or the day data falls out of it, so the
    sums are evaluated on those days (plus, for an incremental run, the day before the first
    reported one, which holds the previous state); between them they are constant.

    Args:
        t: sparse daily rows (`key`, d = day number, value columns).
        windows: output name → (value column, window length in days, ending on the day).
        span: the detection span (rows after `as_of` are dropped).
        key: the entity column.

    Returns:
        Table (key, d, value columns summed per day, one column per window).
    """
    cols = sorted({c for c, _ in windows.values()})
    zeros = {c: ibis.literal(0, type=I64) for c in cols}
    base = t.select(key, "d", *(t[c].cast(I64).name(c) for c in cols))
    parts = [base]
    for n in sorted({n for _, n in windows.values()}):
        parts.append(base.select(key, d=base.d + n, **zeros))
    if span.first is not None:
        people = base.select(key).distinct()
        parts.append(people.mutate(d=span.first_day(-1), **zeros))
    u = ibis.union(*parts, distinct=False)
    u = u.group_by(key, "d").aggregate(**{c: u[c].sum().cast(I64) for c in cols})
    out = u.mutate(
        **{
            name: u[col]
            .sum()
            .over(ibis.window(group_by=key, order_by="d", range=(-(n - 1), 0)))
            .cast(I64)
            for name, (col, n) in windows.items()
        }
    )
    out = out.filter(out.d <= span.last_day())
    if span.first is not None:
        out = out.filter(out.d >= span.first_day(-1))
    return out


def starts(t: ibis.Table, holds: ibis.Value, span: Span, *, key: str = "person_key") -> ibis.Table:
    """Rows on which a rule begins to hold (it did not on the person's previous evaluated day).

    Args:
        t: rows from `rolling` (one per key and evaluated day `d`).
        holds: boolean expression over `t`: the rule holds on that day.
        span: the detection span (only starts from its first day are kept).
        key: the entity column.

    Returns:
        The rows of `t` where an episode starts.
    """
    t = t.mutate(_holds=holds.fill_null(False))
    prev = t._holds.lag().over(ibis.window(group_by=key, order_by="d"))
    t = t.mutate(_prev=prev.fill_null(False))
    t = t.filter(t._holds & ~t._prev)
    if span.first is not None:
        t = t.filter(t.d >= span.first_day())
    return t.drop("_holds", "_prev")


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a (small) result frame as dicts."""
    return [{str(k): v for k, v in row.items()} for row in df.to_dict("records")]
