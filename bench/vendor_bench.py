"""Vendor connectors at tier M: records per second for GitHub NDJSON and M365 CSV reports.

The simulator's vendor view of a tier-M organisation (10,000 people) is written once; each
file set is then ingested into a fresh workspace in a child process (its own memory), and
records/s counts source records (NDJSON lines, CSV data rows), not the canonical rows they
become. The M365 by-date report is one file per day; the bench ingests the last 7 days.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

PEOPLE = 10_000
DAYS = 120
BY_DATE_DAYS = 7

_CHILD = """
    import json, sys, time
    from uptake.workspace import Workspace
    ws = Workspace.init(WS)
    files = FILES
    t = time.perf_counter()
    results = ws.ingest("events", files, fmt=FMT, options=OPTS, refresh=False)
    seconds = time.perf_counter() - t
    print(json.dumps({
        "seconds": seconds,
        "rows": sum(r.rows for r in results),
        "accepted": sum(r.accepted for r in results),
        "quarantined": sum(r.quarantined for r in results),
    }))
"""


def _records(path: Path) -> int:
    with path.open("rb") as fh:
        lines = sum(1 for line in fh if line.strip())
    return lines - 1 if path.suffix == ".csv" else lines


def _run(
    work: Path, name: str, files: list[Path], fmt: str, opts: dict[str, str]
) -> dict[str, Any]:
    code = textwrap.dedent(_CHILD)
    code = code.replace("WS", repr(str(work / f"ws_{name}")))
    code = code.replace("FILES", repr([str(f) for f in files]))
    code = code.replace("FMT", repr(fmt)).replace("OPTS", repr(opts))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    got = json.loads(out.strip().splitlines()[-1])
    records = sum(_records(f) for f in files)
    got.update(records=records, per_second=records / got["seconds"])
    return got


def bench_vendor(people: int = PEOPLE, days: int = DAYS) -> dict[str, Any]:
    """Simulate the vendor view once and time each connector on it.

    Args:
        people: headcount of the simulated organisation.
        days: simulated days.

    Returns:
        Per file set: records, seconds, records/s, canonical rows accepted and quarantined.
    """
    from uptake.simulate.run import simulate

    work = Path(tempfile.mkdtemp(prefix="uptake-vendor-bench-"))
    src = work / "vendor"
    simulate(people=people, days=days, seed=42, out=src, emit="vendor")
    by_date = sorted((src / "m365" / "copilot_user_detail_by_date").glob("*.csv"))
    sets = {
        "github-copilot-usage (users-1-day NDJSON)": (
            [src / "github" / "copilot_users_1_day.ndjson"],
            "github-copilot-usage",
        ),
        "m365-copilot-usage (user detail, 30-day CSV)": (
            [src / "m365" / "copilot_user_detail_D30.csv"],
            "m365-copilot-usage",
        ),
        f"m365-copilot-usage (user detail by date, {BY_DATE_DAYS} daily CSVs)": (
            by_date[-BY_DATE_DAYS:],
            "m365-copilot-usage",
        ),
    }
    print(f"\n== vendor connectors: {people:,} people, {days} days (simulated vendor view) ==")
    out: dict[str, Any] = {}
    for i, (label, (files, fmt)) in enumerate(sets.items()):
        got = _run(work, str(i), files, fmt, {})
        out[label] = got
        print(
            f"  {label:<58} {got['records']:>9,} records {got['seconds']:7.1f} s "
            f"{got['per_second']:>9,.0f} rec/s · {got['accepted']:,} rows, "
            f"{got['quarantined']} quarantined"
        )
    return out
