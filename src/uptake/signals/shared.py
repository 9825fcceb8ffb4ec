"""Reads several detectors share in one signals build: ladder levels and ladder history.

The report, champions, managers and silence each read every person's ladder level on
`as_of`, and the report, managers and champion impact each read levels at the ends of recent
weeks. They are read once per `MetricContext` (one computation over refreshed facts, the
same lifetime as its table-presence cache) and each caller gets its own copy.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.metrics.families.ladder import person_levels
from uptake.metrics.families.ladder_history import history

# Attribute of the context holding the reads (a dataclass instance takes one).
_ATTR = "_signals_shared"


def _cache(ctx: MetricContext) -> dict[Any, Any]:
    cache: dict[Any, Any] | None = getattr(ctx, _ATTR, None)
    if cache is None:
        cache = {}
        setattr(ctx, _ATTR, cache)
    return cache


def levels(ctx: MetricContext) -> pd.DataFrame:
    """`person_levels(ctx)` on `as_of`, read once per context.

    Args:
        ctx: metric context.

    Returns:
        A copy of the frame (person_key, level, basis, rule inputs).
    """
    cache = _cache(ctx)
    if "levels" not in cache:
        cache["levels"] = person_levels(ctx)
    frame: pd.DataFrame = cache["levels"]
    return frame.copy()


def level_history(ctx: MetricContext, weeks: list[date], rules: str) -> pd.DataFrame:
    """Levels at the end of each of `weeks`, as `ladder_history.history` gives them.

    A week's levels do not depend on which other weeks are asked for (each reads its own
    look-back), so one read of every week from the earliest asked to the latest serves the
    later calls that fall inside it.

    Args:
        ctx: metric context.
        weeks: week start dates, oldest first.
        rules: the ladder basis (`tasks` or `activity_proxy`).

    Returns:
        Frame (person_key, week, level) for the asked weeks.
    """
    cache = _cache(ctx)
    lo, hi = min(weeks), max(weeks)
    got = cache.get(("history", rules))
    if got is not None and got[0] <= lo and hi <= got[1]:
        frame: pd.DataFrame = got[2]
    else:
        if got is not None:
            lo, hi = min(lo, got[0]), max(hi, got[1])
        every = [lo + timedelta(days=7 * i) for i in range((hi - lo).days // 7 + 1)]
        frame = ctx.engine.execute(history(ctx, every, rules))
        cache[("history", rules)] = (lo, hi, frame)
    asked = set(weeks)
    week = pd.to_datetime(frame["week"]).dt.date
    return frame[week.isin(asked).to_numpy()].reset_index(drop=True)
