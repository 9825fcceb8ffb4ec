"""Rejection streaks: many rejects in a row, found in one ordered pass over accepts and rejects.

The engine reads the accept and reject events (person, time, id, which); the ordering and the
streak arithmetic run here on integer arrays. As window functions over the events (a running
count of accepts partitioned by person, ordered by time and event id) the same rule took
about 5 s at ten million events, most of it sorting by a text tie-breaker that almost never
decides anything; here the id orders only events of one person at the same instant.
"""

from __future__ import annotations

from collections.abc import Callable

import ibis
import numpy as np
import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.signals.base import Flag
from uptake.signals.friction.rules import FrictionRules
from uptake.signals.friction.windows import Span

MS_PER_DAY = 86_400_000


def rejection_streak(ctx: MetricContext, rules: FrictionRules, span: Span) -> list[Flag]:
    """Rejection streaks: ≥ `streak_rejects` rejects in a row, the last of them within days.

    A streak is a maximal run of `reject` events with no `accept` between them (in time
    order, event id breaking ties); it flags on the reject that first makes the last
    `streak_rejects` rejects of the streak fall within `streak_days` days. One flag per
    streak.

    Args:
        ctx: the metric context.
        rules: the thresholds.
        span: the detection span.

    Returns:
        One flag per streak that reached the threshold, `since` = the day it did.
    """
    e = ctx.engine.table("events")
    e = e.filter(e.session_id.notnull() & e.action.isin(("accept", "reject")))
    e = e.filter(e.ts < ibis.literal(span.end_ts))
    if span.first is not None:
        # Incremental: a streak open at the first reported day began after the person's last
        # accept before it; read from there, so a streak that already flagged is not new.
        first_ts = ibis.literal(span.start_ts(0))
        acc = e.filter((e.action == "accept") & (e.ts < first_ts))
        anchor = acc.group_by(a_key=acc.person_key).aggregate(anchor=acc.ts.max())
        e = e.left_join(anchor, e.person_key == anchor.a_key)
        e = e.filter(e.anchor.isnull() | (e.ts >= e.anchor)).drop("a_key", "anchor")
    df = ctx.engine.execute(e.select("person_key", "ts", accept=e.action == "accept"))
    found = _streaks(df, rules.streak_rejects, rules.streak_days, lambda pairs: _ties(e, pairs))
    if (lo := span.start_ts(0)) is not None:
        found = found[found["ts"] >= pd.Timestamp(lo)]
    found = found.sort_values(["person_key", "ts"], kind="stable")
    n = rules.streak_rejects
    return [
        Flag(
            str(key),
            "rejection_streak",
            pd.Timestamp(at).date(),
            {
                "rejects_in_a_row": int(k),
                "streak_start": pd.Timestamp(s0).isoformat(),
                "window": {
                    "start": pd.Timestamp(lo).isoformat(),
                    "end": pd.Timestamp(at).isoformat(),
                },
                "threshold": {"rejects": n, "days": rules.streak_days},
            },
        )
        for key, at, k, lo, s0 in zip(
            found["person_key"],
            found["ts"],
            found["k"],
            found["lead_ts"],
            found["streak_start"],
            strict=True,
        )
    ]


def _ties(e: ibis.Table, pairs: pd.DataFrame) -> pd.DataFrame:
    """Accept flags of the events at the given (person_key, ts) pairs, in event id order."""
    want = ibis.memtable(pairs.rename(columns={"person_key": "t_key", "ts": "t_ts"}))
    j = e.join(want, (e.person_key == want.t_key) & (e.ts == want.t_ts))
    j = j.select("person_key", "ts", "event_id", accept=j.action == "accept")
    return j.order_by("person_key", "ts", "event_id").execute()


def _order(person: np.ndarray, micros: np.ndarray) -> np.ndarray:
    """Row order by person, then time (one integer key when both fit in 63 bits)."""
    span = int(micros.max() - micros.min()) if len(micros) else 0
    bits = max(span.bit_length(), 1)
    if int(person.max(initial=0)).bit_length() + bits <= 62:
        key = (person.astype(np.int64) << bits) | (micros - micros.min())
        return np.argsort(key, kind="stable")
    return np.lexsort((micros, person))


def _streaks(
    df: pd.DataFrame, n: int, days: int, ties: Callable[[pd.DataFrame], pd.DataFrame]
) -> pd.DataFrame:
    """The reject that first reaches the threshold in each streak, with its evidence.

    Args:
        df: accept and reject events (person_key, ts, accept).
        n: rejects in a row.
        days: within this many days (first to last of the n).
        ties: (person_key, ts) pairs → their events' accept flags in event id order (the
            id decides the order only there, so it is read only there).

    Returns:
        Frame (person_key, ts, k = rejects in the streak so far, lead_ts = the first of
        the last n, streak_start).
    """
    cols = ["person_key", "ts", "k", "lead_ts", "streak_start"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    person, keys = pd.factorize(df["person_key"], use_na_sentinel=False)
    ts = df["ts"]
    micros = ts.to_numpy(dtype="datetime64[us]").astype(np.int64)
    order = _order(person, micros)
    accept = df["accept"].to_numpy(dtype=bool)[order]
    p, t = person[order], micros[order]
    tie = (p[1:] == p[:-1]) & (t[1:] == t[:-1])
    if tie.any():
        # Events of one person at one instant: only their accept/reject sequence differs,
        # so it is taken in event id order from the engine (missing ids last, as it sorts).
        tied = np.zeros(len(order), dtype=bool)
        tied[1:] |= tie
        tied[:-1] |= tie
        at = order[np.flatnonzero(tied & ~np.r_[False, tie])]
        pairs = pd.DataFrame({"person_key": df["person_key"].iloc[at].to_numpy(),
                              "ts": ts.iloc[at].to_numpy()})  # fmt: skip
        got = ties(pairs)
        # In this function's row order: groups by person code and time, each group's
        # events kept in the engine's event id order (a stable sort).
        code = keys.get_indexer(pd.Index(got["person_key"])).astype(np.int64)
        at_us = got["ts"].to_numpy(dtype="datetime64[us]").astype(np.int64)
        again = np.lexsort((np.arange(len(got)), at_us, code))
        accept[tied] = got["accept"].to_numpy(dtype=bool)[again]
    # Streak = accepts so far: together with the person it names the run a reject is in.
    streak = np.cumsum(accept)
    rej = order[~accept]
    if not len(rej):
        return pd.DataFrame(columns=cols)
    p, s, t = person[rej], streak[~accept], micros[rej]
    new = np.ones(len(rej), dtype=bool)
    new[1:] = (p[1:] != p[:-1]) | (s[1:] != s[:-1])
    group = np.cumsum(new) - 1
    begin = np.flatnonzero(new)
    pos = np.arange(len(rej)) - begin[group]
    # The first of the last n rejects (same streak when pos >= n - 1).
    lead = np.arange(len(rej)) - (n - 1)
    ok = pos >= n - 1
    lead_at = np.where(ok, lead, 0)
    # Milliseconds between them as the engine counts them (each time truncated to the ms).
    span_ms = t // 1000 - t[lead_at] // 1000
    trig = ok & (span_ms < days * MS_PER_DAY)
    hit = np.flatnonzero(trig)
    _, first = np.unique(group[hit], return_index=True)
    hit = hit[first]
    values = ts.to_numpy()
    return pd.DataFrame(
        {
            "person_key": keys[p[hit]],
            "ts": values[rej[hit]],
            "k": pos[hit] + 1,
            "lead_ts": values[rej[lead_at[hit]]],
            "streak_start": values[rej[begin[group[hit]]]],
        },
        columns=cols,
    )
