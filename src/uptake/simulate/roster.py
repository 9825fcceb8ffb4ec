"""The roster: functions, teams of 5–12 under team leads, a management chain, tenure, leave,
leavers, locations and every person's identifiers.

The roster depends only on the seed and the headcount, never on the scenario, so `stalled`
and `coached` describe the same organisation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from uptake.simulate.catalog import (
    EXECUTIVE_FUNCTION,
    FUNCTION_SHARE,
    FUNCTION_SLUG,
    FUNCTIONS,
    LEVELS,
    LOCATIONS,
    ROLES_BY_FUNCTION,
    all_roles,
    manager_role,
)
from uptake.simulate.names import make_identities

NEVER = 1 << 30  # day index meaning "does not happen in (or after) the period"
ALL_FUNCTIONS: tuple[str, ...] = (*FUNCTIONS, EXECUTIVE_FUNCTION)
ROLE_NAMES: tuple[str, ...] = tuple(r.name for r in all_roles())
ROLE_INDEX = {name: i for i, name in enumerate(ROLE_NAMES)}
_TEAM_WORDS = [
    "north",
    "south",
    "east",
    "west",
    "central",
    "enterprise",
    "platform",
    "core",
    "growth",
    "delivery",
    "insight",
    "partner",
    "client",
    "field",
    "digital",
    "global",
    "regional",
    "alpha",
    "beta",
    "atlas",
    "orion",
    "polaris",
]


@dataclass
class Org:
    """Every person's static attributes, one array element per person (roster order)."""

    n: int
    days: int
    function: np.ndarray  # index into ALL_FUNCTIONS
    role: np.ndarray  # index into ROLE_NAMES
    level: np.ndarray  # index into LEVELS
    team: np.ndarray  # index into team_names
    team_names: list[str]
    manager: np.ndarray  # person index, -1 for the chief executive
    location: np.ndarray  # index into LOCATIONS
    hire_day: np.ndarray  # day relative to the start (negative: hired before)
    left_day: np.ndarray  # NEVER when not leaving in the period
    leave_start: np.ndarray
    leave_end: np.ndarray
    email: np.ndarray
    login: np.ndarray
    employee_number: np.ndarray
    legacy_email: np.ndarray
    has_legacy: np.ndarray
    ide: np.ndarray  # 0 vscode, 1 jetbrains (engineers' editor of choice)
    persona_u: np.ndarray  # uniform draw mapped to a persona by the scenario
    contractor: np.ndarray
    part_time: np.ndarray

    @property
    def is_engineer(self) -> np.ndarray:
        return self.function == ALL_FUNCTIONS.index("engineering")

    def status_at_end(self) -> np.ndarray:
        """employment_status as of the end of the period."""
        status = np.full(self.n, "active", dtype=object)
        status[(self.leave_start < self.days) & (self.leave_end >= self.days)] = "leave"
        status[self.left_day < self.days] = "left"
        return status


def _split_sizes(rng: np.random.Generator, total: int, parts: int, lo: int, hi: int) -> np.ndarray:
    """Split `total` into `parts` random sizes, each within [lo, hi] when that is possible."""
    if parts <= 0:
        return np.zeros(0, dtype=np.int64)
    if total < lo * parts:
        return rng.multinomial(total, np.full(parts, 1 / parts))
    sizes = lo + rng.multinomial(total - lo * parts, rng.dirichlet(np.full(parts, 3.0)))
    while sizes.max() > hi and sizes.min() < hi:
        sizes[sizes.argmax()] -= 1
        sizes[sizes.argmin()] += 1
    return sizes


def _function_tree(
    rng: np.random.Generator, size: int, f: int, first: int, team_names: list[str]
) -> dict[str, list[int]]:
    """Lay out one function of `size` people starting at person index `first`.

    Returns lists (one entry per person, in index order) of level, manager index (-2 = the
    chief executive, filled later), team index and role index.
    """
    fname = ALL_FUNCTIONS[f]
    slug = FUNCTION_SLUG[fname]
    rest = size - 1
    teams = max(1, round(rest / 9.5))
    layers = [teams]
    while layers[-1] > 10:
        layers.append(math.ceil(layers[-1] / 7))
    ics = rest - sum(layers)
    if ics < teams:
        teams, layers = 1, [1]
        ics = rest - 1
    levels: list[int] = [3]
    managers: list[int] = [-2]
    head_team = len(team_names)
    team_names.append(f"{slug}-leadership")
    team_of: list[int] = [head_team]
    roles: list[int] = [ROLE_INDEX[manager_role(fname, 3)]]
    # Upper layers from the top down; each layer's members report to the layer above.
    above = [first]
    idx = first + 1
    for depth, count in enumerate(reversed(layers[1:])):
        groups = np.array_split(rng.permutation(count), len(above))
        mgr_of = np.empty(count, dtype=np.int64)
        for g, members in enumerate(groups):
            mgr_of[members] = above[g]
        current = []
        for k in range(count):
            levels.append(2)
            managers.append(int(mgr_of[k]))
            team_of.append(len(team_names))
            team_names.append(f"{slug}-leadership-{depth + 1}{k + 1:02d}")
            roles.append(ROLE_INDEX[manager_role(fname, 2)])
            current.append(idx)
            idx += 1
        above = current
    # Team leads and their teams.
    role_defs = ROLES_BY_FUNCTION.get(fname, ())
    weights = np.array([r.weight for r in role_defs])
    sizes = _split_sizes(rng, ics, teams, 5, 12)
    lead_groups = np.array_split(rng.permutation(teams), len(above))
    lead_mgr = np.empty(teams, dtype=np.int64)
    for g, members in enumerate(lead_groups):
        lead_mgr[members] = above[g]
    for t in range(teams):
        team_idx = len(team_names)
        word = _TEAM_WORDS[rng.integers(len(_TEAM_WORDS))]
        team_names.append(f"{slug}-{word}-{t + 1:02d}")
        lead = idx
        levels.append(1)
        managers.append(int(lead_mgr[t]))
        team_of.append(team_idx)
        roles.append(ROLE_INDEX[manager_role(fname, 1)])
        idx += 1
        primary = int(rng.choice(len(role_defs), p=weights / weights.sum()))
        for _ in range(int(sizes[t])):
            if rng.random() < 0.8:
                r = primary
            else:
                r = int(rng.choice(len(role_defs), p=weights / weights.sum()))
            levels.append(0)
            managers.append(lead)
            team_of.append(team_idx)
            roles.append(ROLE_INDEX[role_defs[r].name])
            idx += 1
    return {"level": levels, "manager": managers, "team": team_of, "role": roles}


def _tenure_days(rng: np.random.Generator, n: int, level: np.ndarray) -> np.ndarray:
    """Days employed before the start: a realistic spread from weeks to decades."""
    band = rng.choice(4, size=n, p=[0.14, 0.26, 0.34, 0.26])
    lo = np.array([14, 365, 3 * 365, 8 * 365])[band]
    hi = np.array([365, 3 * 365, 8 * 365, 25 * 365])[band]
    days = lo + rng.random(n) * (hi - lo)
    return (days + level * 365 * rng.random(n) * 2).astype(np.int64)


def build_org(seed: int, n: int, days: int) -> Org:
    """Build the roster.

    Args:
        seed: the run's seed.
        n: headcount (at least 40).
        days: length of the period in days.

    Returns:
        The organisation, shuffled so roster order carries no structure.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    shares = np.array([FUNCTION_SHARE[f] for f in FUNCTIONS])
    sizes = 4 + rng.multinomial(n - 1 - 4 * len(FUNCTIONS), shares / shares.sum())
    cols: dict[str, list[int]] = {"level": [4], "manager": [-1], "team": [0], "role": []}
    cols["role"].append(ROLE_INDEX["chief executive"])
    func: list[int] = [len(FUNCTIONS)]
    team_names = ["executive-office"]
    first = 1
    for f, size in enumerate(sizes):
        part = _function_tree(rng, int(size), f, first, team_names)
        part["manager"] = [0 if m == -2 else m for m in part["manager"]]
        for k in cols:
            cols[k].extend(part[k])
        func.extend([f] * int(size))
        first += int(size)

    level = np.array(cols["level"], dtype=np.int64)
    manager = np.array(cols["manager"], dtype=np.int64)
    team = np.array(cols["team"], dtype=np.int64)
    role = np.array(cols["role"], dtype=np.int64)
    function = np.array(func, dtype=np.int64)

    # Teams sit in one office; a few people work elsewhere.
    loc_w = np.array([loc.weight for loc in LOCATIONS])
    team_loc = rng.choice(len(LOCATIONS), size=len(team_names), p=loc_w / loc_w.sum())
    location = team_loc[team]
    moved = rng.random(n) < 0.1
    location[moved] = rng.choice(len(LOCATIONS), size=int(moved.sum()), p=loc_w / loc_w.sum())

    hire_day = -_tenure_days(rng, n, level)
    ids = make_identities(rng, n)
    has_legacy = rng.random(n) < 0.03
    ide = (rng.random(n) < 0.35).astype(np.int64)
    persona_u = rng.random(n)
    contractor = rng.random(n) < 0.06
    part_time = rng.random(n) < 0.08

    # Joiners, leavers and leave depend on the period; their own stream keeps everything
    # above identical for runs of different lengths.
    cal = np.random.default_rng(np.random.SeedSequence([seed, 1, days]))
    ic = np.flatnonzero(level == 0)
    new_share = 0.035 * days / 120
    starters = ic[cal.random(len(ic)) < new_share]
    hire_day[starters] = cal.integers(0, max(1, days - 7), len(starters))
    left_day = np.full(n, NEVER, dtype=np.int64)
    leavers = ic[(cal.random(len(ic)) < 0.04 * days / 120) & (hire_day[ic] < 0)]
    left_day[leavers] = cal.integers(min(7, days - 1), days, len(leavers))
    leave_start = np.full(n, NEVER, dtype=np.int64)
    leave_end = np.full(n, NEVER, dtype=np.int64)
    eligible = np.flatnonzero((left_day == NEVER) & (hire_day < 0) & (level < 3))
    on_leave_now = eligible[cal.random(len(eligible)) < 0.03]
    leave_start[on_leave_now] = days - cal.integers(5, min(40, days - 1), len(on_leave_now))
    rest = np.setdiff1d(eligible, on_leave_now)
    earlier = rest[cal.random(len(rest)) < 0.05]
    length = cal.integers(10, 29, len(earlier))
    leave_start[earlier] = cal.integers(0, max(1, days - 40), len(earlier))
    leave_end[earlier] = leave_start[earlier] + length

    # Shuffle so roster order (and therefore chunking) is not grouped by function.
    perm = rng.permutation(n)
    inv = np.empty(n, dtype=np.int64)
    inv[perm] = np.arange(n)
    new_manager = np.where(manager[perm] >= 0, inv[np.maximum(manager[perm], 0)], -1)
    return Org(
        n=n,
        days=days,
        function=function[perm],
        role=role[perm],
        level=level[perm],
        team=team[perm],
        team_names=team_names,
        manager=new_manager,
        location=location[perm],
        hire_day=hire_day[perm],
        left_day=left_day[perm],
        leave_start=leave_start[perm],
        leave_end=leave_end[perm],
        email=ids["email"],
        login=ids["login"],
        employee_number=ids["employee_number"],
        legacy_email=ids["legacy_email"],
        has_legacy=has_legacy,
        ide=ide,
        persona_u=persona_u,
        contractor=contractor,
        part_time=part_time,
    )


def level_names(org: Org) -> np.ndarray:
    """Management level name per person."""
    return np.array(LEVELS, dtype=object)[org.level]
