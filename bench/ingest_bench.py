"""Ingestion benchmark: 1 M canonical events from Parquet, CSV and JSON Lines.

Each measurement runs in a fresh child process so its peak memory is its own. Next to uptake's
full pipeline (validate, resolve, redact, dedupe, quarantine, commit) the same files are loaded
two simpler ways in the same run: a raw DuckDB load with no checks (the floor) and pandas
reading plus a minimal parse-and-dedupe (a straightforward implementation).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from statistics import median

import numpy as np
import pandas as pd

TARGETS = {"parquet": 1_000_000, "csv": 200_000, "jsonl": 200_000}
PEOPLE = 10_000
# Goal: uptake's ingest within this factor of an unchecked DuckDB load of the same file.
FLOOR_GOAL = 1.5
# Alternating runs of uptake and the raw load per format (each side summarised by its median).
REPEATS = 3


def make_events(n: int, out: Path) -> dict[str, Path]:
    """Write `n` canonical events as Parquet, CSV and JSON Lines (fixed seed)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {fmt: out / f"events_{n}.{fmt}" for fmt in TARGETS}
    if all(p.exists() for p in paths.values()):
        return paths
    rng = np.random.default_rng(42)
    ts = pd.Timestamp("2026-06-01") + pd.to_timedelta(rng.integers(0, 120 * 86400, n), unit="s")
    people = np.array([f"user{i}@corp.example" for i in range(PEOPLE)])
    actions = np.array(["session_start", "prompt", "suggestion", "accept", "reject", "edit"])
    frame = pd.DataFrame(
        {
            "event_id": [f"ev{i:09d}" for i in range(n)],
            "ts": ts,
            "person": people[rng.integers(0, PEOPLE, n)],
            "tool": np.array(["m365-copilot", "github-copilot"])[rng.integers(0, 2, n)],
            "action": actions[rng.integers(0, len(actions), n)],
            "surface": np.array(["word", "excel", "vscode", "teams"])[rng.integers(0, 4, n)],
            "workflow": np.array(["wf_a", "wf_b", "wf_c"])[rng.integers(0, 3, n)],
            "session_id": [f"s{i // 12}" for i in range(n)],
            "duration_ms": rng.integers(100, 600_000, n),
            "value": rng.random(n).round(4),
        }
    )
    frame.to_parquet(paths["parquet"], index=False)
    text = frame.assign(ts=frame["ts"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    text.to_csv(paths["csv"], index=False)
    text.to_json(paths["jsonl"], orient="records", lines=True)
    return paths


_CHILD = {
    "uptake": """
        from uptake.workspace import Workspace
        ws = Workspace.init(WS)
        t = time.perf_counter()
        # Ingest alone: the facts refresh is timed by the metrics benchmark.
        [r] = ws.ingest("events", [PATH], refresh=False)
        seconds = time.perf_counter() - t
        assert r.accepted == r.rows, r.to_dict()
        rows = r.rows
    """,
    "duckdb_raw": """
        import duckdb
        con = duckdb.connect(WS + ".duckdb")
        con.execute("SET enable_progress_bar = false")
        reader = {"parquet": "read_parquet", "csv": "read_csv", "jsonl": "read_json"}[FMT]
        t = time.perf_counter()
        con.execute(f"CREATE TABLE events AS SELECT * FROM {reader}('{PATH}')")
        seconds = time.perf_counter() - t
        rows = con.execute("SELECT count(*) FROM events").fetchone()[0]
    """,
    "pandas": """
        import pandas as pd
        t = time.perf_counter()
        if FMT == "parquet":
            df = pd.read_parquet(PATH)
        elif FMT == "csv":
            df = pd.read_csv(PATH)
        else:
            df = pd.read_json(PATH, lines=True)
        df["ts"] = pd.to_datetime(df["ts"], utc=True, errors="coerce")
        df = df[df["ts"].notna() & df["person"].notna()].drop_duplicates("event_id")
        df.to_parquet(WS + ".parquet")
        seconds = time.perf_counter() - t
        rows = len(df)
    """,
}


def _run_child(kind: str, fmt: str, path: Path, work: Path) -> dict[str, float]:
    body = textwrap.dedent(_CHILD[kind])
    # Peak memory from VmHWM of the child's own address space: ru_maxrss would carry over the
    # parent's peak across fork and exec.
    code = (
        "import json, time\n"
        f"WS, PATH, FMT = {str(work / (kind + '_' + fmt))!r}, {str(path)!r}, {fmt!r}\n"
        + body
        + "\nhwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM')][0]\n"
        "print(json.dumps({'seconds': seconds, 'rows': rows, "
        "'peak_mb': int(hwm.split()[1]) / 1024}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{kind}/{fmt} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_ingest(
    n: int = 1_000_000, data_dir: Path | None = None, repeats: int = REPEATS
) -> list[dict[str, object]]:
    """Run the ingestion benchmark and print one line per format.

    uptake and the raw load alternate `repeats` times per format and each is summarised by its
    median: on a shared machine one pair of runs can differ by ±40 % from the next.

    Args:
        n: number of events.
        data_dir: where the generated input files are cached.
        repeats: runs of uptake and of the raw load per format (alternating).

    Returns:
        One result row per format.
    """
    data_dir = data_dir or Path(__file__).parent / "out"
    paths = make_events(n, data_dir)
    results = []
    print(
        f"\n== ingest {n:,} canonical events (validated, resolved, deduplicated; "
        f"median of {repeats} alternating runs) =="
    )
    print(
        f"{'format':8} {'events/s':>12} {'target':>10} {'met':>4} {'peak MB':>8} "
        f"{'raw DuckDB/s':>13} {'vs raw DuckDB':>14} {'≤ 1.5×':>7} {'vs pandas':>10}  "
        "per pair"
    )
    for fmt, path in paths.items():
        ups: list[dict[str, float]] = []
        raws: list[dict[str, float]] = []
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            for i in range(repeats):
                run = work / f"run{i}"
                run.mkdir()
                ups.append(_run_child("uptake", fmt, path, run))
                raws.append(_run_child("duckdb_raw", fmt, path, run))
                shutil.rmtree(run)
            pdx = _run_child("pandas", fmt, path, work)
        up_s = median([u["seconds"] for u in ups])
        raw_s = median([r["seconds"] for r in raws])
        rows = ups[0]["rows"]
        rate, raw_rate = rows / up_s, rows / raw_s
        # The floor: uptake's time over an unchecked load of the same file.
        vs_raw = up_s / raw_s
        pairs = [u["seconds"] / r["seconds"] for u, r in zip(ups, raws, strict=True)]
        row = {
            "format": fmt,
            "events_per_s": rate,
            "target": TARGETS[fmt],
            "met": rate >= TARGETS[fmt],
            "peak_mb": max(u["peak_mb"] for u in ups),
            "seconds": up_s,
            "seconds_runs": [u["seconds"] for u in ups],
            "raw_duckdb_s": raw_s,
            "raw_duckdb_s_runs": [r["seconds"] for r in raws],
            "raw_duckdb_events_per_s": raw_rate,
            "vs_raw_duckdb": vs_raw,
            "vs_raw_duckdb_pairs": pairs,
            "vs_raw_met": vs_raw <= FLOOR_GOAL,
            "pandas_s": pdx["seconds"],
        }
        results.append(row)
        print(
            f"{fmt:8} {rate:>12,.0f} {TARGETS[fmt]:>10,} {'yes' if row['met'] else 'NO':>4} "
            f"{row['peak_mb']:>8,.0f} {raw_rate:>13,.0f} {vs_raw:>13.2f}x "
            f"{'yes' if row['vs_raw_met'] else 'NO':>7} {pdx['seconds'] / up_s:>9.1f}x  "
            f"{min(pairs):.2f}-{max(pairs):.2f}x"
        )
    print(
        "(vs raw DuckDB: uptake's median time ÷ the median of an unchecked `CREATE TABLE AS "
        f"SELECT * FROM read_*` of the same file, lower is better, goal ≤ {FLOOR_GOAL}×; per pair: "
        "the ratio within each alternating pair; vs pandas: pandas time ÷ uptake time, higher "
        "is better)"
    )
    return results
