"""Idempotent re-ingest, conflicts, upserts and order-independent identity resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from factories import FROZEN_NOW, person_id, rows, write
from uptake.workspace import Workspace


def _count(ws: Workspace, table: str) -> int:
    return int(ws.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]


def test_reingesting_the_same_file_adds_nothing(workspace: Workspace, tmp_path: Path) -> None:
    path = write(rows("events", 20), tmp_path / "events.parquet")
    [first] = workspace.ingest("events", [path], now=FROZEN_NOW)
    [again] = workspace.ingest("events", [path], now=FROZEN_NOW)
    assert (first.accepted, first.duplicates) == (20, 0)
    assert (again.accepted, again.duplicates, again.quarantined) == (0, 20, 0)
    assert _count(workspace, "events") == 20


def test_known_id_with_different_content_is_a_conflict(
    workspace: Workspace, tmp_path: Path
) -> None:
    workspace.ingest("events", [write(rows("events", 3), tmp_path / "a.csv")], now=FROZEN_NOW)
    changed = rows("events", 3)
    changed[1]["action"] = "reject"
    [r] = workspace.ingest("events", [write(changed, tmp_path / "b.csv")], now=FROZEN_NOW)
    assert (r.accepted, r.duplicates, r.quarantined, r.by_reason) == (0, 2, 1, {"conflict": 1})
    [q] = workspace.quarantine(batch=r.batch)
    assert q["locator"] == "b.csv:line 3" and q["reason"] == "conflict"
    stored = workspace.con.execute("SELECT action FROM events WHERE event_id = 'ev1'").fetchone()
    assert stored == ("accept",)


def test_duplicates_and_conflicts_within_one_file(workspace: Workspace, tmp_path: Path) -> None:
    base = rows("tasks", 2)
    clash = dict(base[0], minutes=99.0)
    [r] = workspace.ingest(
        "tasks", [write([base[0], base[1], base[0], clash], tmp_path / "t.jsonl")], now=FROZEN_NOW
    )
    assert (r.rows, r.accepted, r.duplicates, r.quarantined) == (4, 2, 1, 1)
    assert workspace.quarantine(batch=r.batch)[0]["locator"] == "t.jsonl:line 4"


def test_decision_outcome_arrives_later(workspace: Workspace, tmp_path: Path) -> None:
    early = [dict(r, outcome=None, outcome_ts=None) for r in rows("decisions", 3)]
    workspace.ingest("decisions", [write(early, tmp_path / "d1.csv")], now=FROZEN_NOW)
    [r] = workspace.ingest(
        "decisions", [write(rows("decisions", 3), tmp_path / "d2.csv")], now=FROZEN_NOW
    )
    assert (r.accepted, r.quarantined) == (3, 0)
    assert _count(workspace, "decisions") == 3
    got = workspace.con.execute("SELECT outcome FROM decisions ORDER BY decision_id").fetchall()
    assert got == [(0.0,), (1.0,), (2.0,)]
    # A later row without the outcome neither erases it nor counts as new.
    [r2] = workspace.ingest("decisions", [tmp_path / "d1.csv"], now=FROZEN_NOW)
    assert (r2.accepted, r2.duplicates) == (0, 3)
    # Changing an immutable field of a decision is still a conflict.
    moved = [dict(rows("decisions", 1)[0], followed=True, workflow="other")]
    [r3] = workspace.ingest("decisions", [write(moved, tmp_path / "d3.csv")], now=FROZEN_NOW)
    assert r3.by_reason == {"conflict": 1}


def test_roster_update_replaces_the_person(workspace: Workspace, tmp_path: Path) -> None:
    people = rows("people", 3)
    workspace.ingest("people", [write(people, tmp_path / "p1.csv")], now=FROZEN_NOW)
    people[2]["employment_status"] = "leave"
    [r] = workspace.ingest("people", [write(people, tmp_path / "p2.csv")], now=FROZEN_NOW)
    assert (r.accepted, r.duplicates) == (1, 2)
    assert _count(workspace, "people") == 3
    status = workspace.con.execute(
        "SELECT employment_status FROM people WHERE person_key = ?",
        [workspace.pseudonymise(person_id(2))],
    ).fetchone()
    assert status == ("leave",)


def test_events_before_roster_are_rekeyed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolution does not depend on ingestion order."""
    monkeypatch.setenv("UPTAKE_SECRET", "shared-secret-for-both-workspaces")
    people = rows("people", 7)
    events = [dict(r, person=f"login{i % 7}") for i, r in enumerate(rows("events", 14))]
    events.append(dict(rows("events", 1, start=99)[0], person="stranger@elsewhere.org"))
    pf, ef = write(people, tmp_path / "people.csv"), write(events, tmp_path / "events.csv")

    def keys(order: list[tuple[str, Path]], name: str) -> tuple[list, int]:
        ws = Workspace.init(tmp_path / name)
        unrostered = 0
        for table, f in order:
            [r] = ws.ingest(table, [f], now=FROZEN_NOW)
            unrostered += r.unrostered if table == "events" else 0
        got = ws.con.execute("SELECT event_id, person_key FROM events ORDER BY 1").fetchall()
        ws.close()
        return got, unrostered

    roster_first, u1 = keys([("people", pf), ("events", ef)], "a")
    events_first, u2 = keys([("events", ef), ("people", pf)], "b")
    assert roster_first == events_first
    assert (u1, u2) == (1, 15)  # before the roster, every event's person was unknown
    ws = Workspace.open(tmp_path / "a")
    want = ws.pseudonymise(person_id(3))
    assert dict(roster_first)["ev3"] == want
    ws.close()


def test_roster_without_aliases_column(workspace: Workspace, tmp_path: Path) -> None:
    people = [{k: v for k, v in r.items() if k != "aliases"} for r in rows("people", 3)]
    [r] = workspace.ingest("people", [write(people, tmp_path / "p.csv")], now=FROZEN_NOW)
    assert (r.accepted, r.quarantined) == (3, 0)
    kinds = workspace.con.execute("SELECT DISTINCT kind FROM identities").fetchall()
    assert kinds == [("roster",)]
