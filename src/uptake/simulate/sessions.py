"""AI sessions: one per AI-assisted run, ad-hoc sessions, idle logins and planted bounce loops."""

from __future__ import annotations

import numpy as np

from uptake.simulate.activity import (
    K_BOUNCE,
    K_DECISION,
    K_EXPLORE,
    K_LOGIN,
    K_TASK,
    WF_SURFACE,
    Cols,
    free_surface,
)
from uptake.simulate.behaviour import Plan
from uptake.simulate.catalog import CODE, COPILOT, DECISION, SURFACE_INDEX
from uptake.simulate.daily import Daily
from uptake.simulate.roster import NEVER, Org
from uptake.simulate.timeline import MS_MIN, Timeline, to_utc_ms, work_time_ms


def _task_sessions(
    org: Org, plan: Plan, daily: Daily, tasks: Cols, decisions: Cols, rng: np.random.Generator
) -> Cols:
    sel = np.flatnonzero(tasks["ai"])
    m = len(sel)
    i = tasks["person"][sel]
    pi = daily.idx[i]
    tool = tasks["tool"][sel]
    minutes = tasks["minutes"][sel]
    spent_ms = minutes * MS_MIN
    frac = np.clip((0.35 + 0.55 * rng.random(m)) * plan.params["sess_mult"][pi], 0.1, 0.97)
    frac = np.where(tool == DECISION, 0.2 + 0.3 * rng.random(m), frac)
    dur = np.maximum(spent_ms * frac, 15_000).astype(np.int64)
    start = tasks["start"][sel] + rng.integers(0, 90_000, m)
    cycles = np.where(
        tool == COPILOT,
        1 + rng.poisson(0.8 + minutes / 40),
        np.where(tool == CODE, 2 + np.minimum(rng.poisson(2 + minutes / 12), 58), 1),
    )
    surface = WF_SURFACE[tasks["workflow"][sel]]
    jet = (tool == CODE) & (surface == SURFACE_INDEX["vscode"]) & (org.ide[pi] == 1)
    surface = np.where(jet, SURFACE_INDEX["jetbrains"], surface)
    follow = np.full(len(tasks["ai"]), -1, dtype=np.int64)
    follow[decisions["task"]] = decisions["followed"].astype(np.int64)
    score = np.full(len(tasks["ai"]), np.nan)
    score[decisions["task"]] = decisions["score"]
    return {
        "person": i,
        "day": tasks["day"][sel],
        "tool": tool,
        "surface": surface,
        "workflow": tasks["workflow"][sel],
        "kind": np.where(tool == DECISION, K_DECISION, K_TASK),
        "start": start,
        "dur": dur,
        "cycles": cycles,
        "final": np.where(tasks["abandoned"][sel], 2, 1),
        "follow": follow[sel],
        "score": score[sel],
        "episode": np.full(m, -1, dtype=np.int64),
        "task": sel,  # the run a task session belongs to (-1: none)
    }


def _pick_tool(daily: Daily, i: np.ndarray, d: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    cop = daily.lic[i, d, COPILOT]
    code = daily.lic[i, d, CODE]
    both = cop & code
    return np.where(
        both,
        np.where(rng.random(len(i)) < 0.5, CODE, COPILOT),
        np.where(cop, COPILOT, np.where(code, CODE, -1)),
    )


def _free_sessions(
    org: Org, plan: Plan, daily: Daily, tl: Timeline, rng: np.random.Generator
) -> Cols:
    days = daily.avail.shape[1]
    pi = daily.idx
    usable = daily.lic[:, :, COPILOT] | daily.lic[:, :, CODE]
    lam = plan.params["free_rate"][pi][:, None] * daily.eng * daily.avail * daily.scale * usable
    counts = rng.poisson(lam)
    first = daily.first_day
    has_first = first < days
    rows = np.flatnonzero(has_first)
    fd = first[rows]
    forced = usable[rows, np.minimum(fd, days - 1)]
    rows, fd = rows[forced], fd[forced]
    counts[rows, fd] = np.maximum(counts[rows, fd], 1)
    residual = rng.poisson(daily.residual * daily.scale * usable)
    i, d = np.nonzero(counts)
    reps = counts[i, d]
    i, d = np.repeat(i, reps), np.repeat(d, reps)
    ri, rd = np.nonzero(residual)
    rreps = residual[ri, rd]
    ri, rd = np.repeat(ri, rreps), np.repeat(rd, rreps)
    m, mr = len(i), len(ri)
    p = plan.params
    u = rng.random(m)
    b = p["bounce_bg"][pi[i]] * (1 - 0.5 * daily.prog[i, d])
    kind = np.where(u < b, K_BOUNCE, np.where(u < b + p["login_p"][pi[i]], K_LOGIN, K_EXPLORE))
    # The very first session is a proper look around, not a bounce.
    first_of_day = np.r_[True, (i[1:] != i[:-1]) | (d[1:] != d[:-1])]
    is_first = first_of_day & (d == first[i]) & (p["login_p"][pi[i]] < 0.3)
    kind = np.where(is_first, K_EXPLORE, kind)
    rkind = np.where(rng.random(mr) < 0.75, K_LOGIN, K_BOUNCE)
    i, d, kind = np.r_[i, ri], np.r_[d, rd], np.r_[kind, rkind]
    m = len(i)
    tool = _pick_tool(daily, i, d, rng)
    ok = tool >= 0
    i, d, kind, tool = i[ok], d[ok], kind[ok], tool[ok]
    m = len(i)
    start = to_utc_ms(tl, d, org.location[pi[i]], work_time_ms(rng, m))
    explore_ms = 60_000 + rng.lognormal(np.log(3 * MS_MIN), 0.8, m) * p["sess_mult"][pi[i]]
    login_ms = rng.lognormal(np.log(150_000), 0.8, m)
    bounce_ms = rng.uniform(6_000, 55_000, m)
    dur = np.select([kind == K_EXPLORE, kind == K_LOGIN], [explore_ms, login_ms], bounce_ms)
    cycles = np.select(
        [kind == K_EXPLORE, kind == K_LOGIN],
        [1 + rng.poisson(np.where(tool == CODE, 3.0, 1.2)), np.zeros(m, dtype=np.int64)],
        (rng.random(m) < 0.6).astype(np.int64),
    )
    return {
        "person": i,
        "day": d,
        "tool": tool,
        "surface": free_surface(tool, rng),
        "workflow": np.full(m, -1, dtype=np.int64),
        "kind": kind,
        "start": start,
        "dur": dur.astype(np.int64),
        "cycles": cycles,
        "final": np.zeros(m, dtype=np.int64),
        "follow": np.full(m, -1, dtype=np.int64),
        "score": np.full(m, np.nan),
        "episode": np.full(m, -1, dtype=np.int64),
        "task": np.full(m, -1, dtype=np.int64),
    }


def _bounce_episodes(
    org: Org, plan: Plan, daily: Daily, tl: Timeline, rng: np.random.Generator, first_episode: int
) -> Cols:
    """Planted bounce loops: 3-5 sessions under a minute, no meaningful event, within 5 days."""
    days = tl.days
    pi = daily.idx
    usable = (daily.lic[:, :, COPILOT] | daily.lic[:, :, CODE]) & daily.avail
    out_i: list[int] = []
    out_d: list[int] = []
    out_e: list[int] = []
    ep = first_episode
    for r in np.flatnonzero(plan.bounce_n[pi] > 0):
        g = pi[r]
        last = min(days, int(plan.abandon_day[g]) if plan.abandon_day[g] < NEVER else days)
        cand = np.flatnonzero(usable[r])
        cand = cand[(cand >= plan.start_day[g]) & (cand < last)]
        if plan.drop[g]:  # keep the planted drop-off window quiet
            s0 = plan.start_day[g]
            cand = cand[(cand < s0 + 14 - 4) | (cand >= s0 + 28)]
        after = -1
        for e in range(int(plan.bounce_n[g])):
            pool = cand[cand > after]
            if e == 0:
                pool = pool[pool < plan.start_day[g] + 21]
            if len(pool) == 0:
                break
            anchor = int(pool[rng.integers(len(pool))])
            window = cand[(cand >= anchor) & (cand <= anchor + 4)]
            k = 3 + int(rng.random() < 0.4) + int(rng.random() < 0.15)
            chosen = np.sort(rng.choice(window, size=k, replace=True))
            out_i += [int(r)] * k
            out_d += chosen.tolist()
            out_e += [ep] * k
            ep += 1
            after = int(chosen[-1]) + 7
    i = np.array(out_i, dtype=np.int64)
    d = np.array(out_d, dtype=np.int64)
    m = len(i)
    tool = _pick_tool(daily, i, d, rng) if m else np.zeros(0, dtype=np.int64)
    return {
        "person": i,
        "day": d,
        "tool": tool,
        "surface": free_surface(tool, rng),
        "workflow": np.full(m, -1, dtype=np.int64),
        "kind": np.full(m, K_BOUNCE, dtype=np.int64),
        "start": to_utc_ms(tl, d, org.location[pi[i]], work_time_ms(rng, m)),
        "dur": rng.uniform(8_000, 50_000, m).astype(np.int64),
        "cycles": (rng.random(m) < 0.6).astype(np.int64),
        "final": np.zeros(m, dtype=np.int64),
        "follow": np.full(m, -1, dtype=np.int64),
        "score": np.full(m, np.nan),
        "episode": np.array(out_e, dtype=np.int64),
        "task": np.full(m, -1, dtype=np.int64),
    }


def make_sessions(
    org: Org,
    plan: Plan,
    daily: Daily,
    tl: Timeline,
    tasks: Cols,
    decisions: Cols,
    rng: np.random.Generator,
    first_episode: int,
) -> Cols:
    """Every AI session of a chunk, inside the period.

    Args:
        org: roster.
        plan: behaviour plan.
        daily: the chunk's daily state.
        tl: calendar.
        tasks: the chunk's tasks.
        decisions: the chunk's decisions.
        rng: the chunk's generator.
        first_episode: id of the chunk's first planted bounce-loop episode.

    Returns:
        Session columns (person is the chunk row); `episode` >= 0 marks planted bounce loops.
    """
    parts = [
        _task_sessions(org, plan, daily, tasks, decisions, rng),
        _free_sessions(org, plan, daily, tl, rng),
        _bounce_episodes(org, plan, daily, tl, rng, first_episode),
    ]
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    keep = (cols["start"] >= tl.start_ms) & (cols["start"] + cols["dur"] < tl.end_ms)
    return {k: v[keep] for k, v in cols.items()}
