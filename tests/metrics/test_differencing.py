"""Differencing attacks on one release: nobody below k may be worked out from its outputs.

Each test builds an organisation, collects every output of one release (without `by` and by
each dimension) and runs the black-box attacker of `differencing`; a recovery is a number
about 1 … k−1 people that the attacker derives and that equals the truth. Noise is off so the
numbers are exact: the promise must hold by suppression alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from metrics.differencing import ALL, attack, attack_releases, noise_off, summary, truths
from sim_helpers import run
from uptake.simulate.run import TABLE_ORDER
from uptake.workspace import Workspace

NOW = datetime(2024, 4, 1)
# A Sunday: the 28-day window is exactly the four complete weeks from 4 March.
AS_OF = date(2024, 3, 31)
WINDOW = [AS_OF - timedelta(days=27 - i) for i in range(28)]


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    monkeypatch.delenv("UPTAKE_WORKSPACE", raising=False)
    noise_off(monkeypatch)
    w = Workspace.init(tmp_path / "ws")
    yield w
    w.close()


def _org(ws: Workspace, people: list[dict[str, object]], active: dict[str, int]) -> None:
    """Roster, a licence each and `active[person]` days with events in the window."""
    frame = pd.DataFrame(people).assign(aliases=lambda f: [[] for _ in range(len(f))])
    ws.ingest_frame("people", frame, source="p", now=NOW, refresh=False)
    lic = pd.DataFrame(
        {"person": frame["person"], "tool": "copilot", "assigned_at": "2024-01-02T00:00:00Z"}
    )
    ws.ingest_frame("licenses", lic, source="l", now=NOW, refresh=False)
    rows = [
        {
            "event_id": f"{p}-{d}",
            "ts": f"{day.isoformat()}T10:00:00Z",
            "person": p,
            "tool": "copilot",
            "action": "accept",
        }
        for p, days in active.items()
        for d, day in enumerate(WINDOW[:: max(1, 28 // max(days, 1))][:days])
    ]
    ws.ingest_frame("events", pd.DataFrame(rows), source="e", now=NOW)


def _person(i: int, team: str, function: str, manager: str | None = None) -> dict[str, object]:
    return {
        "person": f"p{i:02d}@example.com",
        "team": team,
        "function": function,
        "role": "analyst",
        "manager": manager,
        "hire_date": "2020-01-01",
    }


def _small_team_org(ws: Workspace) -> None:
    """Function F = team A (7) + team B (3); function G = team C (6) + team D (8).

    By team, B is hidden (3 < 5) and C covers it; A stays visible, so F − A = B.
    """
    sizes = [("A", "F", 7), ("B", "F", 3), ("C", "G", 6), ("D", "G", 8)]
    slots = [(team, fn) for team, fn, n in sizes for _ in range(n)]
    people = [_person(i, team, fn) for i, (team, fn) in enumerate(slots)]
    _org(ws, people, {str(p["person"]): 1 + i % 4 for i, p in enumerate(people)})


def test_attacker_recovers_a_small_team_from_an_unsafe_release(ws: Workspace) -> None:
    # A hand-made release publishing function F and both its teams exactly: the attacker must
    # find team B (3 people) as F − A, so an empty result elsewhere is not vacuous.
    _small_team_org(ws)
    truth = truths(ws, AS_OF)[("usage_rate", "")]
    keys = {str(i): ws.pseudonymise(f"p{i:02d}@example.com") for i in range(24)}
    team = {"A": range(0, 7), "B": range(7, 10), "C": range(10, 16), "D": range(16, 24)}

    def row(label: str, idx: range) -> dict[str, object]:
        sub = truth.loc[[keys[str(i)] for i in idx]]
        return {"segment": label, "n": len(idx), "active": int(sub["active"].sum()),
                "suppressed": False}  # fmt: skip

    def doc(rows: list[dict[str, object]] | None) -> dict[str, object]:
        m: dict[str, object] = {"n": 24, "active": int(truth["active"].sum()), "suppressed": False}
        if rows is not None:
            m["segments"] = rows
        return {"as_of": AS_OF.isoformat(), "min_group_size": 5, "metrics": {"usage_rate": m}}

    fake = {
        ALL: doc(None),
        "function": doc([row("F", range(0, 10)), row("G", range(10, 24))]),
        "team": doc([row(t, idx) for t, idx in team.items()]),
    }
    found = attack_releases(ws, fake)  # type: ignore[arg-type]
    b = frozenset(keys[str(i)] for i in team["B"])
    hits = {(r.field, r.derived) for r in found if r.people == b}
    assert ("n", 3.0) in hits
    assert ("active", float(truth.loc[list(b), "active"].sum())) in hits


def test_a_small_team_is_not_its_function_minus_the_other_team(ws: Workspace) -> None:
    _small_team_org(ws)
    found = attack(ws, AS_OF)
    assert found == [], summary(found)


@pytest.mark.slow  # the benchmark runs it; one attack of this kind stays in `make test`
def test_a_team_lead_is_not_their_team_minus_their_reports(ws: Workspace) -> None:
    # Team T: the lead and 5 reports (by manager: "T (manager)", 5 people; by team: 6).
    # Team U: a director and 7 people; team V: 6 people without a manager, so that every
    # manager row (the director's reports, T's, and "(none)") is visible.
    people = [_person(0, "U", "ops")]
    people += [_person(i, "U", "ops", "p00@example.com") for i in range(1, 8)]
    people += [_person(i, "V", "ops") for i in range(14, 20)]
    people.append(_person(8, "T", "ops", "p00@example.com"))
    people += [_person(i, "T", "ops", "p08@example.com") for i in range(9, 14)]
    _org(ws, people, {str(p["person"]): 1 + i % 3 for i, p in enumerate(people)})
    found = attack(ws, AS_OF)
    assert found == [], summary(found)


@pytest.mark.slow  # the benchmark runs it; one attack of this kind stays in `make test`
def test_a_small_week_is_not_the_window_minus_the_other_weeks(ws: Workspace) -> None:
    # Team S (6 people) runs eligible high-stakes tasks every week, except in the week of
    # 18 March when only 2 of them do: that week's row is hidden, the window's is not.
    people = [_person(i, "S", "F") for i in range(6)] + [_person(i, "R", "F") for i in range(6, 14)]
    _org(ws, people, {str(p["person"]): 3 for p in people})
    ws.ingest_frame(
        "workflows",
        pd.DataFrame({"workflow": ["wf"], "name": ["wf"], "stakes": ["high"]}),
        source="w",
        now=NOW,
        refresh=False,
    )
    tasks = []
    for i, p in enumerate(people):
        for w in range(4):
            start = AS_OF - timedelta(days=27 - 7 * w)
            if p["team"] == "S" and w == 2 and i > 1:
                continue
            for r in range(1 + (i + w) % 3):
                tasks.append(
                    {
                        "task_id": f"t{i}-{w}-{r}",
                        "person": p["person"],
                        "workflow": "wf",
                        "started_at": f"{start.isoformat()}T1{r}:00:00Z",
                        "completed_at": f"{start.isoformat()}T1{r}:30:00Z",
                        "status": "completed",
                        "ai_assisted": (i + r) % 2 == 0,
                        "minutes": 30.0,
                    }
                )
    ws.ingest_frame("tasks", pd.DataFrame(tasks), source="t", now=NOW)
    found = attack(ws, AS_OF)
    assert found == [], summary(found)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, date]]:
    """A simulated organisation of 600 people over 60 days (seed fixed), ingested."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("UPTAKE_SECRET", raising=False)
        mp.delenv("UPTAKE_WORKSPACE", raising=False)
        noise_off(mp)
        root = tmp_path_factory.mktemp("sim600")
        s = run(root / "sim", people=600)
        w = Workspace.init(root / "ws")
        for name in TABLE_ORDER:
            files = [root / "sim" / f for f in s.files[name][:1]]
            w.ingest(name, files, fmt="parquet", refresh=False, now=datetime(2026, 8, 1))
        w.refresh()
        # The last Sunday before the end: the window is four complete weeks.
        last = s.end - timedelta(days=1)
        as_of = last - timedelta(days=(last.weekday() + 1) % 7)
        yield w, as_of
        w.close()


@pytest.mark.slow
def test_no_one_is_recovered_in_a_simulated_organisation(
    simulated: tuple[Workspace, date],
) -> None:
    ws, as_of = simulated
    found = attack(ws, as_of)
    assert found == [], summary(found)
