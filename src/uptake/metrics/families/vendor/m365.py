"""Microsoft 365 Copilot as Microsoft reports it: enabled and active users per app.

Read from the Graph user count reports (`m365-copilot-usage`): the trend's `enabled_users` /
`active_users` per app on its latest report date in the window, and the summary's
`period_enabled_users` / `period_active_users` for the refresh date in the window (the period
nearest the window's length when several are present). The headline is the summary's any-app
numbers for that period, else the trend's latest day (one day alone, a weekend's perhaps, says
little against a window). Tenants (scopes) are added up.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.metrics.families.vendor.common import (
    HIDDEN,
    VENDOR_AGGREGATE,
    aggregate_rows,
    count,
    coverage,
    last_hidden,
    merge,
    scoped_people,
    uptake_side,
    widest_scopes,
    window,
)
from uptake.metrics.result import MetricResult, MetricSpec, not_available

TOOL = "m365-copilot"
ANY = "any"
TREND = ("enabled_users", "active_users")
SUMMARY = ("period_enabled_users", "period_active_users")

SPEC = MetricSpec(
    name="vendor_m365_copilot",
    family="vendor",
    label="of Copilot-enabled users active in any app, as Microsoft reports",
    unit="share",
    headline="active_share",
    needs=("aggregate_facts",),
    definition=(
        "Microsoft's own user counts, as reported: enabled and active users per app for the "
        "summary's period nearest the window (else the latest trend day in it) and per app on "
        "the latest trend day; active share = active ÷ enabled users of any app; beside them "
        "uptake's licensed and active people for m365-copilot"
    ),
)
NEEDS = ("aggregate_facts (m365-copilot-usage user count trend or summary)",)


def compute(ctx: MetricContext) -> MetricResult:
    """The `vendor_m365_copilot` result.

    Args:
        ctx: metric context (facts refreshed).

    Returns:
        Microsoft's enabled and active users per app beside uptake's numbers, or not
        available naming the reports to ingest.
    """
    k = ctx.min_group_size
    rows = aggregate_rows(ctx, TOOL)
    rows = rows[rows["metric"].isin(TREND + SUMMARY)]
    ever = coverage(ctx, TOOL)
    user_data = _has_user_data(ctx)
    if rows.empty and not user_data:
        if ever is None:
            return not_available(SPEC, *NEEDS)
        return not_available(
            SPEC,
            "aggregate_facts (m365-copilot days in the window)",
            note=(
                f"Microsoft's user counts cover {ever['start']} to {ever['end']}, "
                "outside the window"
            ),
        )
    values: dict[str, Any] = {"window": window(ctx)}
    notes: list[str] = []
    trend = _apps(rows, TREND, k, None)
    summary = _summary(ctx, rows, k)
    if trend is None and summary is None:
        gone = "Microsoft's user count reports hold no day in the window"
        notes.append(gone + (f" (they cover {ever['start']} to {ever['end']})" if ever else ""))
        values.update(active_share=None, days_covered=0)
    else:
        days = sorted(set(rows["day"]))
        values.update(
            source="m365-copilot-usage",
            scope=", ".join(widest_scopes(rows["scope"])),
            days_covered=len(days),
            first_day=days[0].isoformat(),
            latest_day=days[-1].isoformat(),
        )
        # The summary's period (nearest the window's length) is the headline: the window's
        # own span, as uptake's active people are. The trend's latest day alone was often a
        # Sunday, when hardly anyone works ("< 5 people" beside 200 active that month).
        head = summary or trend
        assert head is not None
        values["report"] = "user count summary" if summary is not None else "user count trend"
        for field in ("enabled_users", "active_users", "active_share"):
            values[field] = head["apps"].get(ANY, {}).get(field)
            why = head["apps"].get(ANY, {}).get(HIDDEN, {}).get(field)
            if why:
                merge(values, {HIDDEN: {field: why}})
        if trend is not None:
            values["apps_day"] = trend["day"]
            values["apps"] = trend["apps"]
        if summary is not None:
            values["period"] = summary
    side, missing = uptake_side(ctx, TOOL, SPEC.name)
    values["uptake"] = side
    notes += missing
    basis = VENDOR_AGGREGATE if values.get("days_covered") else "vendor per-user report"
    return MetricResult(
        SPEC, last_hidden(values), basis=basis, notes=tuple(notes), noisy=ctx.noise.enabled
    )


def _has_user_data(ctx: MetricContext) -> bool:
    """Whether Microsoft's user detail (seats or events of the tool) was ingested."""
    for table, col in (("events", "tool"), ("person_facts", "tool")):
        if ctx.has(table):
            t = ctx.engine.table(table)
            if count(ctx, t.filter(t[col] == TOOL).limit(1).count()):
                return True
    return False


def _apps(
    rows: pd.DataFrame, metrics: tuple[str, str], k: int, period: str | None
) -> dict[str, Any] | None:
    """Enabled and active users per app on the latest day holding `metrics` (scopes added up)."""
    part = rows[rows["metric"].isin(metrics)]
    if period is not None:
        part = part[[d.get("period_days") == period for d in part["dims"]]]
    if part.empty:
        return None
    day = max(part["day"])
    part = part[part["day"] == day]
    part = part[part["scope"].isin(widest_scopes(part["scope"]))]
    enabled, active = metrics
    apps: dict[str, Any] = {}
    names = sorted({d.get("app", ANY) for d in part["dims"]}, key=lambda a: (a != ANY, a))
    for app in names:
        mine = part[[d.get("app", ANY) == app for d in part["dims"]]]
        raw: dict[str, dict[str, Any]] = {}
        for scope, rows_of in mine.groupby("scope"):
            got = rows_of.groupby("metric")["value"].sum()
            raw[str(scope)] = {
                field: float(got[metric])
                for metric, field in ((enabled, "enabled_users"), (active, "active_users"))
                if metric in got.index
            }
        shown, _ = scoped_people(raw, ("enabled_users", "active_users"), k)
        shown["active_share"] = _share(shown)
        hidden = shown.get(HIDDEN, {})
        if "active_users" in hidden or "enabled_users" in hidden:
            # A share of a hidden count would give it back.
            shown["active_share"] = None
            hidden["active_share"] = hidden.get("active_users") or hidden["enabled_users"]
        apps[app] = last_hidden(shown)
    return {"day": day.isoformat(), "apps": apps}


def _share(app: dict[str, Any]) -> float | None:
    enabled, active = app.get("enabled_users"), app.get("active_users")
    if not enabled or active is None:
        return None
    return round(active / enabled, 6)


def _summary(ctx: MetricContext, rows: pd.DataFrame, k: int) -> dict[str, Any] | None:
    """The summary's apps for the period nearest the window (longer on a tie)."""
    part = rows[rows["metric"].isin(SUMMARY)]
    if part.empty:
        return None
    periods = {d.get("period_days") for d in part["dims"]} - {None}
    if not periods:
        return None
    days = {p: int(float(p)) for p in periods if _is_number(p)}
    chosen = min(days, key=lambda p: (abs(days[p] - ctx.window_days), -days[p])) if days else None
    if chosen is None:
        return None
    out = _apps(part, SUMMARY, k, chosen)
    if out is None:
        return None
    return {"period_days": days[chosen], **out}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
