"""Help edges: colleagues asking someone for help with AI. Askers are people still learning;
helpers are mostly champions — their own team's first, then their function's — so the
network is concentrated on a credible few."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from uptake.simulate.activity import WF_SURFACE, WF_TOOL, Cols, random_workflow
from uptake.simulate.behaviour import ARM_TREATMENT, Plan
from uptake.simulate.catalog import COPILOT
from uptake.simulate.daily import Daily
from uptake.simulate.personas import P
from uptake.simulate.roster import Org
from uptake.simulate.text import Composer
from uptake.simulate.timeline import Timeline, to_utc_ms, work_time_ms

HELP_CHANNELS = ("teams_chat", "in_person", "champions_channel", "email")
_CHANNEL_W = np.array([0.45, 0.25, 0.2, 0.1])


@dataclass
class Network:
    """Who can be asked: champions per team and per function, and team members."""

    team_champions: dict[int, np.ndarray]
    team_champion_w: dict[int, np.ndarray]
    func_champions: dict[int, np.ndarray]
    func_champion_w: dict[int, np.ndarray]
    all_champions: np.ndarray
    team_members: dict[int, np.ndarray]


def build_network(org: Org, plan: Plan) -> Network:
    """Index champions and team members for helper choice.

    Args:
        org: roster.
        plan: behaviour plan (champions and their weights).

    Returns:
        The network.
    """
    people = pd.DataFrame({"i": np.arange(org.n), "team": org.team, "function": org.function})
    champs = people[plan.champion]
    w = plan.helper_weight

    def groups(frame: pd.DataFrame, key: str) -> dict[int, np.ndarray]:
        return {int(str(k)): v.to_numpy() for k, v in frame.groupby(key)["i"]}

    tc = groups(champs, "team")
    fc = groups(champs, "function")
    return Network(
        team_champions=tc,
        team_champion_w={k: w[v] / w[v].sum() for k, v in tc.items()},
        func_champions=fc,
        func_champion_w={k: w[v] / w[v].sum() for k, v in fc.items()},
        all_champions=np.flatnonzero(plan.champion),
        team_members=groups(people, "team"),
    )


def make_help_edges(
    org: Org,
    plan: Plan,
    daily: Daily,
    tl: Timeline,
    rng: np.random.Generator,
    composer: Composer,
    net: Network,
    activity: float,
) -> Cols:
    """Help requests raised by a chunk's people.

    Args:
        org: roster.
        plan: behaviour plan.
        daily: the chunk's daily state.
        tl: calendar.
        rng: the chunk's generator.
        composer: text composer.
        net: champions and teams.
        activity: the scenario's champion-network activity.

    Returns:
        Columns asker (global index), helper (global index), ts, channel, topic.
    """
    idx = daily.idx
    p = plan.params
    learning = 1 + 1.5 * (1 - daily.prog)
    coached = (plan.arm[idx] == ARM_TREATMENT) & (plan.persona[idx] == P["competence"])
    rate = (
        p["ask_rate"][idx][:, None] / 5 * learning * activity * np.where(coached, 2.0, 1.0)[:, None]
    )
    rate = np.where(plan.champion[idx][:, None], rate * 0.2, rate)
    counts = rng.poisson(rate * (daily.eng > 0) * daily.avail)
    r, d = np.nonzero(counts)
    reps = counts[r, d]
    r, d = np.repeat(r, reps), np.repeat(d, reps)
    g = idx[r]
    m = len(g)
    helper = np.full(m, -1, dtype=np.int64)
    u = rng.random(m)
    for k in range(m):
        me = int(g[k])
        team, func = int(org.team[me]), int(org.function[me])
        choice = -1
        if u[k] < 0.6 and team in net.team_champions:
            choice = int(rng.choice(net.team_champions[team], p=net.team_champion_w[team]))
        elif u[k] < 0.9 and func in net.func_champions:
            choice = int(rng.choice(net.func_champions[func], p=net.func_champion_w[func]))
        if choice == me or choice < 0:
            mates = net.team_members[team]
            mates = mates[mates != me]
            if len(mates):
                choice = int(mates[rng.integers(len(mates))])
            elif len(net.all_champions):
                choice = int(net.all_champions[rng.integers(len(net.all_champions))])
        helper[k] = choice
    ts = to_utc_ms(tl, d, org.location[g], work_time_ms(rng, m))
    ok = (helper >= 0) & (helper != g) & (ts < tl.end_ms) & (ts >= tl.start_ms)
    g, helper, ts, d = g[ok], helper[ok], ts[ok], d[ok]
    m = len(g)
    wf = random_workflow(org, g, rng)
    tool = np.where(plan.lic_day[g, WF_TOOL[wf]] <= d, WF_TOOL[wf], COPILOT)
    topics = np.array(
        [
            composer.help_topic(int(t), int(WF_SURFACE[w]), int(w))
            for t, w in zip(tool, wf, strict=True)
        ],
        dtype=object,
    )
    return {
        "asker": g,
        "helper": helper,
        "ts": ts,
        "channel": np.array(HELP_CHANNELS, dtype=object)[rng.choice(4, size=m, p=_CHANNEL_W)],
        "topic": topics,
    }
