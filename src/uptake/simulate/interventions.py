"""Interventions: in-context guidance cards with a holdout arm.

Treated people get about one card a week (never more than one a day or three a week); the
holdout arm's would-have-been cards are logged with `arm = holdout` and no status, which is
how the uplift is measured. The cards' effect on behaviour is part of the plan
(`Plan.coach_gain`), so it shows up in the trajectories, not only in this table.
"""

from __future__ import annotations

import numpy as np

from uptake.simulate.activity import ROLE_WF, WF_HIGH, Cols
from uptake.simulate.behaviour import ARM_NONE, ARM_TREATMENT, Plan
from uptake.simulate.catalog import WORKFLOWS
from uptake.simulate.daily import Daily
from uptake.simulate.personas import P
from uptake.simulate.roster import Org
from uptake.simulate.scenarios import Scenario
from uptake.simulate.timeline import Timeline, to_utc_ms, work_time_ms

KINDS = (
    "recovery_help",
    "use_case",
    "champion_intro",
    "practice_task",
    "champion_invite",
    "manager_brief",
)
_ACT = np.array([0.45, 0.35, 0.3, 0.25, 0.25, 0.25, 0.2, 0.15, 0.1])  # chance a card is acted on


def make_interventions(
    org: Org, plan: Plan, daily: Daily, tl: Timeline, sc: Scenario, rng: np.random.Generator
) -> Cols:
    """Guidance cards of a chunk (treatment and holdout arms).
    Args:
        org: roster.
        plan: behaviour plan.
        daily: the chunk's daily state.
        tl: calendar.
        sc: the scenario (its coaching start is already in the plan's card days).
        rng: the chunk's generator.

    Returns:
        Columns person (chunk row), ts, kind, ref, arm, status (None for holdout).
    """
    idx = daily.idx
    n, days = daily.avail.shape
    arm = plan.arm[idx]
    in_arm = arm != ARM_NONE
    begin = plan.card_day[idx]
    weeks = (days + 6) // 7
    counts = np.minimum(rng.poisson(1.0, (n, weeks)), 3) * in_arm[:, None]
    r, w = np.nonzero(counts)
    reps = counts[r, w]
    r, w = np.repeat(r, reps), np.repeat(w, reps)
    day = w * 7 + rng.integers(0, 7, len(r))
    ok = (day < days) & (day >= begin[r])
    r, day = r[ok], day[ok]
    ok = daily.avail[r, day]
    r, day = r[ok], day[ok]
    # At most one card a day.
    key = r * days + day
    _, first = np.unique(key, return_index=True)
    first.sort()
    r, day = r[first], day[first]
    m = len(r)
    g = idx[r]
    persona = plan.persona[g]
    start = plan.start_day[g]
    in_drop = plan.drop[g] & (day >= start + 14) & (day < start + 28)
    stalled = (day >= plan.abandon_day[g]) | (start > day)
    u = rng.random(m)
    kind = np.select(
        [
            in_drop | (stalled & (u < 0.5)),
            (org.level[g] >= 1) & (u < 0.4),
            (persona == P["competence"]) & (u < 0.6),
            plan.champion[g] & (u < 0.3),
            u < 0.65,
        ],
        [0, 5, 3, 4, 1],
        2,
    )
    wfs = ROLE_WF[org.role[g]]
    high = np.where(wfs >= 0, WF_HIGH[np.maximum(wfs, 0)], False)
    pick = np.array(
        [int(rng.choice(np.flatnonzero(h))) if h.any() else 0 for h in high], dtype=np.int64
    )
    wf_ids = np.array([w.id for w in WORKFLOWS], dtype=object)[wfs[np.arange(m), pick]]
    team = np.array(org.team_names, dtype=object)[org.team[g]]
    reason = np.where(
        in_drop, "week3_4_drop", np.where(start > day, "no_meaningful_use", "inactivity")
    )
    ref = np.select(
        [kind == 0, kind == 1, kind == 2, kind == 3, kind == 4],
        [
            "recovery:" + reason,
            "uc:" + wf_ids,
            "champion:" + team,
            "practice:" + wf_ids,
            "invite:champion-network",
        ],
        "brief:" + team,
    ).astype(object)
    treated = arm[r] == ARM_TREATMENT
    act = _ACT[persona]
    v = rng.random(m)
    status = np.select(
        [v < act, v < act + 0.25, v < act + 0.5], ["acted", "opened", "dismissed"], "delivered"
    )
    status = np.where(treated, status.astype(object), np.full(m, None, dtype=object))
    ts = to_utc_ms(tl, day, org.location[g], work_time_ms(rng, m))
    keep = ts < tl.end_ms
    return {
        "person": r[keep],
        "ts": ts[keep],
        "kind": np.array(KINDS, dtype=object)[kind][keep],
        "ref": ref[keep],
        "arm": np.where(treated, "treatment", "holdout").astype(object)[keep],
        "status": status[keep],
    }
