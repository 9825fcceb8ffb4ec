"""One person across tools: usage per tool, the mix of tools people use, and cost per tool.

`tool_usage`: per tool, its population in the window (people licensed for it or active in
it), those licensed, those active (rate = active ÷ population), those active in the latest
complete week, active days per active person, and the tool's ladder of regular use: people
who used it in every 7-day block of the window (`every_week`), in more than one
(`some_weeks`) and in exactly one (`one_week`). Tools that report weekly or monthly
(ChatGPT Enterprise exports) are counted at their grain; their day-based figures say "not
available at daily grain: <tool> reports weekly", never 0.

`tool_mix`: people active in any tool by the exact combination of tools they used, with
each pair's overlap; combinations below k are merged into "other combinations". With a
segment dimension (`--by team` …), the mix per segment where k holds.

`tool_cost`: each tool's cost per month in one currency (`costs.currency`), per person-month
and per active person-month of its population.

A person using two tools is in both tools' groups: one overlap-aware plan
(`uptake.metrics.tool_mix.plan_tools`) decides what all three may show.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from uptake.config.costs import CostSettings
from uptake.metrics.context import MetricContext
from uptake.metrics.dimensions import TOOL
from uptake.metrics.groups import noisy, ratio
from uptake.metrics.privacy import SUPPRESSED, TOTAL, public_rows, suppress
from uptake.metrics.release import SEGMENT
from uptake.metrics.result import MetricResult, MetricSpec, PublicRows, not_available
from uptake.metrics.tool_cost import MONTH_DAYS, NO_PRICE, ToolCost, tool_costs
from uptake.metrics.tool_mix import (
    MIX,
    OTHER,
    ToolPlan,
    hide_rows,
    public_rows_each,
    shared_plan,
    suppress_each,
    tool_frame,
)
from uptake.metrics.tool_presence import (
    DAY,
    LEVELS,
    MONTH,
    Presence,
    unavailable_day,
    unavailable_licences,
    unavailable_week,
)

FAMILY = "tools"
# `--by tool`: every result of this family is per tool.
BY_TOOL = True
NEEDS = ("licenses", "events")
SPECS: tuple[MetricSpec, ...] = (
    MetricSpec(
        name="tool_usage",
        family=FAMILY,
        label="people per AI tool: licensed, active in the window and in the latest week",
        unit="share",
        headline=None,
        needs=NEEDS,
        definition=(
            "per tool: people active in it in the window ÷ people licensed for it or active "
            "in it in the window"
        ),
    ),
    MetricSpec(
        name="tool_mix",
        family=FAMILY,
        label="people by the combination of AI tools they used in the window",
        unit="people",
        headline="people",
        needs=NEEDS,
        definition=(
            "people active in any tool in the window, by the exact set of tools they used; "
            "combinations below the minimum group size are merged into other combinations"
        ),
    ),
    MetricSpec(
        name="tool_cost",
        family=FAMILY,
        label="cost per AI tool per month, per person-month and per active person-month",
        unit="money",
        headline=None,
        needs=("licenses.monthly_cost",),
        definition=(
            "per tool: seat run rate on as_of plus spend reported in the window scaled to a "
            f"month (× {MONTH_DAYS} ÷ window days), in one currency; ÷ its people, ÷ its "
            "active people"
        ),
    ),
)
TOOL_USAGE, TOOL_MIX, TOOL_COST = SPECS


def compute(ctx: MetricContext, costs: CostSettings | None = None) -> list[MetricResult]:
    """The three tool results.

    Args:
        ctx: metric context (facts refreshed).
        costs: cost settings (default: reporting in `metrics.currency`, no rates).

    Returns:
        One result per spec, in order.
    """
    costs = costs or ctx.costs or CostSettings(currency=ctx.settings.currency)
    # One plan per computation, shared with usage_rate and licences by tool (None: nobody).
    plan = shared_plan(ctx)
    if plan is None:
        out = [not_available(s, "licenses", "events (or period reports) in the window")
               for s in SPECS[:2]]  # fmt: skip
        return [*out, cost_result(ctx, None, pd.DataFrame(), costs)]
    usage = usage_frame(ctx, plan)
    return [
        usage_result(ctx, plan, usage),
        mix_result(ctx, plan),
        cost_result(ctx, plan, usage, costs),
    ]


def usage_frame(ctx: MetricContext, plan: ToolPlan) -> pd.DataFrame:
    """Per tool, suppressed and noisy: n, licensed, active, weekly active and the rates."""
    frame = tool_frame(plan)
    for col in ("weekly_active", *LEVELS):
        frame[col] = pd.array(frame[col].tolist(), dtype="Int64")
    out = suppress_each(ctx, frame, hide_rows(plan, [f"people:{t}" for t in frame[SEGMENT]]))
    counts = ["n", "licensed", "active", "weekly_active", *LEVELS]
    out = noisy(ctx, out, counts, [SEGMENT], "tool_usage")
    shown = ~out[SUPPRESSED].to_numpy(dtype=bool)
    sub = [("licensed", "licensed"), ("active", "active"), ("weekly_active", "week")]
    for col, kind in [*sub, *((lv, lv) for lv in LEVELS)]:
        why = [plan.hidden.get(f"{kind}:{t}") if s else None
               for t, s in zip(out[SEGMENT], shown, strict=True)]  # fmt: skip
        out[f"{col}_suppressed"] = pd.Series(why, index=out.index, dtype=object)
        gone = np.array([w is not None for w in why], dtype=bool)
        out[col] = out[col].astype(object).where(~gone, None)
    n = pd.to_numeric(out["n"], errors="coerce")
    active = pd.to_numeric(out["active"], errors="coerce")
    weekly = pd.to_numeric(out["weekly_active"], errors="coerce")
    out["rate"] = ratio(active, n)
    out["weekly_active_rate"] = ratio(weekly, n)
    days = pd.to_numeric(out["active_days"], errors="coerce")
    out["active_days_per_active"] = (days / active.where(active > 0)).round(2)
    out = out.drop(columns="active_days")
    notes: list[tuple[str | None, str | None]] = []
    for t, grain in zip(out[SEGMENT], out["grain"], strict=True):
        if grain == DAY:
            notes.append((None, None))
        else:
            week = unavailable_week(str(t), str(grain)) if grain == MONTH else None
            notes.append((unavailable_day(str(t), str(grain)), week))
    out["daily_note"] = pd.Series([a for a, _ in notes], index=out.index, dtype=object)
    out["weekly_note"] = pd.Series([b for _, b in notes], index=out.index, dtype=object)
    # A tool no seat names (no seat list, no licences): its licensed people are unknown, not
    # 0 (which the noise had turned into "licensed 3"). A daily tool's population is then
    # only the people active in it, so its rate would read 100 % by construction; a tool
    # that reports by period lists its members, inactive ones too, so its rate stands.
    known = set() if plan.presence.seats is None else set(plan.presence.seats["tool"].astype(str))
    unseated = np.array([str(t) not in known for t in out[SEGMENT]], dtype=bool)
    daily = (out["grain"] == DAY).to_numpy(dtype=bool)
    said = [unavailable_licences(str(t)) if u else None
            for t, u in zip(out[SEGMENT], unseated, strict=True)]  # fmt: skip
    out["licence_note"] = pd.Series(said, index=out.index, dtype=object)
    out["licensed"] = out["licensed"].astype(object).where(~unseated, None)
    out["licensed_suppressed"] = out["licensed_suppressed"].where(~unseated, None)
    out["rate"] = out["rate"].astype(object).where(~(unseated & daily), None)
    return out


def usage_result(ctx: MetricContext, plan: ToolPlan, usage: pd.DataFrame) -> MetricResult:
    """`tool_usage`: one row per tool."""
    pres = plan.presence
    res = MetricResult(
        TOOL_USAGE,
        {
            "tools": len(pres.tools),
            "grains": "; ".join(f"{t}: {g}" for t, g in sorted(pres.grains.items())),
            "window": {"start": pres.start.isoformat(), "end": pres.end.isoformat()},
            "week": pres.week.isoformat() if pres.week else None,
        },
        noisy=bool(usage.attrs.get("noisy")),
        by=TOOL,
        segments=public_rows_each(usage),
        notes=tuple(_grain_notes(pres)) + tuple(_licence_notes(usage)) + tuple(plan.notes),
    )
    return res


def _licence_notes(usage: pd.DataFrame) -> list[str]:
    """One note naming the tools whose licences are unknown, and what that leaves."""
    tools = sorted(str(t) for t, n in zip(usage[SEGMENT], usage["licence_note"], strict=True) if n)
    if not tools:
        return []
    return [
        f"no seat of {', '.join(tools)} is known: their licensed people are not available "
        "(needs a seat list or licences naming the tool); a daily tool's people are then those "
        "active in it, and its usage rate is not available either"
    ]


def _grain_notes(pres: Presence) -> list[str]:
    out = []
    for tool, grain in sorted(pres.grains.items()):
        if grain != DAY:
            out.append(
                f"{tool} reports {'weekly' if grain == 'week' else 'monthly'}: counted at that "
                "grain (a period overlapping the window counts whole); "
                + unavailable_day(tool, grain)
            )
    return out


def mix_result(ctx: MetricContext, plan: ToolPlan) -> MetricResult:
    """`tool_mix`: people per combination of tools, pair overlaps, per segment with `--by`."""
    shown_cells = [
        (name[len("cell:") :], g.size)
        for name, g in plan.groups.items()
        if name.startswith("cell:") and g.table == MIX and plan.shown(name)
    ]
    rows = [{SEGMENT: lab, "n": n} for lab, n in sorted(shown_cells, key=lambda x: (-x[1], x[0]))]
    other = f"cell:{OTHER}"
    if plan.shown(other) and (plan.size(other) or 0) > 0:
        rows.append({SEGMENT: OTHER, "n": plan.size(other)})
    total = plan.size(MIX) if plan.shown(MIX) else None
    if total is not None:
        rows.append({SEGMENT: TOTAL, "n": total})
    frame = pd.DataFrame(rows, columns=[SEGMENT, "n"])
    out = suppress(frame, [SEGMENT], "n", ctx.min_group_size)
    out = noisy(ctx, out, ["n"], [SEGMENT], "tool_mix")
    _other_from_total(out, ctx.min_group_size)
    head = out[out[SEGMENT] == TOTAL]
    people = int(head["n"].iloc[0]) if len(head) and not bool(head[SUPPRESSED].iloc[0]) else None
    if people:
        out["share"] = (pd.to_numeric(out["n"], errors="coerce") / people).round(6)
    cells = public_rows(out, [SEGMENT]).where(lambda r: r[SEGMENT] != TOTAL)
    pairs = _pairs(ctx, plan)
    res = MetricResult(
        TOOL_MIX,
        {
            "people": people,
            "people_suppressed": plan.hidden.get(MIX),
            "combinations": cells,
            "pairs": pairs,
            "merged": OTHER,
        },
        n=people,
        noisy=bool(out.attrs.get("noisy")),
    )
    if plan.by is not None and plan.segment is not None:
        res.by = plan.by
        res.segments = _segment_mix(ctx, plan)
    return res


def _other_from_total(out: pd.DataFrame, k: int) -> None:
    """Set "other combinations" to the total less the cells shown, when both are shown.

    It is that difference by definition, and noised on its own it disagreed with the total
    it derives from: with every combination merged, 271 people "other" beside 272 active in
    any tool, a share of 99.6 %. Derived from published counts only, it costs no privacy;
    raised to k as any shown count is (the plan shows it only at k or more).
    """
    if not out.attrs.get("noisy"):
        return
    names = out[SEGMENT].astype(object)
    shown = ~out[SUPPRESSED].to_numpy(dtype=bool)
    at_total = ((names == TOTAL).to_numpy() & shown).nonzero()[0]
    at_other = ((names == OTHER).to_numpy() & shown).nonzero()[0]
    if not len(at_total) or not len(at_other):
        return
    cells = shown & ~(names.isin([TOTAL, OTHER])).to_numpy()
    counts = pd.to_numeric(out["n"])
    left = int(counts.iloc[int(at_total[0])]) - int(counts[cells].sum())
    out.loc[out.index[int(at_other[0])], "n"] = max(left, k)


def _pairs(ctx: MetricContext, plan: ToolPlan) -> PublicRows:
    # A pair nobody uses describes no one: it is left out rather than shown with noise.
    names = [n for n in plan.groups if n.startswith("pair:") and plan.size(n)]
    rows = [{SEGMENT: n[len("pair:") :], "n": plan.size(n)} for n in names]
    frame = pd.DataFrame(rows, columns=[SEGMENT, "n"])
    out = suppress_each(ctx, frame, hide_rows(plan, names))
    out = noisy(ctx, out, ["n"], [SEGMENT], "tool_mix:pairs")
    # A hidden pair is left out: listing it would say that someone uses both.
    return public_rows_each(out).where(lambda r: not r[SUPPRESSED])


def _segment_mix(ctx: MetricContext, plan: ToolPlan) -> PublicRows:
    rows: list[dict[str, Any]] = []
    for name, g in plan.groups.items():
        if not name.startswith("seg:") or not plan.shown(name) or not g.size:
            continue
        seg, _, combo = name[len("seg:") :].partition("|")
        rows.append({SEGMENT: seg, "combination": combo or TOTAL, "n": g.size})
    frame = pd.DataFrame(rows, columns=[SEGMENT, "combination", "n"])
    frame = frame.sort_values([SEGMENT, "combination"], kind="stable").reset_index(drop=True)
    out = suppress(frame, ["combination"], "n", ctx.min_group_size, partition_cols=[SEGMENT])
    out = noisy(ctx, out, ["n"], [SEGMENT, "combination"], "tool_mix:segments")
    return public_rows(out, [SEGMENT, "combination"]).where(lambda r: not r[SUPPRESSED])


def cost_result(
    ctx: MetricContext, plan: ToolPlan | None, usage: pd.DataFrame, costs: CostSettings
) -> MetricResult:
    """`tool_cost`: per tool, cost per month, per person-month and per active person-month."""
    priced = tool_costs(ctx, costs, plan.presence.seats if plan is not None else None)
    if not priced:
        return not_available(
            TOOL_COST, "licenses.monthly_cost", "person_facts (fact cost)",
            "aggregate_facts (metric cost)",
        )  # fmt: skip
    by_tool = {str(r[SEGMENT]): r for r in usage.to_dict(orient="records")} if len(usage) else {}
    for tool in by_tool:
        # A tool in use whose inputs carry no price is listed, saying so, not left out (a
        # vendor's exports alone: Microsoft's seat reports hold no price).
        priced.setdefault(tool, ToolCost(missing=NO_PRICE))
    rows = []
    for tool, c in sorted(priced.items()):
        u = by_tool.get(tool, {})
        exact = plan.size(f"people:{tool}") if plan is not None else None
        rows.append({
            SEGMENT: tool,
            "n": exact or 0,
            "active": None if u.get("active") is None else int(u["active"]),
            "shown_n": None if u.get("n") is None else int(u["n"]),
            "currency": costs.currency,
            "seat_cost_month": c.seat_month,
            "spend_window": c.spend_window,
            "cost_month": c.month,
            "sources": ", ".join(c.sources),
            "missing": c.missing,
        })  # fmt: skip
    frame = pd.DataFrame(rows)
    names = [f"people:{t}" for t in frame[SEGMENT]]
    hide = hide_rows(plan, names) if plan is not None else np.zeros(len(frame), dtype=bool)
    # The seat run rate is a sum over today's seat holders: hidden with that group.
    seat_hidden = [plan is not None and f"seats:{t}" in plan.hidden for t in frame[SEGMENT]]
    out = suppress_each(ctx, frame, hide)
    shown = ~out[SUPPRESSED].to_numpy(dtype=bool)
    # Suppression decides on exact counts; the counts shown are the usage rows' (noisy) ones.
    out["n"] = out["shown_n"].astype(object)
    out = out.drop(columns="shown_n")
    gone = np.array(seat_hidden, dtype=bool) & shown
    for col in ("seat_cost_month", "cost_month"):
        out[col] = out[col].astype(object).where(~gone, None)
    out["seat_cost_suppressed"] = pd.Series(
        [plan.hidden.get(f"seats:{t}") if g else None
         for t, g in zip(out[SEGMENT], gone, strict=True)] if plan else [None] * len(out),
        index=out.index, dtype=object,
    )  # fmt: skip
    month = pd.to_numeric(out["cost_month"], errors="coerce")
    n = pd.to_numeric(out["n"], errors="coerce")
    active = pd.to_numeric(out["active"], errors="coerce")
    out["cost_per_person_month"] = (month / n.where(n > 0)).round(2)
    out["cost_per_active_person_month"] = (month / active.where(active > 0)).round(2)
    missing = [m for m in frame["missing"].dropna().unique()]
    return MetricResult(
        TOOL_COST,
        {
            "currency": costs.currency,
            "rates": dict(sorted(costs.rates.as_dict().items())),
            "licence_currency": ctx.settings.currency,
        },
        by=TOOL,
        segments=public_rows_each(out),
        notes=tuple(str(m) for m in missing),
    )
