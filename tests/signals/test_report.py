"""The signals document: its shape, teams ranked by need at or above k, parts not available."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

from uptake.signals.report import _dominant_by, build

AS_OF = date(2024, 3, 31)


def _org(wh: Any, tiny: bool = False) -> None:
    # Team "busy" (4 people) uses AI daily; team "idle" (4) tried once early and stopped;
    # team "tiny" (2) is under k = 3 and must never appear.
    teams = {"busy": 4, "idle": 4, **({"tiny": 2} if tiny else {})}
    for team, people in teams.items():
        for i in range(people):
            p = f"{team}{i}"
            wh.person(p, team=team)
            wh.license(p, "2024-01-01")
            if team == "busy":
                for d in range(56):
                    wh.event(p, f"{AS_OF - timedelta(days=d)}T10:00", "accept")
            elif team == "idle":
                wh.event(p, "2024-01-20T10:00", "prompt")


def test_document_shape_and_teams_at_or_above_k(wh: Any) -> None:
    _org(wh)
    doc = build(wh.facts_ctx(AS_OF, k=3)).to_dict()
    assert set(doc) == {
        "as_of", "people", "segments", "champions", "managers", "teams", "voice", "status",
        "notes", "privacy",
    }  # fmt: skip
    assert doc["as_of"] == "2024-03-31"
    people = {p["person"]: p for p in doc["people"]}
    assert len(people) == 8
    assert people["busy0"]["ladder"] in ("L3", "L4", "L5")
    assert people["idle0"]["ladder"] == "L1"
    assert all(set(p) == {"person", "ladder", "risk", "flags", "typology"} for p in people.values())
    teams = [t["team"] for t in doc["teams"]]
    # The idle team needs help first.
    assert teams == ["idle", "busy"]
    idle = doc["teams"][0]
    assert idle["l3_plus_share"] == 0.0 and idle["n"] == 4
    assert idle["intervention"]
    # Without a trained model, risk is not available rather than zero.
    assert doc["status"]["early_warning"]["status"] == "not_available"
    assert all(p["risk"] is None for p in doc["people"])
    assert doc["privacy"]["noise"] is False


def test_with_the_release_noise_on_a_team_s_counts_carry_it(wh: Any) -> None:
    # The teams' n and L3+ people had been published exactly beside the metrics' noisy
    # counts of the same teams: comparing two dates then finds one person.
    from uptake.metrics.noise import Noise

    for i in range(40):
        wh.person(f"b{i}", team="big")
        wh.license(f"b{i}", "2024-01-01")
        for d in range(56 if i < 30 else 1):
            wh.event(f"b{i}", f"{AS_OF - timedelta(days=d)}T10:00", "accept")
    ctx = wh.facts_ctx(AS_OF, k=3)
    exact = build(ctx).to_dict()["teams"][0]
    seen = set()
    for day in range(12):
        ctx.noise = Noise(enabled=True, key=b"k" * 32, as_of=AS_OF - timedelta(days=day))
        doc = build(ctx).to_dict()
        [team] = doc["teams"]
        assert doc["privacy"]["noise"] is True and "noise" in doc["privacy"]["statement"]
        assert team["n"] >= 3 and 0.0 <= team["l3_plus_share"] <= 1.0
        seen.add((team["n"], team["l3_plus_share"]))
    # The same question on another date gets another draw; never the exact counts alone.
    assert exact["n"] == 40 and len(seen) > 3
    assert seen != {(exact["n"], exact["l3_plus_share"])}


def test_a_team_under_k_and_its_complement_stay_hidden_as_in_the_metrics(wh: Any) -> None:
    from uptake.metrics.families import ladder

    _org(wh, tiny=True)
    ctx = wh.facts_ctx(AS_OF, k=3)
    shown = [t["team"] for t in build(ctx).to_dict()["teams"]]
    # tiny (2 people) is small; with it hidden, one 4-person team would give it away.
    by_team = wh.facts_ctx(AS_OF, k=3, by="team")
    rows = ladder.compute(by_team)[0].segments
    published = {r["segment"] for r in rows if not r.get("suppressed")}
    assert "tiny" not in shown and len(shown) == 1
    assert set(shown) <= published


def test_no_licences_means_not_available_not_empty(wh: Any) -> None:
    wh.person("p")
    doc = build(wh.facts_ctx(AS_OF, k=3)).to_dict()
    assert doc["status"]["ladder"]["status"] == "not_available"
    assert doc["people"] == [] and doc["teams"] == []


def test_report_flags_are_the_recent_episodes_of_all_history(wh: Any) -> None:
    from uptake.config.signals import SignalsSettings
    from uptake.signals import friction

    _org(wh)
    for i in range(4):  # a drop that began long ago and one that began recently
        wh.license(f"late{i}", "2024-02-20")
        wh.person(f"late{i}", team="late")
        for d in range(14):
            wh.event(f"late{i}", f"{date(2024, 2, 21) + timedelta(days=d)}T10:00", "accept")
    ctx = wh.facts_ctx(AS_OF, k=3)
    s = SignalsSettings()
    recent = AS_OF - timedelta(days=s.recent_days - 1)
    everything = friction.detect(ctx, s.friction).flags
    want = sorted((f.person_key, f.signal, f.since) for f in everything if f.since >= recent)
    doc = build(ctx, settings=s).to_dict()
    got = sorted(
        (p["person"], f["signal"], date.fromisoformat(f["since"]))
        for p in doc["people"]
        for f in p["flags"]
        if f["signal"] in friction.SIGNALS
    )
    assert got == want and len(want) > 0
    assert any(f.since < recent for f in everything), "an older episode must exist to leave out"
    assert doc["status"]["friction"]["week3_4_drop"]["since"] == recent.isoformat()


def test_a_teams_dominant_value_needs_k_sharing_it_and_ties_go_by_name() -> None:
    teams = pd.Series(["a"] * 6 + ["b"] * 5 + ["c"] * 4 + ["d"] * 3)
    a = ["x", "y", "y", "x", "z", None]  # x and y twice each: a tie at k = 2
    b = ["q", "q", "q", "p", "p"]  # q three times
    c = [None, None, "r", "s"]  # no value reaches k
    values = pd.Series([*a, *b, *c, "t", "t", "t"])
    assert _dominant_by(teams, values, 2) == {"a": "x", "b": "q", "d": "t"}
    assert _dominant_by(teams, values, 3) == {"b": "q", "d": "t"}
    assert _dominant_by(teams, values, 4) == {}
    assert _dominant_by(teams.iloc[:0], values.iloc[:0], 2) == {}


def test_the_change_over_four_weeks_carries_the_noise_too(wh: Any) -> None:
    # One person of eight stopped four weeks ago: exact, the change read −1/8, a comparison
    # of two dates that shows one person's fall beside counts noised so that it cannot.
    from uptake.metrics.noise import Noise

    for i in range(8):
        wh.person(f"t{i}", team="t")
        wh.license(f"t{i}", "2023-12-01")
        for d in range(90):
            if i == 0 and d < 40:
                continue  # the one who stopped
            wh.event(f"t{i}", f"{AS_OF - timedelta(days=d)}T10:00", "accept")
    ctx = wh.facts_ctx(AS_OF, k=3)
    [exact] = build(ctx).to_dict()["teams"]
    assert exact["l3_plus_change"] == -0.125
    changes = set()
    for day in range(12):
        ctx.noise = Noise(enabled=True, key=b"k" * 32, as_of=AS_OF - timedelta(days=day))
        [team] = build(ctx).to_dict()["teams"]
        assert -1.0 <= team["l3_plus_change"] <= 1.0
        changes.add(team["l3_plus_change"])
    assert len(changes) > 3 and changes != {-0.125}


def test_a_team_s_mean_abandonment_risk_carries_the_noise_too(wh: Any, monkeypatch: Any) -> None:
    # With a model, a team's pressure is its mean risk. Published exact beside noisy counts,
    # two dates' means showed how far one person's risk moved (here 0.1 → 0.9: +0.1 a team
    # of eight). It is now a noisy sum of risks over a noisy count of the people scored.
    from uptake.metrics.noise import Noise
    from uptake.signals import report

    for i in range(8):
        wh.person(f"t{i}", team="t")
        wh.license(f"t{i}", "2024-01-01")
        for d in range(30):
            wh.event(f"t{i}", f"{AS_OF - timedelta(days=d)}T10:00", "accept")
    risks = [0.9, 0.1, 0.2, 0.2, 0.3, 0.3, 0.4, 0.4]
    scored = pd.DataFrame(
        {
            "person_key": [f"t{i}" for i in range(8)],
            "risk": risks,
            "flagged": [False] * 8,
            "rules_hit": [[] for _ in range(8)],
            "quiet_days": [0.0] * 8,
        }
    )
    monkeypatch.setattr(report, "_risk", lambda out, ctx, model_dir: scored)
    ctx = wh.facts_ctx(AS_OF, k=3)
    [exact] = build(ctx).to_dict()["teams"]
    assert exact["pressure_basis"] == "abandonment risk"
    assert exact["pressure"] == round(sum(risks) / 8, 3)
    pressures = set()
    for day in range(12):
        ctx.noise = Noise(enabled=True, key=b"k" * 32, as_of=AS_OF - timedelta(days=day))
        [team] = build(ctx).to_dict()["teams"]
        assert team["pressure_basis"] == "abandonment risk"
        assert 0.0 <= team["pressure"] <= 1.0
        pressures.add(team["pressure"])
    assert len(pressures) > 3 and exact["pressure"] not in pressures
