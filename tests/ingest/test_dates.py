"""Implausible dates, offsets and negative amounts are quarantined, never stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factories import FROZEN_NOW, rows, write
from uptake.errors import ConfigError
from uptake.workspace import Workspace


def _events_with(tmp_path: Path, field: str, values: list[object], suffix: str = "jsonl") -> Path:
    records = rows("events", len(values))
    for r, v in zip(records, values, strict=True):
        r[field] = v
    return write(records, tmp_path / f"e.{suffix}")


def _reasons(ws: Workspace) -> dict[str, str]:
    return {q["locator"]: q["reason"] for q in ws.quarantine()}


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_offsets_outside_the_real_range_are_bad_timestamps(
    workspace: Workspace, tmp_path: Path, suffix: str
) -> None:
    stamps = [
        "2026-03-02T10:00:00+25:00",
        "2026-03-02T10:00:00+05:30:45",
        "2026-03-02T10:00:00-15:00",
        "2026-03-02T10:00:00+14:30",
        "2026-03-02T10:00:00+05:30",
        "2026-03-02T10:00:00-12:00",
        "2026-03-02T10:00:00+1400",
    ]
    f = _events_with(tmp_path, "ts", stamps, suffix)
    [r] = workspace.ingest("events", [f], now=FROZEN_NOW, refresh=False)
    assert (r.accepted, r.quarantined) == (3, 4)
    line = 2 if suffix == "csv" else 1
    assert _reasons(workspace) == {f"e.{suffix}:line {line + i}": "bad_timestamp" for i in range(4)}
    got = workspace.con.execute("SELECT CAST(ts AS VARCHAR) FROM events ORDER BY ts").fetchall()
    assert got == [
        ("2026-03-01 20:00:00",),
        ("2026-03-02 04:30:00",),
        ("2026-03-02 22:00:00",),
    ]


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_dates_given_a_timestamp_with_a_bad_offset_are_bad_dates(
    workspace: Workspace, tmp_path: Path, suffix: str
) -> None:
    """A date column takes a timestamp's calendar day as written, if its offset is a real one."""
    bad = [
        "2024-03-01T09:00:00+25:00",
        "2024-03-01T09:00:00+05:30:45",
        "2024-03-01T09:00:00-15:00",
        "2024-03-01T09:00:00+14:30",
        "2024-03-01 09:00:00+99",
    ]
    good = [
        "2024-03-01",
        "2024-03-01T00:30:00+02:00",  # 29 February in UTC: the day written is kept
        "2024-03-01T23:30:00-05:00",  # 2 March in UTC
        "2024-03-01T09:00:00Z",
        "2024-03-01T09:00:00+1400",
        "2024-03-01 09:00:00",
    ]
    people = rows("people", len(bad) + len(good))
    for r, v in zip(people, bad + good, strict=True):
        r["hire_date"] = v
    [r] = workspace.ingest("people", [write(people, tmp_path / f"p.{suffix}")], now=FROZEN_NOW)
    assert (r.rows, r.accepted, r.by_reason) == (11, 6, {"bad_date": 5})
    line = 2 if suffix == "csv" else 1
    assert _reasons(workspace) == {f"p.{suffix}:line {line + i}": "bad_date" for i in range(5)}
    got = workspace.con.execute("SELECT DISTINCT CAST(hire_date AS VARCHAR) FROM people")
    assert got.fetchall() == [("2024-03-01",)]
    details = [q["detail"] for q in workspace.quarantine()]
    assert all(d.startswith("field hire_date: not an ISO 8601 date") for d in details)


def test_offsets_are_checked_with_a_local_naive_zone(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws", {"ingest.naive_timezone": "Europe/Lisbon"})
    f = _events_with(tmp_path, "ts", ["2026-03-02T10:00:00+25:00", "2026-03-02T10:00:00"])
    [r] = ws.ingest("events", [f], now=FROZEN_NOW, refresh=False)
    assert (r.accepted, r.quarantined, r.by_reason) == (1, 1, {"bad_timestamp": 1})
    ws.close()


@pytest.mark.parametrize(
    ("ts", "reason"),
    [
        ("0000-03-02T10:00:00Z", "out_of_range"),
        ("-0001-03-02T10:00:00Z", "out_of_range"),
        ("1949-12-31T23:59:59Z", "out_of_range"),
        ("1950-01-01T00:00:00Z", None),
    ],
)
def test_implausible_years_are_quarantined(
    workspace: Workspace, tmp_path: Path, ts: str, reason: str | None
) -> None:
    f = _events_with(tmp_path, "ts", [ts, "2026-03-02T10:00:00Z"])
    [r] = workspace.ingest("events", [f], now=FROZEN_NOW)
    assert r.by_reason == ({reason: 1} if reason else {})
    workspace.metrics()
    assert all(c["ok"] for c in workspace.doctor())


def test_dates_and_planned_timestamps_beyond_latest_date(
    workspace: Workspace, tmp_path: Path
) -> None:
    people = rows("people", 3)
    people[0]["hire_date"] = "0001-01-01"
    people[1]["hire_date"] = "10000-01-01"
    [r] = workspace.ingest("people", [write(people, tmp_path / "p.csv")], now=FROZEN_NOW)
    assert (r.accepted, r.by_reason) == (1, {"out_of_range": 2})
    lic = rows("licenses", 2)
    lic[0]["removed_at"] = "9999-12-31T00:00:00Z"
    [r] = workspace.ingest("licenses", [write(lic, tmp_path / "l.csv")], now=FROZEN_NOW)
    assert (r.accepted, r.by_reason) == (1, {"out_of_range": 1})


def test_plausible_range_is_configurable(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws", {"ingest.earliest_date": "2026-03-02"})
    f = _events_with(tmp_path, "ts", ["2026-03-01T23:00:00Z", "2026-03-02T00:00:00Z"])
    [r] = ws.ingest("events", [f], now=FROZEN_NOW, refresh=False)
    assert (r.accepted, r.by_reason) == (1, {"out_of_range": 1})
    ws.close()
    with pytest.raises(ConfigError, match="earliest_date"):
        Workspace.init(tmp_path / "ws2", {"ingest.latest_date": "1900-01-01"})
    with pytest.raises(ConfigError, match="not a date"):
        Workspace.init(tmp_path / "ws3", {"ingest.earliest_date": "last year"})


def test_negative_durations_and_minutes(workspace: Workspace, tmp_path: Path) -> None:
    f = _events_with(tmp_path, "duration_ms", [-1, 0, 5], "csv")
    [r] = workspace.ingest("events", [f], now=FROZEN_NOW, refresh=False)
    assert (r.accepted, r.by_reason) == (2, {"bad_value": 1})
    tasks = rows("tasks", 3)
    tasks[2]["minutes"] = -0.5
    [r] = workspace.ingest("tasks", [write(tasks, tmp_path / "t.csv")], now=FROZEN_NOW)
    assert (r.accepted, r.by_reason) == (2, {"bad_value": 1})
    [q] = [q for q in workspace.quarantine() if q["reason"] == "bad_value"][:1]
    assert q["field"] in ("duration_ms", "minutes")


def test_a_negative_quantity_is_refused(workspace: Workspace, tmp_path: Path) -> None:
    # A daily total of -3 prompts is a broken export; 0 is a real (empty) total.
    f = _events_with(tmp_path, "quantity", [-3, 0, 7], "csv")
    [r] = workspace.ingest("events", [f], now=FROZEN_NOW, refresh=False)
    assert (r.accepted, r.by_reason) == (2, {"bad_value": 1})


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    year=st.integers(-9999, 12000),
    offset_h=st.integers(-30, 30),
    offset_m=st.sampled_from([0, 30, 45, 61]),
)
def test_stored_timestamps_are_always_plausible(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    year: int,
    offset_h: int,
    offset_m: int,
) -> None:
    """Whatever year and offset arrive, a stored timestamp is inside the plausible range."""
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    tmp = tmp_path_factory.mktemp("dates")
    sign = "-" if offset_h < 0 else "+"
    y = f"-{abs(year):04d}" if year < 0 else f"{year:04d}"
    ts = f"{y}-03-02T10:00:00{sign}{abs(offset_h):02d}:{offset_m:02d}"
    record = dict(rows("events", 1)[0], ts=ts)
    f = tmp / "e.jsonl"
    f.write_text(json.dumps(record) + "\n", encoding="utf-8")
    with Workspace.init(tmp / "ws") as ws:
        [r] = ws.ingest("events", [f], now=FROZEN_NOW, refresh=False)
        assert r.accepted + r.quarantined == 1
        valid_offset = (abs(offset_h) < 14 and offset_m < 60) or (abs(offset_h), offset_m) == (
            14,
            0,
        )
        stored = ws.con.execute("SELECT ts FROM events").fetchall()
        if r.accepted:
            assert 1950 <= year <= 2026 and valid_offset
            assert 1949 <= stored[0][0].year <= 2026
        else:
            assert not stored
            assert r.by_reason.keys() <= {"bad_timestamp", "out_of_range", "future_timestamp"}
