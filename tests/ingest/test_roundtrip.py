"""Every canonical table round-trips from CSV, JSON Lines and Parquet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factories import FROZEN_NOW, rows, write
from uptake.schema.ddl import NOT_STORED
from uptake.schema.tables import TABLES
from uptake.workspace import Workspace

FORMATS = ["csv", "jsonl", "parquet"]


def _norm(v: object) -> object:
    if hasattr(v, "isoformat"):
        return v.isoformat()[:19]  # type: ignore[union-attr]
    if isinstance(v, list | tuple):
        return list(v)
    return v


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("table", sorted(TABLES))
def test_table_round_trips(workspace: Workspace, tmp_path: Path, table: str, fmt: str) -> None:
    records = rows(table, 6)
    path = write(records, tmp_path / f"{table}.{fmt}")
    [result] = workspace.ingest(table, [path], now=FROZEN_NOW)
    assert (result.rows, result.accepted, result.duplicates, result.quarantined) == (6, 6, 0, 0)
    spec = TABLES[table]
    cur = workspace.con.execute(f"SELECT * FROM {table}")
    names = [d[0] for d in cur.description]
    stored = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    assert len(stored) == 6

    def stored_key(r: dict) -> tuple:
        out = []
        for k in spec.key:
            v = r[spec.column(k).stored_name]
            kind = spec.column(k).type
            if kind == "json":
                out.append(json.dumps(json.loads(v)))
            else:
                out.append(str(_norm(v))[:10] if kind == "date" else _norm(v))
        return tuple(out)

    def input_key(r: dict) -> tuple:
        out = []
        for k in spec.key:
            col, v = spec.column(k), r[k]
            if col.person:
                v = workspace.pseudonymise(v)
            elif col.type == "timestamp":
                v = v[:19]
            elif col.type == "json":
                v = json.dumps(v)
            out.append(v)
        return tuple(out)

    by_key = {stored_key(r): r for r in stored}
    for rec in records:
        got = by_key[input_key(rec)]
        for col in spec.columns:
            if (table, col.name) in NOT_STORED:
                continue
            want, have = rec[col.name], got[col.stored_name]
            if col.person:
                assert have == (workspace.pseudonymise(want) if want else None)
            elif col.type == "json":
                assert (json.loads(have) if have is not None else None) == want
            elif col.type == "timestamp" and want is not None:
                assert _norm(have) == want[:19]
            elif col.type == "date" and want is not None:
                assert _norm(have)[:10] == want
            elif col.type == "list":
                assert list(have) == want
            else:
                assert have == want, (table, col.name)


def test_format_from_extension_and_explicit(workspace: Workspace, tmp_path: Path) -> None:
    path = write(rows("events", 3), tmp_path / "events.data")
    path.write_text(json.dumps(rows("events", 1)[0]) + "\n")
    [r] = workspace.ingest("events", [path], fmt="jsonl", now=FROZEN_NOW)
    assert r.accepted == 1


def test_map_renames_source_columns(workspace: Workspace, tmp_path: Path) -> None:
    recs = [{("user" if k == "person" else k): v for k, v in r.items()} for r in rows("events", 4)]
    path = write(recs, tmp_path / "events.csv")
    [r] = workspace.ingest("events", [path], mapping={"person": "user"}, now=FROZEN_NOW)
    assert r.accepted == 4


def test_naive_timestamps_use_configured_zone(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "w", {"ingest.naive_timezone": "Europe/Lisbon"})
    rec = rows("events", 1)[0] | {"ts": "2026-07-01T12:00:00"}
    other = rows("events", 1, start=1)[0] | {"ts": "2026-07-01T12:00:00Z"}
    [r] = ws.ingest(
        "events", [write([rec, other], tmp_path / "e.jsonl")], now=FROZEN_NOW.replace(month=8)
    )
    assert r.accepted == 2
    got = dict(ws.con.execute("SELECT event_id, strftime(ts, '%H:%M') FROM events").fetchall())
    # Lisbon is UTC+1 in July: naive 12:00 local is 11:00 UTC; an explicit Z stays 12:00.
    assert got == {"ev0": "11:00", "ev1": "12:00"}
    ws.close()
