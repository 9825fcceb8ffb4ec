"""The JSON Lines reader: one parse per line, and the file's keys read off its values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from factories import FROZEN_NOW, rows, write
from uptake.errors import InputError
from uptake.workspace import Workspace


def _ingest(ws: Workspace, path: Path, mapping: dict[str, str] | None = None) -> Any:
    [r] = ws.ingest("events", [path], mapping=mapping, now=FROZEN_NOW)
    return r


def _reasons(ws: Workspace, batch: int) -> dict[str, tuple[str, str]]:
    return {q["locator"]: (q["reason"], q["field"]) for q in ws.quarantine(batch=batch)}


def _temp_tables(ws: Workspace) -> set[str]:
    found = ws.con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()
    return {r[0] for r in found}


def test_a_key_whose_every_value_is_null_is_a_column_not_a_missing_one(
    workspace: Workspace, tmp_path: Path
) -> None:
    # The reader sees which keys a file uses from the values it extracted; a key given only
    # as null has none, yet the file has it: its rows fail the required check one by one.
    data = rows("events", 3)
    for r in data:
        r["person"] = None
    r = _ingest(workspace, write(data, tmp_path / "nulls.jsonl"))
    assert (r.rows, r.accepted, r.quarantined) == (3, 0, 3)
    assert {reason for reason, _ in _reasons(workspace, r.batch).values()} == {"missing_required"}
    assert {field for _, field in _reasons(workspace, r.batch).values()} == {"person"}


def test_a_missing_required_key_names_every_key_the_file_has(
    workspace: Workspace, tmp_path: Path
) -> None:
    data = [{k: v for k, v in r.items() if k != "ts"} for r in rows("events", 2)]
    data[1]["when_seen"] = "x"
    with pytest.raises(InputError) as err:
        _ingest(workspace, write(data, tmp_path / "no_ts.jsonl"))
    message = str(err.value)
    assert "missing required column(s) ts" in message
    # Keys outside the table are not extracted, but the message lists them all.
    assert "when_seen" in message and "person" in message


def test_a_mapped_key_is_found_even_when_only_null(workspace: Workspace, tmp_path: Path) -> None:
    data = [{("who" if k == "person" else k): v for k, v in r.items()} for r in rows("events", 3)]
    data[1]["who"] = None
    r = _ingest(workspace, write(data, tmp_path / "who.jsonl"), {"person": "who"})
    assert (r.rows, r.accepted, r.quarantined) == (3, 2, 1)
    assert _reasons(workspace, r.batch) == {"who.jsonl:line 2": ("missing_required", "person")}
    for row in data:
        row["who"] = None
    r = _ingest(workspace, write(data, tmp_path / "who_nulls.jsonl"), {"person": "who"})
    assert (r.rows, r.accepted, r.quarantined) == (3, 0, 3)
    with pytest.raises(InputError, match="the file has no column 'whom'"):
        _ingest(workspace, write(data, tmp_path / "whom.jsonl"), {"person": "whom"})


def test_every_kind_of_line_is_accounted_for_in_one_file(
    workspace: Workspace, tmp_path: Path
) -> None:
    good = [json.dumps(r) for r in rows("events", 4)]
    lines = [good[0], "[1, 2]", good[1], '{"event_id": ', "", "42", good[2], "  ", good[3]]
    f = tmp_path / "mixed.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = _ingest(workspace, f)
    assert (r.rows, r.accepted, r.quarantined) == (7, 4, 3)
    assert _reasons(workspace, r.batch) == {
        "mixed.jsonl:line 2": ("malformed_record", None),
        "mixed.jsonl:line 4": ("malformed_record", None),
        "mixed.jsonl:line 6": ("malformed_record", None),
    }
    stored = workspace.con.execute("SELECT event_id FROM events ORDER BY event_id").fetchall()
    assert [s[0] for s in stored] == [r["event_id"] for r in rows("events", 4)]
    # The parsed lines live only as long as the file's ingest.
    assert not {"_stage_lines", "_stage_src"} & _temp_tables(workspace)


def test_a_bare_carriage_return_falls_back_to_exact_lines(
    workspace: Workspace, tmp_path: Path
) -> None:
    # DuckDB ends a line at a lone CR, the reported line numbers do not: the exact reader
    # keeps the two in step.
    a, b, c = (json.dumps(r) for r in rows("events", 3))
    f = tmp_path / "cr.jsonl"
    f.write_bytes(f"{a}\n{b}\r{c}\n".encode())
    r = _ingest(workspace, f)
    assert (r.rows, r.accepted, r.quarantined) == (2, 1, 1)
    assert _reasons(workspace, r.batch) == {"cr.jsonl:line 2": ("malformed_record", None)}


def test_a_json_array_of_objects_is_read_like_lines(workspace: Workspace, tmp_path: Path) -> None:
    data: list[Any] = rows("events", 3)
    data.insert(1, "not an object")
    data[3]["ts"] = "never"
    f = tmp_path / "array.json"
    f.write_text(json.dumps(data, indent=2), encoding="utf-8")
    r = _ingest(workspace, f)
    assert (r.rows, r.accepted, r.quarantined) == (4, 2, 2)
    assert _reasons(workspace, r.batch) == {
        "array.json:line 2": ("malformed_record", None),
        "array.json:line 4": ("bad_timestamp", "ts"),
    }


def test_garbage_lines_that_look_like_an_array_are_quarantined_not_refused(
    workspace: Workspace, tmp_path: Path
) -> None:
    # Found by the property test: no line is an object and the first starts with "[", so the
    # file was taken for a JSON array document and refused whole.
    text = '[ not json\nx\n{"half": \n'
    lines = tmp_path / "garbage.jsonl"
    lines.write_text(text, encoding="utf-8")
    r = _ingest(workspace, lines)
    assert (r.rows, r.accepted, r.quarantined) == (3, 0, 3)
    assert set(_reasons(workspace, r.batch)) == {f"garbage.jsonl:line {i}" for i in (1, 2, 3)}
    # A `.json` file is one document: one that is not valid JSON is still refused, and says why.
    document = tmp_path / "garbage.json"
    document.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON"):
        workspace.ingest("events", [document], now=FROZEN_NOW, refresh=False)


def test_stored_values_are_the_lines_values(workspace: Workspace, tmp_path: Path) -> None:
    data = rows("events", 20)
    data[5]["duration_ms"] = -1
    data[7]["attrs"] = {"nested": {"k": [1, 2]}, "n": 1.5}
    data[9]["surface"] = 'excel, "quoted" \u00e9'
    r = _ingest(workspace, write(data, tmp_path / "a.jsonl"))
    assert (r.accepted, r.quarantined) == (19, 1)
    got = workspace.con.execute(
        "SELECT event_id, action, surface, duration_ms, attrs FROM events ORDER BY event_id"
    ).fetchall()
    want = sorted(
        (d["event_id"], d["action"], d["surface"], d["duration_ms"], d.get("attrs"))
        for d in data
        if d["duration_ms"] >= 0
    )
    assert [g[:4] for g in got] == [w[:4] for w in want]
    assert [json.loads(g[4]) if g[4] else None for g in got] == [w[4] for w in want]


def _events(n: int = 4, *, attrs: bool = False) -> list[dict[str, Any]]:
    out = rows("events", n)
    for r in out if not attrs else ():
        del r["attrs"]
    return out


def _good(*, attrs: bool = False) -> list[str]:
    return [json.dumps(r) for r in _events(attrs=attrs)]


def _with(*odd: str) -> list[str]:
    good = _good()
    return [*good[:2], *odd, *good[2:]]


def _odd_numbers() -> list[str]:
    out = _events()
    out[0]["session_id"] = 1e300
    out[1]["event_id"] = 3.3043707618338714e19
    out[2]["duration_ms"] = 1e5
    out[2]["value"] = 1.5e-7
    return [json.dumps(r) for r in out]


def _nested_numbers() -> list[str]:
    out = _events(attrs=True)
    out[3]["attrs"] = {"big": 1e300, "small": [1e-7]}
    return [json.dumps(r) for r in out]


def _duplicate_key() -> list[str]:
    first, *rest = _good()
    return ['{"event_id": "dup-a", ' + first[1:-1] + ', "event_id": "dup-b"}', *rest]


def _bad_timestamp() -> list[str]:
    out = _events()
    out[2]["ts"] = "never"
    return [json.dumps(r) for r in out]


def _late_json_cell() -> list[str]:
    # Past the first megabyte, which is all that is looked at before trusting a file.
    out = _events(6000)
    for r in out:
        r["ts"] = out[0]["ts"]
    out[-1]["attrs"] = {"k": 1}
    return [json.dumps(r) for r in out]


def _repeated_ids() -> list[str]:
    out = _events()
    clash = dict(out[0], duration_ms=99)
    return [json.dumps(r) for r in [*out, out[0], clash]]


def _renamed(key: str) -> list[str]:
    return [json.dumps({(key if k == "person" else k): v for k, v in r.items()}) for r in _events()]


# Each case: the lines, the mapping, and which reader keeps the file when every one may:
# `trust` (DuckDB's JSON reader straight into the checks), `json` (its rows numbered by
# line, after trust failed or was not tried) or `lines` (the line reader).
READER_CASES: dict[str, tuple[Any, dict[str, str], str]] = {
    "clean": (_good, {}, "trust"),
    "clean, with JSON cells": (lambda: _good(attrs=True), {}, "json"),
    "numbers with exponents": (_odd_numbers, {}, "trust"),
    "numbers inside a JSON cell": (_nested_numbers, {}, "json"),
    "a bad timestamp": (_bad_timestamp, {}, "json"),
    "a JSON cell after the first megabyte": (_late_json_cell, {}, "json"),
    "blank lines": (lambda: _with("", "   "), {}, "trust"),
    # Rows that held are numbered by line when a repeated id must be located.
    "a repeated id": (_repeated_ids, {}, "json"),
    "a null line": (lambda: _with("null"), {}, "lines"),
    "an empty object": (lambda: _with("{}"), {}, "lines"),
    "only unknown keys": (lambda: _with('{"other": 1}'), {}, "lines"),
    "an array and a scalar": (lambda: _with("[1, 2]", "7"), {}, "lines"),
    "a repeated key": (_duplicate_key, {}, "lines"),
    "a renamed key": (lambda: _renamed("who"), {"person": "who"}, "trust"),
    "a renamed key that is absent": (_good, {"surface": "where"}, "json"),
}


@pytest.mark.parametrize("case", list(READER_CASES))
def test_every_reader_stores_what_the_line_reader_stores(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each file is ingested with every reader allowed, then with the line reader alone:
    # the faster readers keep a file only when they store exactly the same.
    import uptake.ingest.jsonl as jsonl

    make, mapping, expected = READER_CASES[case]
    text = "\n".join(make()) + "\n"
    trust, fast = jsonl._on_trust, jsonl._objects_fast
    taken: list[str] = []

    def on_trust(*args: Any) -> Any:
        staged = trust(*args)
        taken.append("trust" if staged is not None else "-")
        return staged

    def objects_fast(*args: Any) -> bool:
        taken.append("json" if fast(*args) else "lines")
        return taken[-1] == "json"

    results = []
    for allowed in (True, False):
        if allowed:
            monkeypatch.setattr(jsonl, "_on_trust", on_trust)
            monkeypatch.setattr(jsonl, "_objects_fast", objects_fast)
        else:
            monkeypatch.setattr(jsonl, "_on_trust", lambda *a: None)
            monkeypatch.setattr(jsonl, "_objects_fast", lambda *a: False)
        path = tmp_path / ("all" if allowed else "lines") / "events.jsonl"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
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
            results.append(str(exc).replace(str(path), "events.jsonl"))
        finally:
            ws.close()
    # The reader that kept the file is the last one tried.
    assert taken[-1] == expected, taken
    assert results[0] == results[1]
    if case != "a renamed key that is absent":
        assert results[0][3], "nothing was stored"
    else:
        assert "the file has no column 'where'" in results[0]


def test_a_number_in_a_text_column_is_written_as_python_writes_it(
    workspace: Workspace, tmp_path: Path
) -> None:
    f = tmp_path / "numbers.jsonl"
    f.write_text("\n".join(_odd_numbers()) + "\n", encoding="utf-8")
    r = _ingest(workspace, f)
    assert (r.accepted, r.quarantined) == (4, 0)
    sessions = {s for (s,) in workspace.con.execute("SELECT session_id FROM events").fetchall()}
    ids = {i for (i,) in workspace.con.execute("SELECT event_id FROM events").fetchall()}
    assert str(1e300) in sessions and str(3.3043707618338714e19) in ids
    assert {"1e+300", "3.3043707618338714e+19"} <= sessions | ids
    [(value,)] = workspace.con.execute(
        "SELECT value FROM events WHERE duration_ms = 100000"
    ).fetchall()
    assert value == 1.5e-7
