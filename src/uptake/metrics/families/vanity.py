"""Vanity vs value: the login numbers beside the value they fail to predict.

Puts licences (seats assigned) and monthly active users (licensed people with an event in
the window) beside the L3+ share of the adoption ladder, depth of use and hours saved per
week. The gap is one number: the active-user rate minus the L3+ share, in percentage points
of licensed people — how much of the "adoption" a login dashboard shows is not adoption.

It reads the results computed before it (`ctx.results`), so it runs last; inputs that are
not available are named (`not_available`), never read as zero, and a value its source hides
below the minimum group size gives the reason instead (`hidden`). The value side needs
measured value: a ladder on tasks (an activity-proxy ladder is not value, so its L3+ share is
never set against logins), depth of use, hours saved. Without a measured ladder `gap_points`
is null, `needs` lists what to ingest and the note says "value not measurable yet: ingest …";
the login side still shows.
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
# What the ladder needs to be measured rather than an activity proxy.
LADDER_VALUE_NEEDS = ("tasks", "workflows.stakes")
# Value read beside the gap: (field, source metric, source field).
BESIDE = (
    ("licenses", "licenses", "seats"),
    ("depth", "depth_of_use", "depth"),
    ("hours_saved_per_week", "outcomes", "hours_per_week"),
)
# The metrics it reads: computed after every other family, never beside them
# (`uptake.metrics.concurrent`), and computed with it when it is asked for alone.
READS_RESULTS = ("usage_rate", "adoption_ladder", *(source for _, source, _ in BESIDE))


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
    measured = not is_proxy(ladder)
    if usage.suppressed or ladder.suppressed:
        hidden = MetricResult(SPEC, suppressed=usage.suppressed or ladder.suppressed)
        if not measured:
            hidden.notes = (not_measurable(_value_needs(ctx)),)
        return [hidden]
    rate = usage.values["rate"]
    # A proxy share is not value: it is neither shown as the value side nor subtracted.
    l3 = ladder.values["l3_plus_share"] if measured else None
    values: dict[str, Any] = {
        "monthly_active_users": usage.values["active"],
        "active_rate": rate,
        "l3_plus_share": l3,
        "ladder_basis": ladder.basis or ladder.spec.basis,
        "gap_points": _gap(rate, l3),
    }
    # A value beside the gap is missing for want of an input (`not_available`, the inputs it
    # needs) or hidden below the minimum group size (`hidden`, the reason): two different
    # things a reader is told apart, so they are kept apart.
    unavailable: dict[str, list[str]] = {}
    hidden_fields: dict[str, str] = {}
    for key, source, field in BESIDE:
        found = ctx.results.get(source)
        if found is None or not found.available:
            values[key] = None
            unavailable[key] = sorted(found.needs) if found else [source]
        elif found.suppressed:
            values[key] = None
            hidden_fields[key] = str(found.suppressed)
        else:
            values[key] = found.values.get(field)
    if unavailable:
        values["not_available"] = unavailable
    if hidden_fields:
        values["hidden"] = hidden_fields
    # Without a measured ladder the numbers shown are logins only: measured, not a proxy,
    # and the basis says what is measured (plain "measured" beside "value not measurable"
    # had read as if the gap were).
    out = MetricResult(
        SPEC,
        values,
        n=usage.n,
        basis=ladder.basis if measured else "measured: logins only",
        noisy=usage.noisy or ladder.noisy,
    )
    if not measured:
        needs = _value_needs(ctx)
        out.values["needs"] = needs
        out.notes = (not_measurable(needs),)
    if ctx.by is not None and usage.segments is not None and ladder.segments is not None:
        out.by = ctx.by
        out.segments = _segments(usage.segments, ladder.segments, measured=measured)
    return [out]


def is_proxy(result: MetricResult) -> bool:
    """Whether a result rests on a proxy (its basis says so).

    Args:
        result: a result, e.g. the adoption ladder's.

    Returns:
        True for basis "proxy…".
    """
    return (result.basis or result.spec.basis).startswith("proxy")


def _value_needs(ctx: MetricContext) -> list[str]:
    """Inputs missing for any measured value: the ladder's, depth's and hours saved's."""
    needs = set(ctx.missing(*LADDER_VALUE_NEEDS))
    for source in ("depth_of_use", "outcomes"):
        found = ctx.results.get(source)
        if found is not None and not found.available:
            # Only names of inputs ("tasks (completed runs …)" keeps its table name).
            needs.update(n.split(" (")[0] for n in found.needs)
    return sorted(needs or LADDER_VALUE_NEEDS)


def not_measurable(needs: list[str]) -> str:
    """The sentence a reader sees instead of a gap: what to ingest for value to be measured.

    Args:
        needs: missing inputs as "table" or "table.column".

    Returns:
        e.g. "value not measurable yet: ingest tasks (with minutes), workflows (with stakes)".
    """
    tables: dict[str, list[str]] = {}
    for need in needs:
        table, _, column = need.partition(".")
        cols = tables.setdefault(table, [])
        if column:
            cols.append(column)
    parts = [f"{t} (with {', '.join(c)})" if c else t for t, c in tables.items()]
    return (
        f"value not measurable yet: ingest {', '.join(parts)}; the ladder is only an activity "
        "proxy, and a proxy is not value"
    )


def _gap(active_rate: float | None, l3_share: float | None) -> float | None:
    if active_rate is None or l3_share is None:
        return None
    return round(100 * (active_rate - l3_share), 2)


def _segments(usage_rows: PublicRows, ladder_rows: PublicRows, *, measured: bool) -> PublicRows:
    ladder = {r["segment"]: r for r in ladder_rows}

    def row(u: dict[str, Any]) -> dict[str, Any]:
        lad = ladder.get(u["segment"], {SUPPRESSED: "small"})
        if u.get(SUPPRESSED) or lad.get(SUPPRESSED):
            # Hidden in either source: hidden here, for the source's reason.
            return {"segment": u["segment"], SUPPRESSED: u.get(SUPPRESSED) or lad[SUPPRESSED]}
        l3 = lad["l3_plus_share"] if measured else None
        return {
            "segment": u["segment"],
            "n": u["n"],
            "active_rate": u["rate"],
            "l3_plus_share": l3,
            "gap_points": _gap(u["rate"], l3),
            SUPPRESSED: False,
        }

    return usage_rows.derive(row)
