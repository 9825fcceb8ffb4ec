"""Scaling benchmark: full recompute of every metric and signal, and one more day, S → M → L.

Per tier, a simulated organisation (120 days) is generated and ingested into a workspace
(setup, timed and printed but not a target), the early-warning model is trained once, the
live flags take their first look at the history (as a workspace's first ingest does, which
also scores the feedback texts for the voice scores kept), and two more days of events (the
last simulated day again, one and two days later, new event ids) are kept aside. Then, each
in a fresh child process so its peak memory (VmHWM) is its own:

* `recompute` — facts rebuilt from scratch, every metric family, every signal (the
  workspace's `signals()`, scoring with the trained model; no release plan kept from an
  earlier process), timed part by part; the sum is
  compared with the targets (M ≤ 20 s and 4 GB, L ≤ 5 min and 12 GB);
* `signals alone` — every signal again in a fresh process over the built facts;
* `first day after setup` — ingest the first extra day (one batch) and refresh the facts and
  the live flags incrementally, as `uptake ingest` does; its queries are met in this form for
  the first time (a day-by-day update, a refresh stamped by parameter), so they are compiled;
* `one more day` — the same for the second extra day: what a running workspace does each
  day, its queries filled from the SQL templates kept (targets: ≤ 3 s at M, ≤ 30 s at L);
* `signals, nothing kept` — every signal with the workspace's caches emptied first (no
  compiled SQL, no voice scores, no release plans), as for a workspace whose feedback was
  never scored.

It ends with the curve: people, events, recompute seconds and peak memory per tier.
`python -m bench.scale_bench S M L` (`make bench-l`) runs tier L, which simulates and ingests
about 110 M events first; `--tiers` between are allowed (`30k` = 30 000 people).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.metrics_bench import _peak_mb

ROOT = Path(__file__).resolve().parent.parent
TIERS: dict[str, int] = {"S": 1_000, "M": 10_000, "30k": 30_000, "L": 100_000}
DAYS = 120
START = date(2026, 3, 2)
SEED = 7
# Full recompute (seconds, peak MB) and one more day (seconds), per tier.
RECOMPUTE_TARGETS = {"M": (20.0, 4096.0), "L": (300.0, 12288.0)}
ONE_DAY_TARGETS = {"M": 3.0, "L": 30.0}
# The days after the simulated ones: the first after setup, then the next.
DAY_FILES = ("next_day.parquet", "day_after.parquet")


# -- child processes -------------------------------------------------------------------------


def _child_setup(work: Path, people: int) -> dict[str, Any]:
    import duckdb

    from uptake.metrics.facts import refresh
    from uptake.simulate.run import TABLE_ORDER, simulate
    from uptake.workspace import Workspace

    t0 = time.perf_counter()
    s = simulate(people, DAYS, SEED, start=START, out=work / "sim")
    t1 = time.perf_counter()
    ws = Workspace.init(work / "ws")
    for name in TABLE_ORDER:
        ws.ingest(name, [work / "sim" / f for f in s.files[name][:1]], fmt="parquet", refresh=False)
    t2 = time.perf_counter()
    # The extra days: the last simulated day again, one and two days later, under new ids.
    events = str(work / "sim" / s.files["events"][0])
    for n, name in enumerate(DAY_FILES, start=1):
        duckdb.execute(
            f"""COPY (SELECT * REPLACE
                    (ts + INTERVAL {n} DAY AS ts, event_id || '+{n}d' AS event_id)
                FROM read_parquet('{events}') WHERE CAST(ts AS DATE) =
                    (SELECT max(CAST(ts AS DATE)) FROM read_parquet('{events}')))
                TO '{work / name}' (FORMAT PARQUET)"""
        )
    extra = duckdb.execute(f"SELECT count(*) FROM '{work / DAY_FILES[0]}'").fetchone()
    t3 = time.perf_counter()
    refresh(ws.engine(), ws.settings.metrics, full=True)
    t4 = time.perf_counter()
    from uptake.metrics.context import MetricContext
    from uptake.signals.early_warning.model import train

    as_of = s.end - timedelta(days=1)
    k = ws.settings.privacy.min_group_size
    train(MetricContext(ws.engine(), as_of, ws.settings.metrics, k), ws.model_dir)
    t5 = time.perf_counter()
    # The live path's first look at history (the whole recent window), as the first
    # `uptake ingest` of a workspace takes it: one more day then measures the update a
    # running workspace makes, not this first look.
    first_look = ws.update_live().mode
    t6 = time.perf_counter()
    ws.close()
    shutil.rmtree(work / "sim")
    return {
        "rows": s.rows,
        "as_of": as_of.isoformat(),
        "simulate_s": t1 - t0,
        "ingest_s": t2 - t1,
        "facts_s": t4 - t3,
        "train_s": t5 - t4,
        "first_live_s": t6 - t5,
        "first_live_mode": first_look,
        "next_day_events": int(extra[0]) if extra else 0,
    }


def _child_recompute(work: Path, as_of: date) -> dict[str, Any]:
    from uptake.metrics import FAMILIES, compute_all
    from uptake.metrics.facts import refresh
    from uptake.workspace import Workspace
    from uptake.workspace.layout import PLAN_CACHE_DIR

    # A recompute plans every population again: no release plan kept by an earlier process.
    shutil.rmtree(work / "ws" / PLAN_CACHE_DIR, ignore_errors=True)
    ws = Workspace.open(work / "ws")
    settings, k = ws.settings.metrics, ws.settings.privacy.min_group_size
    t0 = time.perf_counter()
    refresh(ws.engine(), settings, full=True)
    t1 = time.perf_counter()
    report = compute_all(ws.engine(), as_of, settings, k, families=FAMILIES)
    t2 = time.perf_counter()
    signals = ws.signals(as_of)
    t3 = time.perf_counter()
    ws.close()
    return {
        "seconds": t3 - t0,
        "facts_s": t1 - t0,
        "metrics_s": t2 - t1,
        "signals_s": t3 - t2,
        "metrics": len(report.to_dict()["metrics"]),
        "people_with_signals": len(signals.people),
    }


def _child_signals(work: Path, as_of: date, cold: bool = False) -> dict[str, Any]:
    from uptake.workspace import Workspace
    from uptake.workspace.layout import PLAN_CACHE_DIR

    if cold:
        # Nothing kept from earlier processes: no compiled SQL, no voice scores, no plans.
        shutil.rmtree(work / "ws" / "cache", ignore_errors=True)
    else:
        # As in the recompute: the team report's release plan is made again.
        shutil.rmtree(work / "ws" / PLAN_CACHE_DIR, ignore_errors=True)
    ws = Workspace.open(work / "ws")
    t0 = time.perf_counter()
    ws.signals(as_of)
    seconds = time.perf_counter() - t0
    ws.close()
    return {"seconds": seconds}


def _child_one_day(work: Path, name: str) -> dict[str, Any]:
    from uptake.metrics.facts import refresh
    from uptake.workspace import Workspace

    ws = Workspace.open(work / "ws")
    t0 = time.perf_counter()
    result = ws.ingest("events", [work / name], fmt="parquet", refresh=False)
    t1 = time.perf_counter()
    # The facts first, on their own; then what else `ws.refresh()` does after an ingest.
    report = refresh(ws.engine(), ws.settings.metrics)
    t2 = time.perf_counter()
    live = ws.refresh().live or {}
    t3 = time.perf_counter()
    ws.close()
    return {
        "seconds": t3 - t0,
        "ingest_s": t1 - t0,
        "facts_s": t2 - t1,
        "rest_s": t3 - t2,
        "accepted": sum(r.accepted for r in result),
        "mode": report.mode,
        "live_mode": str(live.get("mode", "off")),
    }


def _child(argv: list[str]) -> None:
    kind, work = argv[0], Path(argv[1])
    if kind == "setup":
        out = _child_setup(work, int(argv[2]))
    elif kind == "recompute":
        out = _child_recompute(work, date.fromisoformat(argv[2]))
    elif kind in ("signals", "signals-cold"):
        out = _child_signals(work, date.fromisoformat(argv[2]), cold=kind == "signals-cold")
    else:
        out = _child_one_day(work, argv[2])
    out["peak_mb"] = _peak_mb()
    print(json.dumps(out))


def _run(*args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.scale_bench", "--child", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"bench child {args[0]} failed:\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# -- the benchmark ---------------------------------------------------------------------------


def _verdict(ok: bool | None) -> str:
    return "" if ok is None else (" yes" if ok else " NO")


def bench_scale_tier(tier: str, work: Path) -> dict[str, Any]:
    """Set up one tier in `work`, time the recompute and one more day, print the lines.

    Args:
        tier: a key of TIERS.
        work: empty scratch folder.

    Returns:
        The tier's measurements.
    """
    people = TIERS[tier]
    t0 = time.perf_counter()
    setup = _run("setup", str(work), str(people))
    events = setup["rows"]["events"]
    print(
        f"\n-- tier {tier}: {people:,} people, {events:,} events, {DAYS} days "
        f"(setup {time.perf_counter() - t0:.0f}s: simulate {setup['simulate_s']:.0f}s, "
        f"ingest {setup['ingest_s']:.0f}s = {events / setup['ingest_s']:,.0f} events/s, "
        f"facts {setup['facts_s']:.0f}s, training the early warning {setup['train_s']:.0f}s, "
        f"the live flags' first look at the window {setup['first_live_s']:.0f}s) --",
        flush=True,
    )
    full = _run("recompute", str(work), setup["as_of"])
    alone = _run("signals", str(work), setup["as_of"])
    # The first day after setup meets queries the workspace has not run in that form yet;
    # the day after is the update a running workspace makes every day (the target's).
    first_day = _run("one-day", str(work), DAY_FILES[0])
    day = _run("one-day", str(work), DAY_FILES[1])
    # Last, as it empties the workspace's caches (the same as-of day, so the same signals).
    cold = _run("signals-cold", str(work), setup["as_of"])
    target, day_target = RECOMPUTE_TARGETS.get(tier), ONE_DAY_TARGETS.get(tier)
    met = None if target is None else full["seconds"] <= target[0] and full["peak_mb"] <= target[1]
    note = "" if target is None else f"<= {target[0]:.0f}s, <= {target[1] / 1024:.0f} GB"
    print(f"{'measurement':40} {'seconds':>9} {'peak MB':>9} {'target':>20}")
    print(
        f"{'full recompute: metrics + signals':40} {full['seconds']:>9.2f} "
        f"{full['peak_mb']:>9,.0f} {note + _verdict(met):>20}"
    )
    print(
        f"  of which facts {full['facts_s']:.2f}s · {full['metrics']} metrics "
        f"{full['metrics_s']:.2f}s · signals {full['signals_s']:.2f}s "
        f"({full['people_with_signals']:,} people)"
    )
    print(
        f"{'signals alone (fresh process)':40} {alone['seconds']:>9.2f} {alone['peak_mb']:>9,.0f}"
    )
    print(
        f"{'  the same, nothing kept (SQL, voice)':40} {cold['seconds']:>9.2f} "
        f"{cold['peak_mb']:>9,.0f}"
    )
    day_met = None if day_target is None else day["seconds"] <= day_target
    day_note = "" if day_target is None else f"<= {day_target:.0f}s"
    for label, d, verdict in (
        ("first day after setup: ingest + refresh", first_day, ""),
        ("one more day (the next): ingest + refresh", day, day_note + _verdict(day_met)),
    ):
        print(f"{label:40} {d['seconds']:>9.2f} {d['peak_mb']:>9,.0f} {verdict:>20}")
        print(
            f"  of which ingest {d['ingest_s']:.2f}s ({d['accepted']:,} events) · "
            f"facts {d['facts_s']:.2f}s ({d['mode']}) · the rest of `refresh` (live flags, "
            f"{d['live_mode']}) {d['rest_s']:.2f}s",
            flush=True,
        )
    return {
        "tier": tier,
        "people": people,
        "events": events,
        "setup": setup,
        "recompute": full,
        "signals_alone": alone,
        "signals_nothing_kept": cold,
        "first_day_after_setup": first_day,
        "one_more_day": day,
        "recompute_met": met,
        "one_more_day_met": day_met,
    }


def print_curve(results: list[dict[str, Any]]) -> None:
    """The scaling curve: one line per tier, with its targets."""
    print("\nscaling curve (full recompute = facts + every metric + every signal)")
    print(
        f"{'tier':5} {'people':>8} {'events':>12} {'setup s':>8} {'recompute s':>12} "
        f"{'peak MB':>8} {'target':>16} {'one day s':>10} {'target':>8}"
    )
    for r in results:
        t, d = RECOMPUTE_TARGETS.get(r["tier"]), ONE_DAY_TARGETS.get(r["tier"])
        setup = r["setup"]["simulate_s"] + r["setup"]["ingest_s"]
        target = "" if t is None else f"<= {t[0]:.0f}s/{t[1] / 1024:.0f}GB"
        print(
            f"{r['tier']:5} {r['people']:>8,} {r['events']:>12,} {setup:>8.0f} "
            f"{r['recompute']['seconds']:>12.2f} {r['recompute']['peak_mb']:>8,.0f} "
            f"{target + _verdict(r['recompute_met']):>16} "
            f"{r['one_more_day']['seconds']:>10.2f} "
            f"{('' if d is None else f'<= {d:.0f}s') + _verdict(r['one_more_day_met']):>8}"
        )


def bench_scale(
    tiers: tuple[str, ...] = ("S", "M"), *, keep: Path | None = None
) -> list[dict[str, Any]]:
    """Run the scaling benchmark over tiers and print the curve.

    Args:
        tiers: keys of TIERS, smallest first.
        keep: folder to keep each tier's workspace in (default: a temporary one).

    Returns:
        One result per tier.
    """
    print("\n== scale (full recompute of metrics and signals, one more day; fresh processes) ==")
    results = []
    for tier in tiers:
        if keep is not None:
            work = keep / f"tier-{tier}"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            results.append(bench_scale_tier(tier, work))
            continue
        with tempfile.TemporaryDirectory(prefix=f"uptake-scale-{tier}-") as tmp:
            results.append(bench_scale_tier(tier, Path(tmp)))
    print_curve(results)
    return results


def main() -> None:
    """Command line: `python -m bench.scale_bench [S M 30k L] [--keep DIR] [--json FILE]`."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(prog="python -m bench.scale_bench")
    parser.add_argument("tiers", nargs="*", default=["S", "M"], help=f"of {', '.join(TIERS)}")
    parser.add_argument("--keep", type=Path, help="keep the workspaces in this folder")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    unknown = [t for t in args.tiers if t not in TIERS]
    if unknown:
        parser.error(f"unknown tier(s) {unknown}; choose from {', '.join(TIERS)}")
    results = bench_scale(tuple(args.tiers), keep=args.keep)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
