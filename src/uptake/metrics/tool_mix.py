"""One person across tools: the groups a per-tool release publishes, and which may be shown.

Per tool, over the current window: its population (licensed for it or active in it), those
licensed, those active and those active in the latest complete week. Across tools: the mix —
people active in any tool, split by the exact combination of tools they used ("GitHub
Copilot only", "GitHub Copilot + Cursor", …) — and each pair's overlap (people who used
both). With a segment dimension, the mix per segment. Per tool again: its seat holders on
`as_of`, those of them who used it (what `usage_rate` by tool shows) and, for both variants
of the usage segments, its seat holders by segment (`uptake.metrics.tool_segments`).

All of these overlap, and the organisation's licensed total is public, so one
`tool_release.overlap_plan` decides over all of them at once which may be shown; combination
cells below k (and the cells hidden to cover them) are merged into "other combinations",
itself a group of the plan, so subtracting it cannot bring a small cell back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import sparse

from uptake.metrics.context import MetricContext
from uptake.metrics.dimensions import SEGMENTS
from uptake.metrics.plan_store import overlap_key
from uptake.metrics.privacy import public_rows, suppress
from uptake.metrics.release import SEGMENT
from uptake.metrics.result import PublicRows, SuppressReason
from uptake.metrics.seat_use import seat_frame
from uptake.metrics.segments import DIM_PERSON
from uptake.metrics.tool_presence import DAY, LEVELS, MONTH, Presence, presence
from uptake.metrics.tool_release import Group, overlap_plan, set_aside
from uptake.metrics.tool_segments import SEGMENT_NAMES, ToolSegments, shared_tool_segments

OTHER = "other combinations"
MIX = "mix"
# The column making each per-tool row a table of its own.
PART = "part"
# When a leak can be closed by hiding one of several groups, the lowest rank goes first.
RANK = {"other": 0, "useg": 1, "useg_read": 3, "segcell": 2, "level": 6, "segtotal": 4, "pair": 10,
        "week": 14, "licensed": 16, "cell": 20, "mix": 45, "used": 48, "active": 50,
        "seats": 55, "people": 60}  # fmt: skip
# The licences' seat counts, which add up the tools' seat holders (and those who used their
# seat): seats held, seats whose use can be known, seats used. Unused and unknown seats are
# differences of these.
SEAT_TOTALS = ("seat_totals:seats", "seat_totals:known", "seat_totals:used")


def label(tools: Iterable[str]) -> str:
    """A combination's label: `a only` for one tool, `a + b` for several (sorted)."""
    names = sorted(tools)
    return f"{names[0]} only" if len(names) == 1 else " + ".join(names)


@dataclass
class ToolPlan:
    """What the per-tool release may show.

    Attributes:
        presence: who is in which tool.
        keys: the universe of people (index of every membership array).
        groups: group name → the group.
        hidden: group name → why it is hidden.
        combos: each person's combination of tools used (empty tuple: none).
        segment: each person's segment when the mix is split by one (else None).
    """

    presence: Presence
    keys: list[str]
    groups: dict[str, Group]
    hidden: dict[str, SuppressReason]
    combos: list[tuple[str, ...]]
    segment: list[str] | None = None
    by: str | None = None
    notes: list[str] = field(default_factory=list)

    def shown(self, name: str) -> bool:
        """Whether a group exists and is shown."""
        return name in self.groups and name not in self.hidden

    def size(self, name: str) -> int | None:
        """People in a group (exact), or None when it does not exist."""
        g = self.groups.get(name)
        return None if g is None else g.size


def plan_tools(
    ctx: MetricContext,
    pres: Presence,
    by: str | None = None,
    segments: ToolSegments | None = None,
    seat_use: pd.DataFrame | None = None,
) -> ToolPlan:
    """Every group the per-tool release shows, and which of them must be hidden.

    Args:
        ctx: metric context.
        pres: who is in which tool in the window.
        by: a segment dimension to split the mix by, or None.
        segments: each tool's seat holders by usage segment (their groups are planned too).
        seat_use: the seats held on as_of with their use (`seat_use.seat_frame`), whose
            totals the licences publish; None when there are no licences.

    Returns:
        The plan.
    """
    frame = pres.frame
    holding = [] if seat_use is None else seat_use["person_key"].astype(str).tolist()
    keys = sorted(set(frame["person_key"].astype(str)) | set(pres.licensed_now) | set(holding))
    index = pd.Index(keys, dtype=object)
    n = len(keys)

    def mask(people: Iterable[str]) -> np.ndarray:
        m = np.zeros(n, dtype=bool)
        m[_positions(index, people)] = True
        return m

    groups: list[Group] = [Group("total", mask(pres.licensed_now), rank=100, fixed=True)]
    totals = {MIX: MIX}
    active_sets: dict[str, set[str]] = {}
    for tool in pres.tools:
        rows = pres.population(tool)
        groups.append(Group(f"people:{tool}", mask(rows["person_key"]), RANK["people"]))
        groups.append(
            Group(f"licensed:{tool}", mask(rows.loc[rows["licensed"], "person_key"]),
                  RANK["licensed"])
        )  # fmt: skip
        active = rows.loc[rows["active"], "person_key"]
        active_sets[tool] = set(active.astype(str))
        if tool in pres.held_now:
            holders = pres.held_now[tool]
            groups.append(Group(f"seats:{tool}", mask(holders), RANK["seats"]))
            # Seat holders who used it: what `usage_rate` by tool publishes as active.
            users = sorted(set(holders) & active_sets[tool])
            groups.append(Group(f"used:{tool}", mask(users), RANK["used"]))
        groups.append(Group(f"active:{tool}", mask(active), RANK["active"]))
        if pres.grains.get(tool) != MONTH:
            for level, rows_at in _levels(rows, pres.blocks).items():
                groups.append(Group(f"{level}:{tool}", mask(rows_at), RANK["level"]))
        if pres.grains.get(tool) != MONTH and pres.week is not None:
            weekly = rows.loc[rows["week_active"].fillna(False).astype(bool), "person_key"]
            groups.append(Group(f"week:{tool}", mask(weekly), RANK["week"]))
    if seat_use is not None and len(seat_use):
        groups.extend(_seat_totals(seat_use, index))
    finer: list[Group] = []
    if segments is not None:
        for variant, per_tool in sorted(segments.members.items()):
            for tool, classes in sorted(per_tool.items()):
                table = f"useg:{variant}:{tool}"
                totals[table] = f"seats:{tool}"
                # The variant to read gives way last.
                rank = RANK["useg_read" if variant == segments.read else "useg"]
                for name in SEGMENT_NAMES:
                    finer.append(Group(f"{table}:{name}", mask(classes[name]), rank, table=table))
    combos = [tuple(sorted(t for t, s in active_sets.items() if k in s)) for k in keys]
    used = np.array([bool(c) for c in combos], dtype=bool)
    groups.append(Group(MIX, used, RANK["mix"]))
    # Each person's combination as its position among the sorted combinations (-1: none),
    # so a cell is one comparison of integers, per segment too.
    cells = sorted({c for c in combos if c})
    at = {c: i for i, c in enumerate(cells)}
    cell = np.array([at.get(c, -1) for c in combos], dtype=np.int64)
    for i, combo in enumerate(cells):
        groups.append(Group(f"cell:{label(combo)}", cell == i, RANK["cell"], table=MIX))
    for a, b in combinations(sorted(active_sets), 2):
        m = mask(active_sets[a] & active_sets[b])
        groups.append(Group(f"pair:{a} + {b}", m, RANK["pair"]))
    segment = None
    if by is not None and ctx.has(DIM_PERSON):
        segment = _segments(ctx, keys, by)
        names = sorted(set(segment))
        seg = pd.Index(names, dtype=object).get_indexer(pd.Index(segment, dtype=object))
        for j, s in enumerate(names):
            in_s = (seg == j) & used
            groups.append(Group(f"seg:{s}", in_s, RANK["segtotal"]))
            totals[f"seg:{s}"] = f"seg:{s}"
            for i in np.unique(cell[in_s]).tolist():
                m = in_s & (cell == i)
                groups.append(
                    Group(f"seg:{s}|{label(cells[i])}", m, RANK["segcell"], table=f"seg:{s}")
                )
    external = _external(ctx, pres, keys)
    # People the licensed total and the seat counts alone single out (see `set_aside`).
    known = set_aside([g for g in groups if g.fixed], ctx.min_group_size)
    hidden = _overlap(ctx, groups, totals=totals, external=external, known=known)
    if finer:
        # The usage segment classes are the finest detail: planned after everything else,
        # which stays as decided (shown groups fixed), so only classes give way to a leak.
        staged = [g if g.name in hidden else replace(g, fixed=True) for g in groups]
        hidden = _overlap(
            ctx, [*staged, *finer], totals=totals, external=external, start=hidden, known=known
        )
        groups.extend(finer)
    # "Other combinations" is the mix total minus the shown cells: derivable whenever the
    # total is shown (so showing it reveals nothing more), and hidden with the total.
    merged = np.zeros(n, dtype=bool)
    for g in groups:
        if g.table == MIX and g.name in hidden:
            merged |= g.members
    other = Group(f"cell:{OTHER}", merged, RANK["other"])
    groups.append(other)
    if MIX in hidden:
        hidden[other.name] = hidden[MIX]
    elif 0 < other.size < ctx.min_group_size:
        hidden[other.name] = "small"
    plan = ToolPlan(pres, keys, {g.name: g for g in groups}, hidden, combos, segment, by)
    if external is None:
        plan.notes.append("segment groups were not checked against the tool groups (no roster)")
    return plan


def shared_presence(ctx: MetricContext) -> Presence:
    """Who is in which tool in the window, read once per metric computation.

    Args:
        ctx: metric context.

    Returns:
        The presence.
    """
    return ctx.memo.once("tool_presence", lambda: presence(ctx))


def shared_plan(ctx: MetricContext) -> ToolPlan | None:
    """The tool plan of this computation (its `by`), computed once and shared.

    Every family that publishes per-tool people counts (`usage_rate` and `licenses` by tool,
    the tool family) hides what this one plan hides, so no two of them can be subtracted.

    Args:
        ctx: metric context.

    Returns:
        The plan, or None when no tool has people in the window.
    """

    def make() -> ToolPlan | None:
        pres = shared_presence(ctx)
        if pres.frame.empty:
            return None
        # Planned whichever families this computation asks for: a release of the tools
        # alone hides what one with the licences hides, or the two could be subtracted.
        seat_use = seat_frame(ctx) if ctx.has("licenses") else None
        return plan_tools(ctx, pres, ctx.by, shared_tool_segments(ctx, pres), seat_use)

    return ctx.memo.once("tool_plan", make)


def _overlap(
    ctx: MetricContext,
    groups: list[Group],
    *,
    totals: dict[str, str],
    external: sparse.csr_matrix | None,
    start: dict[str, SuppressReason] | None = None,
    known: np.ndarray | None = None,
) -> dict[str, SuppressReason]:
    """`overlap_plan` of the groups, read from the kept plans when it was made before.

    At 10,000 people by team the two plans of a read take 0.8 s; a new process (every
    command, a restarted server) asks for the same ones while the data is the same.
    """
    k = ctx.min_group_size
    store = ctx.plans
    key = overlap_key(groups, k, totals, external, start) if store else None
    if store is not None and key is not None:
        kept = store.get_hidden(key, groups)
        if kept is not None:
            return kept
    # `known` follows from the fixed groups and k, which the key holds.
    hidden = overlap_plan(groups, k, totals=totals, external=external, start=start, known=known)
    if store is not None and key is not None:
        store.put_hidden(key, groups, hidden)
    return hidden


def _seat_totals(seat_use: pd.DataFrame, index: pd.Index) -> list[Group]:
    """The licences' seat totals as counts per person (`SEAT_TOTALS`).

    They count seats, not people (someone holding two tools' seats counts twice), and add
    up each tool's seat holders, which the plan shows per tool: without them the seat count
    less one tool's shown holders gave away another tool's hidden ones. The licences publish
    them whatever this plan says, so they are fixed: the tool groups give way.
    """
    at = _positions(index, seat_use["person_key"].astype(str))
    known = seat_use["known"].to_numpy(dtype=bool)
    used = known & seat_use["used"].to_numpy(dtype=bool)
    n = len(index)
    return [
        Group.counting(name, np.bincount(at, weights=c, minlength=n).astype(np.int64))
        for name, c in zip(SEAT_TOTALS, [np.ones(len(at), dtype=bool), known, used], strict=True)
    ]


def _levels(rows: pd.DataFrame, blocks: int) -> dict[str, pd.Series]:
    """A tool's people by how many of the window's 7-day blocks they used it in."""
    weeks = pd.to_numeric(rows["weeks"], errors="coerce").fillna(0)
    keys = rows["person_key"]
    return {
        LEVELS[0]: keys[weeks >= blocks],
        LEVELS[1]: keys[(weeks > 1) & (weeks < blocks)],
        LEVELS[2]: keys[weeks == 1],
    }


def _segments(ctx: MetricContext, keys: list[str], by: str) -> list[str]:
    from uptake.metrics.release import release_members

    members = release_members(ctx, keys).set_index("person_key")
    return [str(v) for v in members[by].loc[keys].tolist()]


def _positions(index: pd.Index, people: Iterable[str]) -> np.ndarray:
    """Each person's position in the plan's sorted keys (every one must be there)."""
    # A column at a time: iterating over an Arrow-backed column one value at a time cost
    # about 0.1 s of the tier-M plan.
    given = people.astype(object) if isinstance(people, pd.Series) else list(people)
    ix: np.ndarray = index.get_indexer(pd.Index(given, dtype=object))
    if (ix < 0).any():
        raise KeyError(f"{int((ix < 0).sum())} people outside the plan's population")
    return ix


def _external(ctx: MetricContext, pres: Presence, keys: list[str]) -> sparse.csr_matrix | None:
    """The segment groups the segment metrics publish for the licensed total (rows × people).

    Sparse: every person is in one segment per dimension, and a large organisation publishes
    tens of thousands of segments.
    """
    if not ctx.has(DIM_PERSON) or not pres.licensed_now:
        return None
    from uptake.metrics.release import release_members, release_plan

    plan = release_plan(ctx, pres.licensed_now)
    members = release_members(ctx, pres.licensed_now)
    pos = _positions(pd.Index(keys, dtype=object), members["person_key"])
    row_ix: list[np.ndarray] = []
    col_ix: list[np.ndarray] = []
    rows = 0
    for dim in SEGMENTS:
        hidden = plan.reasons(dim)
        for seg, ix in members.groupby(dim, sort=True).indices.items():
            if str(seg) in hidden:
                continue
            col_ix.append(pos[np.asarray(ix)])
            row_ix.append(np.full(len(ix), rows, dtype=np.int64))
            rows += 1
    if not rows:
        return None
    r, c = np.concatenate(row_ix), np.concatenate(col_ix)
    return sparse.csr_matrix((np.ones(len(r), dtype=np.int64), (r, c)), shape=(rows, len(keys)))


def day_grain(pres: Presence, tool: str) -> bool:
    """Whether a tool reports daily (day-based figures exist for it)."""
    return pres.grains.get(tool, DAY) == DAY


def tool_frame(plan: ToolPlan) -> pd.DataFrame:
    """Exact per-tool counts: population, licensed, active, weekly active, active days.

    Args:
        plan: the tool plan.

    Returns:
        One row per tool (`segment` = tool) with `grain`, `n`, `licensed`, `active`,
        `weekly_active` (NA when monthly), `active_days` (sum over active people, NA when
        not daily) and one column per level of `LEVELS` (NA when monthly).
    """
    pres = plan.presence
    rows = []
    for tool in pres.tools:
        f = pres.population(tool)
        grain = pres.grains.get(tool, DAY)
        week = f"week:{tool}"
        rows.append({
            "segment": tool,
            "grain": grain,
            "n": len(f),
            "licensed": int(f["licensed"].sum()),
            "active": int(f["active"].sum()),
            "weekly_active": plan.size(week) if week in plan.groups else pd.NA,
            "active_days": float(f["active_days"].sum()) if grain == DAY else float("nan"),
            **{lv: plan.size(f"{lv}:{tool}") if f"{lv}:{tool}" in plan.groups else pd.NA
               for lv in LEVELS},
        })  # fmt: skip
    return pd.DataFrame(rows)


def hide_rows(plan: ToolPlan, names: list[str]) -> np.ndarray:
    """Which rows the plan hides, one group name per row.

    Args:
        plan: the tool plan.
        names: the group each row shows.

    Returns:
        A boolean mask aligned with `names`.
    """
    return np.array([n in plan.hidden for n in names], dtype=bool)


def suppress_each(ctx: MetricContext, frame: pd.DataFrame, hide: np.ndarray) -> pd.DataFrame:
    """Each per-tool row its own table (tools overlap), suppressed under the plan's mask.

    Args:
        ctx: metric context (its minimum group size).
        frame: one row per tool (`segment`), people in `n`.
        hide: rows the plan hides (`hide_rows`).

    Returns:
        The suppressed frame, with the `PART` column `public_rows_each` drops.
    """
    frame = frame.assign(**{PART: frame[SEGMENT].astype(str)})
    return suppress(frame, [SEGMENT], "n", ctx.min_group_size, partition_cols=[PART], hide=hide)


def public_rows_each(frame: pd.DataFrame) -> PublicRows:
    """The public rows of a `suppress_each` frame, keyed by tool.

    Args:
        frame: a suppressed (and maybe noisy) per-tool frame.

    Returns:
        JSON-ready rows without the `PART` column.
    """
    return public_rows(frame, [SEGMENT, PART]).derive(
        lambda r: {k: v for k, v in r.items() if k != PART}
    )
