"""Day-by-day state of a chunk of people: availability, seats, learning and AI propensity."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from uptake.simulate.behaviour import Plan
from uptake.simulate.catalog import TOOLS
from uptake.simulate.roster import Org
from uptake.simulate.timeline import Timeline

WEEKEND_WORK = 0.03  # chance someone works a given weekend day
WEEKEND_SCALE = 0.3  # and how much of a normal day they do then


@dataclass
class Daily:
    """Matrices of shape (people in chunk, days); `lic` has a trailing tool axis."""

    idx: np.ndarray  # global person index of each row
    avail: np.ndarray  # at work that day
    scale: np.ndarray  # share of a normal day's work
    lic: np.ndarray  # (n, days, tools) seat held that day
    prog: np.ndarray  # learning progress 0..1
    p_hi: np.ndarray  # chance an eligible high-stakes run is AI-assisted
    p_lo: np.ndarray  # same for low-stakes runs
    eng: np.ndarray  # intensity of ad-hoc sessions
    residual: np.ndarray  # rate of idle sessions after abandonment
    first_day: np.ndarray  # planned first use (chunk slice of Plan.start_day)


def build_daily(
    org: Org, plan: Plan, tl: Timeline, idx: np.ndarray, rng: np.random.Generator
) -> Daily:
    """Derive the daily matrices of a chunk.

    Args:
        org: roster.
        plan: behaviour plan.
        tl: calendar.
        idx: global indices of the chunk's people.
        rng: the chunk's generator.

    Returns:
        The chunk's daily state.
    """
    n, days = len(idx), tl.days
    d = np.arange(days)[None, :]

    def col(a: np.ndarray) -> np.ndarray:
        return a[idx][:, None]

    employed = (d >= col(org.hire_day)) & (d < col(org.left_day))
    on_leave = (d >= col(org.leave_start)) & (d < col(org.leave_end))
    weekday = tl.weekday[None, :]
    weekend_work = rng.random((n, days)) < WEEKEND_WORK
    avail = employed & ~on_leave & (weekday | weekend_work)
    scale = np.where(weekday, 1.0, WEEKEND_SCALE) * np.where(col(org.part_time), 0.6, 1.0)
    lic = np.stack(
        [
            (d >= plan.lic_day[idx, t][:, None]) & (d < plan.removed_day[idx, t][:, None])
            for t in range(len(TOOLS))
        ],
        axis=-1,
    )
    p = plan.params
    start = col(plan.start_day)
    t = (d - start).astype(np.float64)
    started = t >= 0
    tau = col(p["tau"])
    prog = np.where(started, 1 - np.exp(-np.maximum(t, 0) / tau), 0.0)
    conv = col(plan.conv_day)
    is_conv = conv < (1 << 30)
    after_conv = 0.15 + 0.85 * (1 - np.exp(-np.maximum(d - conv, 0) / tau))
    prog = np.where(is_conv, np.where(d >= conv, after_conv, 0.15 * prog), prog)

    # A planted week 3-4 drop: activity falls to a fraction of the first fortnight's level
    # (learning pauses, so the level is frozen at its mid-fortnight value).
    window = (d >= start + 14) & (d < start + 28) & col(plan.drop)
    mid = np.take_along_axis(prog, np.clip(start + 7, 0, days - 1), axis=1)
    prog_eff = np.where(window, mid, prog)
    factor = np.where(window, col(plan.drop_factor), 1.0)

    ramp = np.clip((d - col(plan.coach_day)) / 14.0, 0, 1)
    gain = col(plan.coach_gain) * ramp

    def level(p0: str, pinf: str) -> np.ndarray:
        top = col(p[pinf])
        top = top + gain * (1 - top)
        return col(p[p0]) + (top - col(p[p0])) * prog_eff

    active = started & (d < col(plan.abandon_day))
    p_hi = np.where(active, level("p_hi0", "p_hi_inf") * factor, 0.0)
    p_lo = np.where(active, level("p_lo0", "p_lo_inf") * factor, 0.0)
    eng = np.where(active, (0.35 + 0.65 * prog_eff) * factor, 0.0)
    any_lic = lic.any(axis=-1)
    after = (d >= col(plan.abandon_day)) & any_lic & avail
    residual = np.where(after, col(plan.residual), 0.0)
    return Daily(
        idx=idx,
        avail=avail,
        scale=scale,
        lic=lic,
        prog=prog.astype(np.float32),
        p_hi=p_hi.astype(np.float32),
        p_lo=p_lo.astype(np.float32),
        eng=eng.astype(np.float32),
        residual=residual.astype(np.float32),
        first_day=plan.start_day[idx],
    )
