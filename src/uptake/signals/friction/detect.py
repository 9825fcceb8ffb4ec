"""`detect`: every friction rule over a span of days, batch and incremental alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from uptake.errors import UptakeError
from uptake.metrics.context import MetricContext
from uptake.metrics.seats import seats
from uptake.signals.base import Flag
from uptake.signals.friction.activity import (
    meaningful_tools,
    no_meaningful_use,
    surface_use,
    week3_4_drop,
)
from uptake.signals.friction.distress import (
    VOICE_MODULE,
    DistressFn,
    distress_language,
    load_distress,
)
from uptake.signals.friction.overrides import override_spike
from uptake.signals.friction.rules import (
    NEEDS_SESSIONS,
    SESSION_SIGNALS,
    SIGNALS,
    FrictionReport,
    FrictionRules,
)
from uptake.signals.friction.sessions import bounce_loop, session_coverage
from uptake.signals.friction.streaks import rejection_streak
from uptake.signals.friction.windows import Span

Rule = Callable[[MetricContext, FrictionRules, Span], list[Flag]]
# What each rule reads ("table" or "table.column", as MetricContext.missing takes them).
NEEDS: dict[str, tuple[str, ...]] = {
    "bounce_loop": ("events.session_id",),
    "no_meaningful_use_14d": ("licenses",),
    "week3_4_drop": ("events",),
    "surface_use": ("tasks", "workflows.stakes"),
    "rejection_streak": ("events.session_id",),
    "override_spike": ("decisions",),
    "distress_language": ("feedback.person_key",),
}
RULES: dict[str, Rule] = {
    "bounce_loop": bounce_loop,
    "no_meaningful_use_14d": no_meaningful_use,
    "week3_4_drop": week3_4_drop,
    "surface_use": surface_use,
    "rejection_streak": rejection_streak,
    "override_spike": override_spike,
}
_UNSET: Any = object()


def detect(
    ctx: MetricContext,
    rules: FrictionRules | None = None,
    *,
    since: date | None = None,
    signals: tuple[str, ...] = SIGNALS,
    distress_fn: DistressFn | None = _UNSET,
) -> FrictionReport:
    """Run the friction rules as of `ctx.as_of`, reporting episodes that start from `since`.

    Every rule is causal (a day's state reads only data up to that day) and reports an
    episode once, on its first day, with the evidence of that day; so one run over all
    history gives the same flags as runs day by day (`since = as_of`) or over just the days
    a new batch touched (`since` = its earliest day), each reading only the look-back its
    windows need.

    Args:
        ctx: the metric context; nothing after `ctx.as_of` is read.
        rules: the thresholds (default `FrictionRules()`).
        since: first day whose new episodes are reported; None for all history.
        signals: which rules to run (default all).
        distress_fn: texts → one bool per text (frustrated and uncertain); by default the
            voice module's `distress`, and the signal is not available while it is missing.

    Returns:
        The flags, sorted by signal, person and day, and each signal's status.
    """
    rules = rules or FrictionRules()
    if since is not None and since > ctx.as_of:
        return FrictionReport(status={s: {"status": "available"} for s in signals})
    span = Span.of(ctx, since)
    if distress_fn is _UNSET:
        distress_fn = load_distress()
    # Coverage reads every event up to as_of: only the session rules' status needs it.
    people, without = session_coverage(ctx, span) if set(signals) & set(SESSION_SIGNALS) else (0, 0)
    report = FrictionReport()
    for name in signals:
        if name not in NEEDS:
            raise ValueError(f"unknown friction signal {name!r}; expected one of {SIGNALS}")
        missing = ctx.missing(*NEEDS[name])
        if name == "distress_language" and distress_fn is None:
            missing = [*missing, VOICE_MODULE]
        if missing:
            needs = [NEEDS_SESSIONS if m == "events.session_id" else m for m in missing]
            report.status[name] = {"status": "not_available", "needs": needs}
            continue
        if name == "distress_language":
            assert distress_fn is not None
            try:
                flags = distress_language(ctx, rules, span, distress_fn)
            except UptakeError as exc:
                # The classifier exists but cannot answer (e.g. its model is not trained yet).
                report.status[name] = {"status": "not_available", "needs": [VOICE_MODULE],
                                       "reason": str(exc)}  # fmt: skip
                continue
        elif name == "no_meaningful_use_14d":
            # Its tools are read once, for the rule and for its status.
            tools = meaningful_tools(ctx, span)
            flags = no_meaningful_use(ctx, rules, span, tools)
        else:
            flags = RULES[name](ctx, rules, span)
        report.flags.extend(flags)
        status: dict[str, Any] = {"status": "available", "flags": len(flags)}
        if name == "no_meaningful_use_14d" and (blind := _blind_tools(ctx, span, tools)):
            status.update(status="partial", needs=[f"meaningful events from {t}" for t in blind])
        if name in SESSION_SIGNALS and without:
            # People seen only through vendor daily counts have no sessions to read.
            status.update(status="partial", needs=[NEEDS_SESSIONS], people_without=without,
                          people=people)  # fmt: skip
        report.status[name] = status
    report.flags.sort(key=lambda f: (SIGNALS.index(f.signal), f.person_key, f.since))
    return report


def _blind_tools(ctx: MetricContext, span: Span, tools: list[str]) -> list[str]:
    """Licensed tools whose data never shows a meaningful event (their seats are skipped)."""
    lic = seats(ctx.engine)
    held = ctx.engine.execute(lic.filter(lic.assigned_at < span.end_ts).select("tool").distinct())
    seen = set(tools)
    return sorted(str(t) for t in held["tool"] if t not in seen)
