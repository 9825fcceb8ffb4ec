"""The ladder's moves: who went up or down a level from one week to the next.

`ladder_transitions` counts people at a level at the end of both of the last two complete
weeks by their level in each (a from × to grid, with up, down and the total), and carries the
distribution at the end of each recent week. Both are people counts, so with the release
noise on each cell carries it, as the ladder's distribution on as_of does: the grid is a
comparison of two dates, and exact it shows one person's move.
"""

from __future__ import annotations

import ibis
import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.metrics.families.ladder import (
    BASIS,
    LADDER_TRANSITIONS,
    LEVELS,
    NOT_JUDGED,
    Judged,
    level_shares,
    not_judged,
)
from uptake.metrics.families.ladder_history import history
from uptake.metrics.groups import complete_weeks, head, noisy
from uptake.metrics.privacy import SUPPRESSED, TOTAL, public_rows, suppress
from uptake.metrics.result import MetricResult, not_available

TO = tuple(f"to_{level}" for level in LEVELS)


def _week_counts(cells: pd.DataFrame) -> pd.DataFrame:
    """People per week (`n`) and per level (`L1`…`L5`) from (week, level, frm, people) cells."""
    people = cells["people"].astype("int64")
    out = pd.DataFrame({"week": cells["week"], "n": people})
    for i, name in enumerate(LEVELS, start=1):
        out[name] = people.where(cells["level"] == i, 0)
    return out.groupby("week", as_index=False, sort=False).sum()


def transitions(ctx: MetricContext, rules: str) -> MetricResult:
    """Week-over-week moves between levels, and the distribution per recent week.

    Args:
        ctx: metric context.
        rules: `tasks` or `activity_proxy`.

    Returns:
        n (people at a level both weeks), up/same/down, one row per starting level
        (`to_L1`…`to_L5`), and `weeks` with the distribution at each week's end.
    """
    weeks = complete_weeks(ctx)
    hist = history(ctx, weeks, rules)
    prev_w, last_w = weeks[-2], weeks[-1]
    # One query for both outputs (the history's window functions run once): people per
    # week, level and, in the last week for people also placed the week before, their
    # level then.
    order = ibis.window(group_by="person_key", order_by="week")
    before = hist.level.lag().over(order)
    moved = (hist.week == last_w) & (hist.week.lag().over(order) == prev_w)
    h = hist.mutate(frm=moved.ifelse(before, ibis.null("int8")))
    cells = ctx.engine.execute(h.group_by("week", "level", "frm").aggregate(people=h.count()))
    by_week = level_shares(_week_counts(cells))
    by_week["week"] = pd.to_datetime(by_week["week"]).dt.date
    by_week["cell"] = "\0all"
    weekly = suppress(by_week, ["cell"], "n", ctx.min_group_size, partition_cols=["week"])
    # Each week's levels are people counts, noised as the distribution on as_of is: exact,
    # the week ending on as_of had given the noisy distribution's exact counts away.
    weekly = noisy(
        ctx, weekly, ["n", *LEVELS], ["cell", "week"], f"{LADDER_TRANSITIONS.name}:weeks",
        derive=level_shares,
    )  # fmt: skip
    unjudged = not_judged(Judged.of(ctx))
    withheld = {f"to_{level}": None for level in unjudged}
    weeks_rows = public_rows(weekly.sort_values("week"), ["cell", "week"]).derive(
        lambda r: {k: v for k, v in r.items() if k != "cell"} | dict.fromkeys(unjudged, None)
    )
    pair = cells[cells["frm"].notna()]
    moves = (
        pair.assign(frm=pair["frm"].astype("int64"), to=pair["level"].astype("int64"))
        .groupby(["frm", "to"], as_index=False)["people"]
        .sum()
    )
    table = pd.DataFrame({"from": list(LEVELS)})
    for j, name in enumerate(LEVELS, start=1):
        col = moves[moves["to"] == j].set_index("frm")["people"]
        table[f"to_{name}"] = [int(col.get(i, 0)) for i in range(1, 6)]
    to_cols = list(TO)
    table["n"] = table[to_cols].sum(axis=1)
    grid = table[to_cols].to_numpy()
    table["up"] = [int(grid[i, i + 1 :].sum()) for i in range(5)]
    table["down"] = [int(grid[i, :i].sum()) for i in range(5)]
    total = {
        "from": TOTAL,
        **{c: int(table[c].sum()) for c in [*to_cols, "n", "up", "down"]},
    }
    if total["n"] == 0:
        return not_available(
            LADDER_TRANSITIONS, "licenses (held at the end of both of the last two weeks)"
        )
    full = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    full = full[["from", "n", "up", "down", *to_cols]]
    out = suppress(full, ["from"], "n", ctx.min_group_size)
    # Rows of nobody describe no one and stay shown.
    rows = ((out["from"] != TOTAL) & (full["n"] > 0)).to_numpy()
    if (out[SUPPRESSED].to_numpy(dtype=bool) & rows).any():
        # A cross-tab with both margins public (the total row here, each week's distribution
        # in `weeks`) lets hidden rows be solved for from the margins; rather than a linked
        # suppression, the rows are shown all together or not at all.
        out = suppress(full, ["from"], "n", ctx.min_group_size, hide=rows)
    out = _noisy_moves(ctx, out, full)
    values, why = head(out, "from")
    res = MetricResult(
        LADDER_TRANSITIONS,
        {"from_week": prev_w.isoformat(), "to_week": last_w.isoformat()},
        suppressed=why,
        basis=BASIS[rules],
        weeks=weeks_rows,
        noisy=bool(out.attrs.get("noisy")),
    )
    if why is None:
        res.n = values["n"]
        res.values.update(up=values["up"], down=values["down"])
        res.values["same"] = values["n"] - values["up"] - values["down"]
    # A level the data cannot judge has no row (nobody is placed there) and no column.
    shown = public_rows(out, ["from"]).where(lambda r: r["from"] not in (TOTAL, *unjudged))
    res.values["rows"] = shown.derive(lambda r: r | withheld) if withheld else shown
    if unjudged:
        res.values["not_available"] = unjudged
        res.notes = (*res.notes, NOT_JUDGED)
    return res


def _noisy_moves(ctx: MetricContext, out: pd.DataFrame, exact: pd.DataFrame) -> pd.DataFrame:
    """The moves with the release noise on each cell, when it is on.

    Each person is in one cell of the grid, so each cell takes the noise a count does; a
    row's n, up and down, and the total row, are then summed from its noisy cells so that
    they agree. A row of nobody stays 0. With the rows hidden, the total's n, up and down
    are noised themselves.
    """
    if not ctx.noise.enabled or not len(out):
        return out
    grid = (out["from"] != TOTAL).to_numpy(dtype=bool)
    shown = grid & ~out[SUPPRESSED].to_numpy(dtype=bool)
    res = out.copy()
    question = (LADDER_TRANSITIONS.name, ctx.by or "all")
    if shown.any():
        rows = ctx.noise.perturb(out[shown], list(TO), ["from"], *question, clip_to=None)
        nobody = (exact.loc[shown, "n"] == 0).to_numpy(dtype=bool)
        cells = rows[list(TO)].to_numpy(dtype="int64")
        cells[nobody] = exact.loc[shown, list(TO)].to_numpy(dtype="int64")[nobody]
        res.loc[shown, list(TO)] = cells
        res.loc[shown, "n"] = cells.sum(axis=1)
        res.loc[shown, "up"] = [int(r[i + 1 :].sum()) for i, r in enumerate(cells)]
        res.loc[shown, "down"] = [int(r[:i].sum()) for i, r in enumerate(cells)]
    total = ~grid & ~out[SUPPRESSED].to_numpy(dtype=bool)
    if total.any() and shown.sum() == grid.sum():
        for col in ("n", "up", "down", *TO):
            res.loc[total, col] = int(res.loc[grid, col].astype("int64").sum())
    elif total.any():
        counts = ["n", "up", "down"]
        noised = ctx.noise.perturb(out[total], counts, ["from"], *question)
        res.loc[total, counts] = noised[counts].to_numpy()
    res.attrs["noisy"] = True
    return res
