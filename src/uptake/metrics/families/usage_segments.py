"""Microsoft's published Copilot usage segments, read beside the adoption ladder.

Over the last `ms_weeks` (12) 7-day blocks ending at `as_of`, for each person licensed on
`as_of`, first match wins: Power — used (≥ 1 action) in ≥ `ms_habitual_weeks` (9) blocks and
≥ `ms_power_actions` (15) actions a week on average; Habitual — used in ≥ 9 blocks; Novice —
not habitual, ≥ 1 action a week on average; Low — not habitual, more than 0 and fewer than
1; Non-user — no action. An action is any event but session_start/session_end.

The 4-week variant (`ms_short_weeks`) calls habitual only someone used in all 4 blocks. The
12-week variant is the one to read (`recommended`) only when the data holds at least
`ms_weeks` weeks of history (from the first day with any event to `as_of`) and the deployment
is at least `ms_young_days` old (first licence assignment to `as_of`); otherwise the 4-week
variant is. Both state `history_weeks`, `history_start` and, in `recommended_reason`, why.

`--by tool` classes each tool's seat holders on `as_of` by that tool's own activity (someone
may be a power user of one tool and a non-user of another): one table per tool, its classes
planned with every other per-tool group (`uptake.metrics.tool_mix`). A tool that reports
weekly or monthly cannot be classed ("not available at daily grain"), and a tool whose data
starts within the variant's weeks says so (the weeks before count as unused).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.metrics.dimensions import TOOL
from uptake.metrics.facts import PERSON_DAY
from uptake.metrics.groups import any_activity, grouped, licensed_on, noisy, ratio, result
from uptake.metrics.release import SEGMENT
from uptake.metrics.result import (
    COMPLEMENTARY,
    SMALL,
    MetricResult,
    MetricSpec,
    PublicRows,
    not_available,
)
from uptake.metrics.seats import seats as all_seats
from uptake.metrics.tool_mix import hide_rows, public_rows_each, shared_plan, suppress_each
from uptake.metrics.tool_segments import SEGMENT_NAMES, VARIANTS, shared_tool_segments

FAMILY = "usage_segments"
# `--by tool`: each tool's seat holders by their use of that tool.
BY_TOOL = True
NEEDS = ("licenses", "events")
SPECS: tuple[MetricSpec, ...] = (
    MetricSpec(
        name="usage_segments_12w",
        family=FAMILY,
        label="licensed people who are habitual or power users (12 weeks)",
        unit="share",
        headline="habitual_plus_share",
        needs=NEEDS,
        definition=(
            "Microsoft's Copilot usage segments over 12 weekly blocks: power, habitual, "
            "novice, low, non-user, from weeks used and actions per week"
        ),
    ),
    MetricSpec(
        name="usage_segments_4w",
        family=FAMILY,
        label="licensed people who are habitual or power users (4 weeks)",
        unit="share",
        headline="habitual_plus_share",
        needs=NEEDS,
        definition=(
            "Microsoft's Copilot usage segments over 4 weekly blocks (for young deployments): "
            "habitual means used in all 4"
        ),
    ),
)
TWELVE_WEEKS, FOUR_WEEKS = SPECS


def compute(ctx: MetricContext) -> list[MetricResult]:
    """Both variants of the usage segments.

    Args:
        ctx: metric context (facts refreshed).

    Returns:
        One result per spec, in order.
    """
    missing = ctx.missing(*NEEDS)
    if missing:
        return [not_available(spec, *missing) for spec in SPECS]
    s = ctx.settings
    history = data_history(ctx)
    long_ok, reason = choose_variant(ctx, history)
    stated = {
        "history_start": history.isoformat() if history else None,
        "history_weeks": _history_weeks(ctx, history),
    }
    short_reason = reason if not long_ok else f"{reason}: read the {s.ms_weeks}-week segments"
    if history is not None and (ctx.as_of - history).days + 1 < 7 * s.ms_short_weeks:
        # Even the short variant then counts days before the data as days without use.
        short_reason += f"; under {s.ms_short_weeks} weeks, so days before the data count as unused"
    return [
        segments(
            TWELVE_WEEKS, ctx, s.ms_weeks, s.ms_habitual_weeks, long_ok,
            recommended_reason=reason, **stated,
        ),
        segments(
            FOUR_WEEKS, ctx, s.ms_short_weeks, s.ms_short_weeks, not long_ok,
            recommended_reason=short_reason, **stated,
        ),
    ]  # fmt: skip


def data_history(ctx: MetricContext) -> date | None:
    """The first day with any event, up to `as_of` (where the data's history starts).

    Args:
        ctx: metric context (facts refreshed).

    Returns:
        The day, or None when no event falls on or before `as_of`.
    """
    days = ctx.engine.table(PERSON_DAY)
    days = days.filter((days.day <= ctx.as_of) & (days.events > 0))
    first = ctx.engine.execute(days.aggregate(first=days.day.min()))["first"].iloc[0]
    return None if first is None or pd.isna(first) else pd.Timestamp(first).date()


def _history_weeks(ctx: MetricContext, history: date | None) -> int:
    # Whole weeks only: 8 weeks and 6 days of data is not 9 weeks of history.
    return 0 if history is None else ((ctx.as_of - history).days + 1) // 7


def choose_variant(ctx: MetricContext, history: date | None) -> tuple[bool, str]:
    """Whether the 12-week variant fits the data, and why (or why not) in words.

    Args:
        ctx: metric context.
        history: first day with any event (`data_history`).

    Returns:
        (12-week variant recommended, the reason).
    """
    s = ctx.settings
    weeks = _history_weeks(ctx, history)
    if weeks < s.ms_weeks:
        # Weeks before the first event are not weeks of non-use: the long variant would
        # count them as such and call most people novices.
        return False, f"{weeks} weeks of history: use the {s.ms_short_weeks}-week segments"
    lic = all_seats(ctx.engine)
    first = ctx.engine.execute(lic.aggregate(first=lic.assigned_at.min()))["first"].iloc[0]
    age = (ctx.as_of - pd.Timestamp(first).date()).days
    if age < s.ms_young_days:
        return False, (
            f"deployment {age} days old (under {s.ms_young_days}): "
            f"use the {s.ms_short_weeks}-week segments"
        )
    return True, f"{weeks} weeks of history"


def person_segments(ctx: MetricContext, weeks: int, habitual: int) -> ibis.Table:
    """Each licensed person's usage segment (1 power … 5 non-user) for one variant.

    Args:
        ctx: metric context.
        weeks: number of 7-day blocks ending at as_of.
        habitual: blocks used that make a user habitual.

    Returns:
        Table (person_key, weeks_used, avg_actions, segment).
    """
    lo = ctx.as_of - timedelta(days=7 * weeks - 1)
    days = ctx.engine.table(PERSON_DAY)
    d = days.filter((days.day >= lo) & (days.day <= ctx.as_of))
    block = ibis.literal(ctx.as_of, type="date").delta(d.day, unit="day") // 7
    used = d.group_by(u_key=d.person_key).aggregate(
        weeks_used=(d.actions > 0).ifelse(block, ibis.null("int64")).nunique(),
        actions=d.actions.sum(),
    )
    base = licensed_on(ctx.engine, ctx.as_of)
    j = base.left_join(used, base.person_key == used.u_key)
    j = j.select(
        "person_key",
        weeks_used=j.weeks_used.fill_null(0),
        avg_actions=j.actions.fill_null(0).cast("float64") / weeks,
    )
    habit = j.weeks_used >= habitual
    seg = ibis.cases(
        (habit & (j.avg_actions >= ctx.settings.ms_power_actions), 1),
        (habit, 2),
        (j.avg_actions >= 1, 3),
        (j.avg_actions > 0, 4),
        else_=5,
    )
    return j.mutate(segment_id=seg.cast("int8"))


def segments(
    spec: MetricSpec,
    ctx: MetricContext,
    weeks: int,
    habitual: int,
    recommended: bool,
    **stated: Any,
) -> MetricResult:
    """Distribution of the usage segments, overall and per segment of `--by`.

    Args:
        spec: the variant's metric.
        ctx: metric context.
        weeks: blocks in the variant.
        habitual: blocks used that make a user habitual.
        recommended: whether this variant fits the data's history and the deployment's age.
        stated: further values stated as they are (history, the reason for `recommended`).

    Returns:
        n and people per usage segment, plus shares (`habitual_plus_share`: power or
        habitual).
    """
    if not any_activity(ctx, ctx.as_of - timedelta(days=7 * weeks - 1), "events"):
        return not_available(spec, f"events (in the last {weeks} weeks)")
    one = ibis.literal(1, type="int64")
    zero = ibis.literal(0, type="int64")

    def aggs(t: ibis.Table) -> dict[str, ibis.Value]:
        out: dict[str, ibis.Value] = {"n": t.count()}
        for i, name in enumerate(SEGMENT_NAMES, start=1):
            out[name] = (t.segment_id == i).ifelse(one, zero).sum()
        return out

    def derive(f: pd.DataFrame) -> pd.DataFrame:
        shares = {f"{x}_share": ratio(f[x], f["n"]) for x in SEGMENT_NAMES}
        return f.assign(**shares, habitual_plus_share=ratio(f["power"] + f["habitual"], f["n"]))

    frame = grouped(
        ctx,
        person_segments(ctx, weeks, habitual),
        aggs,
        derive=derive,
        people=SEGMENT_NAMES,
        question=spec.name,
    )
    out = result(
        spec,
        ctx,
        frame,
        empty="licenses (held on as_of)",
        weeks_counted=weeks,
        habitual_weeks=habitual,
        recommended=recommended,
        **stated,
        definition=(
            f"Microsoft Copilot usage segments over {weeks} weeks: power ≥ {habitual} weeks used"
            f" and ≥ {ctx.settings.ms_power_actions:g} actions/week; habitual ≥ {habitual} weeks;"
            " novice ≥ 1 action/week; low > 0; non-user none"
        ),
    )
    if ctx.by_tool and out.available and out.suppressed is None:
        out.by = TOOL
        out.segments, notes = by_tool(ctx, spec, weeks)
        out.notes = (*out.notes, *notes)
    return out


def by_tool(ctx: MetricContext, spec: MetricSpec, weeks: int) -> tuple[PublicRows, list[str]]:
    """Each tool's seat holders by usage segment, under the tool plan.

    Args:
        ctx: metric context.
        spec: the variant's metric.
        weeks: blocks in the variant.

    Returns:
        One row per tool (hidden classes carry `<class>_suppressed`), and notes on tools
        whose data is shorter than the variant or that cannot be classed.
    """
    variant = {m: v for v, m in VARIANTS.items()}[spec.name]
    plan = shared_plan(ctx)
    if plan is None:
        return public_rows_each(pd.DataFrame({SEGMENT: [], "n": []})), []
    segs = shared_tool_segments(ctx, plan.presence)
    notes: list[str] = []
    rows = []
    for tool in sorted(plan.presence.held_now):
        classes = segs.members.get(variant, {}).get(tool)
        first = segs.history.get(tool)
        history = None if first is None else ((ctx.as_of - first).days + 1) // 7
        if classes is not None and (history is None or history < weeks):
            span = (
                "no use yet"
                if history is None
                else ("under a week of use" if history == 0 else f"{history} whole weeks of use")
            )
            notes.append(
                f"{tool}: {span} in the data; in the {weeks}-week segments the weeks "
                "before it count as unused"
            )
        rows.append({
            SEGMENT: tool,
            "n": plan.size(f"seats:{tool}"),
            **{c: None if classes is None else len(classes[c]) for c in SEGMENT_NAMES},
            "history_weeks": history,
        })  # fmt: skip
    frame = pd.DataFrame(rows, columns=[SEGMENT, "n", *SEGMENT_NAMES, "history_weeks"])
    if segs.skipped:
        # Only when some tool cannot be classed: an empty column says nothing.
        frame["daily_note"] = [segs.skipped.get(str(t)) for t in frame[SEGMENT]]
    for col in ("n", *SEGMENT_NAMES, "history_weeks"):
        frame[col] = pd.array(frame[col].tolist(), dtype="Int64")
    out = suppress_each(ctx, frame, hide_rows(plan, [f"seats:{t}" for t in frame[SEGMENT]]))
    out = noisy(ctx, out, ["n", *SEGMENT_NAMES], [SEGMENT], f"{spec.name}:tool")
    shown = ~out["suppressed"].to_numpy(dtype=bool)
    for name in SEGMENT_NAMES:
        why = [plan.hidden.get(f"useg:{variant}:{t}:{name}") if s else None
               for t, s in zip(out[SEGMENT], shown, strict=True)]  # fmt: skip
        out[f"{name}_suppressed"] = pd.Series(why, index=out.index, dtype=object)
        gone = np.array([w is not None for w in why], dtype=bool)
        out[name] = out[name].astype(object).where(~gone, None)
    n = pd.to_numeric(out["n"], errors="coerce")
    count = {c: pd.to_numeric(out[c], errors="coerce") for c in SEGMENT_NAMES}
    # Power or habitual hidden: so is their sum, which would give the hidden one away
    # (complementary), unless it is itself under k. It had taken the part's reason: "< k"
    # beside 1,121 habitual users.
    part_hidden = out["power_suppressed"].notna() | out["habitual_suppressed"].notna()
    exact = (
        pd.to_numeric(frame["power"], errors="coerce").fillna(0)
        + pd.to_numeric(frame["habitual"], errors="coerce").fillna(0)
    ).set_axis(frame[SEGMENT].astype(str))
    small = out[SEGMENT].astype(str).map(exact).fillna(0) < ctx.min_group_size
    plus_why = np.where(small.to_numpy(dtype=bool), SMALL, COMPLEMENTARY)
    out = out.assign(
        **{f"{c}_share": ratio(count[c], n) for c in SEGMENT_NAMES},
        habitual_plus_share=ratio(count["power"] + count["habitual"], n),
        habitual_plus_suppressed=pd.Series(plus_why, index=out.index, dtype=object).where(
            part_hidden, None
        ),
    )
    return public_rows_each(out), notes
