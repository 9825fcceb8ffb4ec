"""Shadow AI: some people use AI tools the company does not provide, seen by its web proxy.

Who does is drawn once for the whole organisation from its own stream (so every other table
is generated exactly as without it): non-users and people who distrust or fear the provided
tools are likelier to, engineers a little more; they mostly say so in the pulse survey. Each
such person favours one or two public AI tools and visits them on some of their working days;
people with an Office Copilot seat also open copilot.microsoft.com, which the company
provides (the catalogue's `provided_as` names it), so its visits are not shadow AI. The rows
are what `uptake ingest --format proxy` keeps of a proxy log: AI tool domains only.
`ground_truth_shadow.parquet` records who uses which unsanctioned tools.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from uptake.simulate.behaviour import Plan
from uptake.simulate.catalog import COPILOT
from uptake.simulate.frames import ID_EMAIL, Identifiers
from uptake.simulate.output import strings, ts_array
from uptake.simulate.personas import P
from uptake.simulate.roster import ALL_FUNCTIONS, Org
from uptake.simulate.timeline import Timeline

# (host as a proxy logs it, tool as the shipped catalogue names it); the last is sanctioned.
SHADOW_TOOLS = (
    ("chatgpt.com", "ChatGPT"),
    ("claude.ai", "Claude"),
    ("www.perplexity.ai", "Perplexity"),
    ("gemini.google.com", "Gemini"),
    ("chat.deepseek.com", "DeepSeek"),
    ("poe.com", "Poe"),
)
TOOL_WEIGHTS = np.array([0.40, 0.22, 0.16, 0.12, 0.06, 0.04])
PROVIDED = ("copilot.microsoft.com", "Microsoft Copilot")
BASE_SHARE = 0.10
RELUCTANT_SHARE = 0.30  # non-users and the job-security and trust-deficit personas
ENGINEER_EXTRA = 0.06
VISIT_DAY_RATE = 0.3  # share of a user's working days with a visit


@dataclass(frozen=True)
class ShadowPlan:
    """Who uses which unsanctioned tools (tool indexes into SHADOW_TOOLS, -1 for none)."""

    user: np.ndarray
    first: np.ndarray
    second: np.ndarray


def plan_shadow(org: Org, plan: Plan, seed: int) -> ShadowPlan:
    """Draw the shadow-AI users and their tools, once per organisation.

    Args:
        org: roster.
        plan: behaviour plan (who holds a seat).
        seed: the simulation's seed.

    Returns:
        The plan; at least one person uses shadow AI.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 10]))
    reluctant = np.isin(plan.persona, [P["non_user"], P["job_security"], P["trust_deficit"]])
    share = np.where(reluctant, RELUCTANT_SHARE, BASE_SHARE)
    share = share + np.where(org.function == ALL_FUNCTIONS.index("engineering"), ENGINEER_EXTRA, 0)
    user = rng.random(org.n) < share
    if not user.any():
        user[int(rng.integers(0, org.n))] = True
    first = rng.choice(len(SHADOW_TOOLS), size=org.n, p=TOOL_WEIGHTS)
    second = rng.choice(len(SHADOW_TOOLS), size=org.n, p=TOOL_WEIGHTS)
    second = np.where((rng.random(org.n) < 0.3) & (second != first), second, -1)
    return ShadowPlan(user, np.where(user, first, -1), np.where(user, second, -1))


def visits_table(
    org: Org,
    plan: Plan,
    shadow: ShadowPlan,
    tl: Timeline,
    idx: np.ndarray,
    ids: Identifiers,
    seed: int,
    chunk: int,
) -> pa.Table:
    """The chunk's visits to AI tool domains, as `--format proxy` keeps them.

    Args:
        org: roster.
        plan: behaviour plan (Copilot seats).
        shadow: who uses which tools.
        tl: calendar.
        idx: the chunk's people (global indexes).
        ids: identifiers.
        seed: the simulation's seed.
        chunk: the chunk's number (its own stream).

    Returns:
        ai_web_visits input rows (ts, person, domain, tool, sanctioned), sorted by time.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 11, chunk]))
    m, n_days = len(idx), tl.days
    d = np.arange(n_days)[None, :]
    hired = np.maximum(org.hire_day[idx], 0)[:, None]
    left = np.minimum(org.left_day[idx], n_days)[:, None]
    away = (d >= org.leave_start[idx][:, None]) & (d < org.leave_end[idx][:, None])
    working = (d >= hired) & (d < left) & tl.weekday[None, :] & ~away
    who, day, kind = [], [], []
    for slot in (shadow.first[idx], shadow.second[idx]):
        hit = working & (slot >= 0)[:, None] & (rng.random((m, n_days)) < VISIT_DAY_RATE)
        rows, cols = np.nonzero(hit)
        who.append(rows)
        day.append(cols)
        kind.append(slot[rows])
    seat = plan.lic_day[idx, COPILOT][:, None]
    hit = working & (d >= seat) & (rng.random((m, n_days)) < VISIT_DAY_RATE)
    rows, cols = np.nonzero(hit)
    who.append(rows)
    day.append(cols)
    kind.append(np.full(len(rows), len(SHADOW_TOOLS)))
    local, days, tools = np.concatenate(who), np.concatenate(day), np.concatenate(kind)
    when = tl.day_ms[days].astype(np.int64) + rng.integers(
        8 * 3_600_000, 18 * 3_600_000, size=len(days)
    )
    order = np.lexsort((local, when))
    hosts = np.array([h for h, _ in (*SHADOW_TOOLS, PROVIDED)], dtype=object)
    names = np.array([t for _, t in (*SHADOW_TOOLS, PROVIDED)], dtype=object)
    return pa.table(
        {
            "ts": ts_array(when[order]),
            "person": ids.take(ID_EMAIL, idx[local[order]]),
            "domain": strings(hosts[tools[order]]),
            "tool": strings(names[tools[order]]),
            # What the shipped catalogue says: it marks no tool sanctioned.
            "sanctioned": pa.array(np.zeros(len(order), dtype=bool)),
        }
    )


def truth_frame(org: Org, shadow: ShadowPlan) -> pd.DataFrame:
    """Ground truth: each person, whether they use unsanctioned AI tools, and which.

    Args:
        org: roster.
        shadow: the plan.

    Returns:
        person (e-mail), function, shadow_ai, tools (names, `|`-separated).
    """
    names = [
        "|".join(SHADOW_TOOLS[t][1] for t in (a, b) if t >= 0)
        for a, b in zip(shadow.first, shadow.second, strict=True)
    ]
    return pd.DataFrame(
        {
            "person": org.email,
            "function": [ALL_FUNCTIONS[f] for f in org.function],
            "shadow_ai": shadow.user,
            "tools": names,
        }
    )
