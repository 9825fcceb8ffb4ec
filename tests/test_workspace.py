"""The Workspace owns state: ingest refreshes the facts, reads only read, one as-of rule."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from uptake.errors import ConfigError, StaleFactsError, WorkspaceError
from uptake.metrics.result import MetricsReport
from uptake.workspace import Workspace

NOW = pd.Timestamp("2024-04-01T00:00:00Z").to_pydatetime()
PEOPLE = [f"u{i}@example.com" for i in range(6)]


def _people(ws: Workspace, refresh: bool = True) -> None:
    frame = pd.DataFrame({"person": PEOPLE, "aliases": [[] for _ in PEOPLE], "team": "t"})
    ws.ingest_frame("people", frame, source="p", now=NOW, refresh=refresh)
    licenses = pd.DataFrame(
        {"person": PEOPLE, "tool": "copilot", "assigned_at": "2024-01-02T00:00:00Z"}
    )
    ws.ingest_frame("licenses", licenses, source="l", now=NOW, refresh=refresh)


def _events(ws: Workspace, days: range, refresh: bool = True) -> None:
    events = pd.DataFrame(
        {
            "event_id": [f"e{d}-{i}" for d in days for i in range(len(PEOPLE))],
            "ts": [f"2024-03-{d:02d}T10:00:00Z" for d in days for _ in PEOPLE],
            "person": [p for _ in days for p in PEOPLE],
            "tool": "copilot",
            "action": "accept",
        }
    )
    ws.ingest_frame("events", events, source=f"e{days.start}", now=NOW, refresh=refresh)


@pytest.fixture
def folder(workspace: Workspace) -> Path:
    """A workspace with a roster, licences and events on 1–15 March 2024, then closed."""
    _people(workspace)
    _events(workspace, range(1, 16))
    workspace.close()
    return workspace.path


def test_ingest_leaves_facts_current_and_a_read_only_reader_computes(folder: Path) -> None:
    with Workspace.open(folder, read_only=True) as ws:
        report = ws.metrics()
    assert isinstance(report, MetricsReport)
    assert report["usage_rate"].n == 6
    assert report["usage_rate"].values["active"] == 6


def test_two_readers_side_by_side_see_the_same_numbers(folder: Path) -> None:
    with (
        Workspace.open(folder, read_only=True) as a,
        Workspace.open(folder, read_only=True) as b,
    ):
        first, second = a.metrics(by="team"), b.metrics(by="team")
    assert first.to_dict() == second.to_dict()


def test_a_metric_read_writes_nothing(folder: Path) -> None:
    db = folder / "uptake.duckdb"
    before = db.read_bytes()
    with Workspace.open(folder) as ws:
        ws.metrics()
        ws.metrics(by="team")
    assert db.read_bytes() == before


def test_stale_facts_are_refused_until_refresh(folder: Path) -> None:
    with Workspace.open(folder) as ws:
        _events(ws, range(16, 20), refresh=False)
        with pytest.raises(StaleFactsError, match="out of date") as err:
            ws.metrics()
        assert err.value.hint and "uptake refresh" in err.value.hint
        report = ws.refresh()
        assert report.mode in ("incremental", "full")
        assert ws.metrics().as_of == date(2024, 3, 19)
        assert ws.refresh().mode == "none"


def test_one_as_of_rule_says_how_the_date_was_chosen(folder: Path) -> None:
    with Workspace.open(folder, read_only=True) as ws:
        day, rule = ws.default_as_of()
        report = ws.metrics()
        given = ws.metrics(as_of=date(2024, 3, 10))
    assert (day, report.as_of) == (date(2024, 3, 15), date(2024, 3, 15))
    assert rule == report.as_of_rule == "the last day with activity"
    assert report.to_dict()["as_of_rule"] == "the last day with activity"
    assert given.as_of_rule == "given"


def test_an_empty_workspace_reads_as_of_today(workspace: Workspace) -> None:
    _, rule = workspace.default_as_of()
    assert rule.startswith("today")
    report = workspace.metrics()
    assert not report["usage_rate"].available


def test_the_report_carries_the_configured_currency(tmp_path: Path, folder: Path) -> None:
    (folder / "uptake.toml").write_text('[metrics]\ncurrency = "EUR"\n')
    with Workspace.open(folder, read_only=True) as ws:
        assert ws.metrics().currency == "EUR"


def test_read_only_workspace_refuses_writes_in_words(folder: Path) -> None:
    with Workspace.open(folder, read_only=True) as ws:
        with pytest.raises(WorkspaceError, match="read-only"):
            _events(ws, range(20, 21))
        with pytest.raises(WorkspaceError, match="read-only"):
            ws.refresh()


STRONG_OTHER = "5d41402abc4b2a76b9719d911017c592e0c1a2b3c4d5e6f7"


def test_writing_under_another_secret_is_refused_before_anything_is_written(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    _people(workspace)
    before = workspace.status()["tables"]
    workspace.close()
    monkeypatch.setenv("UPTAKE_SECRET", STRONG_OTHER)
    ws = Workspace.open(workspace.path)
    with pytest.raises(WorkspaceError, match="differs from the one this workspace was keyed"):
        _events(ws, range(3))
    with pytest.raises(WorkspaceError, match="differs"):
        ws.ingest("events", [workspace.path / "nothing.csv"])
    assert ws.status()["tables"] == before
    ws.close()


@pytest.mark.parametrize("weak", ["tiny", "x" * 64, "0123" * 12])
def test_a_weak_secret_from_the_environment_is_refused(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, weak: str
) -> None:
    workspace.close()
    monkeypatch.setenv("UPTAKE_SECRET", weak)
    ws = Workspace.open(workspace.path)
    with pytest.raises(WorkspaceError, match="too weak"):
        ws.pseudonymise("someone@example.org")
    ws.close()


def test_init_with_a_refused_setting_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPTAKE__ENGINE__DUCKDB_MEMORY_LIMIT", "lots")
    with pytest.raises(ConfigError, match="duckdb_memory_limit"):
        Workspace.init(tmp_path / "ws")
    with pytest.raises(ConfigError, match="min_group_size"):
        Workspace.init(tmp_path / "ws", {"privacy.min_group_size": 2})
    assert not (tmp_path / "ws").exists()
    # An uptake.toml already in the folder is the one checked, and is left as it was.
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "uptake.toml").write_text("[privacy]\nmin_group_size = 1\n")
    monkeypatch.delenv("UPTAKE__ENGINE__DUCKDB_MEMORY_LIMIT")
    with pytest.raises(ConfigError, match="min_group_size"):
        Workspace.init(tmp_path / "ws")
    assert sorted(p.name for p in (tmp_path / "ws").iterdir()) == ["uptake.toml"]
