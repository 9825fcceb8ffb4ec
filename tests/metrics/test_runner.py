"""Running the metrics for a workspace: as-of default, engine choice, Spark parity."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from uptake.errors import InputError
from uptake.metrics.facts import refresh
from uptake.metrics.runner import AS_OF_LAST_ACTIVE, default_as_of
from uptake.workspace import Workspace

NOW = pd.Timestamp("2024-04-01T00:00:00Z").to_pydatetime()


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    monkeypatch.delenv("UPTAKE_WORKSPACE", raising=False)
    w = Workspace.init(tmp_path / "ws")
    people = [f"u{i}@example.com" for i in range(6)]
    w.ingest_frame(
        "people",
        pd.DataFrame({"person": people, "aliases": [[] for _ in people], "team": "t"}),
        source="p",
        now=NOW,
    )
    w.ingest_frame(
        "licenses",
        pd.DataFrame({"person": people, "tool": "copilot", "assigned_at": "2024-01-02T00:00:00Z"}),
        source="l",
        now=NOW,
    )
    events = pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(6)],
            "ts": [f"2024-03-{10 + i}T10:00:00Z" for i in range(6)],
            "person": people,
            "tool": "copilot",
            "action": "accept",
        }
    )
    w.ingest_frame("events", events, source="e", now=NOW)
    return w


def test_default_as_of_is_the_last_active_day(ws: Workspace) -> None:
    assert default_as_of(ws.engine()) == (date(2024, 3, 15), AS_OF_LAST_ACTIVE)
    report = ws.metrics()
    assert (report.as_of, report.as_of_rule) == (date(2024, 3, 15), AS_OF_LAST_ACTIVE)
    assert report["usage_rate"].values["active"] == 6


def test_unknown_engine_is_refused(ws: Workspace) -> None:
    with pytest.raises(InputError):
        ws.metrics(engine="pandas")


@pytest.mark.spark
@pytest.mark.slow
def test_spark_engine_gives_the_same_document(ws: Workspace) -> None:
    on_duckdb = ws.metrics(as_of=date(2024, 3, 31), by="team")
    on_spark = ws.metrics(as_of=date(2024, 3, 31), by="team", engine="spark")
    assert json.dumps(on_spark.to_dict(), sort_keys=True) == json.dumps(
        on_duckdb.to_dict(), sort_keys=True
    )


def test_ingesting_one_more_day_refreshes_only_its_week(ws: Workspace) -> None:
    engine = ws.engine()
    # Ingest left the facts current.
    assert refresh(engine, ws.settings.metrics).mode == "none"
    more = pd.DataFrame(
        {
            "event_id": ["n1", "n2"],
            "ts": ["2024-03-27T09:00:00Z", "2024-03-27T17:00:00Z"],
            "person": ["u0@example.com", "u1@example.com"],
            "tool": "copilot",
            "action": "prompt",
        }
    )
    ws.ingest_frame("events", more, source="day", now=NOW, refresh=False)
    report = refresh(engine, ws.settings.metrics)
    # The ingest log's min/max timestamps of the batch name one ISO week: 03-25.
    assert (report.mode, report.weeks) == ("incremental", [date(2024, 3, 25)])
