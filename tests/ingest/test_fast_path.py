"""New rows take the short path (no decided copy); its outcome must match the full decision."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from factories import FROZEN_NOW, rows, write
from uptake.errors import InputError
from uptake.ingest import pipeline
from uptake.workspace import Workspace


def _events(n: int, start: int, attrs: bool) -> list[dict[str, Any]]:
    out = rows("events", n, start)
    if not attrs:
        # Without JSON cells the typed rows stay a view; with them they are a table.
        out = [{k: v for k, v in r.items() if k != "attrs"} for r in out]
    return out


def _stored(ws: Workspace) -> list[tuple[Any, ...]]:
    return ws.con.execute(
        "SELECT event_id, ts, person_key, action, duration_ms, batch_id FROM events "
        "ORDER BY event_id"
    ).fetchall()


@pytest.mark.parametrize("attrs", [False, True])
def test_bad_rows_among_new_ones_are_quarantined(
    workspace: Workspace, tmp_path: Path, attrs: bool
) -> None:
    data = _events(5, 0, attrs)
    data[1]["ts"] = "not a time"
    data[3]["duration_ms"] = -5
    [r] = workspace.ingest("events", [write(data, tmp_path / "e.csv")], now=FROZEN_NOW)
    assert (r.rows, r.accepted, r.duplicates, r.quarantined) == (5, 3, 0, 2)
    assert r.by_reason == {"bad_timestamp": 1, "bad_value": 1}
    got = [(q["locator"], q["reason"], q["field"]) for q in workspace.quarantine(batch=r.batch)]
    assert sorted(got) == [
        ("e.csv:line 3", "bad_timestamp", "ts"),
        ("e.csv:line 5", "bad_value", "duration_ms"),
    ]
    assert [s[0] for s in _stored(workspace)] == ["ev0", "ev2", "ev4"]
    span = workspace.con.execute(
        "SELECT min_ts, max_ts FROM ingest_log WHERE batch_id = ?", [r.batch]
    ).fetchone()
    assert span == (_stored(workspace)[0][1], _stored(workspace)[-1][1])


@pytest.mark.parametrize("attrs", [False, True])
def test_one_stored_key_among_new_ones_is_still_found(
    workspace: Workspace, tmp_path: Path, attrs: bool
) -> None:
    workspace.ingest("events", [write(_events(3, 0, attrs), tmp_path / "a.csv")], now=FROZEN_NOW)
    changed = _events(4, 2, attrs)
    changed[1]["action"] = "reject"  # ev3 is new: no conflict
    [mixed] = workspace.ingest("events", [write(changed, tmp_path / "b.csv")], now=FROZEN_NOW)
    assert (mixed.accepted, mixed.duplicates, mixed.quarantined) == (3, 1, 0)
    clash = _events(1, 0, attrs)
    clash[0]["action"] = "reject"
    [c] = workspace.ingest(
        "events",
        [write(clash + _events(2, 10, attrs), tmp_path / "c.csv")],
        now=FROZEN_NOW,
    )
    assert (c.accepted, c.duplicates, c.by_reason) == (2, 0, {"conflict": 1})
    [only_new] = workspace.ingest(
        "events", [write(_events(2, 20, attrs), tmp_path / "d.csv")], now=FROZEN_NOW
    )
    assert (only_new.accepted, only_new.duplicates, only_new.quarantined) == (2, 0, 0)
    ids = [s[0] for s in _stored(workspace)]
    assert ids == sorted(["ev0", "ev1", "ev2", "ev3", "ev4", "ev5", "ev10", "ev11", "ev20", "ev21"])


@pytest.mark.parametrize(
    ("name", "locator"),
    [("r.jsonl", "r.jsonl:line 5"), ("r.csv", "r.csv:line 6"), ("r.parquet", "r.parquet:row 5")],
)
def test_repeated_key_in_a_new_file_is_decided(
    workspace: Workspace, tmp_path: Path, name: str, locator: str
) -> None:
    # A CSV is first staged without record numbers: the repeat must still be found and
    # located once it is numbered.
    data = _events(3, 0, attrs=False)
    data.append(dict(data[0]))
    data.append(dict(data[1], action="reject"))
    [r] = workspace.ingest("events", [write(data, tmp_path / name)], now=FROZEN_NOW)
    assert (r.accepted, r.duplicates, r.by_reason) == (3, 1, {"conflict": 1})
    [q] = workspace.quarantine(batch=r.batch)
    assert q["locator"] == locator


def test_bad_rows_deep_in_a_large_csv_are_located(workspace: Workspace, tmp_path: Path) -> None:
    # Large enough for DuckDB to read the file in parallel: record numbers must still be
    # the records' places in the file.
    n = 150_000
    lines = ["event_id,ts,person,tool,action"]
    for i in range(n):
        ts = "not a time" if i in (7, 99_998, n - 1) else f"2026-05-{1 + i % 28:02d}T10:00:00Z"
        lines.append(f"ev{i},{ts},user{i % 50}@corp.example,github-copilot,prompt")
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    [r] = workspace.ingest("events", [path], now=FROZEN_NOW, refresh=False)
    assert (r.rows, r.accepted, r.quarantined) == (n, n - 3, 3)
    got = sorted(q["locator"] for q in workspace.quarantine(batch=r.batch))
    assert got == sorted(f"big.csv:line {i + 2}" for i in (7, 99_998, n - 1))
    [(stored,)] = workspace.con.execute("SELECT count(*) FROM events").fetchall()
    assert stored == n - 3


@pytest.mark.parametrize("ordered", [True, False])
def test_bad_lines_deep_in_a_large_jsonl_are_located(
    workspace: Workspace, tmp_path: Path, ordered: bool
) -> None:
    # Read in parallel and numbered by each line's place in the table DuckDB wrote: the
    # numbers must be the lines' places in the file, whatever the session's insertion order.
    n = 150_000
    broken, bad_ts = (5, 120_001), (7, 99_998, n - 1)
    lines = []
    for i in range(n):
        if i in broken:
            lines.append(f'{{"event_id": "ev{i}", "ts": ')
            continue
        ts = "not a time" if i in bad_ts else f"2026-05-{1 + i % 28:02d}T10:00:00Z"
        lines.append(
            f'{{"event_id": "ev{i}", "ts": "{ts}", "person": "user{i % 50}@corp.example", '
            f'"tool": "github-copilot", "action": "prompt", "note": "{"x" * (i % 97)}"}}'
        )
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(lines) + "\n")
    if not ordered:
        workspace.con.execute("SET preserve_insertion_order = false")
    [r] = workspace.ingest("events", [path], now=FROZEN_NOW, refresh=False)
    assert (r.rows, r.accepted, r.quarantined) == (n, n - 5, 5)
    got = sorted((q["locator"], q["reason"]) for q in workspace.quarantine(batch=r.batch))
    assert got == sorted(
        [(f"big.jsonl:line {i + 1}", "malformed_record") for i in broken]
        + [(f"big.jsonl:line {i + 1}", "bad_timestamp") for i in bad_ts]
    )
    [(stored,)] = workspace.con.execute("SELECT count(*) FROM events").fetchall()
    assert stored == n - 5


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_file_replaced_during_ingest_stores_nothing(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    # Parquet and CSV are staged as views that the write reads again: a file swapped in
    # between would put unvalidated rows in the warehouse.
    path = write(_events(3, 0, attrs=False), tmp_path / f"e.{suffix}")
    swap = tmp_path / f"swap.{suffix}"
    bad = _events(3, 0, attrs=False)
    bad[0]["ts"] = "not a time"
    write(bad, swap)
    real = pipeline.load

    def load_then_swap(*args: Any, **kwargs: Any) -> Any:
        loaded = real(*args, **kwargs)
        os.replace(swap, path)
        return loaded

    monkeypatch.setattr(pipeline, "load", load_then_swap)
    with pytest.raises(InputError, match="changed while it was being ingested"):
        workspace.ingest("events", [path], now=FROZEN_NOW)
    assert workspace.con.execute("SELECT count(*) FROM events").fetchone() == (0,)
