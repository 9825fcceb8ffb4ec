"""Nothing silently dropped: every line of a file is accepted, a duplicate or quarantined."""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factories import FROZEN_NOW, rows, write
from uptake.errors import InputError
from uptake.ingest.pipeline import IngestResult
from uptake.workspace import Workspace


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def _ingest(ws: Workspace, path: Path) -> IngestResult:
    [result] = ws.ingest("events", [path], now=FROZEN_NOW, refresh=False)
    assert result.rows == result.accepted + result.duplicates + result.quarantined
    return result


def _quarantined(ws: Workspace) -> dict[str, str]:
    return {q["locator"]: q["reason"] for q in ws.quarantine()}


@pytest.mark.parametrize(
    "stray",
    [
        lambda ln: ln.rstrip("\n") + '"\n',  # opens a field that swallows the next line
        lambda ln: ln.replace(",copilot,", ',"copilot,', 1),
        lambda ln: '"' + ln,
    ],
    ids=["line_end", "field_start", "line_start"],
)
def test_stray_quote_costs_one_line_of_2000(
    workspace: Workspace, tmp_path: Path, stray: Callable[[str], str]
) -> None:
    lines = _lines(write(rows("events", 2000), tmp_path / "e.csv"))
    lines[2] = stray(lines[2])
    lines[1500] = lines[1500].replace("2026-", "someday-", 1)
    f = tmp_path / "stray.csv"
    f.write_text("".join(lines), encoding="utf-8")
    r = _ingest(workspace, f)
    assert (r.rows, r.accepted, r.quarantined) == (2000, 1998, 2)
    assert _quarantined(workspace) == {
        "stray.csv:line 3": "malformed_record",
        "stray.csv:line 1501": "bad_timestamp",
    }
    assert not [c for c in workspace.doctor() if not c["ok"]]


def test_bad_offsets_in_a_date_column_cost_their_lines_only(
    workspace: Workspace, tmp_path: Path
) -> None:
    people = rows("people", 500)
    people[10]["hire_date"] = "2024-03-01T09:00:00+25:00"
    people[20]["hire_date"] = "2024-03-01T09:00:00+05:30:45"
    people[30]["hire_date"] = "2024-03-01T09:00:00+05:30"
    [r] = workspace.ingest("people", [write(people, tmp_path / "p.csv")], now=FROZEN_NOW)
    assert (r.rows, r.accepted, r.duplicates, r.quarantined) == (500, 498, 0, 2)
    assert _quarantined(workspace) == {"p.csv:line 12": "bad_date", "p.csv:line 22": "bad_date"}
    assert not [c for c in workspace.doctor() if not c["ok"]]


def test_mixed_line_endings_are_accepted(workspace: Workspace, tmp_path: Path) -> None:
    lines = _lines(write(rows("events", 40), tmp_path / "e.csv"))
    mixed = "".join(ln.rstrip("\r\n") + ("\r\n" if i % 3 else "\n") for i, ln in enumerate(lines))
    f = tmp_path / "mixed.csv"
    f.write_bytes(mixed.encode())
    r = _ingest(workspace, f)
    assert (r.rows, r.accepted, r.quarantined) == (40, 40, 0)


@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_invalid_utf8_quarantines_only_its_line(
    workspace: Workspace, tmp_path: Path, suffix: str
) -> None:
    raw = write(rows("events", 12), tmp_path / f"e.{suffix}").read_bytes().split(b"\n")
    raw[4] = raw[4].replace(b"copilot", b"cop\xff\xfeilot")
    f = tmp_path / f"bad.{suffix}"
    f.write_bytes(b"\n".join(raw))
    r = _ingest(workspace, f)
    assert (r.rows, r.accepted, r.quarantined) == (12, 11, 1)
    [q] = workspace.quarantine()
    assert q["locator"] == f"bad.{suffix}:line 5" and q["reason"] == "malformed_record"
    assert "UTF-8" in q["detail"]


def test_line_numbers_stay_right_after_multiline_fields(
    workspace: Workspace, tmp_path: Path
) -> None:
    records = rows("events", 10)
    records[1]["surface"] = "word\nexcel\nteams"
    records[6]["ts"] = "not a time"
    f = write(records, tmp_path / "multi.csv")
    r = _ingest(workspace, f)
    assert (r.rows, r.accepted, r.quarantined) == (10, 9, 1)
    # Header is line 1, record 2 spans lines 3-5, so record 7 starts on line 10.
    assert _quarantined(workspace) == {"multi.csv:line 10": "bad_timestamp"}
    stored = workspace.con.execute("SELECT surface FROM events WHERE event_id = 'ev1'").fetchone()
    assert stored == ("word\nexcel\nteams",)


def test_jsonl_line_numbers_count_blank_lines(workspace: Workspace, tmp_path: Path) -> None:
    records = rows("events", 4)
    records[3]["ts"] = "never"
    text = "\n\n".join(json.dumps(r) for r in records) + "\n"
    f = tmp_path / "gaps.jsonl"
    f.write_text(text, encoding="utf-8")
    r = _ingest(workspace, f)
    assert (r.rows, r.accepted, r.quarantined) == (4, 3, 1)
    assert _quarantined(workspace) == {"gaps.jsonl:line 7": "bad_timestamp"}


def test_deeply_nested_json_is_a_clear_error(workspace: Workspace, tmp_path: Path) -> None:
    deep = '{"a": ' * 5000 + "1" + "}" * 5000
    record = json.dumps(rows("events", 1)[0])[:-1] + ', "attrs": ' + deep + "}"
    f = tmp_path / "deep.json"
    f.write_text("[" + record + "]", encoding="utf-8")
    with pytest.raises(InputError, match="nested too deeply"):
        workspace.ingest("events", [f], now=FROZEN_NOW, refresh=False)
    assert workspace.status()["tables"]["events"] == 0
    g = tmp_path / "deep.jsonl"
    g.write_text(json.dumps(rows("events", 1, start=1)[0]) + "\n" + record + "\n")
    r = _ingest(workspace, g)
    assert r.rows == 2 and r.accepted + r.quarantined == 2


_GARBAGE = st.text(
    alphabet=string.ascii_letters + string.digits + ",; -:{}[]'",
    min_size=1,
    max_size=60,
).filter(lambda t: t.strip() != "")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_every_line_is_accounted_for(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    data: st.DataObject,
) -> None:
    """Garbage lines anywhere: each is quarantined under its own line; every good row lands."""
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    tmp = tmp_path_factory.mktemp("lossless")
    good = _lines(write(rows("events", 30), tmp / "good.csv"))
    body = list(good[1:])
    garbage = data.draw(st.lists(_GARBAGE, min_size=1, max_size=6))
    for g in garbage:
        body.insert(data.draw(st.integers(0, len(body))), g + "\n")
    crlf = data.draw(st.booleans())
    text = good[0] + "".join(ln.replace("\n", "\r\n") if crlf else ln for ln in body)
    f = tmp / "mixed.csv"
    f.write_bytes(text.encode())
    expected_bad = {f"mixed.csv:line {i + 2}" for i, ln in enumerate(body) if ln not in good}
    with Workspace.init(tmp / "ws") as ws:
        r = _ingest(ws, f)
        assert r.rows == len(body)
        assert r.accepted == 30
        assert set(_quarantined(ws)) == expected_bad
