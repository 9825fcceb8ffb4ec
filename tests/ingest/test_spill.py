"""A vendor file's rows spilled to Parquet while it is read store exactly what held rows do."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from uptake.errors import InputError
from uptake.ingest.connectors import CONNECTORS, github_usage
from uptake.ingest.read_ahead import read_ahead
from uptake.ingest.spill import SpillTo, spilling
from uptake.schema.tables import TABLES
from uptake.workspace import Workspace
from uptake.workspace.layout import SPILL_DIR

CONNECTOR_FILES = Path(__file__).parent / "connectors"
SAMPLE = CONNECTOR_FILES / "samples" / "github_copilot_usage_metrics_user_level_example.json"
ENTERPRISE = "github_copilot_usage_metrics_enterprise_level_example.json"
# The formats the simulated vendor view has none of, each with a published sample or an
# example export of the connector tests.
OTHERS = [
    ("claude-code", "samples/anthropic_claude_code_usage_report.json", {}),
    ("cursor", "samples/cursor_daily_usage_data.json", {}),
    ("cursor", "samples/cursor_filtered_usage_events.json", {}),
    ("chatgpt-enterprise", "fixtures/chatgpt_user_engagement.csv", {}),
    ("chatgpt-enterprise", "fixtures/chatgpt_gpt_engagement.csv", {}),
    ("claude-enterprise", "fixtures/claude_enterprise_users.json", {"date": "2026-03-02"}),
    ("claude-enterprise", "fixtures/claude_enterprise_summaries.json", {}),
    ("codex", "fixtures/codex_usage.json", {}),
    ("gemini-workspace", "fixtures/gemini_activities.json", {}),
    ("github-copilot-metrics", "samples/github_copilot_metrics_org.json", {}),
    ("github-copilot-usage", f"samples/{ENTERPRISE}", {}),
    ("m365-copilot-usage", "samples/m365_copilot_usage_user_detail_beta.json", {}),
    ("otlp-genai", "fixtures/otlp_genai_spans.json", {}),
    ("otlp-logs", "fixtures/otlp_claude_code_logs.json", {}),
    ("otlp-metrics", "fixtures/otlp_claude_code_metrics.json", {}),
    ("survey", "fixtures/qualtrics_export.csv", {"mapping": "qualtrics"}),
    ("tickets", "fixtures/jira_export.csv", {"mapping": "jira"}),
    ("tickets", "fixtures/servicenow_export.json", {"mapping": "servicenow"}),
]
NOW = datetime(2026, 11, 1, tzinfo=UTC)
LATER = datetime(2026, 12, 1, tzinfo=UTC)
# The least a workspace may set; each record below becomes 11 to 19 rows.
CHUNK = 1_000
# Columns that say when and in which batch a row was stored, not what it holds.
WHEN = {"batch_id", "ingested_at", "refresh_id"}
SECRET = "5f0c8e2a9b7d41c3a6e8f20d4b9c7a1e3d5f7b9c0e2a4c6e8f0b2d4f6a8c0e2b"


def _records(n: int, first_day: int = 1) -> list[str]:
    """`n` user-day lines of the users-1-day report, varied so chunks differ in what they hold."""
    [record] = json.loads(SAMPLE.read_text())
    lines = []
    for i in range(n):
        r = json.loads(json.dumps(record))
        r["user_login"] = f"user{i % 97}"
        r["day"] = f"2026-10-{first_day + i // 97:02d}"
        if i % 3 == 0:
            # No CLI use that day: the CLI's facts and prompt events are absent.
            r.pop("totals_by_cli")
        if i % 5 == 0:
            r["totals_by_feature"][0]["code_acceptance_activity_count"] = i
        lines.append(json.dumps(r))
    return lines


def _report(path: Path, n: int) -> Path:
    lines = _records(n)
    # Bad input late in the file, where the rows are read back from a later chunk.
    lines[n - 40] = '{"user_login": "cut'
    bad_day = json.loads(lines[n - 20])
    bad_day["day"] = "2999-01-01"
    lines[n - 20] = json.dumps(bad_day)
    path.write_text("\n".join(lines) + "\n")
    return path


def _stored(
    ws: Workspace, tables: Iterable[str] = ("events", "person_facts")
) -> dict[str, list[tuple[object, ...]]]:
    """Every stored row of the given tables, the identities and the quarantine, in order."""
    out = {}
    for name in (*tables, "identities", "quarantine"):
        cols = [
            c
            for (c,) in ws.con.execute(
                "SELECT column_name FROM information_schema.columns "
                f"WHERE table_name = '{name}' ORDER BY ordinal_position"
            ).fetchall()
            if c not in WHEN and not c.endswith("_at")
        ]
        listed = ", ".join(f'"{c}"' for c in cols)
        out[name] = ws.con.execute(f"SELECT {listed} FROM {name} ORDER BY ALL").fetchall()
    return out


def _no_chunks(ws: Workspace) -> bool:
    """Whether the workspace holds no spilled rows (their folder may stay, empty)."""
    root = ws.path / SPILL_DIR
    return not root.exists() or not any(root.iterdir())


def _ingest(root: Path, name: str, files: list[Path], spill_rows: int, monkeypatch) -> Workspace:
    # One secret for both workspaces, so the same people get the same keys.
    monkeypatch.setenv("UPTAKE_SECRET", SECRET)
    monkeypatch.setenv("UPTAKE__INGEST__SPILL_ROWS", str(spill_rows))
    ws = Workspace.init(root / name)
    assert ws.settings.ingest.spill_rows == spill_rows
    ws.ingest("events", files, fmt="github-copilot-usage", now=NOW, refresh=False)
    return ws


def test_the_rows_are_spilled_in_chunks_between_records(tmp_path):
    path = _report(tmp_path / "users-1-day.ndjson", 300)
    held = github_usage.read(path)
    (tmp_path / "spill").mkdir()
    with spilling(SpillTo(tmp_path / "spill", CHUNK)):
        spilled = github_usage.read(path)
    assert set(spilled.spilled) == {"events", "person_facts"}
    facts = spilled.spilled["person_facts"]
    assert len(facts.files) >= 3 and all(f.exists() for f in facts.files)
    # Every row's locator, in the order the rows were added; the frames keep only columns.
    assert facts.locators == held.frames["person_facts"]["__locator"].tolist()
    assert facts.rows == len(held.frames["person_facts"])
    assert len(spilled.frames["person_facts"]) == 0
    assert list(spilled.frames["person_facts"].columns) == list(held.frames["person_facts"].columns)
    assert [(r.locator, r.reason) for r in spilled.rejects] == [
        (r.locator, r.reason) for r in held.rejects
    ]


def test_a_spilled_file_stores_what_a_held_one_does(tmp_path, monkeypatch):
    path = _report(tmp_path / "users-1-day.ndjson", 300)
    held = _ingest(tmp_path, "held", [path], 10_000_000, monkeypatch)
    spilled = _ingest(tmp_path, "spilled", [path], CHUNK, monkeypatch)
    try:
        want = _stored(held)
        assert len(want["person_facts"]) > 3 * CHUNK
        assert _stored(spilled) == want
        # The record dated past the latest date is found by the checks, at its own line.
        reasons = {(q["locator"], q["reason"]) for q in spilled.quarantine()}
        assert ("users-1-day.ndjson:line 281", "out_of_range") in reasons
        assert ("users-1-day.ndjson:line 261", "bad_json") in reasons
        assert _no_chunks(spilled)
    finally:
        held.close()
        spilled.close()


def test_files_parsed_ahead_spill_too(tmp_path, monkeypatch):
    # Two files: the second is parsed in the helper process, which spills into its own folder.
    one = _report(tmp_path / "day-1.ndjson", 200)
    two = tmp_path / "day-2.ndjson"
    two.write_text("\n".join(_records(200, first_day=5)) + "\n")
    # The helper itself spills the second file: its parse comes back as chunks.
    ahead = list(read_ahead("github-copilot-usage", [one, two], {}, spill=SpillTo(tmp_path, CHUNK)))
    assert ahead[1][2] is not None and len(ahead[1][2].spilled["person_facts"].files) >= 2
    held = _ingest(tmp_path, "held", [one, two], 10_000_000, monkeypatch)
    spilled = _ingest(tmp_path, "spilled", [one, two], CHUNK, monkeypatch)
    try:
        assert _stored(spilled) == _stored(held)
        assert _no_chunks(spilled)
    finally:
        held.close()
        spilled.close()


def test_a_file_refused_late_leaves_no_rows_and_no_chunks(tmp_path, monkeypatch):
    lines = [line.encode() for line in _records(300)]
    lines[290] = lines[290].replace(b"user", b"us\xffer")
    path = tmp_path / "users-1-day.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    monkeypatch.setenv("UPTAKE__INGEST__SPILL_ROWS", str(CHUNK))
    with Workspace.init(tmp_path / "ws") as ws:
        with pytest.raises(InputError, match="line 291: byte"):
            ws.ingest("events", [path], fmt="github-copilot-usage", now=NOW)
        assert ws.status()["tables"]["person_facts"] == 0
        assert _no_chunks(ws)


def test_chunks_left_by_a_killed_ingest_are_removed_by_the_next(tmp_path):
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    with Workspace.init(tmp_path / "ws") as ws:
        root = ws.path / SPILL_DIR
        # One left by a process that has ended, one by a process that still runs (ours).
        dead, running = root / f"{ended.stdout.strip()}-0a1b", root / f"{os.getpid()}-2c3d"
        for folder in (dead, running):
            (folder / "file-0").mkdir(parents=True)
            (folder / "file-0" / "person_facts-left.parquet").write_bytes(b"rows")
        ws.ingest("events", [SAMPLE], fmt="github-copilot-usage", now=NOW, refresh=False)
        assert sorted(p.name for p in root.iterdir()) == [running.name]


def test_spilling_bounds_what_reading_holds(tmp_path):
    path = tmp_path / "users-1-day.ndjson"
    path.write_text("\n".join(_records(1_500)) + "\n")
    (tmp_path / "spill").mkdir()

    def peak(spill: SpillTo | None) -> int:
        tracemalloc.start()
        try:
            with spilling(spill):
                github_usage.read(path)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    held = peak(None)
    spilled = peak(SpillTo(tmp_path / "spill", CHUNK))
    # 1,500 records are about 25,000 rows, 25 chunks' worth: held, they all are at once.
    assert spilled < held / 4, f"peak {spilled:,} bytes spilling against {held:,} held"


def test_chunks_are_kept_where_only_the_owner_can_read(tmp_path, monkeypatch):
    # Rows before pseudonymisation: while the file is read, the folder is the owner's alone.
    seen: list[int] = []
    connector = CONNECTORS["github-copilot-usage"]

    def read(path, options=None):
        result = connector.reader(path, options)
        assert result.spilled, "the file was expected to spill"
        seen.append((tmp_path / "ws" / SPILL_DIR).stat().st_mode & 0o777)
        return result

    monkeypatch.setitem(
        CONNECTORS, "github-copilot-usage", dataclasses.replace(connector, reader=read)
    )
    monkeypatch.setenv("UPTAKE__INGEST__SPILL_ROWS", str(CHUNK))
    path = _report(tmp_path / "users-1-day.ndjson", 300)
    with Workspace.init(tmp_path / "ws") as ws:
        ws.ingest("events", [path], fmt="github-copilot-usage", now=NOW, refresh=False)
    assert seen == [0o700]


def test_the_simulated_vendor_view_stores_the_same_spilled(tmp_path, monkeypatch):
    # Chunks of 97 rows, far below what a workspace allows: each connector's rows are cut in
    # many places and read back together.
    from uptake.evaluate.views import ingest_plan
    from uptake.simulate import simulate

    sim = tmp_path / "sim"
    simulate(people=40, days=28, seed=5, start=date(2026, 6, 1), out=sim, emit="vendor")
    plan = ingest_plan(sim, "vendor")
    monkeypatch.setenv("UPTAKE_SECRET", SECRET)
    stored = {}
    for name, rows in (("held", 10_000_000), ("spilled", 97)):
        with Workspace.init(tmp_path / name) as ws:
            ws.settings.ingest.spill_rows = rows
            for table, paths, fmt, options in plan:
                ws.ingest(table, paths, fmt=fmt, options=options, now=NOW, refresh=False)
            stored[name] = _stored(ws, TABLES)
    formats = {fmt for _, _, fmt, _ in plan if fmt}
    assert formats == {"scim", "github-copilot-usage", "github-copilot-seats", "m365-copilot-usage"}
    assert sum(len(rows) for rows in stored["held"].values()) > 10_000
    assert stored["spilled"] == stored["held"]


@pytest.mark.parametrize(("fmt", "name", "options"), OTHERS)
def test_each_other_format_stores_the_same_with_every_record_spilled(
    fmt, name, options, tmp_path, monkeypatch
):
    # One row a chunk at most: every record's rows are written out on their own.
    monkeypatch.setenv("UPTAKE_SECRET", SECRET)
    stored = {}
    for label, rows in (("held", 10_000_000), ("spilled", 1)):
        with Workspace.init(tmp_path / label) as ws:
            ws.settings.ingest.spill_rows = rows
            # After every example's dates (Gemini's run to late November 2026).
            results = ws.ingest(
                "events", [CONNECTOR_FILES / name], fmt=fmt, options=options, now=LATER
            )
            assert sum(r.accepted for r in results) > 0
            stored[label] = _stored(ws, TABLES)
    assert stored["spilled"] == stored["held"]
