"""`make bench`: every benchmark in one run, numbers printed next to targets."""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.summary import print_summary


def main() -> None:
    """Run the selected benchmarks (all by default)."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "--only",
        choices=[
            "ingest",
            "simulate",
            "metrics",
            "scale",
            "vendor",
            "connectors",
            "sync",
            "web",
            "coach",
            "load",
            "live",
            "slow",
        ],
        action="append",
    )
    parser.add_argument("--events", type=int, default=1_000_000, help="events for the ingest bench")
    parser.add_argument("--json", type=Path, help="also write results to this file")
    args = parser.parse_args()
    chosen = args.only or [
        "ingest",
        "simulate",
        "metrics",
        "scale",
        "vendor",
        "connectors",
        "sync",
        "web",
        "coach",
        "load",
        "live",
        "slow",
    ]
    print(f"uptake benchmark · Python {platform.python_version()} · {platform.machine()}")
    results: dict[str, Any] = {}
    failed: list[str] = []
    if "ingest" in chosen:
        from bench.ingest_bench import bench_ingest

        results["ingest"] = bench_ingest(args.events)
    for name, module, func in (
        ("simulate", "bench.simulate_bench", "bench_simulator"),
        ("metrics", "bench.metrics_bench", "bench_metrics"),
        ("scale", "bench.scale_bench", "bench_scale"),
        ("vendor", "bench.vendor_bench", "bench_vendor"),
        ("connectors", "bench.connectors_bench", "bench_connectors"),
        ("sync", "bench.sync_bench", "bench_sync"),
        ("web", "bench.web_bench", "bench_web"),
        ("coach", "bench.coach_bench", "bench_coach"),
        ("load", "bench.load_bench", "bench_load"),
        ("live", "bench.live_bench", "bench_live"),
        ("slow", "bench.slow_tests", "bench_slow"),
    ):
        if name not in chosen:
            continue
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError:
            print(f"\n== {name}: benchmark not available ==")
            continue
        try:
            results[name] = getattr(mod, func)()
        except Exception:
            # One section failing must not hide the others' figures: said, then the exit code.
            traceback.print_exc()
            print(f"\n== {name}: FAILED (above) ==")
            failed.append(name)
    print_summary(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    if failed:
        sys.exit(f"benchmark sections failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
