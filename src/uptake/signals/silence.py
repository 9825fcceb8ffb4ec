"""Silence: a team with shallow use and almost no feedback is a risk, not smooth adoption.

Per team (`dim_person.team`), over the licensed people on `as_of`:

* depth — with tasks, completed AI-assisted ÷ eligible high-stakes runs in the ladder window
  (`window_days` ending at `as_of`), summed over the team; without tasks, the team's L3+
  share on the activity-proxy ladder (the basis says which);
* feedback — feedback items from the team's roster members in the last `feedback_days`,
  per licensed member.

A team is silent when depth < `depth_below` and feedback per person < `feedback_below`.
Only teams of at least k licensed people are judged, and the frame goes through
`privacy.suppress` (teams partition the licensed people, the organisation is the total), so
a team hidden as a complementary cell is not shown either; `hidden` counts them. Without a
feedback table silence cannot be told from no data, so the signal is not available.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import pandas as pd

from uptake.errors import NotAvailableError
from uptake.metrics.context import MetricContext
from uptake.metrics.families.ladder import TASKS, basis, person_inputs
from uptake.metrics.privacy import SUPPRESSED, TOTAL, public_rows, suppress
from uptake.metrics.segments import DIM_PERSON, NO_SEGMENT
from uptake.signals import shared

SIGNAL = "team_silence"
DEPTH_BELOW = 0.3
FEEDBACK_BELOW = 0.05
FEEDBACK_DAYS = 56


@dataclass(frozen=True)
class Silence:
    """Teams judged for silence (suppressed frame) and the rule that judged them."""

    teams: pd.DataFrame
    basis: str
    window: tuple[str, str]
    feedback_window: tuple[str, str]
    depth_below: float
    feedback_below: float

    @property
    def silent(self) -> pd.DataFrame:
        """Visible silent teams (team, n, depth, feedback, feedback_per_person)."""
        t = self.teams
        return t[
            ~t[SUPPRESSED] & t["silent"].astype("boolean").fillna(False).astype(bool)
        ].reset_index(drop=True)

    @property
    def hidden(self) -> int:
        """Teams of k or more people hidden as complementary cells."""
        t = self.teams
        return int((t[SUPPRESSED] & (t["suppressed_reason"] == "complementary")).sum())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the rule and every team row (hidden rows carry only why)."""
        return {
            "signal": SIGNAL,
            "basis": self.basis,
            "window": list(self.window),
            "feedback_window": list(self.feedback_window),
            "depth_below": self.depth_below,
            "feedback_per_person_below": self.feedback_below,
            "teams": list(public_rows(self.teams, ["team"])),
        }


def silence(
    ctx: MetricContext,
    *,
    depth_below: float = DEPTH_BELOW,
    feedback_below: float = FEEDBACK_BELOW,
    feedback_days: int = FEEDBACK_DAYS,
) -> Silence:
    """Judge each team of at least k licensed people for silence (see the module docstring).

    Args:
        ctx: metric context (facts refreshed).
        depth_below: depth (or L3+ share without tasks) below which use is shallow.
        feedback_below: feedback items per licensed person below which a team is quiet.
        feedback_days: days of feedback counted, ending at `as_of`.

    Returns:
        A `Silence`: per team n, depth, feedback, feedback_per_person, silent (suppressed).

    Raises:
        NotAvailableError: without feedback or ladder data.
    """
    rules = basis(ctx)
    if ctx.missing("feedback") or rules is None:
        raise NotAvailableError(
            "silence needs feedback: without it no feedback cannot be told from no data",
            needs=ctx.missing("feedback") or ["tasks", "events"],
        )
    dim = ctx.engine.execute(ctx.engine.table(DIM_PERSON).select("person_key", "team", "status"))
    if rules == TASKS:
        inputs = ctx.engine.execute(person_inputs(ctx, ctx.as_of, ("elig", "ai_elig_done")))
        people = inputs.merge(dim, on="person_key", how="left")
        agg = people.groupby("team").agg(
            n=("person_key", "size"), elig=("elig", "sum"), done=("ai_elig_done", "sum")
        )
        agg["depth"] = (agg["done"] / agg["elig"]).where(agg["elig"] > 0)
        agg = agg.drop(columns=["elig", "done"])
    else:
        levels = shared.levels(ctx)[["person_key", "level"]]
        people = levels.merge(dim, on="person_key", how="left")
        agg = (
            people.assign(l3=people["level"] >= 3)
            .groupby("team")
            .agg(n=("person_key", "size"), depth=("l3", "mean"))
        )
    lo = ctx.days_back(feedback_days)
    f = ctx.engine.table("feedback")
    f = f.filter(
        f.person_key.notnull()
        & (f.ts >= ibis.literal(pd.Timestamp(lo).to_pydatetime()))
        & (f.ts < ibis.literal(ctx.end_ts))
    )
    fb = ctx.engine.execute(f.select("person_key")).merge(dim, on="person_key", how="inner")
    # Leavers' feedback still describes their team's experience in the window.
    counts = fb.groupby("team").size().rename("feedback")
    agg = agg.join(counts, how="left").fillna({"feedback": 0})
    agg["feedback"] = agg["feedback"].astype(int)
    agg["feedback_per_person"] = agg["feedback"] / agg["n"]
    agg = agg.reset_index()
    agg["team"] = agg["team"].fillna(NO_SEGMENT).astype(str)
    agg["silent"] = (agg["depth"].fillna(0) < depth_below) & (
        agg["feedback_per_person"] < feedback_below
    )
    # A team without a name is not a team anyone can act on: judged nowhere.
    agg.loc[agg["team"] == NO_SEGMENT, "silent"] = False
    total = pd.DataFrame(
        [
            {
                "team": TOTAL,
                "n": int(agg["n"].sum()),
                "depth": None,
                "feedback": int(agg["feedback"].sum()),
                "feedback_per_person": None,
                "silent": False,
            }
        ]
    )
    frame = pd.concat([agg, total], ignore_index=True)
    frame["depth"] = frame["depth"].astype(float)
    frame["feedback_per_person"] = frame["feedback_per_person"].astype(float)
    shown = suppress(frame, ["team"], "n", ctx.min_group_size)
    window = (ctx.window_start.isoformat(), ctx.as_of.isoformat())
    fwin = (lo.isoformat(), ctx.as_of.isoformat())
    return Silence(
        teams=shown,
        basis=rules,
        window=window,
        feedback_window=fwin,
        depth_below=depth_below,
        feedback_below=feedback_below,
    )
