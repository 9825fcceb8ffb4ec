"""Release plans kept between processes: the same plan back, never a name or a key on disk."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from factories import simulated_workspace
from uptake.metrics import disclosure, release, tool_mix
from uptake.metrics.plan_store import PlanStore, overlap_key, planning_code
from uptake.metrics.release import KEEP_FIRST
from uptake.metrics.tool_release import Group, overlap_plan
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
    kept = [json.loads(f.read_text()) for f in (simulated / "cache" / "plans").glob("*.json")]
    assert any("people" in d for d in kept), "reading by team keeps the populations' plans"
    assert any("groups" in d for d in kept), "and the tools' plans"
    # As a new process: nothing remembered in memory, and planning would fail.
    release._PLANS.clear()

    def no_planning(*_a: object, **_k: object) -> disclosure.Plan:
        raise AssertionError("planned again")

    monkeypatch.setattr(disclosure, "plan", no_planning)
    monkeypatch.setattr(tool_mix, "overlap_plan", no_planning)
    assert _by_team(simulated) == first


def test_keeping_plans_can_be_turned_off(simulated: Path) -> None:
    plans = simulated / "cache" / "plans"
    for f in plans.glob("*.json"):
        f.unlink()
    release._PLANS.clear()
    _by_team(simulated, {"privacy.keep_release_plans": False})
    assert not list(plans.glob("*.json"))


def _tool_groups(seed: int = 3, people: int = 300) -> list[Group]:
    """Overlapping tool groups (a person may use two tools), some of them small."""
    rng = np.random.default_rng(seed)
    uses = rng.random((4, people)) < [[0.5], [0.3], [0.05], [0.02]]
    groups = [Group("total", np.ones(people, dtype=bool), rank=100, fixed=True)]
    for i, m in enumerate(uses):
        groups.append(Group(f"active:tool-{i}", m, rank=5))
        groups.append(Group(f"pair:{i}", m & uses[(i + 1) % 4], rank=1))
    return groups


def test_a_kept_tool_plan_comes_back_the_same_and_holds_no_name(tmp_path: Path) -> None:
    groups = _tool_groups()
    made = overlap_plan(groups, K)
    assert made, "the groups must need some hiding"
    key = overlap_key(groups, K, {}, None, None)
    PlanStore(tmp_path).put_hidden(key, groups, made)
    back = PlanStore(tmp_path).get_hidden(key, groups)
    assert back is not None and list(back.items()) == list(made.items())
    text = "".join(f.read_text() for f in tmp_path.glob("*.json"))
    assert "tool-" not in text and "pair:" not in text and "active" not in text
    # Fewer groups than were planned: does not fit, a miss.
    assert PlanStore(tmp_path).get_hidden(key, groups[:-1]) is None


def test_a_tool_plan_is_keyed_by_every_input() -> None:
    groups = _tool_groups()
    key = overlap_key(groups, K, {}, None, None)
    assert overlap_key(_tool_groups(), K, {}, None, None) == key
    flipped = groups[3].members.copy()
    flipped[0] = not flipped[0]
    one_person = [*groups[:3], Group(groups[3].name, flipped, rank=groups[3].rank), *groups[4:]]
    assert overlap_key(one_person, K, {}, None, None) != key
    assert overlap_key(groups, K + 1, {}, None, None) != key
    assert overlap_key(groups, K, {"mix": "mix"}, None, None) != key
    assert overlap_key(groups, K, {}, None, {"pair:1": "small"}) != key
    external = np.zeros((2, len(groups[0].members)), dtype=np.int64)
    external[0, :10] = 1
    assert overlap_key(groups, K, {}, external, None) != key
    external[1, 10:20] = 1
    assert overlap_key(groups, K, {}, external, None) != overlap_key(
        groups, K, {}, external[:1], None
    )
