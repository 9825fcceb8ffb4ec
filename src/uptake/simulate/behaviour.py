"""Per-person behaviour plan: personas, licences, first use, learning, drop-off, abandonment,
manager influence, coaching and champions.

Everything here is one value per person (vectors of length N), drawn once for the whole
organisation; the day-by-day activity of a chunk of people is derived from it in `daily`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from uptake.simulate import personas
from uptake.simulate.catalog import COPILOT, DECISION, TOOLS
from uptake.simulate.personas import PERSONAS, P
from uptake.simulate.roster import ALL_FUNCTIONS, NEVER, ROLE_NAMES, Org
from uptake.simulate.scenarios import Scenario
from uptake.simulate.timeline import Timeline

DECISION_ROLES = frozenset({"credit analyst", "claims handler", "demand planner"})
ARM_NONE, ARM_TREATMENT, ARM_HOLDOUT = 0, 1, 2
# Share of the remaining gap to full use that coaching closes, per persona.
_COACH_GAIN = (0.1, 0.2, 0.3, 0.35, 0.4, 0.25, 0.3, 0.1, 0.0)


@dataclass
class Plan:
    """The behaviour plan of every person (see module docstring)."""

    persona: np.ndarray
    params: dict[str, np.ndarray]
    lic_day: np.ndarray  # (N, tools): day the seat is assigned, NEVER if none
    removed_day: np.ndarray  # (N, tools): day the seat is removed, NEVER if kept
    start_day: np.ndarray  # first use (a session is guaranteed that day), NEVER if never
    conv_day: np.ndarray  # converted sceptics' turning point, NEVER otherwise
    abandon_day: np.ndarray  # first day of no further meaningful use, NEVER if none
    drop: np.ndarray  # planted week 3-4 drop-off
    drop_factor: np.ndarray
    bounce_n: np.ndarray  # planted bounce-loop episodes
    residual: np.ndarray  # daily rate of idle sessions after abandonment
    lift: np.ndarray  # multiplier from the person's manager
    manager_effect: np.ndarray  # multiplier this person exerts on their direct reports
    arm: np.ndarray
    coach_day: np.ndarray  # day coaching starts to act, NEVER if not treated
    card_day: np.ndarray  # day the first card may come (both arms), NEVER outside the arms
    coach_gain: np.ndarray  # coaching's share of the remaining gap closed
    activated: np.ndarray  # non-users brought in by coaching
    champion: np.ndarray
    helper_weight: np.ndarray


def next_available(org: Org, tl: Timeline, person: np.ndarray, day: np.ndarray) -> np.ndarray:
    """First weekday >= day on which each person is employed and not on leave.

    Args:
        org: roster.
        tl: calendar.
        person: global person indices.
        day: earliest day per person.

    Returns:
        The day per person, NEVER if there is none in the period.
    """
    d = day.astype(np.int64).copy()
    for _ in range(4):
        d = np.maximum(d, org.hire_day[person])
        on_leave = (d >= org.leave_start[person]) & (d < org.leave_end[person])
        d = np.where(on_leave, org.leave_end[person], d)
        for _ in range(2):  # at most two weekend days in a row
            inside = d < tl.days
            weekend = inside & ~tl.weekday[np.where(inside, d, 0)]
            d = np.where(weekend, d + 1, d)
    bad = (d >= tl.days) | (d >= org.left_day[person])
    return np.where(bad, NEVER, d)


def _licenses(
    org: Org, tl: Timeline, sc: Scenario, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    n = org.n
    lic = np.full((n, len(TOOLS)), NEVER, dtype=np.int64)
    removed = np.full((n, len(TOOLS)), NEVER, dtype=np.int64)
    team_func = np.zeros(len(org.team_names), dtype=np.int64)
    team_func[org.team] = org.function
    team_wave = np.zeros(len(org.team_names), dtype=np.int64)
    cap = int(0.6 * tl.days)
    for f, fname in enumerate(ALL_FUNCTIONS):
        plan = sc.wave_plan(fname)
        teams = np.flatnonzero(team_func == f)
        shares = np.array([s for _, s in plan])
        pick = rng.choice(len(plan), size=len(teams), p=shares / shares.sum())
        team_wave[teams] = np.minimum(np.array([d for d, _ in plan])[pick], cap)
    wave = team_wave[org.team]
    after_hire = org.hire_day + rng.integers(1, 11, n)
    day = np.maximum(wave, after_hire)
    # Some people are out of scope: most contractors and a few others.
    licensed = rng.random(n) >= np.where(org.contractor, 0.6, 0.06)
    licensed &= day < np.minimum(org.left_day, tl.days)
    lic[licensed, COPILOT] = day[licensed]
    role_name = np.array(ROLE_NAMES, dtype=object)[org.role]
    eng = org.is_engineer & (org.level <= 1) & (day < np.minimum(org.left_day, tl.days))
    lic[eng, 1] = day[eng]
    dec = np.isin(role_name, list(DECISION_ROLES))
    lead_of_dec = np.zeros(n, dtype=bool)
    lead_of_dec[org.manager[dec & (org.manager >= 0)]] = True
    dec = (dec | (lead_of_dec & (org.level == 1))) & (day < np.minimum(org.left_day, tl.days))
    lic[dec, DECISION] = day[dec]
    has = lic < NEVER
    leaver = (org.left_day < tl.days)[:, None] & has
    cleaned = leaver & (rng.random((n, len(TOOLS))) < 0.7)
    gap = rng.integers(0, 4, (n, len(TOOLS)))
    removed[cleaned] = np.minimum(org.left_day[:, None] + gap, tl.days - 1)[cleaned]
    return lic, removed


def build_plan(org: Org, tl: Timeline, sc: Scenario, seed: int) -> Plan:
    """Draw the behaviour plan for everyone.

    Args:
        org: the roster.
        tl: the calendar.
        sc: the scenario.
        seed: the run's seed.

    Returns:
        The plan.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    n, days = org.n, tl.days
    persona = np.zeros(n, dtype=np.int64)
    for f, fname in enumerate(ALL_FUNCTIONS):
        mask = org.function == f
        cum = np.cumsum(sc.weights(fname))
        persona[mask] = np.minimum(np.searchsorted(cum, org.persona_u[mask]), len(PERSONAS) - 1)
    params = personas.sample(rng, persona)
    lic, removed = _licenses(org, tl, sc, rng)
    first_lic = lic.min(axis=1)

    # Managers shape their team: their own depth of use lifts or depresses the team.
    func_name = np.array(ALL_FUNCTIONS, dtype=object)[org.function]
    activated_mgr = np.isin(func_name, list(sc.activated_manager_functions))
    effect = (0.75 + 0.55 * params["p_hi_inf"]) * rng.lognormal(0, 0.05, n)
    effect = np.where(activated_mgr & (org.level >= 1), np.maximum(effect, 1.15) + 0.05, effect)
    manager_effect = np.where(org.level >= 1, effect, 1.0)
    lift = np.where(org.manager >= 0, manager_effect[np.maximum(org.manager, 0)], 1.0)
    for k in ("p_hi_inf", "p_lo_inf"):
        params[k] = np.clip(params[k] * lift, 0, 0.97)
    params["free_rate"] = params["free_rate"] * lift

    # Coaching: a random holdout arm gets nothing, so the uplift can be measured.
    coached = np.isin(func_name, list(sc.coached_functions)) & (first_lic < days)
    arm = np.where(
        coached, np.where(rng.random(n) < sc.holdout_share, ARM_HOLDOUT, ARM_TREATMENT), ARM_NONE
    )
    c0 = min(sc.coaching_start, days // 3)
    treated = arm == ARM_TREATMENT
    # Both arms' cards start on the same kind of day (the holdout's are logged, never shown),
    # so an arm read from the interventions log has the same baseline in either arm.
    card_day = np.where(
        arm != ARM_NONE, np.maximum(c0, first_lic + 7) + rng.integers(0, 7, n), NEVER
    )
    coach_day = np.where(treated, card_day, NEVER)
    coach_gain = np.where(treated, np.array(_COACH_GAIN)[persona] * sc.coaching_effect, 0.0)

    # First use. Most non-users never open the tool; a curious third do, briefly.
    non = persona == P["non_user"]
    curious = non & (rng.random(n) < 0.35)
    activated = non & treated & (rng.random(n) < 0.3 * sc.coaching_effect)
    target = first_lic + params["delay"].astype(np.int64)
    target = np.where(activated, coach_day + rng.integers(3, 21, n), target)
    start = np.where(
        first_lic < days, next_available(org, tl, np.arange(n), np.minimum(target, days)), NEVER
    )
    start = np.where(non & ~curious & ~activated, NEVER, start)
    for k, mean in (("p_hi_inf", 0.35), ("p_lo_inf", 0.45), ("p_hi0", 0.05), ("p_lo0", 0.1)):
        params[k] = np.where(activated, rng.beta(mean * 14, (1 - mean) * 14, n), params[k])
    params["free_rate"] = np.where(activated, 0.6 * rng.lognormal(0, 0.3, n), params["free_rate"])
    faster = 1.0 - 0.3 * sc.coaching_effect  # the treated learn faster (0.7 of the time)
    params["tau"] = params["tau"] * sc.learning_time * np.where(treated, faster, 1.0)
    using = start < days

    conv = persona == P["converted_sceptic"]
    conv_day = np.where(conv & using, start + rng.integers(20, 51, n), NEVER)

    # Week 3-4 drop-off, planted only where the whole window fits in the period.
    fits = using & (start + 28 < days) & ~non
    drop = fits & (rng.random(n) < params["drop_p"])
    drop_factor = np.where(drop, 0.05 + 0.2 * rng.random(n), 1.0)

    mult = np.array([sc.abandonment(f) for f in ALL_FUNCTIONS])[org.function]
    p_ab = np.clip(params["abandon_p"] * mult / lift, 0, 0.9)
    p_ab = np.where(drop, np.clip(0.55 * mult, 0, 0.9), p_ab)
    abandons = using & ~non & (rng.random(n) < p_ab)
    offset = np.where(
        drop,
        28 + rng.integers(0, 22, n),
        21 + rng.exponential(sc.abandon_scale, n).astype(np.int64),
    )
    abandon_day = np.where(abandons, start + offset, NEVER)
    rescue = 0.55 * sc.coaching_effect
    rescued = treated & (abandon_day >= coach_day + 7) & (rng.random(n) < rescue)
    abandon_day = np.where(rescued | (abandon_day >= days), NEVER, abandon_day)
    # Curious non-users drift off after a few days of poking around.
    abandon_day = np.where(
        curious & ~activated & using, np.minimum(start + rng.integers(2, 10, n), NEVER), abandon_day
    )
    abandon_day = np.where(abandon_day >= days, NEVER, abandon_day)

    bounce_n = np.where(using, np.minimum(rng.poisson(params["bounce_episodes"]), 3), 0)
    residual = sc.residual_login * rng.lognormal(-0.5, 0.8, n)

    # Champions: credible, deep users whom colleagues ask; at most a few per team.
    score = np.where(
        np.isin(persona, [P["enthusiast"], P["converted_sceptic"], P["pragmatist"]])
        & using
        & (abandon_day == NEVER),
        params["p_hi_inf"] * rng.lognormal(0, 0.3, n),
        0.0,
    )
    score = np.where(persona == P["pragmatist"], score * 0.6, score)
    champion = score > 0.75
    helper_weight = np.where(
        champion, score * np.where(persona == P["converted_sceptic"], 1.5, 1.0), 0.0
    )
    return Plan(
        persona=persona,
        params=params,
        lic_day=lic,
        removed_day=removed,
        start_day=start,
        conv_day=conv_day,
        abandon_day=abandon_day,
        drop=drop,
        drop_factor=drop_factor,
        bounce_n=bounce_n,
        residual=residual,
        lift=lift,
        manager_effect=manager_effect,
        arm=arm,
        coach_day=coach_day,
        card_day=card_day,
        coach_gain=coach_gain,
        activated=activated,
        champion=champion,
        helper_weight=helper_weight,
    )
