"""Vanity vs value: the login numbers beside the value they fail to predict.

Puts licences (seats assigned) and monthly active users (licensed people with an event in
the window) beside the L3+ share of the adoption ladder, depth of use and hours saved per
week. The gap is one number: the active-user rate minus the L3+ share, in percentage points
of licensed people — how much of the "adoption" a login dashboard shows is not adoption.

It reads the results computed before it (`ctx.results`), so it runs last; inputs that are
not available are named, never read as zero.
"""

from __future__ import annotations

from typing import Any

from uptake.metrics.context import MetricContext
from uptake.metrics.privacy import SUPPRESSED
from uptake.metrics.result import MetricResult, MetricSpec, PublicRows, not_available

SPEC = MetricSpec(
    name="vanity_vs_value",
    family="vanity",
    label="gap between people active and people at L3+ (percentage points)",
    unit="points",
    headline="gap_points",
    needs=("licenses", "events"),
    definition="gap_points = 100 × (share of licensed people active in the window − share at L3+)",
)
SPECS: tuple[MetricSpec, ...] = (SPEC,)
# Value read beside the gap: (field, source metric, source field).
BESIDE = (
    ("licenses", "licenses", "seats"),
    ("depth", "depth_of_use", "depth"),
    ("hours_saved_per_week", "outcomes", "hours_per_week"),
)


def compute(ctx: MetricContext) -> list[MetricResult]:
    """The `vanity_vs_value` result.

    Args:
        ctx: metric context; `ctx.results` holds the usage, ladder, depth, licenses and
            outcomes results.

    Returns:
        One result.
    """
    usage = ctx.results.get("usage_rate")
    ladder = ctx.results.get("adoption_ladder")
    if usage is None or ladder is None or not usage.available or not ladder.available:
        needs = [*(usage.needs if usage else SPEC.needs), *(ladder.needs if ladder else ())]
        return [not_available(SPEC, *needs)]
    if usage.suppressed or ladder.suppressed:
        return [MetricResult(SPEC, suppressed=usage.suppressed or ladder.suppressed)]
    rate, l3 = usage.values["rate"], ladder.values["l3_plus_share"]
    values: dict[str, Any] = {
        "monthly_active_users": usage.values["active"],
        "active_rate": rate,
        "l3_plus_share": l3,
        "ladder_basis": ladder.basis,
        "gap_points": _gap(rate, l3),
    }
    unavailable: dict[str, list[str]] = {}
    for key, source, field in BESIDE:
        found = ctx.results.get(source)
        if found is None or not found.available:
            values[key] = None
            unavailable[key] = sorted(found.needs) if found else [source]
        elif found.suppressed:
            values[key] = None
            unavailable[key] = ["suppressed below the minimum group size"]
        else:
            values[key] = found.values.get(field)
    if unavailable:
        values["not_available"] = unavailable
    out = MetricResult(
        SPEC, values, n=usage.n, basis=ladder.basis, noisy=usage.noisy or ladder.noisy
    )
    if ctx.by is not None and usage.segments is not None and ladder.segments is not None:
        out.by = ctx.by
        out.segments = _segments(usage.segments, ladder.segments)
    return [out]


def _gap(active_rate: float | None, l3_share: float | None) -> float | None:
    if active_rate is None or l3_share is None:
        return None
    return round(100 * (active_rate - l3_share), 2)


def _segments(usage_rows: PublicRows, ladder_rows: PublicRows) -> PublicRows:
    ladder = {r["segment"]: r for r in ladder_rows}

    def row(u: dict[str, Any]) -> dict[str, Any]:
        lad = ladder.get(u["segment"], {SUPPRESSED: "small"})
        if u.get(SUPPRESSED) or lad.get(SUPPRESSED):
            # Hidden in either source: hidden here, for the source's reason.
            return {"segment": u["segment"], SUPPRESSED: u.get(SUPPRESSED) or lad[SUPPRESSED]}
        return {
            "segment": u["segment"],
            "n": u["n"],
            "active_rate": u["rate"],
            "l3_plus_share": lad["l3_plus_share"],
            "gap_points": _gap(u["rate"], lad["l3_plus_share"]),
            SUPPRESSED: False,
        }

    return usage_rows.derive(row)
