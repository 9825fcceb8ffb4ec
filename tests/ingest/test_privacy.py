"""Pseudonymisation at the door, redaction of free text, and the secret kept out of the database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from factories import FROZEN_NOW, rows, write
from uptake.ingest.redact import redact
from uptake.workspace import Workspace

SECRET_TEXT = [
    ("mail me at jane.doe+ai@example.com please", "jane.doe+ai@example.com"),
    ("call +44 20 7946 0958 today", "7946 0958"),
    ("my phone is (555) 123-4567", "123-4567"),
    ("token ghp_abcdefghijklmnopqrstuvwxyz012345 leaked", "ghp_abcdefghijklmnop"),
    ("api_key=sk_live_51HxYzAbCdEf", "sk_live_51HxYzAbCdEf"),
    ("see https://bob:hunter2@intranet.example.com/x", "hunter2"),
    ("account 12345678901 is mine", "12345678901"),
    ("bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N", "eyJhbGci"),
]


@pytest.mark.parametrize(("text", "secret"), SECRET_TEXT)
def test_redaction_removes_pii(text: str, secret: str) -> None:
    out = redact(text)
    assert out is not None and secret not in out


def test_redaction_keeps_ordinary_text() -> None:
    text = "Copilot saved me 20 minutes on the Q3 forecast, version 2.1"
    assert redact(text) == text


def _all_text(ws: Workspace, exclude: set[str]) -> str:
    """Every value of every table (except `exclude`) as one string."""
    tables = [
        r[0]
        for r in ws.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    ]
    chunks = []
    for t in tables:
        if t in exclude:
            continue
        for row in ws.con.execute(f"SELECT * FROM {t}").fetchall():
            chunks.append(" ".join(str(v) for v in row))
    return "\n".join(chunks)


def test_raw_identifiers_only_in_identities(workspace: Workspace, tmp_path: Path) -> None:
    people = rows("people", 7)
    events = [dict(r, person=f"login{i % 7}") for i, r in enumerate(rows("events", 20))]
    feedback = [
        dict(r, text=f"Reach me at person{i}@example.org or 020 7946 09{i:02d}")
        for i, r in enumerate(rows("feedback", 5))
    ]
    bad = [dict(rows("events", 1, start=50)[0], person="person3@example.org", action="nope")]
    for table, recs in (
        ("people", people),
        ("events", events + bad),
        ("feedback", feedback),
        ("help_edges", rows("help_edges", 4)),
    ):
        workspace.ingest(table, [write(recs, tmp_path / f"{table}.csv")], now=FROZEN_NOW)
    assert workspace.quarantine(), "the broken row must be in quarantine"
    text = _all_text(workspace, exclude={"identities"})
    for i in range(7):
        assert f"person{i}@example.org" not in text
        assert f"login{i}" not in text
        assert f"E{i:05d}" not in text
    # Not a digit of the phone number left, outside a hex run (a random pseudonym or hash may
    # hold those digits by chance: that is not the number).
    assert re.search(r"(?<![0-9a-f])7946(?![0-9a-f])", text) is None
    ids = workspace.con.execute("SELECT alias FROM identities").fetchall()
    assert ("person3@example.org",) in ids and ("login3",) in ids


def test_secret_never_written_to_database(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    ws.ingest("events", [write(rows("events", 30), tmp_path / "e.parquet")], now=FROZEN_NOW)
    secret = ws.secret
    ws.con.execute("CHECKPOINT")
    ws.close()
    # Every file of the folder, the compiled-SQL cache's too.
    files = [f for f in (tmp_path / "ws").rglob("*") if f.is_file() and f.name != "secret"]
    assert any(f.suffix == ".duckdb" for f in files)
    for f in files:
        assert secret not in f.read_bytes(), f.name


def test_secret_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPTAKE_SECRET", "from-the-vault-3f9a1c7e5b2d8046af1c9e7d")
    ws = Workspace.init(tmp_path / "ws")
    assert not (tmp_path / "ws" / "secret").exists()
    key = ws.pseudonymise("Someone@Example.org ")
    assert key == ws.pseudonymise("someone@example.org")
    ws.close()
    monkeypatch.setenv("UPTAKE_SECRET", "another-secret-8b2e4f6a0c1d3e5f7a9b2c4d")
    ws = Workspace.open(tmp_path / "ws")
    assert ws.pseudonymise("someone@example.org") != key
    failed = {c["check"] for c in ws.doctor() if not c["ok"]}
    assert failed == {"secret_matches"}
    ws.close()
