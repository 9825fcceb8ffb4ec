"""The workspace's kept lake: reused while current, appended after new events, never torn."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from uptake.warehouse.export import export_lake
from uptake.warehouse.lake import MANIFEST
from uptake.warehouse.lake_store import CURRENT, workspace_lake

Builder = Callable[..., duckdb.DuckDBPyConnection]


def _log(con: duckdb.DuckDBPyConnection, batch: int, table: str, rekeyed: int = 0) -> None:
    con.execute(
        "INSERT INTO ingest_log VALUES (?, ?, 'x.csv', 'csv', NULL, 1, 1, 0, 0, 0, ?, "
        "NULL, NULL, TIMESTAMP '2026-03-01', TIMESTAMP '2026-03-01', 0.1)",
        [batch, table, rekeyed],
    )


def _add_day(con: duckdb.DuckDBPyConnection, batch: int, day: str, n: int = 25) -> None:
    """One more day of events (some on a day the lake already has) as a new batch."""
    con.execute(
        f"""INSERT INTO events SELECT 'new{batch}-' || i, TIMESTAMP '{day} 09:00:00'
            + to_seconds(i * 600), 'k00' || (i % 7), 'copilot', 'accept', 'ide', 'w1',
            'ns' || i, 1000, 1.5, NULL, NULL, {batch} FROM range({n}) r(i)"""
    )
    _log(con, batch, "events")


def _lake_diff(con: duckdb.DuckDBPyConnection, lake: Path, name: str) -> int:
    if name == "events":
        src = f"read_parquet('{lake}/events/**/*.parquet', hive_partitioning = true)"
        cols = "* EXCLUDE (date)"
    else:
        src, cols = f"'{lake}/{name}.parquet'", "*"
    row = con.execute(
        f"""SELECT count(*) FROM ((SELECT {cols} FROM {src} EXCEPT ALL SELECT * FROM {name})
            UNION ALL (SELECT * FROM {name} EXCEPT ALL SELECT {cols} FROM {src}))"""
    ).fetchone()
    return int(row[0]) if row else -1


def _files(lake: Path) -> dict[str, int]:
    return {str(p.relative_to(lake)): p.stat().st_ino for p in lake.rglob("*.parquet")}


def test_a_current_lake_is_reused_not_written_again(
    tmp_path: Path, make_small_warehouse: Builder
) -> None:
    con = make_small_warehouse(seed=3)
    _log(con, 1, "events")
    with workspace_lake(con, tmp_path / "lake") as first:
        assert first.action == "exported"
        written = (first.path / MANIFEST).read_text()
        files = _files(first.path)
    with workspace_lake(con, tmp_path / "lake") as second:
        assert (second.path, second.action) == (first.path, "reused")
        # Same manifest, same files (same inodes): nothing was exported again.
        assert (second.path / MANIFEST).read_text() == written
        assert _files(second.path) == files
    assert (tmp_path / "lake" / CURRENT).read_text().strip() == first.path.name


def test_new_events_are_appended_and_the_lake_equals_a_full_export(
    tmp_path: Path, make_small_warehouse: Builder
) -> None:
    con = make_small_warehouse(seed=3)
    _log(con, 1, "events")
    with workspace_lake(con, tmp_path / "lake") as first:
        before = _files(first.path)
    _add_day(con, 2, "2026-02-16")  # a day inside the lake's range and one after it
    _add_day(con, 3, "2026-02-20")
    with workspace_lake(con, tmp_path / "lake") as use:
        assert use.action == "appended"
        assert use.path != first.path
        after = _files(use.path)
        # The earlier files are linked, not rewritten; only the new batches' rows are new.
        assert {k: after[k] for k in before} == before
        new = sorted(set(after) - set(before))
        assert new and all(Path(k).name.startswith("b3-") for k in new)
        for name in ("events", "people", "licenses", "tasks"):
            assert _lake_diff(con, use.path, name) == 0, name
        manifest = json.loads((use.path / MANIFEST).read_text())
        assert manifest["last_batch"] == 3
        assert manifest["counts"]["events"] == 3000 + 50
    full = tmp_path / "full"
    export_lake(con, full)
    assert json.loads((full / MANIFEST).read_text())["state"] == manifest["state"]


def test_identity_merges_and_changes_outside_batches_are_noticed(
    tmp_path: Path, make_small_warehouse: Builder
) -> None:
    con = make_small_warehouse(seed=3)
    _log(con, 1, "events")
    with workspace_lake(con, tmp_path / "lake"):
        pass
    # The coach records interventions outside any ingest batch.
    con.execute(
        "INSERT INTO interventions VALUES ('i1', TIMESTAMP '2026-02-01', 'k001', 'nudge', "
        "'r', 'treat', 'sent', NULL)"
    )
    with workspace_lake(con, tmp_path / "lake") as use:
        assert use.action == "appended"
        assert _lake_diff(con, use.path, "interventions") == 0
    # An identity merge rewrites person keys of old events: only a full export is right.
    con.execute("UPDATE events SET person_key = 'k002' WHERE person_key = 'k001'")
    _log(con, 2, "people", rekeyed=1)
    with workspace_lake(con, tmp_path / "lake") as use:
        assert use.action == "exported"
        assert _lake_diff(con, use.path, "events") == 0


def test_a_reader_keeps_its_snapshot_until_it_is_done(
    tmp_path: Path, make_small_warehouse: Builder
) -> None:
    con = make_small_warehouse(seed=3)
    _log(con, 1, "events")
    folder = tmp_path / "lake"
    with workspace_lake(con, folder) as held:
        _add_day(con, 2, "2026-02-16")
        with workspace_lake(con, folder) as newer:
            assert newer.path != held.path
        # The writer left the held snapshot alone: every file is still there.
        assert _lake_diff(con, held.path, "people") == 0
        assert (held.path / MANIFEST).is_file()
    _add_day(con, 3, "2026-02-17")
    with workspace_lake(con, folder) as latest:
        snapshots = sorted(p.name for p in folder.iterdir() if p.name.startswith("s-"))
        assert snapshots == [latest.path.name]  # released snapshots were pruned
    assert not list(folder.glob(".partial-*"))


def test_an_unwritable_folder_falls_back_to_a_temporary_lake(
    tmp_path: Path, make_small_warehouse: Builder
) -> None:
    con = make_small_warehouse(seed=3)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with workspace_lake(con, blocker / "lake") as use:
        assert use.action == "exported (temporary)"
        assert _lake_diff(con, use.path, "events") == 0
        scratch = use.path
    assert not scratch.exists()


@pytest.mark.parametrize("kind", ["rows deleted by hand", "schema moved on"])
def test_a_changed_history_is_exported_in_full(
    tmp_path: Path, make_small_warehouse: Builder, kind: str
) -> None:
    con = make_small_warehouse(seed=3)
    _log(con, 1, "events")
    with workspace_lake(con, tmp_path / "lake"):
        pass
    if kind == "rows deleted by hand":
        con.execute("DELETE FROM events WHERE ts < TIMESTAMP '2026-01-10'")
    else:
        con.execute("INSERT INTO schema_version VALUES (999, 'test', TIMESTAMP '2026-03-01')")
    _add_day(con, 2, "2026-02-16")
    with workspace_lake(con, tmp_path / "lake") as use:
        assert use.action == "exported"
        assert _lake_diff(con, use.path, "events") == 0


def test_a_folder_that_refuses_writes_falls_back_too(
    tmp_path: Path, make_small_warehouse: Builder, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = make_small_warehouse(seed=3)
    folder = tmp_path / "lake"
    with workspace_lake(con, folder) as first:
        pass
    _add_day(con, 2, "2026-02-16")

    mkdir = Path.mkdir

    def refuse(self: Path, *args: Any, **kwargs: Any) -> None:
        if self != folder and self.is_relative_to(folder):
            raise PermissionError(13, "read-only", str(self))
        mkdir(self, *args, **kwargs)

    # The lock file opens, but no snapshot can be written (as on a read-only mount).
    monkeypatch.setattr(Path, "mkdir", refuse)
    with workspace_lake(con, folder) as use:
        assert use.action == "exported (temporary)"
        assert _lake_diff(con, use.path, "events") == 0
    monkeypatch.undo()
    # The kept lake was left as it was: the same snapshot is current.
    assert (folder / CURRENT).read_text().strip() == first.path.name
