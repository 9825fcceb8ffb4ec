"""Release plans kept between processes: the same plan back, never a name or a key on disk."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from factories import simulated_workspace
from uptake.metrics import disclosure, release
from uptake.metrics.plan_store import PlanStore, planning_code
from uptake.metrics.release import KEEP_FIRST
from uptake.workspace import Workspace

K = 5


def _population(seed: int = 1, people: int = 240) -> pd.DataFrame:
    """People with a segment in every planned dimension, small teams and managers among them."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "person_key": [f"p_{i:04d}" for i in range(people)],
            "function": rng.choice(["Finance", "Sales", "Engineering"], people),
            "team": rng.choice([f"team-{i}" for i in range(30)], people),
            "role": rng.choice(["analyst", "engineer", "lead"], people),
            "level": rng.choice(["IC", "M1", "M2"], people, p=[0.8, 0.15, 0.05]),
            "location": rng.choice(["Lisbon", "Oslo"], people),
            "tenure": rng.choice(["<90d", "1-3y"], people),
            "cohort": rng.choice(["2026-01", "2026-02"], people),
            "manager": rng.choice([f"boss-{i} (manager)" for i in range(40)], people),
        }
    )
    return frame


def _plan(members: pd.DataFrame) -> disclosure.Plan:
    return disclosure.plan(members, KEEP_FIRST, K, block="function")


def test_a_kept_plan_comes_back_the_same(tmp_path: Path) -> None:
    members = _population()
    made = _plan(members)
    assert any(made.hidden[d] for d in KEEP_FIRST), "the population must need some hiding"
    PlanStore(tmp_path).put(("digest", K), members, KEEP_FIRST, made)
    back = PlanStore(tmp_path).get(("digest", K), members, KEEP_FIRST, K)
    assert back is not None
    assert (back.k, back.people, back.rounds) == (made.k, made.people, made.rounds)
    # The same segments, reasons and order in every dimension.
    assert {d: list(back.hidden[d].items()) for d in KEEP_FIRST} == {
        d: list(made.hidden[d].items()) for d in KEEP_FIRST
    }


def test_the_file_holds_no_segment_name_and_no_person_key(tmp_path: Path) -> None:
    members = _population()
    PlanStore(tmp_path).put(("digest", K), members, KEEP_FIRST, _plan(members))
    [path] = list(tmp_path.glob("*.json"))
    text = path.read_text()
    names = {str(v) for d in KEEP_FIRST for v in members[d].unique()}
    assert not [n for n in names | set(members["person_key"]) if n in text]
    doc = json.loads(text)
    assert all(isinstance(pos, int) for d in KEEP_FIRST for pos, _ in doc["hidden"][d])


def test_a_plan_that_does_not_fit_the_population_is_a_miss(tmp_path: Path) -> None:
    members = _population()
    store = PlanStore(tmp_path)
    store.put(("digest", K), members, KEEP_FIRST, _plan(members))
    assert store.get(("other", K), members, KEEP_FIRST, K) is None
    assert store.get(("digest", K), members, KEEP_FIRST, K + 1) is None
    assert store.get(("digest", K), members.iloc[:-1], KEEP_FIRST, K) is None
    assert store.get(("digest", K), members, list(reversed(KEEP_FIRST)), K) is None
    [path] = list(tmp_path.glob("*.json"))
    doc = json.loads(path.read_text())
    # A position past the population's segments, an unknown reason, a file cut short.
    for broken in (
        {**doc, "hidden": {**doc["hidden"], "team": [[10_000, "small"]]}},
        {**doc, "hidden": {**doc["hidden"], "team": [[0, "shown"]]}},
    ):
        path.write_text(json.dumps(broken))
        assert store.get(("digest", K), members, KEEP_FIRST, K) is None
    path.write_text(json.dumps(doc)[:40])
    assert store.get(("digest", K), members, KEEP_FIRST, K) is None


def test_a_store_that_cannot_be_written_or_read_is_only_a_miss(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    members = _population()
    store = PlanStore(blocked / "plans")
    store.put(("digest", K), members, KEEP_FIRST, _plan(members))
    assert store.get(("digest", K), members, KEEP_FIRST, K) is None


def test_new_planning_code_never_reads_an_old_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = _population()
    PlanStore(tmp_path).put(("digest", K), members, KEEP_FIRST, _plan(members))
    assert planning_code() is not None
    monkeypatch.setattr("uptake.metrics.plan_store.planning_code", lambda: "changed")
    assert PlanStore(tmp_path).get(("digest", K), members, KEEP_FIRST, K) is None
    # Without a digest of the planning code nothing is kept or read.
    monkeypatch.setattr("uptake.metrics.plan_store.planning_code", lambda: None)
    store = PlanStore(tmp_path / "none")
    store.put(("digest", K), members, KEEP_FIRST, _plan(members))
    assert not (tmp_path / "none").exists()
    assert store.get(("digest", K), members, KEEP_FIRST, K) is None


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated organisation's workspace (its facts current)."""
    return simulated_workspace(tmp_path_factory.mktemp("plans"), people=150, days=42, seed=5)


def _by_team(folder: Path, settings: dict[str, object] | None = None) -> dict[str, object]:
    with Workspace.open(folder, settings) as ws:
        as_of: date = ws.default_as_of()[0]
        return ws.metrics(as_of=as_of, by="team").to_dict()


def test_a_new_process_plans_nothing_an_earlier_one_planned(
    simulated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release._PLANS.clear()
    first = _by_team(simulated)
    kept = list((simulated / "cache" / "plans").glob("*.json"))
    assert kept, "reading by team plans populations and keeps the plans"
    # As a new process: nothing remembered in memory, and planning would fail.
    release._PLANS.clear()

    def no_planning(*_a: object, **_k: object) -> disclosure.Plan:
        raise AssertionError("planned again")

    monkeypatch.setattr(disclosure, "plan", no_planning)
    assert _by_team(simulated) == first


def test_keeping_plans_can_be_turned_off(simulated: Path) -> None:
    plans = simulated / "cache" / "plans"
    for f in plans.glob("*.json"):
        f.unlink()
    release._PLANS.clear()
    _by_team(simulated, {"privacy.keep_release_plans": False})
    assert not list(plans.glob("*.json"))
