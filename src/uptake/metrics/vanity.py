"""Vanity vs value (DESIGN §6.10): the login numbers beside the value they fail to predict.

Puts licences (seats assigned) and monthly active users (licensed people with an event in
the window) beside the L3+ share of the adoption ladder, depth of use and hours saved per
week. The gap is one number: the active-user rate minus the L3+ share, in percentage points
of licensed people — how much of the "adoption" a login dashboard shows is not adoption.

It reads the entries computed before it (`ctx.results`); inputs that are not available are
named, never read as zero.
"""

from __future__ import annotations

from typing import Any

from uptake.metrics.context import MetricContext, is_available, not_available
from uptake.metrics.privacy import SUPPRESSED


def compute(ctx: MetricContext) -> dict[str, dict[str, Any]]:
    """The `vanity_vs_value` entry.

    Args:
        ctx: metric context; `ctx.results` holds the usage, ladder, depth, licences and
            outcomes entries.

    Returns:
        One named entry.
    """
    usage = ctx.results.get("usage_rate") or not_available("licenses", "events")
    ladder = ctx.results.get("adoption_ladder") or not_available("licenses", "events")
    if not is_available(usage) or not is_available(ladder):
        needs = [*usage.get("needs", []), *ladder.get("needs", [])]
        return {"vanity_vs_value": not_available(*needs)}
    if usage.get(SUPPRESSED) or ladder.get(SUPPRESSED):
        return {"vanity_vs_value": {SUPPRESSED: True}}
    out: dict[str, Any] = {
        "n": usage["n"],
        "monthly_active_users": usage["active"],
        "active_rate": usage["rate"],
        "l3_plus_share": ladder["l3_plus_share"],
        "ladder_basis": ladder.get("basis"),
    }
    out["gap_points"] = _gap(usage["rate"], ladder["l3_plus_share"])
    unavailable: dict[str, list[str]] = {}
    for key, source, field in (
        ("licences", "licences", "seats"),
        ("depth", "depth_of_use", "depth"),
        ("hours_saved_per_week", "outcomes", "hours_per_week"),
    ):
        entry = ctx.results.get(source)
        if entry is None or not is_available(entry):
            out[key] = None
            unavailable[key] = (entry or {}).get("needs", [source])
        elif entry.get(SUPPRESSED):
            out[key] = None
            unavailable[key] = ["suppressed below the minimum group size"]
        else:
            out[key] = entry.get(field)
    if unavailable:
        out["not_available"] = unavailable
    out["definition"] = (
        "gap_points = 100 × (share of licensed people active in the window − share at L3+)"
    )
    if ctx.by is not None:
        out["by"] = ctx.by
        out["segments"] = _segments(usage.get("segments", []), ladder.get("segments", []))
    return {"vanity_vs_value": out}


def _gap(active_rate: float | None, l3_share: float | None) -> float | None:
    if active_rate is None or l3_share is None:
        return None
    return round(100 * (active_rate - l3_share), 2)


def _segments(usage_rows: list[dict[str, Any]], ladder_rows: list[dict[str, Any]]) -> list:
    ladder = {r["segment"]: r for r in ladder_rows}
    rows = []
    for u in usage_rows:
        lad = ladder.get(u["segment"], {SUPPRESSED: True})
        if u.get(SUPPRESSED) or lad.get(SUPPRESSED):
            rows.append({"segment": u["segment"], SUPPRESSED: True})
            continue
        rows.append(
            {
                "segment": u["segment"],
                "n": u["n"],
                "active_rate": u["rate"],
                "l3_plus_share": lad["l3_plus_share"],
                "gap_points": _gap(u["rate"], lad["l3_plus_share"]),
                SUPPRESSED: False,
            }
        )
    return rows
