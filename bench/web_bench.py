"""Web at tier M: dashboard page p95, GET /v1/metrics latency, API ingest events/s.

A tier-M organisation (10,000 people, 120 days) is simulated and ingested once; `uptake serve`
runs on it as a real process on loopback and a real HTTP client measures, one request at a
time (the server queues requests on its one DuckDB writer, so concurrency would measure the
queue, not the work). Page times are measured after one warm-up request each.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

PEOPLE = 10_000
DAYS = 120
REPEAT = 20
BATCHES = 10
BATCH = 1_000
TARGET_PAGE_P95_MS = 300


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _timed(call: Any, n: int) -> list[float]:
    call()  # warm-up: first reads load the workspace
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = call()
        out.append(1000 * (time.perf_counter() - t))
        assert r.status_code == 200, r.text[:300]
    return out


def bench_web(work: Path | None = None) -> dict[str, Any]:
    """Set up tier M, serve it, measure, print against the targets.

    Args:
        work: folder for the organisation and workspace (default: a temporary one).

    Returns:
        The measurements (milliseconds and events per second).
    """
    from server_helpers import free_port, start
    from uptake.simulate import simulate
    from uptake.workspace import Workspace

    print(f"\n== web: tier M ({PEOPLE:,} people, {DAYS} days), uptake serve on loopback ==")
    with tempfile.TemporaryDirectory(prefix="uptake-web-bench-") as tmp:
        root = work or Path(tmp)
        t = time.perf_counter()
        sim = simulate(people=PEOPLE, days=DAYS, seed=42, out=root / "sim")
        folder = root / "ws"
        with Workspace.init(folder) as ws:
            for table in ("people", "licenses", "workflows", "events", "tasks", "decisions"):
                ws.ingest(table, [root / "sim" / f"{table}.parquet"], refresh=False)
            ws.refresh()
            tokens = {r: ws.create_token(r)["token"] for r in ("analyst", "ingest")}
        print(f"set-up (simulate + ingest): {time.perf_counter() - t:.0f} s")
        roster = pd.read_parquet(root / "sim" / "people.parquet")["person"].head(500).tolist()
        port = free_port()
        proc = start(folder, port)
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=300) as c:
                analyst = {"Authorization": f"Bearer {tokens['analyst']}"}
                metrics_ms = _timed(lambda: c.get("/v1/metrics", headers=analyst), REPEAT)
                c.cookies.set("uptake_session", tokens["analyst"])
                page_ms = _timed(lambda: c.get("/overview"), REPEAT)
                ingest = {"Authorization": f"Bearer {tokens['ingest']}"}
                last = sim.end
                sent, seconds = 0, 0.0
                for b in range(BATCHES):
                    batch = [
                        {
                            "event_id": f"bench-{b}-{i}",
                            "ts": f"{last.isoformat()}T{9 + i % 8:02d}:{i % 60:02d}:00Z",
                            "person": roster[i % len(roster)],
                            "tool": "office_copilot",
                            "action": "prompt",
                        }
                        for i in range(BATCH)
                    ]
                    t = time.perf_counter()
                    r = c.post("/v1/events", json=batch, headers=ingest)
                    seconds += time.perf_counter() - t
                    assert r.status_code == 200, r.text[:300]
                    sent += BATCH
        finally:
            proc.terminate()
            proc.communicate(timeout=60)
    out = {
        "page_overview_ms": {"p50": statistics.median(page_ms), "p95": _percentile(page_ms, 0.95)},
        "metrics_ms": {"p50": statistics.median(metrics_ms), "p95": _percentile(metrics_ms, 0.95)},
        "ingest_events_per_s": sent / seconds,
    }
    p95 = out["page_overview_ms"]["p95"]
    verdict = "met" if p95 <= TARGET_PAGE_P95_MS else "MISSED"
    print(
        f"dashboard /overview: p50 {out['page_overview_ms']['p50']:.0f} ms, p95 {p95:.0f} ms "
        f"(target p95 ≤ {TARGET_PAGE_P95_MS} ms: {verdict})"
    )
    print(
        f"GET /v1/metrics: p50 {out['metrics_ms']['p50']:.0f} ms, "
        f"p95 {out['metrics_ms']['p95']:.0f} ms"
    )
    print(
        f"POST /v1/events, {BATCHES} batches of {BATCH:,} (each committed and the facts "
        f"refreshed before the reply): {out['ingest_events_per_s']:,.0f} events/s"
    )
    return out


if __name__ == "__main__":
    bench_web()
