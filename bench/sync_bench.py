"""`uptake sync` of a simulated 30 days from the stub vendor APIs on loopback.

The simulator's vendor view of a 500-person organisation is served by the stub (every
source: GitHub report links and signed downloads, Graph by date, Anthropic, Cursor, Codex,
Google), and one `Workspace.sync` pulls the last 30 days into a fresh workspace, then a
second sync of the same days measures the idempotent re-run (it must add nothing). Times
are wall clock over real HTTP; the first includes ingest and the facts refresh.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

PEOPLE = 500
DAYS = 30


def bench_sync(people: int = PEOPLE, days: int = DAYS) -> dict[str, Any]:
    """Serve a simulated organisation and time a full sync and an idempotent re-sync.

    Args:
        people: headcount of the simulated organisation.
        days: days the sync covers.

    Returns:
        Seconds for the first and second sync, rows added per source, requests served.
    """
    from bench.sync_stub import run
    from uptake.workspace import Workspace

    print(f"\n== sync: {days} simulated days, {people:,} people, stub vendor APIs on loopback ==")
    stub = run(None, days, people=people)
    api = stub["api"]
    try:
        overrides = {f"sync.base_urls.{k}": v for k, v in stub["settings"].items()}
        ws = Workspace.init(Path(tempfile.mkdtemp(prefix="uptake-sync-bench-")) / "ws", overrides)
        t = time.perf_counter()
        first = ws.sync(env=stub["env"], since=stub["since"], today=stub["today"])
        first_s = time.perf_counter() - t
        t = time.perf_counter()
        second = ws.sync(env=stub["env"], since=stub["since"], today=stub["today"])
        second_s = time.perf_counter() - t
        ws.close()
    finally:
        api.stop()
    per_source = {r.source: {"status": r.status, "rows": r.rows_added} for r in first.results}
    again = sum(r.rows_added for r in second.results)
    requests = sum(api.counts.values())
    for name, got in per_source.items():
        print(f"  {name:<10} {got['status']:<8} {got['rows']:>9,} rows added")
    print(
        f"  first sync {first_s:6.1f} s ({requests:,} requests served in all) · "
        f"second sync {second_s:5.1f} s, {again} rows added (idempotent: expect 0)"
    )
    return {
        "first_seconds": first_s,
        "second_seconds": second_s,
        "second_rows_added": again,
        "sources": per_source,
        "requests": requests,
    }
