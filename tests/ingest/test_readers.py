"""Readers: which files are copied once or staged on trust, storing what exact readers store."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from factories import FROZEN_NOW, rows, write
from uptake.errors import InputError
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


# -- CSV staged on trust ---------------------------------------------------------------------


def _csv_lines(n: int = 12, attrs: bool = False) -> list[str]:
    """A header and `n` event records as CSV lines (no attrs column unless asked)."""
    data = [{k: v for k, v in r.items() if attrs or k != "attrs"} for r in rows("events", n)]
    buffer = io.StringIO()
    pd.DataFrame(
        [{k: json.dumps(v) if isinstance(v, dict) else v for k, v in r.items()} for r in data]
    ).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().splitlines()


def _edit(i: int, old: str, new: str) -> Callable[[], bytes]:
    def make() -> bytes:
        out = _csv_lines()
        out[i] = out[i].replace(old, new, 1)
        return ("\n".join(out) + "\n").encode()

    return make


def _joined(lines: list[str], end: str = "\n", tail: str = "\n") -> bytes:
    return (end.join(lines) + tail).encode()


def _not_utf8(column: int, extra: bool = False) -> Callable[[], bytes]:
    # With `extra`, the file has a column no table knows (DuckDB does not read it).
    def make() -> bytes:
        lines = _csv_lines()
        if extra:
            lines = [f"{lines[0]},note", *(f"{line},ok" for line in lines[1:])]
        out = [line.encode() for line in lines]
        cells = out[5].split(b",")
        cells[column] = cells[column] + b"\xff"
        out[5] = b",".join(cells)
        return b"\n".join(out) + b"\n"

    return make


def _renamed() -> bytes:
    head, *body = _csv_lines()
    return _joined([head.replace("person", "who"), *body])


def _repeated_ids() -> bytes:
    out = _csv_lines()
    return _joined([*out, out[1], out[2].replace("copilot", "chatgpt", 1)])


# Each case: the file's bytes, the mapping, which reader keeps the file when every one may
# (`trust`: the typed copy is the one parse, its count checked; `counted`: DuckDB's count
# matched the lines first; `strict`: Python's CSV reader, line by line) and how many records
# are quarantined.
CSV_CASES: dict[str, tuple[Callable[[], bytes], dict[str, str], str, int]] = {
    "clean": (lambda: _joined(_csv_lines()), {}, "trust", 0),
    "no newline at the end": (lambda: _joined(_csv_lines(), tail=""), {}, "trust", 0),
    "CRLF line ends": (lambda: _joined(_csv_lines(), end="\r\n", tail="\r\n"), {}, "trust", 0),
    "a bad timestamp": (_edit(3, "2026-", "never-"), {}, "trust", 1),
    "an unknown action": (_edit(4, ",prompt,", ",dance,"), {}, "trust", 1),
    # Rows that held are numbered by line when a repeated id must be located.
    "a repeated id": (_repeated_ids, {}, "trust", 1),
    "a renamed column": (_renamed, {"person": "who"}, "trust", 0),
    "a JSON column": (lambda: _joined(_csv_lines(attrs=True)), {}, "counted", 0),
    "a blank line": (lambda: _joined([*_csv_lines()[:6], "", *_csv_lines()[6:]]), {}, "strict", 0),
    "a stray quote": (_edit(5, ",", ',"'), {}, "strict", 1),
    "a quoted field over two lines": (_edit(5, ",", ',"a\nb",'), {}, "strict", 1),
    "an extra field": (_edit(7, ",", ",x,"), {}, "strict", 1),
    "a missing field": (_edit(7, ",word,", ","), {}, "strict", 1),
    "bytes not UTF-8 in a read column": (_not_utf8(3), {}, "strict", 1),
    "bytes not UTF-8 in an unknown column": (_not_utf8(-1, extra=True), {}, "strict", 1),
}


@pytest.mark.parametrize("case", list(CSV_CASES))
def test_a_csv_stores_what_the_strict_reader_stores(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each file is ingested with every reader allowed, then with the strict reader alone:
    # the faster readers keep a file only when they store exactly the same.
    import uptake.ingest.readers as readers

    make, mapping, expected, bad = CSV_CASES[case]
    data = make()
    trust, counted, strict = readers._on_trust, readers.count_staged, readers._load_csv_strict
    taken: list[str] = []
    kept = ""

    def track(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            taken.append(name)
            return fn(*args)

        return run

    results = []
    for allowed in (True, False):
        if allowed:
            monkeypatch.setattr(readers, "_on_trust", track("trust", trust))
            monkeypatch.setattr(readers, "count_staged", track("counted", counted))
            monkeypatch.setattr(readers, "_load_csv_strict", track("strict", strict))
        else:
            monkeypatch.setattr(readers, "_trustable", lambda *a: False)
            monkeypatch.setattr(readers, "_scan", lambda p: (0, False))
        path = tmp_path / ("all" if allowed else "strict") / "events.csv"
        path.parent.mkdir()
        path.write_bytes(data)
        ws = Workspace.init(tmp_path / f"ws_{allowed}")
        try:
            [r] = ws.ingest("events", [path], mapping=mapping, now=FROZEN_NOW)
            stored = ws.con.execute(
                "SELECT * EXCLUDE (person_key, batch_id) FROM events ORDER BY ALL"
            ).fetchall()
            quarantined = sorted(
                (q["locator"], q["reason"], q["field"]) for q in ws.quarantine(batch=r.batch)
            )
            results.append((r.rows, r.accepted, r.quarantined, stored, quarantined))
        except InputError as exc:
            results.append(str(exc).replace(str(path), "events.csv"))
        finally:
            ws.close()
        # The reader that kept the file is the last one tried.
        kept = taken[-1] if allowed else kept
    assert kept == expected, taken
    assert results[0] == results[1]
    assert results[0][3], "nothing was stored"
    assert results[0][2] == bad
    print(case, results[0][:3], results[0][4])
