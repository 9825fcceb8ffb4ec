"""Scenarios: persona mix per function, and the headline shapes of stalled vs coached."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from sim_helpers import connect, run
from uptake.simulate import SimulationSummary
from uptake.simulate.behaviour import build_plan
from uptake.simulate.personas import PERSONAS
from uptake.simulate.roster import ALL_FUNCTIONS, build_org
from uptake.simulate.scenarios import SCENARIOS, get_scenario
from uptake.simulate.timeline import make_timeline


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_persona_shares_match_the_scenario_per_function(name: str) -> None:
    org = build_org(4, 4000, 120)
    tl = make_timeline(date(2026, 6, 1), 120)
    sc = get_scenario(name)
    plan = build_plan(org, tl, sc, 4)
    for f, fname in enumerate(ALL_FUNCTIONS):
        members = org.function == f
        n = int(members.sum())
        if n < 100:
            continue
        expected = np.array(sc.weights(fname))
        got = np.bincount(plan.persona[members], minlength=len(PERSONAS)) / n
        sigma = np.sqrt(expected * (1 - expected) / n)
        assert (np.abs(got - expected) <= 4 * sigma + 1e-9).all(), (fname, got, expected)


def test_stalled_and_coached_are_the_same_organisation() -> None:
    org = build_org(8, 500, 90)
    tl = make_timeline(date(2026, 6, 1), 90)
    a = build_plan(org, tl, get_scenario("stalled"), 8)
    b = build_plan(org, tl, get_scenario("coached"), 8)
    assert (a.persona == b.persona).all()
    assert (a.lic_day == b.lic_day).all()
    assert (a.arm == 0).all() and (b.arm > 0).mean() > 0.8


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SimulationSummary]:
    base = tmp_path_factory.mktemp("scenarios")
    return {
        name: run(base / name, people=1000, days=120, seed=21, scenario=name)
        for name in ("stalled", "coached")
    }


def test_stalled_has_the_published_shape(pair: dict[str, SimulationSummary]) -> None:
    h = pair["stalled"].headline
    assert h["licenses_unused"] >= 0.65
    assert h["high_stakes_ai_share"] < 0.15
    # ...while login counts still look acceptable.
    assert h["login_active"] >= 0.45


def test_coached_climbs_the_ladder(pair: dict[str, SimulationSummary]) -> None:
    s, c = pair["stalled"].headline, pair["coached"].headline
    assert c["licenses_unused"] < s["licenses_unused"] - 0.15
    assert c["high_stakes_ai_share"] > s["high_stakes_ai_share"] + 0.1
    assert c["true_l3_share"] > 2 * s["true_l3_share"]
    assert pair["coached"].rows["interventions"] > 0 and pair["stalled"].rows["interventions"] == 0
    assert pair["coached"].rows["help_edges"] > 2 * pair["stalled"].rows["help_edges"]


def test_coaching_effect_is_measurable_against_the_holdout(
    pair: dict[str, SimulationSummary],
) -> None:
    con = connect(pair["coached"])
    arms = dict(
        con.execute(
            "SELECT arm, avg((proficient_on IS NOT NULL AND abandoned_on IS NULL)::int) "
            "FROM ground_truth WHERE first_license_on IS NOT NULL GROUP BY arm"
        ).fetchall()
    )
    assert arms["treatment"] > arms["holdout"]
    cards = dict(con.execute("SELECT arm, count(*) FROM interventions GROUP BY arm").fetchall())
    assert 0.05 < cards["holdout"] / (cards["holdout"] + cards["treatment"]) < 0.2
    statuses = con.execute(
        "SELECT DISTINCT status FROM interventions WHERE arm = 'treatment'"
    ).fetchall()
    assert {s for (s,) in statuses} == {"delivered", "opened", "dismissed", "acted"}


def test_mixed_functions_sit_at_different_stages(medium: SimulationSummary) -> None:
    con = connect(medium)
    share = dict(
        con.execute(
            "SELECT p.function, avg((g.proficient_on IS NOT NULL)::int) FROM ground_truth g "
            "JOIN people p USING (person) WHERE g.first_license_on IS NOT NULL GROUP BY 1"
        ).fetchall()
    )
    assert share["engineering"] > share["hr"] + 0.15
    assert share["engineering"] > share["legal"] + 0.15
    assert max(share.values()) - min(share.values()) > 0.25


def test_scenario_names_are_checked(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="scenario"):
        get_scenario("unknown")
