"""Licences: seats assigned, used, unused, and reclaim candidates with the saving.

A seat is *assigned* on `as_of` when its licence was assigned by the end of that day and not
removed by then. It is *used* when its holder has an event on the seat's tool in the current
window, or a source reports the holder's last activity on that tool (`person_facts`
`last_activity`) inside the window. A seat whose tool has neither events nor last-activity
reports in the window has *unknown* use and is never called unused: no data for the window
is not evidence that nobody used it.

Reclaim candidates: seats of people who left, and unused seats — except new starters (hired
or given the seat within `reclaim_grace_days` of `as_of`) and people on leave. The saving is
the candidates' `monthly_cost` (per month and per year, in the configured currency); an
unknown price is unknown, never 0: seats without a cost are counted apart
(`reclaim_unpriced`), the saving covers the priced seats only and a note says so, and when no
candidate has a price the saving is null. With no candidate at all the saving is a true 0.
`reclaim_candidates` lists them seat by seat for the admin surfaces.

With `privacy.noise` on, the published people and seat counts carry the seeded noise of
`uptake.metrics.noise` (after suppression, which decides on exact counts): `seats` is the sum
of the noisy used, unused and unknown seats and utilisation is recomputed from the noisy
counts, so the numbers shown agree with each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.metrics.groups import SEGMENT, group_rows, head
from uptake.metrics.noise import Noise
from uptake.metrics.privacy import TOTAL, suppress
from uptake.metrics.release import release_hide
from uptake.metrics.result import MetricResult, MetricSpec, not_available
from uptake.metrics.seat_use import seat_frame
from uptake.metrics.tool_mix import shared_plan

SPEC = MetricSpec(
    name="licenses",
    family="licenses",
    label="assigned seats in use (of seats whose use is known)",
    unit="share",
    headline="utilisation",
    needs=("licenses",),
    definition=(
        "seats assigned on as_of whose holder used the seat's tool in the window ÷ seats "
        "whose use uptake can see; reclaim candidates and their monthly cost beside it"
    ),
)
SPECS: tuple[MetricSpec, ...] = (SPEC,)


def compute(ctx: MetricContext) -> list[MetricResult]:
    """The `licenses` result.

    Args:
        ctx: metric context (facts refreshed).

    Returns:
        One result.
    """
    if ctx.missing("licenses"):
        return [not_available(SPEC, "licenses")]
    seats = seat_frame(ctx)
    if seats.empty:
        return [not_available(SPEC, "licenses (assigned on as_of)")]
    return [summarise(ctx, seats)]


def _aggregate(seats: pd.DataFrame, key: str | None) -> pd.DataFrame:
    cand = seats["candidate"]
    costed = cand & seats["monthly_cost"].notna()
    unused_reason = seats["reason"] == "unused"
    # Per-seat flags summed per group in one pass: a pandas selection per group cost seconds
    # by team at 10,000 people (a thousand teams).
    flags = pd.DataFrame(
        {
            "seats": 1,
            "used": seats["known"] & seats["used"],
            "unused": seats["known"] & ~seats["used"],
            "unknown": ~seats["known"],
            "reclaim_seats": cand,
            "reclaim_unpriced": cand & ~costed,
            "kept_new_starters": seats["new_starter"] & unused_reason,
            "kept_on_leave": seats["status"].eq("leave") & unused_reason,
            "costed": costed,
            "saving": seats["monthly_cost"].where(costed, 0.0).astype(float),
        },
        index=seats.index,
    )

    def row(sums: Mapping[Any, Any], n: int) -> dict[str, Any]:
        out: dict[str, Any] = {"n": n}
        out.update({c: int(sums[c]) for c in COUNTED})
        # Unknown when every candidate lacks a price: a sum over no prices is not 0.
        priced = sums["costed"] > 0 or sums["reclaim_seats"] == 0
        out["monthly_saving"] = float(sums["saving"]) if priced else None
        out.update({c: int(sums[c]) for c in KEPT})
        return out

    rows = [{"group": TOTAL, **row(flags.sum().to_dict(), int(seats["person_key"].nunique()))}]
    if key is not None:
        by = seats[key]
        sums = flags.groupby(by, sort=True).sum().to_dict("index")
        people = seats["person_key"].groupby(by, sort=True).nunique().to_dict()
        rows += [{"group": str(v), **row(s, int(people[v]))} for v, s in sums.items()]
    out = pd.DataFrame(rows)
    out["utilisation"] = (out["used"] / (out["used"] + out["unused"])).where(
        out["used"] + out["unused"] > 0
    )
    monthly = pd.to_numeric(out["monthly_saving"], errors="coerce")
    out["monthly_saving"] = monthly.astype(object).where(monthly.notna(), None)
    out["annual_saving"] = (monthly * 12).astype(object).where(monthly.notna(), None)
    return out


# Seat counts (a person holds one seat per tool at most); `seats` is derived from the first three.
SEAT_COUNTS = (
    "used", "unused", "unknown", "reclaim_seats", "reclaim_unpriced",
    "kept_new_starters", "kept_on_leave",
)  # fmt: skip
# A group's counts published after its saving; the others (and `seats`) come before it.
KEPT = ("kept_new_starters", "kept_on_leave")
COUNTED = ("seats", *(c for c in SEAT_COUNTS if c not in KEPT))


def _noisy(noise: Noise, frame: pd.DataFrame, *question: object) -> pd.DataFrame:
    """The published counts with seeded noise; totals and shares recomputed from them."""
    if not noise.enabled:
        return frame
    out = noise.perturb(frame, ["n"], ["group"], SPEC.name, *question)
    # Seats are not people: a person may hold several, so they are not clipped to n.
    out = noise.perturb(out, list(SEAT_COUNTS), ["group"], SPEC.name, *question, clip_to=None)
    out["reclaim_unpriced"] = out[["reclaim_unpriced", "reclaim_seats"]].min(axis=1, skipna=False)
    out["seats"] = out["used"] + out["unused"] + out["unknown"]
    known = (out["used"] + out["unused"]).astype("Float64")
    out["utilisation"] = (out["used"].astype("Float64") / known).where(known > 0)
    return out


def summarise(ctx: MetricContext, seats: pd.DataFrame) -> MetricResult:
    """The result: totals, per tool and per segment, each group suppressed below k.

    Args:
        ctx: metric context.
        seats: the result of `seat_frame`.

    Returns:
        The `licenses` result.
    """
    k = ctx.min_group_size
    overall = suppress(_aggregate(seats, None).assign(group="\0all"), ["group"], "n", k)
    overall = _noisy(ctx.noise, overall.assign(group=TOTAL), "all")
    values, why = head(overall, "group")
    res = MetricResult(SPEC, n=values.pop("n", None), suppressed=why, noisy=ctx.noise.enabled)
    res.values.update(values)
    res.values["window"] = {"start": ctx.window_start.isoformat(), "end": ctx.as_of.isoformat()}
    if why is None:
        res.notes = _price_notes(res.values)
        if res.values.get("utilisation") is None and res.values.get("unknown"):
            res.notes = (
                "use unknown for every seat: no tool's activity (events or last-activity "
                "reports) reaches into the window",
                *res.notes,
            )
    res.values["reclaim_rule"] = (
        f"seats of people who left, and unused seats except people on leave and new starters "
        f"(hired or seated within {ctx.settings.reclaim_grace_days} days)"
    )
    by_tool = _aggregate(seats, "tool")
    # Tools overlap: the tool plan hides a tool's seat count where another shown tool group
    # would single someone out by subtraction, with the totals above in the plan (they add
    # up the tools' seats).
    plan = shared_plan(ctx)
    planned = plan.hidden if plan is not None else {}
    hide = by_tool["group"].astype(str).map(lambda t: f"seats:{t}" in planned).to_numpy(bool)
    tools = _noisy(ctx.noise, suppress(by_tool, ["group"], "n", k, hide=hide), "tool")
    res.values["by_tool"] = group_rows(tools, ["group"], "group")
    if ctx.by is not None:
        table = _aggregate(seats, SEGMENT)
        hide = release_hide(ctx, seats["person_key"].tolist(), table, "group")
        segs = _noisy(ctx.noise, suppress(table, ["group"], "n", k, hide=hide), ctx.by)
        res.by = ctx.by
        res.segments = group_rows(segs, ["group"], "group")
    return res


def _price_notes(values: dict[str, Any]) -> tuple[str, ...]:
    """What the saving covers when some seats to reclaim have no price."""
    unpriced, seats = values.get("reclaim_unpriced") or 0, values.get("reclaim_seats") or 0
    if not unpriced:
        return ()
    if values.get("monthly_saving") is None:
        return (
            f"saving unknown: no price for {_seats(unpriced)} to reclaim (licenses.monthly_cost)",
        )
    priced = max(seats - unpriced, 0)
    return (
        f"saving covers the {_seats(priced)} to reclaim with a price; "
        f"{_seats(unpriced)} {'has' if unpriced == 1 else 'have'} no price "
        "(licenses.monthly_cost)",
    )


def _seats(n: int) -> str:
    return f"{n} seat" if n == 1 else f"{n} seats"


def reclaim_candidates(ctx: MetricContext) -> pd.DataFrame:
    """Seat-level reclaim list for admins (individual data; audit its reads).

    Args:
        ctx: metric context.

    Returns:
        Frame (person_key, tool, monthly_cost, reason), largest saving first.
    """
    seats = seat_frame(ctx)
    cand = seats[seats["candidate"]]
    return (
        cand[["person_key", "tool", "monthly_cost", "reason"]]
        .sort_values(["monthly_cost", "person_key"], ascending=[False, True], na_position="last")
        .reset_index(drop=True)
    )
