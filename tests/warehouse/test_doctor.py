"""`uptake doctor` as a user runs it: a failed check exits 4, and the secret guards writes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from factories import FROZEN_NOW, rows, write
from uptake.workspace import Workspace

STRONG = "9f1c2e7a4b8d6053e1f7a9c2b4d6e8f0a1b3c5d7e9f2a4b6"
OTHER = "0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f"


def uptake(*args: str, secret: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("UPTAKE_WORKSPACE", "UPTAKE_SECRET")}
    env["COLUMNS"] = "200"
    if secret is not None:
        env["UPTAKE_SECRET"] = secret
    return subprocess.run(
        [sys.executable, "-m", "uptake", *args], capture_output=True, text=True, env=env
    )


@pytest.fixture
def ws_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace with a few events ingested, closed so a subprocess can open it."""
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    path = tmp_path / "ws"
    with Workspace.init(path) as ws:
        ws.ingest("events", [write(rows("events", 10), tmp_path / "e.csv")], now=FROZEN_NOW)
    return path


def _failed(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [ln.split()[1].rstrip(":") for ln in result.stdout.splitlines() if "FAIL" in ln]


def test_a_sound_workspace_exits_0(ws_path: Path) -> None:
    r = uptake("doctor", "--workspace", str(ws_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert not _failed(r)


def test_a_secret_readable_by_others_exits_4(ws_path: Path) -> None:
    (ws_path / "secret").chmod(0o644)
    r = uptake("doctor", "--workspace", str(ws_path))
    assert (r.returncode, _failed(r)) == (4, ["secret_permissions"])


def test_a_changed_secret_exits_4(ws_path: Path) -> None:
    r = uptake("doctor", "--workspace", str(ws_path), secret=OTHER)
    assert (r.returncode, _failed(r)) == (4, ["secret_matches"])


def test_orphan_keys_exit_4(ws_path: Path) -> None:
    con = duckdb.connect(str(next(ws_path.glob("*.duckdb"))))
    con.execute("DELETE FROM identities WHERE person_key IN (SELECT person_key FROM events)")
    con.close()
    r = uptake("doctor", "--workspace", str(ws_path))
    assert (r.returncode, _failed(r)) == (4, ["identities"])


def test_implausible_stored_dates_exit_4(ws_path: Path) -> None:
    con = duckdb.connect(str(next(ws_path.glob("*.duckdb"))))
    con.execute("UPDATE events SET ts = TIMESTAMP '0001-01-01 00:00:00' WHERE event_id = 'ev1'")
    con.close()
    r = uptake("doctor", "--workspace", str(ws_path))
    assert (r.returncode, _failed(r)) == (4, ["plausible_dates"])
    assert "1 in events.ts" in r.stdout


def test_ingest_under_another_secret_exits_2_and_writes_nothing(
    ws_path: Path, tmp_path: Path
) -> None:
    f = write(rows("events", 3, start=50), tmp_path / "more.csv")
    r = uptake("ingest", "events", str(f), "--workspace", str(ws_path), secret=OTHER)
    assert r.returncode == 2
    assert "differs from the one this workspace was keyed with" in r.stderr
    con = duckdb.connect(str(next(ws_path.glob("*.duckdb"))), read_only=True)
    assert con.execute("SELECT count(*) FROM ingest_log").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM events").fetchone() == (10,)
    con.close()


@pytest.mark.parametrize("weak", ["short-secret", "a" * 40, "abab" * 10, "passwordpassword" * 3])
def test_a_weak_secret_is_refused(tmp_path: Path, weak: str) -> None:
    r = uptake("init", str(tmp_path / "ws"), secret=weak)
    assert r.returncode == 2
    assert "UPTAKE_SECRET is too weak" in r.stderr
    assert not (tmp_path / "ws").exists()


def test_a_strong_secret_is_accepted(tmp_path: Path) -> None:
    r = uptake("init", str(tmp_path / "ok"), secret=STRONG)
    assert r.returncode == 0, r.stderr


def test_poorly_linked_people_warn_and_fail_only_when_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    path = tmp_path / "linked"
    # Tasks name person0..person6@example.org; the roster lists person0..4: 5 of 7 (71 %).
    with Workspace.init(path) as ws:
        ws.ingest("people", [write(rows("people", 5), tmp_path / "p.csv")], now=FROZEN_NOW)
        ws.ingest("tasks", [write(rows("tasks", 14), tmp_path / "t.csv")], now=FROZEN_NOW)
    r = uptake("doctor", "--workspace", str(path))
    assert (r.returncode, _failed(r)) == (0, [])
    [warn] = [ln for ln in r.stdout.splitlines() if ln.startswith("WARN")]
    assert warn.startswith("WARN  identity_coverage: tasks (csv): 71 % of 7 identities linked")
    assert "e-mail addresses at the roster's domain" in warn
    r = uptake("doctor", "--strict", "--workspace", str(path))
    assert (r.returncode, _failed(r)) == (4, [])
    r = uptake("doctor", "--json", "--workspace", str(path))
    checks = {c["check"]: c for c in json.loads(r.stdout)}
    # A warning is still ok (exit 0 without --strict); its status says it is a warning.
    assert (checks["identity_coverage"]["ok"], checks["identity_coverage"]["status"]) == (
        True,
        "warn",
    )
    assert (checks["schema"]["ok"], checks["schema"]["status"]) == (True, "ok")
    # A lower threshold from uptake.toml's [ingest] section accepts 71 %.
    r = subprocess.run(
        [sys.executable, "-m", "uptake", "doctor", "--strict", "--workspace", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "UPTAKE__INGEST__MIN_LINKED_SHARE": "0.7", "COLUMNS": "200"},
    )
    assert r.returncode == 0 and "WARN" not in r.stdout, r.stdout


def test_a_failed_check_exits_4_even_without_strict_beside_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    path = tmp_path / "both"
    with Workspace.init(path) as ws:  # no roster: a warning
        ws.ingest("tasks", [write(rows("tasks", 3), tmp_path / "t.csv")], now=FROZEN_NOW)
    (path / "secret").chmod(0o644)
    r = uptake("doctor", "--workspace", str(path))
    assert (r.returncode, _failed(r)) == (4, ["secret_permissions"])
    assert "WARN  identity_coverage: no roster: nothing can be linked" in r.stdout
