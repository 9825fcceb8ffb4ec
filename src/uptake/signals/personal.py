""" "My adoption": one person's own ladder level, its trend, their friction and what would help.

Shown to the person themselves (and to admins). It names no colleague and carries nothing
derived from anyone else's rows: the friction rules and the ladder are evaluated per person.
Typology is left out on purpose — a label such as "job-security anxiety" is for the people
who plan help, not a verdict to hand someone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd

from uptake.config.signals import SignalsSettings
from uptake.errors import NotAvailableError
from uptake.metrics.context import MetricContext
from uptake.metrics.families.ladder import Judged, basis, not_judged, person_levels
from uptake.metrics.families.ladder_history import history
from uptake.metrics.groups import complete_weeks
from uptake.metrics.privacy import jsonable
from uptake.signals import friction

TREND_WEEKS = 8
# What would help, in the person's own terms, per friction signal.
HELP: dict[str, str] = {
    "bounce_loop": "try one short practice task from start to finish: a walk-through is in "
    "the guide for your tool",
    "no_meaningful_use_14d": "start with one high-value use case for your role, in the tool "
    "you already work in",
    "week3_4_drop": "pick one task you do every week and use the tool for it again this week",
    "surface_use": "try it once on a piece of core work, with the worked example for your role",
    "rejection_streak": "suggestions can be steered: add context to the prompt, or tell the "
    "team if the tool does not fit the task",
    "override_spike": "note why you overrode recent recommendations: the feedback improves them",
    "distress_language": "your feedback was heard: a champion in your role can help in person",
}
# The next step up the ladder, when nothing is in the way.
NEXT_STEP: dict[int, str] = {
    1: "start: one use case for your role, once this week",
    2: "make it a habit: the same task with AI on most days for two weeks",
    3: "take it to higher-stakes work, where the time saved is largest",
    4: "share what works: colleagues in your role ask champions like you first",
    5: "you are at the top of the ladder: help others climb it",
}


def my_adoption(
    ctx: MetricContext, person_key: str, settings: SignalsSettings | None = None
) -> dict[str, Any]:
    """One person's own adoption picture.

    Args:
        ctx: metric context (facts refreshed).
        person_key: the person.
        settings: the `[signals]` settings (default: their defaults).

    Returns:
        {as_of, ladder ("L1".."L5" or None when not licensed), basis, trend (week, level),
        flags (signal, since, evidence, help), next_step, not_judged (levels the data cannot
        judge: {"L5": needs} without who-helps-whom or feedback)}.

    Raises:
        NotAvailableError: without licences and activity (no ladder).
    """
    s = settings or SignalsSettings()
    rules = basis(ctx)
    if rules is None:
        raise NotAvailableError("the ladder needs licences and activity", needs=["licenses"])
    levels = person_levels(ctx)
    mine = levels[levels["person_key"] == person_key]
    level = int(mine["level"].iloc[0]) if len(mine) else None
    weeks = complete_weeks(ctx, TREND_WEEKS)
    trend: list[dict[str, Any]] = []
    if weeks:
        h = ctx.engine.execute(history(ctx, weeks, rules))
        h = h[h["person_key"] == person_key].sort_values("week")
        trend = [
            {"week": pd.Timestamp(w).date().isoformat(), "level": f"L{int(lv)}"}
            for w, lv in zip(h["week"], h["level"], strict=True)
        ]
    recent = ctx.as_of - timedelta(days=s.recent_days - 1)
    found = friction.detect(ctx, s.friction)
    flags = [
        {
            "signal": f.signal,
            "since": f.since.isoformat(),
            "evidence": {k: jsonable(v) for k, v in f.evidence.items()},
            "help": HELP.get(f.signal),
        }
        for f in found.flags
        if f.person_key == person_key and f.since >= recent
    ]
    return {
        "as_of": ctx.as_of.isoformat(),
        "ladder": f"L{level}" if level else None,
        "basis": str(mine["basis"].iloc[0]) if len(mine) else rules,
        "trend": trend,
        "flags": flags,
        # Which detectors could look at all: on vendor data several cannot, and "none picked
        # you up" must not read as if all seven had.
        "detectors": {"ran": friction.detectors_ran(found.status), "of": len(found.status)},
        "next_step": NEXT_STEP.get(level or 0, "not licensed for an AI tool on this date"),
        # On vendor exports alone nobody can be seen to advocate: "to reach L5, help
        # colleagues" would set a goal the workspace could never show as met.
        "not_judged": not_judged(Judged.of(ctx)),
    }
