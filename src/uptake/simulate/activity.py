"""Workflow runs (tasks), the decisions taken in them, and the AI sessions they produce.

Columns are kept as plain NumPy arrays (`Cols`) until they are written; person columns hold
the chunk-local row index, which `output` maps to the identifier each source would carry.
"""

from __future__ import annotations

import numpy as np

from uptake.simulate.behaviour import Plan
from uptake.simulate.catalog import (
    DECISION,
    FREE_SURFACES,
    SURFACE_INDEX,
    WORKFLOWS,
    all_roles,
)
from uptake.simulate.daily import Daily
from uptake.simulate.personas import P
from uptake.simulate.roster import ROLE_INDEX, Org
from uptake.simulate.timeline import MS_MIN, Timeline, to_utc_ms, work_time_ms

Cols = dict[str, np.ndarray]

WF_TOOL = np.array([w.tool for w in WORKFLOWS])
WF_HIGH = np.array([w.stakes == "high" for w in WORKFLOWS])
WF_BASE = np.array([w.baseline_minutes for w in WORKFLOWS])
WF_SAVING = np.array([w.saving for w in WORKFLOWS])
WF_RATE = np.array([w.runs_per_week / 5 for w in WORKFLOWS])
WF_SENSITIVE = np.array([w.sensitive for w in WORKFLOWS])
WF_SURFACE = np.array([SURFACE_INDEX[w.surface] for w in WORKFLOWS])
MAX_WF = 6
ROLE_WF = np.full((len(ROLE_INDEX), MAX_WF), -1, dtype=np.int64)
for _r in all_roles():
    for _k, _w in enumerate(_r.workflows):
        ROLE_WF[ROLE_INDEX[_r.name], _k] = [w.id for w in WORKFLOWS].index(_w)

# Session kinds.
K_TASK, K_EXPLORE, K_LOGIN, K_BOUNCE, K_DECISION = 0, 1, 2, 3, 4
# Decision workflows: mean and spread of the realised value, and outcome lag in days.
_DECISION = {
    "fin.credit_decision": (100.0, 40.0, 21, 60),
    "cs.claim_assessment": (60.0, 30.0, 7, 30),
    "ops.demand_forecast": (80.0, 35.0, 7, 9),
}
# Average effect of overriding the model on the outcome, per persona: trust-deficit overrides
# are worse; value-misaligned (principled) overrides are on average slightly better.
_OVERRIDE_BIAS = np.array([12.0, -5.0, -8.0, -10.0, -15.0, -28.0, -12.0, 6.0, -10.0])


def _take(cols: Cols, keep: np.ndarray) -> Cols:
    return {k: v[keep] for k, v in cols.items()}


def make_tasks(
    org: Org, plan: Plan, daily: Daily, tl: Timeline, rng: np.random.Generator
) -> tuple[Cols, Cols]:
    """Runs of each person's role workflows, AI-assisted or not.

    Args:
        org: roster.
        plan: behaviour plan.
        daily: the chunk's daily state.
        tl: calendar.
        rng: the chunk's generator.

    Returns:
        Task columns (including hidden ones used by sessions and ground truth) and per-person
        extras (`affinity`: each person's inclination per role-workflow slot).
    """
    idx = daily.idx
    n = len(idx)
    role_wf = ROLE_WF[org.role[idx]]
    valid = role_wf >= 0
    rate = np.where(valid, WF_RATE[np.maximum(role_wf, 0)], 0.0)
    lam = rate[:, None, :] * (daily.avail * daily.scale)[:, :, None]
    counts = rng.poisson(lam)
    i, d, k = np.nonzero(counts)
    reps = counts[i, d, k]
    i, d, k = (np.repeat(a, reps) for a in (i, d, k))
    r = len(i)
    wf = role_wf[i, k]
    pi = idx[i]
    tool = WF_TOOL[wf]
    hi = WF_HIGH[wf]
    persona = plan.persona[idx]
    affinity = rng.lognormal(-0.045, 0.3, (n, MAX_WF))
    sens = WF_SENSITIVE[np.maximum(role_wf, 0)] & (persona == P["value_misalignment"])[:, None]
    affinity = np.where(sens, affinity * 0.3, affinity)
    p = np.where(hi, daily.p_hi[i, d], daily.p_lo[i, d]) * affinity[i, k] * daily.lic[i, d, tool]
    ai = rng.random(r) < np.clip(p, 0, 0.97)
    start = to_utc_ms(tl, d, org.location[pi], work_time_ms(rng, r))

    speed = rng.lognormal(0, 0.2, n)
    s_noise = rng.lognormal(-0.03, 0.25, (n, MAX_WF))
    prog = daily.prog[i, d].astype(np.float64)
    full = WF_SAVING[wf] * plan.params["saving_mult"][pi] * s_noise[i, k]
    s = full * (0.4 + 0.6 * prog)
    base = WF_BASE[wf] * speed[i]
    eps = rng.lognormal(-0.045, 0.3, r)
    minutes = np.maximum(base * np.where(ai, 1 - s, 1.0) * eps, 1.0)
    p_ab = np.where(ai, plan.params["task_abandon"][pi] * (1 - 0.5 * prog), 0.02)
    p_ab = np.where(tool == DECISION, p_ab * 0.3, p_ab)
    abandoned = rng.random(r) < p_ab
    spent = np.where(abandoned, minutes * (0.2 + 0.6 * rng.random(r)), minutes)
    end = start + (spent * MS_MIN).astype(np.int64)
    keep = (start >= tl.start_ms) & (end < tl.end_ms)
    cols: Cols = {
        "person": i,
        "day": d,
        "slot": k,
        "workflow": wf,
        "tool": tool,
        "high": hi,
        "ai": ai,
        "abandoned": abandoned,
        "start": start,
        "end": end,
        "minutes": np.round(spent, 1),
        "prog": prog,
        "true_saving": np.where(ai, base * s, 0.0),
        "full_saving": WF_BASE[wf] * speed[i] * full,
        # Kept so a planted retreat from AI (`friction.plant_surface`) can redo the minutes.
        "base": base,
        "eps": eps,
    }
    return _take(cols, keep), {"affinity": affinity}


def make_decisions(
    tasks: Cols, plan: Plan, daily: Daily, tl: Timeline, rng: np.random.Generator
) -> Cols:
    """Decisions on AI-assisted runs of decision-model workflows, with outcomes that arrive later.

    Args:
        tasks: the chunk's tasks.
        plan: behaviour plan.
        daily: the chunk's daily state.
        tl: calendar.
        rng: the chunk's generator.

    Returns:
        Columns: task (row in tasks), person (chunk row), workflow, ts, followed, outcome
        (NaN until it arrives), outcome_ts (-1 until then), score (the model's confidence).
    """
    sel = np.flatnonzero(tasks["ai"] & (tasks["tool"] == DECISION) & ~tasks["abandoned"])
    i = tasks["person"][sel]
    pi = daily.idx[i]
    m = len(sel)
    wf = tasks["workflow"][sel]
    prog = tasks["prog"][sel]
    follow = plan.params["follow_p"][pi] + 0.08 * prog
    before_conv = tasks["day"][sel] < plan.conv_day[pi]
    follow = np.clip(np.where(before_conv, follow - 0.2, follow), 0.05, 0.98)
    followed = rng.random(m) < follow
    mean = np.zeros(m)
    sd = np.zeros(m)
    lag_lo = np.zeros(m, dtype=np.int64)
    lag_hi = np.zeros(m, dtype=np.int64)
    for wid, (mu, sigma, lo, hi) in _DECISION.items():
        w = wf == [x.id for x in WORKFLOWS].index(wid)
        mean[w], sd[w], lag_lo[w], lag_hi[w] = mu, sigma, lo, hi
    q = rng.normal(mean, sd)
    persona = plan.persona[pi]
    spread = np.where(persona == P["value_misalignment"], 45.0, 30.0)
    outcome = np.where(
        followed,
        q + rng.normal(0, 12, m),
        q + _OVERRIDE_BIAS[persona] + rng.normal(0, 1, m) * spread,
    )
    ts = tasks["end"][sel]
    lag_days = lag_lo + (rng.random(m) * (lag_hi - lag_lo + 1)).astype(np.int64)
    outcome_ts = ts + lag_days * 86_400_000 + rng.integers(0, 86_400_000, m)
    arrived = outcome_ts < tl.end_ms
    return {
        "task": sel,
        "person": i,
        "workflow": wf,
        "ts": ts,
        "followed": followed,
        "outcome": np.where(arrived, np.round(outcome, 2), np.nan),
        "outcome_ts": np.where(arrived, outcome_ts, -1),
        "score": np.clip(0.5 + (q - mean) / (4 * np.maximum(sd, 1)), 0.01, 0.99),
    }


def free_surface(tool: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Surface of ad-hoc sessions, drawn per tool from `FREE_SURFACES`.

    Args:
        tool: tool index per session.
        rng: generator.

    Returns:
        Surface index per session.
    """
    out = np.zeros(len(tool), dtype=np.int64)
    for t, choices in FREE_SURFACES.items():
        m = tool == t
        names = [SURFACE_INDEX[s] for s, _ in choices]
        w = np.array([x for _, x in choices])
        out[m] = np.array(names)[rng.choice(len(names), size=int(m.sum()), p=w / w.sum())]
    return out


def random_workflow(org: Org, g: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One of each person's role workflows, uniformly.

    Args:
        org: roster.
        g: global person indices.
        rng: generator.

    Returns:
        Workflow index per person.
    """
    wfs = ROLE_WF[org.role[g]]
    count = (wfs >= 0).sum(axis=1)
    pick = (rng.random(len(g)) * count).astype(np.int64)
    return wfs[np.arange(len(g)), pick]
