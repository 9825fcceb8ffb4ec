"""Microsoft's usage segments per AI tool: each seat holder's class in each tool they hold.

The classes are those of `usage_segments` (power, habitual, novice, low, non-user: weeks used
and actions a week over the last 12 or 4 seven-day blocks ending at `as_of`), counted per tool
from that tool's own activity: someone who holds Copilot and Cursor seats may be a power
user of one and a non-user of the other. A tool's population is its seat holders on
`as_of`, as for `usage_rate` by tool. Only tools that report daily can be classed: weeks used
and actions a week cannot be read from a weekly or monthly total (such a tool is listed in
`skipped` with the words to show, never as a row of non-users).

These groups overlap every other per-tool group, so they are groups of the tool plan
(`uptake.metrics.tool_mix`), which decides what may be shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.metrics.tool_presence import DAY, Presence, unavailable_day

SEGMENT_NAMES = ("power", "habitual", "novice", "low", "non_user")
# Variant key → the `usage_segments` metric it breaks down.
VARIANTS = {"12w": "usage_segments_12w", "4w": "usage_segments_4w"}


@dataclass
class ToolSegments:
    """Each tool's seat holders by usage segment, for both variants.

    Attributes:
        members: variant → tool → segment name → people (sorted person keys).
        history: tool → first day with an action in it (None: never used up to `as_of`).
        skipped: tool → why it has no segments (it does not report daily).
        weeks: variant → (7-day blocks counted, blocks used that make a user habitual).
        read: the variant recommended for this data (its classes are kept first).
    """

    members: dict[str, dict[str, dict[str, list[str]]]] = field(default_factory=dict)
    history: dict[str, date | None] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    weeks: dict[str, tuple[int, int]] = field(default_factory=dict)
    read: str | None = None

    def tools(self, variant: str) -> list[str]:
        """Tools classed in a variant, sorted."""
        return sorted(self.members.get(variant, {}))


def variant_weeks(ctx: MetricContext) -> dict[str, tuple[int, int]]:
    """Each variant's (blocks counted, blocks used that make a user habitual).

    Args:
        ctx: metric context (its settings).

    Returns:
        Variant key → (weeks, habitual weeks).
    """
    s = ctx.settings
    return {"12w": (s.ms_weeks, s.ms_habitual_weeks), "4w": (s.ms_short_weeks, s.ms_short_weeks)}


def classify(
    weeks_used: np.ndarray, avg_actions: np.ndarray, habitual: int, power: float
) -> list[str]:
    """Each person's usage segment, first match wins (as `usage_segments` defines them).

    Args:
        weeks_used: 7-day blocks with at least one action, per person.
        avg_actions: actions a week on average over the variant's blocks, per person.
        habitual: blocks used that make a user habitual.
        power: actions a week (on average) that make a habitual user a power user.

    Returns:
        One name of `SEGMENT_NAMES` per person.
    """
    habit = weeks_used >= habitual
    choice = np.select(
        [habit & (avg_actions >= power), habit, avg_actions >= 1, avg_actions > 0],
        [0, 1, 2, 3],
        default=4,
    )
    return [SEGMENT_NAMES[int(i)] for i in choice]


def tool_segments(ctx: MetricContext, pres: Presence) -> ToolSegments:
    """Every daily tool's seat holders on `as_of` by usage segment, for both variants.

    Args:
        ctx: metric context (facts refreshed).
        pres: who is in which tool (its seat holders on `as_of` and each tool's grain).

    Returns:
        The classes, each tool's history and the tools that cannot be classed.
    """
    out = ToolSegments(weeks=variant_weeks(ctx))
    daily = []
    for tool in sorted(pres.held_now):
        grain = pres.grains.get(tool, DAY)
        if grain == DAY:
            daily.append(tool)
        else:
            out.skipped[tool] = unavailable_day(tool, grain)
    if not daily:
        return out
    longest = max(w for w, _ in out.weeks.values())
    blocks, first = _blocks(ctx, daily, longest)
    out.history = {t: first.get(t) for t in daily}
    power = float(ctx.settings.ms_power_actions)
    for variant, (weeks, habitual) in out.weeks.items():
        out.members[variant] = {}
        counted = blocks[blocks["block"] < weeks]
        # Only blocks with an action are rows: counting rows counts the weeks used.
        per = counted.groupby(["person_key", "tool"]).agg(
            weeks_used=("block", "size"), actions=("actions", "sum")
        )
        for tool in daily:
            holders = pd.Index(pres.held_now[tool], name="person_key")
            mine = (
                per.xs(tool, level="tool") if tool in per.index.get_level_values("tool") else None
            )
            used = (
                mine.reindex(holders).fillna(0)
                if mine is not None
                else pd.DataFrame({"weeks_used": 0, "actions": 0.0}, index=holders)
            )
            names = classify(
                used["weeks_used"].to_numpy(dtype=float),
                used["actions"].to_numpy(dtype=float) / weeks,
                habitual,
                power,
            )
            by_class: dict[str, list[str]] = {s: [] for s in SEGMENT_NAMES}
            for person, name in zip(holders, names, strict=True):
                by_class[name].append(str(person))
            out.members[variant][tool] = by_class
    return out


def _blocks(
    ctx: MetricContext, tools: list[str], weeks: int
) -> tuple[pd.DataFrame, dict[str, date]]:
    """Actions per person, tool and 7-day block (0 = the block ending at `as_of`).

    Returns:
        The blocks (person_key, tool, block, actions) and each tool's first day with an action.
    """
    from uptake.metrics.facts import PERSON_TOOL_DAY

    empty = pd.DataFrame({"person_key": [], "tool": [], "block": [], "actions": []})
    if not ctx.has(PERSON_TOOL_DAY):
        return empty, {}
    lo = ctx.as_of - timedelta(days=7 * weeks - 1)
    td = ctx.engine.table(PERSON_TOOL_DAY)
    td = td.filter(td.tool.isin(tools) & (td.day <= ctx.as_of) & (td.actions > 0))
    first = ctx.engine.execute(td.group_by("tool").aggregate(first=td.day.min()))
    starts = {
        str(t): pd.Timestamp(d).date() for t, d in zip(first["tool"], first["first"], strict=True)
    }
    recent = td.filter(td.day >= lo)
    block = ctx.ibis_as_of().delta(recent.day, unit="day") // 7
    per = recent.group_by("person_key", "tool", block=block).aggregate(actions=recent.actions.sum())
    frame = ctx.engine.execute(per)
    if frame.empty:
        return empty, starts
    frame = frame.assign(
        person_key=frame["person_key"].astype(str),
        tool=frame["tool"].astype(str),
        block=frame["block"].astype(int),
        actions=frame["actions"].astype(float),
    )
    return frame, starts


def shared_tool_segments(ctx: MetricContext, pres: Presence) -> ToolSegments:
    """The tool segments of this computation, classed once and shared.

    Args:
        ctx: metric context.
        pres: the computation's shared presence.

    Returns:
        The tool segments.
    """

    def make() -> ToolSegments:
        # Imported here: the family itself reads this module's shared segments.
        from uptake.metrics.facts import PERSON_DAY
        from uptake.metrics.families.usage_segments import choose_variant, data_history

        fresh = tool_segments(ctx, pres)
        if fresh.members and ctx.has(PERSON_DAY):
            fresh.read = "12w" if choose_variant(ctx, data_history(ctx))[0] else "4w"
        return fresh

    return ctx.memo.once("tool_segments", make)
