"""Ids, Arrow columns and the chunked Parquet/CSV writers."""

from __future__ import annotations

import csv
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from uptake.simulate.output import TableWriter, hex_ids, to_csv_table, ts_array, vocab


def test_hex_ids_are_unique_random_looking_and_stable() -> None:
    ids = hex_ids("evt_", 0, 200_000, 7).to_pylist()
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 20 and i.startswith("evt_") for i in ids[:100])
    assert all(c in "0123456789abcdef" for c in ids[0][4:])
    assert ids[:3] == hex_ids("evt_", 0, 3, 7).to_pylist()
    assert hex_ids("evt_", 0, 3, 8).to_pylist() != ids[:3]
    # Chunks continue the same sequence.
    assert hex_ids("evt_", 100, 5, 7).to_pylist() == ids[100:105]


def test_csv_form_of_timestamps_lists_and_dictionaries() -> None:
    t = pa.table(
        {
            "ts": ts_array(np.array([1_780_000_000_123, 0]), np.array([True, False])),
            "roles": pa.array([["a", "b"], None], type=pa.list_(pa.string())),
            "tool": vocab(["x", "y"], np.array([1, -1])),
        }
    )
    out = to_csv_table(t).to_pylist()
    assert out[0] == {"ts": "2026-05-28T20:26:40.123Z", "roles": '["a", "b"]', "tool": "y"}
    assert out[1] == {"ts": None, "roles": None, "tool": None}


def _table(n: int, start: int) -> pa.Table:
    return pa.table(
        {
            "workflow": pa.array([f"w.{i}" for i in range(start, start + n)]),
            "name": pa.array(["Name"] * n),
            "roles": pa.array([["r"]] * n, type=pa.list_(pa.string())),
            "stakes": vocab(["high", "low"], np.arange(n) % 2),
            "baseline_minutes": pa.array(np.full(n, 10.0)),
            "steps_before": pa.array(np.full(n, 3)),
            "steps_after": pa.array(np.full(n, 2)),
            "ai_mode": pa.array(["augment"] * n),
        }
    )


def test_writer_appends_chunks_in_order_as_plain_strings(tmp_path: Path) -> None:
    with ThreadPoolExecutor(1) as ex:
        pw = TableWriter(tmp_path, "workflows", "parquet", ex)
        cw = TableWriter(tmp_path, "workflows", "csv", ex)
        for k in range(3):
            pw.write(_table(4, 4 * k))
            cw.write(_table(4, 4 * k))
        pw.close()
        cw.close()
    back = pq.read_table(tmp_path / "workflows.parquet")
    assert back.column("stakes").type == pa.string()
    assert back.column("workflow").to_pylist() == [f"w.{i}" for i in range(12)]
    with (tmp_path / "workflows.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["workflow"] for r in rows] == [f"w.{i}" for i in range(12)]
    assert rows[0]["roles"] == '["r"]' and rows[1]["stakes"] == "low"
    assert pw.rows == cw.rows == 12


def test_empty_tables_still_get_a_schema_or_header(tmp_path: Path) -> None:
    with ThreadPoolExecutor(1) as ex:
        TableWriter(tmp_path, "decisions", "parquet", ex).close()
        TableWriter(tmp_path, "decisions", "csv", ex).close()
    assert pq.read_table(tmp_path / "decisions.parquet").num_rows == 0
    assert (tmp_path / "decisions.csv").read_text().startswith('"decision_id","ts"')
