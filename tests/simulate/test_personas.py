"""Personas drive behaviour, yet no single observable field gives a persona away."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from sim_helpers import connect
from uptake.simulate import SimulationSummary
from uptake.simulate.personas import PERSONAS, TYPOLOGY, sample

# Per licensed person: what a detector could observe, one column per field.
_FEATURES = """
with e as (select a.pid, ev.* from events ev join alias a on a.alias = ev.person),
s as (select pid, session_id,
        max(duration_ms) filter (where action = 'session_end') as dur,
        count(*) filter (where action in ('accept', 'task_complete')) as m
      from e group by all),
f as (select pid, count(*) as events, avg((action = 'accept')::int) as accept_share,
        avg((action = 'reject')::int) as reject_share,
        count(*) filter (where action = 'task_abandon')
          / greatest(1, count(*) filter (where action in ('task_abandon', 'task_complete')))
          as abandon_share
      from e group by 1),
ss as (select pid, median(dur) as session_ms, avg((dur < 60000 and m = 0)::int) as short_share
       from s group by 1),
t as (select a.pid, avg(ai_assisted::int) filter (where w.stakes = 'high') as ai_high,
        avg(ai_assisted::int) filter (where w.stakes = 'low') as ai_low,
        avg((w.stakes = 'low')::int) filter (where ai_assisted) as ai_work_low_stakes
      from tasks join alias a on a.alias = tasks.person join workflows w using (workflow)
      group by 1),
d as (select a.pid, avg(followed::int) as followed
      from decisions join alias a on a.alias = decisions.person group by 1),
r as (select a.pid,
        avg(score) filter (where item = 'confidence') as confidence,
        avg(score) filter (where item = 'nps') as nps,
        avg(score) filter (where item = 'trust') as trust,
        avg(score) filter (where item = 'competence') as competence,
        avg(score) filter (where item = 'workflow_fit') as workflow_fit,
        avg(score) filter (where item = 'values') as "values",
        avg(score) filter (where item = 'job_security') as job_security
      from responses join alias a on a.alias = responses.person group by 1)
select g.persona, f.* exclude (pid), ss.* exclude (pid), t.* exclude (pid), d.followed,
       r.* exclude (pid)
from ground_truth g
left join f on f.pid = g.person left join ss on ss.pid = g.person
left join t on t.pid = g.person left join d on d.pid = g.person
left join r on r.pid = g.person
where g.first_license_on is not null
"""


@pytest.fixture(scope="module")
def observed(medium: SimulationSummary) -> pd.DataFrame:
    return connect(medium).execute(_FEATURES).df()


def _auc(frame: pd.DataFrame, persona: str, field: str) -> float | None:
    x = frame[field].to_numpy(dtype=float)
    y = (frame["persona"] == persona).to_numpy()
    ok = ~np.isnan(x)
    if y[ok].sum() < 10 or (~y[ok]).sum() < 10:
        return None
    auc = float(roc_auc_score(y[ok], x[ok]))
    return max(auc, 1 - auc)


def test_no_single_field_identifies_a_persona(observed: pd.DataFrame) -> None:
    fields = [c for c in observed.columns if c != "persona"]
    worst = max(
        (a, p, f) for p in PERSONAS for f in fields if (a := _auc(observed, p, f)) is not None
    )
    assert worst[0] < 0.98, worst


@pytest.mark.parametrize(
    ("persona", "field"),
    [
        ("trust_deficit", "reject_share"),
        ("competence", "competence"),
        ("competence", "confidence"),
        ("workflow_disruption", "workflow_fit"),
        ("workflow_disruption", "session_ms"),
        ("job_security", "job_security"),
        ("job_security", "ai_work_low_stakes"),
        ("value_misalignment", "values"),
        ("enthusiast", "ai_high"),
        ("enthusiast", "nps"),
    ],
)
def test_each_persona_leaves_its_signature(
    observed: pd.DataFrame, persona: str, field: str
) -> None:
    auc = _auc(observed, persona, field)
    assert auc is not None and auc > 0.65, (persona, field, auc)


def test_typologies_cover_the_five_resistance_kinds() -> None:
    kinds = {t for t in TYPOLOGY.values() if t != "none"}
    assert kinds == {
        "job_security_anxiety",
        "competence_anxiety",
        "trust_deficit",
        "workflow_disruption",
        "value_misalignment",
    }


def test_parameters_vary_within_a_persona() -> None:
    rng = np.random.default_rng(0)
    persona = np.repeat(np.arange(len(PERSONAS)), 400)
    params = sample(rng, persona)
    for name in ("free_rate", "reject_p", "follow_p", "tau", "conf0", "sess_mult"):
        for p in range(len(PERSONAS) - 1):  # non-users barely act, skip them
            values = params[name][persona == p]
            assert values.std() > 0, (name, PERSONAS[p])
    # Neighbouring personas overlap on every behavioural rate.
    trust, prag = (
        persona == PERSONAS.index("trust_deficit"),
        persona == PERSONAS.index("pragmatist"),
    )
    assert np.quantile(params["reject_p"][trust], 0.1) < np.quantile(params["reject_p"][prag], 0.9)
