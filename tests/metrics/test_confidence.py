"""Confidence on hand-built answers and behaviour, every number worked by hand."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from metrics.results import entries, named
from uptake.errors import NotAvailableError
from uptake.metrics.families import confidence

AS_OF = "2024-05-26"  # Sunday; the 28 days before it are the weeks of 04-29 .. 05-20


@pytest.fixture
def pulses(wh):
    """Pulse answers of p1..p5 with the cases that must not count."""
    for p, team in [("p1", "a"), ("p2", "a"), ("p3", "a"), ("p4", "b"), ("p5", "b")]:
        wh.person(p, team=team)
    wh.response("2024-05-01", person="p1", score=4)
    wh.response("2024-05-20", person="p1", score=7)  # latest of p1
    wh.response("2024-05-10", person="p2", score=9)
    wh.response("2024-05-24", person="p2", score=0, instrument="onboarding")  # other survey
    wh.response("2024-03-01", person="p3", score=2)  # older than 60 days
    wh.response("2024-05-25", person="p4", score=5)
    wh.response("2024-05-25", person="p4", score=10, item="nps")  # other item
    wh.response("2024-04-15", person="p5", score=6)
    wh.response("2024-05-27", person="p5", score=8)  # after as_of
    wh.response("2024-05-20", score=1)  # anonymous
    return wh


def test_latest_pulse_per_person(pulses):
    ctx = pulses.ctx(AS_OF, confidence_max_age_days=60)
    people = confidence.per_person(ctx).people
    assert dict(zip(people.person_key, people.score, strict=True)) == {
        "p1": 7.0,
        "p2": 9.0,
        "p4": 5.0,
        "p5": 6.0,
    }
    assert not people.inferred.any()


def test_confidence_entry_and_no_model_without_events(pulses):
    out = named(confidence.compute(pulses.ctx(AS_OF, k=3, confidence_max_age_days=60)))
    conf = out["confidence"].to_dict()
    # Scores 7, 9, 5, 6: mean 6.75, median 6.5; SS 8.75, var 2.916667, sem 0.853913,
    # t(0.975, 3) = 3.182446 -> 6.75 ± 2.717532.
    assert conf["n"] == 4
    assert conf["mean"] == pytest.approx(6.75)
    assert conf["median"] == pytest.approx(6.5)
    assert conf["mean_low"] == pytest.approx(4.032468, abs=1e-5)
    assert conf["mean_high"] == pytest.approx(9.467532, abs=1e-5)
    assert out["confidence_inferred"].needs == ("events",)
    assert out["confidence_inferred"].value is None


def test_confidence_segments_below_k_are_hidden(pulses):
    ctx = pulses.facts_ctx(AS_OF, k=3, by="team", confidence_max_age_days=60)
    conf = entries(confidence.compute(ctx))["confidence"]
    # Team a: p1, p2 (p3's answer is too old); team b: p4, p5 -> both 2 < 3, hidden.
    assert conf["n"] == 4
    assert conf["segments"] == [
        {"segment": "a", "suppressed": "small"},
        {"segment": "b", "suppressed": "small"},
    ]


def test_segments_without_refreshed_facts_are_an_error(pulses):
    # Reads never build dim_person: asking for segments before a refresh says so.
    with pytest.raises(NotAvailableError) as err:
        confidence.compute(pulses.ctx(AS_OF, k=3, by="team", confidence_max_age_days=60))
    assert err.value.needs == ["dim_person"]


def _weekly_accepts(wh, person, weeks):
    """One meaningful event on the Monday of each of the first `weeks` weeks from 04-29."""
    for w in range(weeks):
        wh.event(person, date(2024, 4, 29) + timedelta(weeks=w), "accept")


@pytest.fixture
def behaviour(wh):
    """12 surveyed people whose score is exactly 10 × share of active weeks."""
    for i in range(12):
        p = f"s{i:02d}"
        weeks = i % 4 + 1
        wh.person(p)
        _weekly_accepts(wh, p, weeks)
        wh.response("2024-05-25", person=p, score=2.5 * weeks)
    wh.person("n1")
    _weekly_accepts(wh, "n1", 2)
    wh.person("n2")
    wh.license("n2", "2024-01-01")  # licensed, no events
    wh.person("n4")
    _weekly_accepts(wh, "n4", 4)
    wh.person("n3", status="left")
    _weekly_accepts(wh, "n3", 3)
    return wh


def test_inferred_confidence_from_behaviour(behaviour):
    ctx = behaviour.ctx(AS_OF, k=3, confidence_feature_days=28, confidence_test_share=0.25)
    res = confidence.per_person(ctx)
    inferred = res.people[res.people.inferred].set_index("person_key").score
    # Features over 4 weeks: active share j/4, log1p(j/4) actions a week, meaningful share 1
    # (constant); no sessions, so the bounce share is left out. The score is exactly
    # 10 × active share, so predictions follow it: n1 (2 weeks) 5, n2 (none) 0, n4 (4) 10.
    # The leaver n3 gets no score.
    assert sorted(inferred.index) == ["n1", "n2", "n4"]
    assert inferred["n1"] == pytest.approx(5.0, abs=0.05)
    assert inferred["n2"] == pytest.approx(0.0, abs=0.05)
    assert inferred["n4"] == pytest.approx(10.0, abs=0.05)
    model = res.model
    assert model is not None
    assert model["features"] == ["active_week_share", "actions_per_week_log", "meaningful_share"]
    # 12 surveyed people, 25 % held out: ceil(3) tested, 9 fitted.
    assert (model["n_train"], model["n_test"], model["n_fitted"]) == (9, 3, 12)
    # Held-out scores are 2.5 apart or more from any mean of the others, so predicting the
    # mean errs by at least ~0.8 while the model is nearly exact.
    assert model["mae"] < 0.05
    assert model["baseline_mae"] > 0.8
    assert model["skill"] > 0.9

    out = entries(confidence.compute(ctx))
    entry = out["confidence_inferred"]
    assert entry["inferred"] is True
    assert entry["basis"] == "estimate"
    assert entry["n"] == 3
    assert entry["mean"] == pytest.approx(5.0, abs=0.05)
    # Surveyed: 2.5, 5, 7.5, 10 three times each: mean 6.25, SS 93.75, var 8.522727,
    # sem 0.842750, t(0.975, 11) = 2.200985 -> 6.25 ± 1.854880.
    conf = out["confidence"]
    assert conf["n"] == 12
    assert conf["mean"] == pytest.approx(6.25)
    assert conf["mean_low"] == pytest.approx(4.395120, abs=1e-5)
    assert conf["mean_high"] == pytest.approx(8.104880, abs=1e-5)


def test_behaviour_features_by_hand(behaviour):
    behaviour.event("s00", "2024-05-02T10:00", "prompt", session_id="x")  # bounce
    behaviour.event("s00", "2024-05-02T10:05", "session_end", session_id="x")
    behaviour.event("s00", "2024-05-03T10:00", "prompt", session_id="y")
    behaviour.event("s00", "2024-05-03T10:01", "accept", session_id="y")  # not a bounce
    behaviour.decision("s00", "2024-05-03", followed=False)
    behaviour.decision("s00", "2024-05-04", followed=True)
    behaviour.workflow("H", stakes="high")
    behaviour.workflow("L", stakes="low")
    behaviour.task("s00", "H", "2024-05-05", ai_assisted=True)
    behaviour.task("s00", "H", "2024-05-06", ai_assisted=False)
    behaviour.task("s00", "L", "2024-05-06", ai_assisted=True)  # low stakes: not counted
    ctx = behaviour.ctx(AS_OF, confidence_feature_days=28)
    f = confidence.behaviour_features(ctx).set_index("person_key").loc["s00"]
    # s00: accept on 04-29 plus the four events above; actions exclude session_end: 4.
    # Active weeks 04-29 only (05-02/05-03 fall in the same week) -> 1/4.
    assert f.active_week_share == pytest.approx(0.25)
    assert f.actions_per_week_log == pytest.approx(math.log1p(4 / 4))
    assert f.meaningful_share == pytest.approx(2 / 4)  # two accepts of four actions
    assert f.bounce_share == pytest.approx(1 / 2)  # session x bounced, y did not
    assert f.override_rate == pytest.approx(1 / 2)
    assert f.high_stakes_ai_share == pytest.approx(1 / 2)


def test_too_few_surveyed_people_for_a_model(pulses):
    for p in ["p1", "p2", "p4", "p5"]:
        pulses.event(p, "2024-05-20", "accept")
    out = entries(confidence.compute(pulses.ctx(AS_OF, confidence_max_age_days=60)))
    entry = out["confidence_inferred"]
    assert entry["status"] == "not_available"
    assert entry["needs"] == ["responses.score"]
    assert "fewer than 10" in entry["notes"][0]


def test_not_available_without_responses(wh):
    out = confidence.compute(wh.ctx(AS_OF))
    assert [(r.name, r.needs) for r in out] == [
        ("confidence", ("responses.score",)),
        ("confidence_inferred", ("responses.score",)),
    ]
