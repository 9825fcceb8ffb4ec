"""Differencing benchmark: what one release gives away below the minimum group size.

A simulated organisation of 600 people (seed fixed) is ingested; one release (every metric
without `by` and by each segment dimension, noise off) is attacked by the analyst of
`tests/metrics/differencing.py`: nested differences, people and atoms in the row space of the
published groups, the window minus its weeks, and the ladder-transition margins. It prints
how many individuals and small groups (1 … k−1 people) are recovered exactly, per attack and
per metric. The promise is zero.

Run: `.venv/bin/python -m bench.differencing`.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = 600
DAYS = 60
SEED = 11
START = date(2026, 6, 1)


def bench_differencing() -> dict[str, object]:
    """Simulate, ingest, collect one release and attack it; print and return the counts."""
    # The attacker lives with the tests (it is their oracle); this script reuses it.
    sys.path.insert(0, str(ROOT / "tests"))
    from metrics.differencing import NOISE_ENV, attack_releases, collect, summary
    from uptake.config.sections import PrivacySettings
    from uptake.simulate.run import TABLE_ORDER, simulate
    from uptake.workspace import Workspace

    os.environ.pop("UPTAKE_SECRET", None)
    if "noise" in PrivacySettings.model_fields:
        # Exact numbers: the benchmark measures what suppression alone protects.
        os.environ[NOISE_ENV] = "false"
    with tempfile.TemporaryDirectory(prefix="uptake-diff-") as tmp:
        work = Path(tmp)
        s = simulate(PEOPLE, DAYS, SEED, start=START, out=work / "sim")
        ws = Workspace.init(work / "ws")
        for name in TABLE_ORDER:
            files = [work / "sim" / f for f in s.files[name][:1]]
            ws.ingest(name, files, fmt="parquet", refresh=False, now=None)
        ws.refresh()
        last = s.end - timedelta(days=1)
        # The last Sunday: the 28-day window is exactly four complete weeks.
        as_of = last - timedelta(days=(last.weekday() + 1) % 7)
        t0 = time.perf_counter()
        releases = collect(ws, as_of)
        t1 = time.perf_counter()
        found = attack_releases(ws, releases)
        t2 = time.perf_counter()
        ws.close()
    out = {
        "people": PEOPLE,
        "as_of": as_of.isoformat(),
        "k": releases["all"]["min_group_size"],
        **summary(found),
        "collect_s": round(t1 - t0, 1),
        "attack_s": round(t2 - t1, 1),
    }
    print(f"\n== differencing: {PEOPLE} people, one release as of {as_of} ==")
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    bench_differencing()
