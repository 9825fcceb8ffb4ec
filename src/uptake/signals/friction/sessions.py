"""Rules that need sessions: bounce loops and session coverage (event-level telemetry only).

Rejection streaks, the other rule on sessions' events, are in `streaks`.
"""

from __future__ import annotations

import ibis
import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.schema.tables import MEANINGFUL_ACTIONS
from uptake.signals.base import Flag
from uptake.signals.friction.rules import FrictionRules
from uptake.signals.friction.windows import I64, Span, day_col, day_of, rolling, starts


def session_coverage(ctx: MetricContext, span: Span) -> tuple[int, int]:
    """How many people have events up to `as_of`, and how many of them have no sessions.

    Args:
        ctx: the metric context.
        span: the detection span.

    Returns:
        (people with events, people whose events carry no session id — vendor daily counts).
    """
    if not ctx.has("events"):
        return 0, 0
    e = ctx.engine.table("events")
    e = e.filter(e.ts < ibis.literal(span.end_ts))
    per = e.group_by("person_key").aggregate(s=e.session_id.notnull().ifelse(1, 0).max())
    df = ctx.engine.execute(per.aggregate(n=per.count(), without=(per.s == 0).ifelse(1, 0).sum()))
    return int(df["n"].iloc[0] or 0), int(df["without"].iloc[0] or 0)


def _sessions(ctx: MetricContext, span: Span, lookback: int) -> ibis.Table:
    """One row per session that starts in the span (less `lookback` days)."""
    e = ctx.engine.table("events")
    e = e.filter(e.session_id.notnull())
    # Read a day more than needed so a session begun the day before keeps its true start.
    e = span.clip(e, "ts", lookback + 1)
    g = e.group_by("person_key", "session_id").aggregate(
        start=e.ts.min(),
        last=e.ts.max(),
        end_ms=(e.action == "session_end").ifelse(e.duration_ms, ibis.null(I64)).max(),
        meaningful=e.action.isin(MEANINGFUL_ACTIONS).ifelse(1, 0).sum(),
    )
    lo = span.start_ts(lookback)
    if lo is not None:
        g = g.filter(g.start >= ibis.literal(lo))
    # A session without a session_end event lasts from its first to its last event.
    return g.mutate(
        ms=g.end_ms.fill_null(g.last.delta(g.start, unit="millisecond")).cast(I64),
        d=day_col(g.start),
    )


def bounce_loop(ctx: MetricContext, rules: FrictionRules, span: Span) -> list[Flag]:
    """Bounce loops: ≥ `bounce_sessions` short sessions without a meaningful event in a window.

    Args:
        ctx: the metric context.
        rules: the thresholds.
        span: the detection span.

    Returns:
        One flag per episode (maximal run of days on which the trailing window holds
        enough short sessions), `since` = its first day.
    """
    s = _sessions(ctx, span, rules.bounce_days)
    short = s.filter((s.ms < rules.bounce_seconds * 1000) & (s.meaningful == 0))
    daily = short.group_by("person_key", "d").aggregate(short=short.count())
    r = rolling(daily, {"short_w": ("short", rules.bounce_days)}, span)
    st = starts(r, r.short_w >= rules.bounce_sessions, span).select("person_key", "d", "short_w")
    sh = short.select(s_key=short.person_key, s_d=short.d, sid=short.session_id, at=short.start,
                      ms=short.ms)  # fmt: skip
    j = st.join(
        sh,
        (st.person_key == sh.s_key) & (sh.s_d <= st.d) & (sh.s_d > st.d - rules.bounce_days),
    )
    df = ctx.engine.execute(j.select("person_key", "d", "short_w", "sid", "at", "ms"))
    flags = []
    for (key, d_), g in df.sort_values(["person_key", "d", "at", "sid"]).groupby(
        ["person_key", "d"], sort=True
    ):
        d = int(d_)  # type: ignore[call-overload]
        day = day_of(d)
        flags.append(
            Flag(
                str(key),
                "bounce_loop",
                day,
                {
                    "window": {
                        "start": day_of(d - rules.bounce_days + 1).isoformat(),
                        "end": day.isoformat(),
                    },
                    "short_sessions": len(g),
                    "threshold": {
                        "sessions": rules.bounce_sessions,
                        "seconds": rules.bounce_seconds,
                        "days": rules.bounce_days,
                    },
                    "sessions": [
                        {
                            "session_id": str(sid),
                            "start": pd.Timestamp(at).isoformat(),
                            "seconds": round(int(ms) / 1000, 1),
                        }
                        for sid, at, ms in zip(g["sid"], g["at"], g["ms"], strict=True)
                    ],
                },
            )
        )
    return flags
