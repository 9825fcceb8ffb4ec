"""Every vendor connector on a file of 100,000 records: records/s and peak memory.

Each file is written by a generator in `bench/vendor_files/` (realistic shapes, fixed
seeds), then ingested into a fresh workspace in a child process so its peak memory (VmHWM)
is its own. Records are source records (rows, lines, data points, activity records), not the
canonical rows they become; quarantined rows are printed because a fast connector that
rejects its input would be measuring the wrong thing. GitHub's file is ingested once more with
DuckDB's memory limited (`LIMITED`), to show how much of a peak is DuckDB's staging.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

RECORDS = 100_000

# (label, format, generator module, function, file suffix)
CASES: tuple[tuple[str, str, str, str, str], ...] = (
    ("claude-code (usage report)", "claude-code", "claude", "make_claude_code", ".json"),
    (
        "claude-enterprise (users)",
        "claude-enterprise",
        "claude",
        "make_claude_enterprise",
        ".json",
    ),
    ("cursor (daily usage data)", "cursor", "cursor_codex", "make_cursor_daily", ".json"),
    ("cursor (usage events)", "cursor", "cursor_codex", "make_cursor_events", ".json"),
    ("codex (usage)", "codex", "cursor_codex", "make_codex", ".json"),
    (
        "chatgpt-enterprise (weekly CSV)",
        "chatgpt-enterprise",
        "openai_google",
        "make_chatgpt",
        ".csv",
    ),
    ("gemini-workspace (activities)", "gemini-workspace", "openai_google", "make_gemini", ".json"),
    (
        "github-copilot-usage (users-1-day)",
        "github-copilot-usage",
        "github_m365",
        "make_github_users",
        ".ndjson",
    ),
    (
        "github-copilot-usage (user-teams-1-day)",
        "github-copilot-usage",
        "github_m365",
        "make_github_user_teams",
        ".ndjson",
    ),
    (
        "m365-copilot-usage (by date)",
        "m365-copilot-usage",
        "github_m365",
        "make_m365_by_date",
        ".csv",
    ),
    ("otlp-metrics (Claude Code)", "otlp-metrics", "otlp", "make_otlp_metrics", ".json"),
    ("otlp-logs (Claude Code)", "otlp-logs", "otlp", "make_otlp_logs", ".json"),
)

# Run again with DuckDB's memory limited: the part of a peak that grows with a file is
# DuckDB's staging, which it holds up to its limit (80% of the machine's memory by default)
# and writes to disk past it.
LIMITED: tuple[tuple[str, str], ...] = (("github-copilot-usage (users-1-day)", "1GB"),)

_CHILD = """
    import json, time
    from uptake.workspace import Workspace
    ws = Workspace.init(WS)
    t = time.perf_counter()
    results = ws.ingest("events", [PATH], fmt=FMT, refresh=False)
    seconds = time.perf_counter() - t
    hwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM')][0]
    print(json.dumps({
        "seconds": seconds,
        "accepted": sum(r.accepted for r in results),
        "quarantined": sum(r.quarantined for r in results),
        "peak_mb": int(hwm.split()[1]) / 1024,
    }))
"""


def _child(
    work: Path, name: str, path: Path, fmt: str, memory_limit: str | None = None
) -> dict[str, Any]:
    code = textwrap.dedent(_CHILD)
    code = code.replace("WS", repr(str(work / f"ws_{name}")))
    code = code.replace("PATH", repr(str(path))).replace("FMT", repr(fmt))
    env = dict(os.environ)
    if memory_limit:
        env["UPTAKE__ENGINE__DUCKDB_MEMORY_LIMIT"] = memory_limit
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}
    got: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return got


def bench_connectors(records: int = RECORDS) -> dict[str, Any]:
    """Write and ingest one file of `records` records per connector.

    Args:
        records: source records per file.

    Returns:
        Per connector: records, seconds, records/s, rows accepted and quarantined, peak MB.
    """
    work = Path(tempfile.mkdtemp(prefix="uptake-connectors-bench-"))
    print(f"\n== connectors: one file of {records:,} records each (child process per file) ==")
    out: dict[str, Any] = {}
    paths: dict[str, tuple[Path, str]] = {}
    for i, (label, fmt, module, func, suffix) in enumerate(CASES):
        try:
            maker = getattr(importlib.import_module(f"bench.vendor_files.{module}"), func)
        except (ModuleNotFoundError, AttributeError):
            print(f"  {label:<42} not available: no generator bench.vendor_files.{module}.{func}")
            continue
        path = Path(maker(records, work / f"{i}_{fmt}{suffix}"))
        paths[label] = (path, fmt)
        out[label] = _measured(label, records, _child(work, str(i), path, fmt))
    for label, limit in LIMITED:
        if label not in paths:
            continue
        path, fmt = paths[label]
        got = _child(work, f"{fmt}-{limit}", path, fmt, limit)
        out[f"{label}, DuckDB memory limit {limit}"] = _measured(
            f"{label.split()[0]}, DuckDB limit {limit}", records, got
        )
    return out


def _measured(label: str, records: int, got: dict[str, Any]) -> dict[str, Any]:
    """One connector's figures, printed on one line."""
    if "error" in got:
        print(f"  {label:<42} failed: {got['error']}")
        return got
    got.update(records=records, per_second=records / got["seconds"])
    print(
        f"  {label:<42} {records:>8,} records {got['seconds']:6.1f} s "
        f"{got['per_second']:>9,.0f} rec/s · peak {got['peak_mb']:5.0f} MB · "
        f"{got['accepted']:,} rows, {got['quarantined']} quarantined"
    )
    return got
