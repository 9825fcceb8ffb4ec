"""Resistance typology on hand-built answers and behaviour: each kind, a flat profile, unknown."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from uptake.signals.typology import (
    INTERVENTIONS,
    NONE,
    TYPOLOGIES,
    dominant_by_segment,
    typologies,
)

AS_OF = "2024-03-31"
NEUTRAL = {"job_security": 2, "competence": 2, "trust": 4, "workflow_fit": 4, "values": 2}


def _answers(wh: Any, person: str, **items: float) -> None:
    wh.person(person)
    for item, score in {**NEUTRAL, **items}.items():
        wh.response("2024-03-10T10:00", person=person, item=item, score=score)


def _by_person(wh: Any) -> pd.Series:
    got = typologies(wh.ctx(AS_OF)).people
    return got.set_index("person_key")["typology"]


def test_each_item_that_stands_out_names_its_typology(wh: Any) -> None:
    for i in range(6):
        _answers(wh, f"calm{i}")  # the reference: nothing stands out
    _answers(wh, "worried", job_security=5)
    _answers(wh, "unsure", competence=5)
    _answers(wh, "doubter", trust=1)  # trust is phrased positively: 1 is a deficit
    _answers(wh, "disrupted", workflow_fit=1)
    _answers(wh, "principled", values=5)
    got = _by_person(wh)
    assert got["worried"] == "job_security_anxiety"
    assert got["unsure"] == "competence_anxiety"
    assert got["doubter"] == "trust_deficit"
    assert got["disrupted"] == "workflow_disruption"
    assert got["principled"] == "value_misalignment"
    assert (got[[f"calm{i}" for i in range(6)]] == NONE).all()


def test_a_flat_profile_of_mild_resistance_is_none_and_no_cue_is_unknown(wh: Any) -> None:
    for i in range(6):
        _answers(wh, f"calm{i}")
    _answers(wh, "worried", job_security=5)
    # Mildly resistant to everything (as many non-users answer): nothing stands out.
    _answers(wh, "flat", job_security=3.5, competence=3.5, trust=2.5, workflow_fit=2.5, values=3.5)
    wh.person("silent")  # no answer, no behaviour: unknown, not "none"
    got = _by_person(wh)
    assert got["flat"] == NONE
    assert "silent" not in got.index


def test_overriding_recommendations_is_a_trust_cue(wh: Any) -> None:
    for i in range(6):
        p = f"p{i}"
        wh.person(p)
        for d in range(10):
            # p0 overrides 9 of 10 recommendations; the others 1 of 10.
            wh.decision(p, f"2024-03-{d + 10}T10:00", followed=(d == 0) if i == 0 else d > 0)
    ty = typologies(wh.ctx(AS_OF))
    got = ty.people.set_index("person_key")["typology"]
    assert got["p0"] == "trust_deficit"
    assert (got.drop("p0") == NONE).all()
    assert ty.evidence("p0")["behaviour.trust_deficit"] == 0.9


def _runs(wh: Any, person: str, workflow: str, n: int, ai: int, minutes: float = 10.0) -> None:
    for d in range(n):
        at = f"2024-03-{d + 1:02d}T10:00"
        wh.task(person, workflow, at, ai_assisted=d < ai, minutes=minutes if d < ai else 10.0)


def test_keeping_ai_off_high_stakes_work_is_a_job_security_cue(wh: Any) -> None:
    wh.workflow("core", stakes="high")
    wh.workflow("admin", stakes="low")
    for i in range(6):
        p = f"p{i}"
        _answers(wh, p)  # a flat survey profile: the behaviour alone carries p0's typology
        # p0 uses AI on 8 of 10 low-stakes runs and on none of its high-stakes ones; the
        # others use it about as much on both.
        _runs(wh, p, "admin", 10, 8)
        _runs(wh, p, "core", 10, 0 if i == 0 else 7 + i % 2)
    ty = typologies(wh.ctx(AS_OF))
    got = ty.people.set_index("person_key")["typology"]
    assert got["p0"] == "job_security_anxiety"
    assert (got.drop("p0") == NONE).all()
    assert ty.evidence("p0")["behaviour.job_security_anxiety"] == 0.8


def test_ai_runs_slower_than_ones_own_are_a_workflow_cue(wh: Any) -> None:
    wh.workflow("report", stakes="low")
    for i in range(6):
        p = f"p{i}"
        wh.person(p)
        # Half the runs with AI: p0 takes twice as long with it, the others a little less.
        _runs(wh, p, "report", 10, 5, minutes=20.0 if i == 0 else 8.0 + i * 0.2)
    ty = typologies(wh.ctx(AS_OF))
    got = ty.people.set_index("person_key")["typology"]
    assert got["p0"] == "workflow_disruption"
    assert (got.drop("p0") == NONE).all()
    assert ty.evidence("p0")["behaviour.workflow_disruption.2"] == round(float(np.log(2)), 3)


def test_asking_for_help_and_low_confidence_are_competence_cues(wh: Any) -> None:
    wh.workflow("report", stakes="low")
    for i in range(6):
        p = f"p{i}"
        wh.person(p)
        _runs(wh, p, "report", 6, 3)
        wh.response("2024-03-10T10:00", person=p, item="confidence", score=2 if i == 0 else 8)
    for k in range(6):
        wh.help(f"2024-03-{k + 11}T10:00", "p0", "p1")
    ty = typologies(wh.ctx(AS_OF))
    got = ty.people.set_index("person_key")["typology"]
    assert got["p0"] == "competence_anxiety"
    assert (got.drop("p0") == NONE).all()
    assert ty.evidence("p0")["survey.competence_anxiety.2"] == 8.0
    assert ty.evidence("p0")["behaviour.competence_anxiety.3"] == round(float(np.log1p(6)), 3)
    # Not asking is observed for people whose runs are seen: 0, not unknown.
    assert ty.evidence("p3")["behaviour.competence_anxiety.3"] == 0.0


def test_every_typology_implies_an_intervention() -> None:
    assert set(INTERVENTIONS) == {*TYPOLOGIES, NONE}
    assert all(len(text) > 20 for text in INTERVENTIONS.values())


def test_dominant_typology_per_segment_respects_k(wh: Any) -> None:
    for i in range(4):
        _answers(wh, f"a{i}", job_security=5)
    # Scores are relative to the population: a minority stands out against a calm majority.
    for i in range(12):
        _answers(wh, f"calm{i}")
    _answers(wh, "b0", trust=1)
    ty = typologies(wh.ctx(AS_OF))
    members = pd.DataFrame(
        {
            "person_key": [*(f"a{i}" for i in range(4)), *(f"calm{i}" for i in range(12)), "b0"],
            "segment": ["sales"] * 4 + ["ops"] * 12 + ["legal"],
        }
    )
    rows = {r["segment"]: r for r in dominant_by_segment(ty, members, 3)}
    assert rows["sales"]["dominant"] == "job_security_anxiety" and rows["sales"]["share"] == 1.0
    assert rows["sales"]["intervention"] == INTERVENTIONS["job_security_anxiety"]
    assert rows["ops"]["dominant"] == NONE
    assert rows["legal"] == {"segment": "legal", "suppressed": "small"}
