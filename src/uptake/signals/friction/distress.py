"""Distress language: feedback both frustrated and uncertain, judged by the voice module."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from uptake.errors import NotAvailableError
from uptake.metrics.context import MetricContext
from uptake.signals.base import Flag
from uptake.signals.friction.rules import FrictionRules
from uptake.signals.friction.windows import Span

DistressFn = Callable[[Sequence[str]], Sequence[bool]]
VOICE_MODULE = "uptake.signals.voice"


def load_distress(cache: Path | None = None) -> DistressFn | None:
    """The voice module's `distress(texts) -> list[bool]`, or None while it does not exist.

    The module is imported on the first call, not here: it loads scikit-learn (over a second
    in a new process), which a detection whose span holds no feedback text never needs —
    the live update after a day of events, say.

    Args:
        cache: folder of the voice scores kept between processes (None: none kept).

    Returns:
        The classifier, or None when `uptake.signals.voice` is missing.
    """
    # Looked up by name: the voice module is built separately and may not exist.
    try:
        if importlib.util.find_spec(VOICE_MODULE) is None:
            return None
    except ModuleNotFoundError:  # its parent package is missing too
        return None
    stores: list[Any] = []

    def distress(texts: Sequence[str]) -> Sequence[bool]:
        module = importlib.import_module(VOICE_MODULE)
        fn = getattr(module, "distress", None)
        if not callable(fn):
            raise NotAvailableError(
                f"{VOICE_MODULE} has no distress classifier", needs=[VOICE_MODULE]
            )
        if cache is None:
            result: Sequence[bool] = fn(texts)
            return result
        if not stores:
            stores.append(module.ScoreStore(cache))
        kept: Sequence[bool] = fn(texts, stores[0])
        return kept

    return distress


def distress_language(
    ctx: MetricContext, rules: FrictionRules, span: Span, distress_fn: DistressFn
) -> list[Flag]:
    """Feedback a person gave that the classifier calls distressed (frustrated and uncertain).

    Distressed items less than `distress_gap_days` apart are one episode.

    Args:
        ctx: the metric context (needs feedback with a person).
        rules: the thresholds.
        span: the detection span.
        distress_fn: texts → one bool per text.

    Returns:
        One flag per episode, `since` = the day of its first item; the evidence lists the
        distressed items of that day.
    """
    f = span.clip(ctx.engine.table("feedback"), "ts", rules.distress_gap_days)
    f = f.filter(f.person_key.notnull() & f.text.notnull())
    df = ctx.engine.execute(f.select("feedback_id", "person_key", "ts", "channel", "text"))
    if df.empty:
        return []
    hits = list(distress_fn(df["text"].astype(str).tolist()))
    if len(hits) != len(df):
        raise ValueError(f"distress_fn returned {len(hits)} answers for {len(df)} texts")
    df = df[pd.Series(hits, index=df.index, dtype=bool)]
    df = df.sort_values(["person_key", "ts", "feedback_id"]).reset_index(drop=True)
    df["day"] = pd.to_datetime(df["ts"]).dt.date
    # Seconds since the person's previous distressed item (NaN for their first).
    at = pd.to_datetime(df["ts"])
    gap = (at - at.groupby(df["person_key"]).shift()) / pd.Timedelta(seconds=1)
    df["new"] = gap.isna() | (gap >= rules.distress_gap_days * 86_400)
    df["episode"] = df["new"].cumsum()
    df["since"] = df.groupby("episode")["day"].transform("first")
    first = df[df["day"] == df["since"]]
    if span.first is not None:
        first = first[first["since"] >= span.first]
    flags = []
    for (key, since), g in first.groupby(["person_key", "since"], sort=True):
        flags.append(
            Flag(
                str(key),
                "distress_language",
                pd.Timestamp(since).date(),  # type: ignore[arg-type]
                {
                    "items": [
                        {
                            "feedback_id": str(i),
                            "ts": pd.Timestamp(t).isoformat(),
                            "channel": str(c),
                        }
                        for i, t, c in zip(g["feedback_id"], g["ts"], g["channel"], strict=True)
                    ],
                    "threshold": {"gap_days": rules.distress_gap_days},
                },
            )
        )
    return flags
