"""Planted friction: surface use, override spikes and rejection streaks.

Each kind is planted on a few people per chunk, at a per-persona rate (`personas.PLANTED`),
by changing what they already do rather than adding activity:

- surface use: for 5–8 weeks (6–12 for the job-security persona, whose retreat is the
  persona) the person stops using AI on high-stakes runs; those runs go unassisted (and
  take the unassisted time), low-stakes use carries on as before;
- override spike: for 10–18 days the person overrides a share (45–85 %) of the model
  recommendations they would have followed, after at least four weeks of deciding — only
  where they decide often enough to have a rate (6 decisions in the stretch and in the
  eight weeks before it);
- rejection streak: from a moment on, the person rejects their next 5–10 suggestions on the
  office and coding assistants (their accepts become rejects; decision-model answers stay).

The draws come from a generator of their own (`stream`), so every other draw of the run is
the one it would be without the plants. What is planted is returned as episode rows (chunk
row, first and last day) for the ground truth; whether a rule would see it is left to
`truth`, which applies the literal rules to the generated data.
"""

from __future__ import annotations

import numpy as np

from uptake.simulate.activity import _OVERRIDE_BIAS, Cols
from uptake.simulate.behaviour import Plan
from uptake.simulate.catalog import DECISION
from uptake.simulate.daily import Daily
from uptake.simulate.events import ACCEPT, REJECT
from uptake.simulate.personas import P, planted
from uptake.simulate.roster import NEVER
from uptake.simulate.timeline import MS_DAY, MS_MIN, Timeline

# Second key of the plants' seed sequence ([seed, STREAM, chunk]); 1–5 and 9 are taken.
STREAM = 6
SURFACE_DAYS = (35, 56)
SURFACE_DAYS_JOB_SECURITY = (42, 84)
SPIKE_DAYS = (10, 18)
SPIKE_SHARE = (0.45, 0.85)
SPIKE_AFTER_DAYS = 28
SPIKE_BASE_DAYS = 56
SPIKE_MIN_DECISIONS = 6
SPIKE_MIN_OVERRIDES = 2
STREAK_LEN = (5, 10)


def stream(seed: int, chunk: int) -> np.random.Generator:
    """The plants' own generator for one chunk."""
    return np.random.default_rng(np.random.SeedSequence([seed, STREAM, chunk]))


def _empty() -> dict[str, np.ndarray]:
    z = np.zeros(0, dtype=np.int64)
    return {"row": z, "start_day": z, "end_day": z, "size": z}


def _episodes(
    rows: list[int], starts: list[int], ends: list[int], sizes: list[int]
) -> dict[str, np.ndarray]:
    """Planted episodes as the arrays `_empty` has (empty lists give empty arrays)."""
    cols = {"row": rows, "start_day": starts, "end_day": ends, "size": sizes}
    return {k: np.array(v, dtype=np.int64) for k, v in cols.items()}


def _chosen(plan: Plan, daily: Daily, kind: str, rng: np.random.Generator) -> np.ndarray:
    """Chunk rows picked for one planted episode of `kind` (users only)."""
    pi = daily.idx
    rate = planted(kind)[plan.persona[pi]]
    u = rng.random(len(pi))
    return np.flatnonzero((u < rate) & (plan.start_day[pi] < daily.avail.shape[1]))


def _last_day(plan: Plan, g: int, days: int) -> int:
    ab = int(plan.abandon_day[g])
    return min(days, ab) if ab < NEVER else days


def plant_surface(
    plan: Plan,
    daily: Daily,
    tl: Timeline,
    tasks: Cols,
    dec: Cols,
    sess: Cols,
    ev: Cols,
    rng: np.random.Generator,
) -> tuple[Cols, Cols, Cols, Cols, dict[str, np.ndarray]]:
    """High-stakes runs go without AI for a stretch (see module docstring).

    Applied once the chunk's runs, decisions, sessions and events exist, so the chunk's own
    generator draws exactly what it would without the plant: the runs taken off AI lose
    their sessions (and events) and decisions, and take their unassisted time.

    Args:
        plan: behaviour plan.
        daily: the chunk's daily state.
        tl: calendar.
        tasks: the chunk's tasks (`make_tasks`).
        dec: the chunk's decisions (`task` indexes `tasks`).
        sess: the chunk's sessions (`task` indexes `tasks`, -1 for other sessions).
        ev: the chunk's events sorted by time (`session` indexes `sess`).
        rng: the plants' generator.

    Returns:
        tasks, decisions, sessions and events after the plant, and the planted stretches
        (row, start_day, end_day, size = high-stakes runs taken off AI).
    """
    days = tl.days
    rows = _chosen(plan, daily, "surface_use", rng)
    jobs = plan.persona[daily.idx[rows]] == P["job_security"]
    lo = np.where(jobs, SURFACE_DAYS_JOB_SECURITY[0], SURFACE_DAYS[0])
    hi = np.where(jobs, SURFACE_DAYS_JOB_SECURITY[1], SURFACE_DAYS[1])
    length = lo + (rng.random(len(rows)) * (hi - lo + 1)).astype(np.int64)
    u = rng.random(len(rows))
    out = _empty()
    day = (tasks["start"] - tl.start_ms) // MS_DAY
    n_rows = len(daily.idx)
    s0 = np.full(n_rows, NEVER, dtype=np.int64)
    s1 = np.full(n_rows, -1, dtype=np.int64)
    for r, n_d, x in zip(rows.tolist(), length.tolist(), u.tolist(), strict=True):
        g = int(daily.idx[r])
        first, last = int(plan.start_day[g]), _last_day(plan, g, days)
        # The stretch starts once the person uses AI and must fit (at least a month of it).
        hi_start = last - min(n_d, 35)
        if hi_start < first:
            continue
        d0 = first + int(x * (hi_start - first + 1))
        s0[r], s1[r] = d0, min(d0 + n_d, last) - 1
    p = tasks["person"]
    # Only people whose role has low-stakes runs can confine AI to them.
    has_low = np.bincount(p[~tasks["high"]], minlength=n_rows) > 0
    s1 = np.where(has_low, s1, -1)
    off = tasks["high"] & tasks["ai"] & (day >= s0[p]) & (day <= s1[p])
    # Unassisted, the run takes its baseline time (and stays within the period).
    base, eps = tasks["base"], tasks["eps"]
    s = np.where(base > 0, tasks["true_saving"] / np.maximum(base, 1e-9), 0.0)
    spent = tasks["minutes"] * np.maximum(base * eps, 1.0) / np.maximum(base * (1 - s) * eps, 1.0)
    end = tasks["start"] + (spent * MS_MIN).astype(np.int64)
    off &= end < tl.end_ms
    keep_rows = np.flatnonzero(s1 >= 0)
    sizes = np.bincount(p[off], minlength=n_rows)[keep_rows]
    if len(keep_rows):
        out = {"row": keep_rows, "start_day": s0[keep_rows], "end_day": s1[keep_rows],
               "size": sizes}  # fmt: skip
    if not off.any():
        return tasks, dec, sess, ev, out
    t = {k: v.copy() for k, v in tasks.items()}
    t["ai"][off] = False
    t["true_saving"][off] = 0.0
    t["minutes"][off] = np.round(spent[off], 1)
    t["end"][off] = end[off]
    dec = {k: v[~off[dec["task"]]] for k, v in dec.items()}
    gone = (sess["task"] >= 0) & off[np.maximum(sess["task"], 0)]
    new_index = np.cumsum(~gone) - 1
    keep_ev = ~gone[ev["session"]]
    ev = {k: v[keep_ev] for k, v in ev.items()}
    ev["session"] = new_index[ev["session"]]
    sess = {k: v[~gone] for k, v in sess.items()}
    return t, dec, sess, ev, out


def plant_overrides(
    plan: Plan,
    daily: Daily,
    tl: Timeline,
    dec: Cols,
    sess: Cols,
    ev: Cols,
    rng: np.random.Generator,
) -> tuple[Cols, Cols, dict[str, np.ndarray]]:
    """A stretch in which a person overrides recommendations they would have followed.

    Args:
        plan: behaviour plan.
        daily: the chunk's daily state.
        tl: calendar.
        dec: the chunk's decisions (`make_decisions`).
        sess: the chunk's sessions (`task` indexes the runs, as `dec["task"]`).
        ev: the chunk's events (`session` indexes `sess`).
        rng: the plants' generator.

    Returns:
        The decisions (overridden ones with an outcome drawn as an override's), the events
        (the decision session's accept a reject) and the planted stretches (row, start_day,
        end_day, size = decisions turned into overrides).
    """
    rows = _chosen(plan, daily, "override_spike", rng)
    n = len(rows)
    length = SPIKE_DAYS[0] + (rng.random(n) * (SPIKE_DAYS[1] - SPIKE_DAYS[0] + 1)).astype(int)
    share = SPIKE_SHARE[0] + (SPIKE_SHARE[1] - SPIKE_SHARE[0]) * rng.random(n)
    u = rng.random(n)
    day = (dec["ts"] - tl.start_ms) // MS_DAY
    flip_u = rng.random(len(day))
    noise = rng.normal(0, 1, len(day))
    flip = np.zeros(len(day), dtype=bool)
    keep_rows, starts, ends, sizes = [], [], [], []
    for r, n_d, q, x in zip(rows.tolist(), length.tolist(), share.tolist(), u.tolist(),
                            strict=True):  # fmt: skip
        mine = dec["person"] == r
        if not mine.any():
            continue
        g = int(daily.idx[r])
        last = _last_day(plan, g, tl.days)
        per_day = np.bincount(day[mine], minlength=tl.days)
        cs = np.r_[0, np.cumsum(per_day)]
        dd = np.arange(tl.days)
        # A rate can only jump where there is one: the person decides at least
        # SPIKE_MIN_DECISIONS times in the stretch and in the SPIKE_BASE_DAYS before it,
        # and has been deciding for SPIKE_AFTER_DAYS.
        end = np.minimum(dd + n_d, last)
        inside = cs[np.maximum(end, dd)] - cs[dd]
        earlier = cs[dd] - cs[np.maximum(dd - SPIKE_BASE_DAYS, 0)]
        first_dec = int(np.flatnonzero(per_day)[0])
        ok = (inside >= SPIKE_MIN_DECISIONS) & (earlier >= SPIKE_MIN_DECISIONS)
        ok &= (dd >= first_dec + SPIKE_AFTER_DAYS) & (end - dd >= n_d // 2)
        cand = np.flatnonzero(ok)
        if not len(cand):
            continue
        d0 = int(cand[int(x * len(cand))])
        d1 = int(end[d0]) - 1
        sel = mine & (day >= d0) & (day <= d1) & dec["followed"] & (flip_u < q)
        if sel.sum() < SPIKE_MIN_OVERRIDES:
            continue  # the draw left the stretch as it was: nothing planted
        flip |= sel
        keep_rows.append(r)
        starts.append(d0)
        ends.append(d1)
        sizes.append(int(sel.sum()))
    out = _episodes(keep_rows, starts, ends, sizes)
    if not flip.any():
        return dec, ev, out
    d = {k: v.copy() for k, v in dec.items()}
    persona = plan.persona[daily.idx[d["person"][flip]]]
    # A followed outcome is the case's quality plus N(0, 12); an override's adds the
    # persona's bias and a wider spread (30, 45 for value-misaligned), as `make_decisions`.
    spread = np.where(persona == P["value_misalignment"], 45.0, 30.0)
    extra = _OVERRIDE_BIAS[persona] + noise[flip] * np.sqrt(spread**2 - 12.0**2)
    d["followed"][flip] = False
    d["outcome"][flip] = np.round(d["outcome"][flip] + extra, 2)  # NaN stays NaN
    # The decision session answered the recommendation with an accept: now a reject.
    task_flipped = np.zeros(int(max(sess["task"].max(initial=-1), dec["task"].max())) + 1, bool)
    task_flipped[dec["task"][flip]] = True
    s_flip = (sess["task"] >= 0) & task_flipped[np.maximum(sess["task"], 0)]
    at = s_flip[ev["session"]] & (ev["action"] == ACCEPT)
    e = dict(ev)
    e["action"] = np.where(at, REJECT, ev["action"])
    return d, e, out


def plant_rejections(
    plan: Plan, daily: Daily, tl: Timeline, ev: Cols, rng: np.random.Generator
) -> tuple[Cols, dict[str, np.ndarray]]:
    """A person rejects their next few assistant suggestions (see module docstring).

    Args:
        plan: behaviour plan.
        daily: the chunk's daily state.
        tl: calendar.
        ev: the chunk's events sorted by time, with `person` (chunk row) and `tool`.
        rng: the plants' generator.

    Returns:
        The events (accepts in the streak turned into rejects, their value cleared) and the
        planted streaks (row, start_day, end_day, size = suggestions rejected in a row).
    """
    rows = _chosen(plan, daily, "rejection_streak", rng)
    n = len(rows)
    k = STREAK_LEN[0] + np.minimum(rng.poisson(2.0, n), STREAK_LEN[1] - STREAK_LEN[0])
    u = rng.random(n)
    act = ev["action"]
    resp = np.flatnonzero(((act == ACCEPT) | (act == REJECT)) & (ev["tool"] != DECISION))
    resp = resp[np.argsort(ev["person"][resp], kind="stable")]  # by person, then time
    who = ev["person"][resp]
    lo_i = np.searchsorted(who, rows, side="left")
    hi_i = np.searchsorted(who, rows, side="right")
    flip: list[np.ndarray] = []
    keep_rows, starts, ends, sizes = [], [], [], []
    for r, a, b, kk, x in zip(rows.tolist(), lo_i.tolist(), hi_i.tolist(), k.tolist(),
                              u.tolist(), strict=True):  # fmt: skip
        g = int(daily.idx[r])
        mine = resp[a:b]
        d = (ev["ts"][mine] - tl.start_ms) // MS_DAY
        # Not in the first week of use, and the whole streak before abandonment.
        ok = (d >= plan.start_day[g] + 7) & (d < _last_day(plan, g, tl.days))
        cand = np.flatnonzero(ok)
        if len(cand) < kk:
            continue
        first = cand[int(x * (len(cand) - kk + 1))]
        pick = mine[first : first + kk]
        flip.append(pick)
        keep_rows.append(r)
        starts.append(int(d[first]))
        ends.append(int(d[first + kk - 1]))
        sizes.append(kk)
    out = _episodes(keep_rows, starts, ends, sizes)
    if not flip:
        return ev, out
    at = np.concatenate(flip)
    was_accept = at[act[at] == ACCEPT]
    e = dict(ev)
    e["action"] = act.copy()
    e["value"] = ev["value"].copy()
    e["action"][was_accept] = REJECT
    e["value"][was_accept] = np.nan
    return e, out
