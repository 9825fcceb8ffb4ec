"""Simulator benchmark: rows written per second at tiers S and M (and L on request).

Each tier runs in a fresh child process so its peak memory is its own; the files go to a
temporary directory that is removed afterwards. Target: tier M (10 k people, about 10 M
events over 120 days) in at most 60 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

TIERS: dict[str, int] = {"S": 1_000, "M": 10_000, "L": 100_000}
DAYS = 120
TARGET_M_SECONDS = 60.0

_CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    from datetime import date
    from pathlib import Path
    from uptake.simulate import simulate
    people, out = int(sys.argv[1]), Path(sys.argv[2])
    t0 = time.perf_counter()
    s = simulate(people, int(sys.argv[3]), 7, start=date(2026, 7, 1), out=out)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rows": s.rows, "peak_mb": peak}))
    """
)


def _run(people: int, out: Path) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(people), str(out), str(DAYS)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def bench_simulator(tiers: tuple[str, ...] = ("S", "M")) -> list[dict[str, object]]:
    """Run the simulator benchmark and print one line per tier.

    Args:
        tiers: which of S, M, L to run.

    Returns:
        One result row per tier.
    """
    print(f"\n== simulate ({DAYS} days, mixed scenario, Parquet) ==")
    print(
        f"{'tier':4} {'people':>8} {'events':>12} {'all rows':>12} {'seconds':>8} "
        f"{'rows/s':>11} {'events/s':>11} {'peak MB':>8} {'target':>8}"
    )
    results = []
    for tier in tiers:
        people = TIERS[tier]
        with tempfile.TemporaryDirectory() as tmp:
            r = _run(people, Path(tmp) / "sim")
        rows: dict[str, int] = r["rows"]  # type: ignore[assignment]
        seconds = float(r["seconds"])  # type: ignore[arg-type]
        total = sum(rows.values())
        target = f"<= {TARGET_M_SECONDS:.0f}s" if tier == "M" else ""
        met = seconds <= TARGET_M_SECONDS if tier == "M" else None
        row = {
            "tier": tier,
            "people": people,
            "events": rows["events"],
            "rows": total,
            "seconds": seconds,
            "rows_per_s": total / seconds,
            "events_per_s": rows["events"] / seconds,
            "peak_mb": r["peak_mb"],
            "met": met,
        }
        results.append(row)
        verdict = "" if met is None else (" yes" if met else " NO")
        print(
            f"{tier:4} {people:>8,} {rows['events']:>12,} {total:>12,} {seconds:>8.1f} "
            f"{total / seconds:>11,.0f} {rows['events'] / seconds:>11,.0f} "
            f"{float(r['peak_mb']):>8,.0f} {target:>8}{verdict}"  # type: ignore[arg-type]
        )
    return results


if __name__ == "__main__":
    bench_simulator(tuple(sys.argv[1:]) or ("S", "M"))
