"""Accepted canonical rows keep no identifier in their JSON cells (`attrs`, `segment`, `dims`).

A canonical file's `attrs` is the user's own JSON: identifier-like keys (e-mail, login, display
name …) are stored as the pseudonym of their value, every other string is redacted, numbers and
harmless text are kept as given. The warehouse and an exported lake are searched for the raw
values with the identifier test's own search.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from factories import FROZEN_NOW, rows, write
from ingest.test_identifiers import leaks
from uptake.workspace import Workspace

EMAIL = "zoe.attrs@corp.example"
LOGIN = "zoe-attrs-login"
NAME = "Zoe Attrsworth"
PHONE = "+44 20 7946 0958"
RAW = {EMAIL, LOGIN, NAME, PHONE}
HARMLESS = {"plan": "pro", "seats": 3}
IDENTIFYING = {
    "email": EMAIL,
    "user_login": LOGIN,
    "display_name": NAME,
    "note": f"call {PHONE} or ping {LOGIN} about the rollout",
    "plan": "pro",
    "seats": 3,
}


def _with_attrs(table: str, n: int, column: str = "attrs") -> list[dict[str, Any]]:
    records = rows(table, n)
    for i, r in enumerate(records):
        r[column] = IDENTIFYING if i % 2 == 0 else HARMLESS
    return records


@pytest.fixture
def stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A workspace holding canonical rows with JSON cells, exported, then closed."""
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    files = [
        ("people", write(_with_attrs("people", 4), tmp_path / "people.csv")),
        ("events", write(_with_attrs("events", 6), tmp_path / "events.jsonl")),
        ("events", write(_events(), tmp_path / "e.parquet")),
        ("person_facts", write(_with_attrs("person_facts", 4), tmp_path / "facts.csv")),
        ("responses", write(_with_attrs("responses", 2, "segment"), tmp_path / "resp.jsonl")),
    ]
    with Workspace.init(tmp_path / "ws") as ws:
        results = [
            r
            for table, path in files
            for r in ws.ingest(table, [path], now=FROZEN_NOW, refresh=False)
        ]
        assert all(r.accepted == r.rows for r in results), [r.to_dict() for r in results]
        ws.refresh()
        ws.export(tmp_path / "lake")
        quarantine = json.dumps(ws.quarantine())
    return {"ws": tmp_path / "ws", "files": files, "lake": tmp_path / "lake", "q": quarantine}


def _events() -> list[dict[str, Any]]:
    records = _with_attrs("events", 4)
    for r in records:
        r["event_id"] = "pq-" + r["event_id"]
    return records


def test_no_raw_identifier_from_attrs_is_stored_or_exported(stored: dict[str, Any]) -> None:
    found = leaks(stored["ws"], stored["lake"], stored["q"], [], {i.lower() for i in RAW})
    assert not found, found


def test_identifier_keys_hold_pseudonyms_and_harmless_values_survive(
    stored: dict[str, Any],
) -> None:
    ws = Workspace.open(stored["ws"])
    cells = [
        json.loads(text)
        for table, col in (
            ("people", "attrs"),
            ("events", "attrs"),
            ("person_facts", "attrs"),
            ("responses", "segment"),
        )
        for (text,) in ws.con.execute(f"SELECT {col} FROM {table}").fetchall()
    ]
    harmless = [c for c in cells if "email" not in c]
    scrubbed = [c for c in cells if "email" in c]
    assert harmless and scrubbed
    assert all(c == HARMLESS for c in harmless)
    for c in scrubbed:
        assert c["email"] == ws.pseudonymise(EMAIL)
        assert c["user_login"] == ws.pseudonymise(LOGIN)
        assert c["display_name"] == ws.pseudonymise(NAME)
        assert c["note"] == f"call [phone] or ping {ws.pseudonymise(LOGIN)} about the rollout"
        assert (c["plan"], c["seats"]) == ("pro", 3)
    # A harmless cell keeps its exact text, as the file wrote it.
    texts = {t for (t,) in ws.con.execute("SELECT attrs FROM events").fetchall()}
    ws.close()
    assert json.dumps(HARMLESS) in texts


def test_reingesting_the_same_files_finds_duplicates(stored: dict[str, Any]) -> None:
    with Workspace.open(stored["ws"]) as ws:
        for table, path in stored["files"]:
            [r] = ws.ingest(table, [path], now=FROZEN_NOW, refresh=False)
            assert (r.accepted, r.quarantined) == (0, 0), r.to_dict()
            assert r.duplicates == r.rows


def test_a_canonical_frame_is_scrubbed_too(workspace: Workspace) -> None:
    import pandas as pd

    frame = pd.DataFrame(_events())
    frame["attrs"] = frame["attrs"].map(json.dumps)
    r = workspace.ingest_frame("events", frame, source="frame", now=FROZEN_NOW, refresh=False)
    assert r.accepted == len(frame)
    text = " ".join(t for (t,) in workspace.con.execute("SELECT attrs FROM events").fetchall())
    assert not [i for i in RAW if i.lower() in text.lower()]


def test_personal_data_in_keys_and_arrays_is_redacted(workspace: Workspace, tmp_path: Path) -> None:
    records = rows("events", 3)
    records[0]["attrs"] = {EMAIL: 1, "tags": [f"owner {EMAIL}", "beta"]}
    records[1]["attrs"] = [f"written by {EMAIL}", 7]
    records[2]["attrs"] = [1, 2.5, True, None]
    [r] = workspace.ingest("events", [write(records, tmp_path / "e.jsonl")], now=FROZEN_NOW)
    assert r.accepted == 3
    got = [
        json.loads(t)
        for (t,) in workspace.con.execute("SELECT attrs FROM events ORDER BY event_id").fetchall()
    ]
    assert got == [
        {"[email]": 1, "tags": ["owner [email]", "beta"]},
        ["written by [email]", 7],
        [1, 2.5, True, None],
    ]


def test_unreadable_json_cells_are_quarantined_without_their_identifiers(
    workspace: Workspace, tmp_path: Path
) -> None:
    records = rows("events", 3)
    records[1]["attrs"] = '{"user_login": "' + LOGIN + '", "email": "' + EMAIL + '"'  # cut off
    records[2]["attrs"] = '{"a": ' * 5000 + json.dumps({"user_login": LOGIN}) + "}" * 5000
    [r] = workspace.ingest("events", [write(records, tmp_path / "e.csv")], now=FROZEN_NOW)
    assert (r.accepted, r.by_reason) == (1, {"bad_json": 2})
    listing = json.dumps(workspace.quarantine())
    assert not [i for i in RAW if i.lower() in listing.lower()]
