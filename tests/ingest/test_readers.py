"""Readers: which staged files have their typed rows copied once, with the same outcome."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from factories import FROZEN_NOW, rows, write
from uptake.ingest.readers import load
from uptake.ingest.staging import drop_stage
from uptake.schema.tables import table
from uptake.workspace import Workspace


def _parquet(records: list[dict[str, Any]], path: Path, group: int) -> Path:
    cleaned = [{k: v for k, v in r.items() if k != "attrs"} for r in records]
    pq.write_table(pa.Table.from_pylist(cleaned), path, row_group_size=group)
    return path


@pytest.mark.parametrize(("group", "copied"), [(1000, True), (5, False)])
def test_a_parquet_file_with_fewer_row_groups_than_threads_is_copied(
    tmp_path: Path, group: int, copied: bool
) -> None:
    path = _parquet(rows("events", 20), tmp_path / "e.parquet", group)
    con = duckdb.connect()
    con.execute("SET threads = 2")
    loaded = load(con, path, "parquet", table("events"), {})
    assert (loaded.rows, loaded.copy_typed) == (20, copied)
    drop_stage(con)


def test_a_csv_view_is_copied_and_a_strictly_read_csv_is_not(tmp_path: Path) -> None:
    # Each pass over a CSV view parses the file again; the strict reader stages a table.
    con = duckdb.connect()
    path = write(rows("events", 5), tmp_path / "e.csv")
    loaded = load(con, path, "csv", table("events"), {})
    assert (loaded.rows, loaded.view, loaded.copy_typed) == (5, True, True)
    text = path.read_text(encoding="utf-8").splitlines()
    text[2] = text[2].replace(",", ',"', 1)
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    loaded = load(con, path, "csv", table("events"), {})
    assert (loaded.view, loaded.copy_typed, len(loaded.malformed.locators)) == (False, False, 1)
    drop_stage(con)


def test_one_row_group_or_many_store_the_same_rows(tmp_path: Path) -> None:
    data = rows("events", 30)
    data[4]["ts"] = "not a time"
    data[11]["duration_ms"] = -3
    data[20]["action"] = "dance"
    outcomes = []
    for group in (1000, 4):
        ws = Workspace.init(tmp_path / f"ws{group}")
        ws.con.execute("SET threads = 2")
        path = _parquet(data, tmp_path / f"e{group}.parquet", group)
        [r] = ws.ingest("events", [path], now=FROZEN_NOW)
        stored = ws.con.execute(
            "SELECT event_id, ts, tool, action, surface, duration_ms, value FROM events "
            "ORDER BY event_id"
        ).fetchall()
        bad = sorted(
            (q["locator"].split(":", 1)[1], q["reason"], q["field"])
            for q in ws.quarantine(batch=r.batch)
        )
        outcomes.append(((r.rows, r.accepted, r.quarantined), stored, bad))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == (30, 27, 3)
    assert outcomes[0][2] == [
        ("row 12", "bad_value", "duration_ms"),
        ("row 21", "bad_enum", "action"),
        ("row 5", "bad_timestamp", "ts"),
    ]
