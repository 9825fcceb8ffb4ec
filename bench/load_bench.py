"""Under load on loopback: event writers, dashboard readers and full refreshes at once.

The coach benchmark's organisation (2,000 people, 90 days) is simulated and ingested once;
`uptake serve` runs on it as a real process on loopback. Closed-loop clients (each sends its
next request when the last is answered) post event batches, read dashboard pages and JSON,
and an admin asks for a full refresh every few seconds. Writes and audited reads wait their
turn in the server's queue for the DuckDB writer; aggregate reads (`/v1/metrics`, pages of
ingested data) take theirs in a read queue beside it, on a second connection. Latency here is
mostly time spent queued behind the others' work or sharing the two cores with it, not the
cost of one request alone (the web benchmark measures that). A dashboard page a reader has
seen recently is shown from that copy while the server is busy (`[serve] page_lag_s`), so the
pages' p50 is a reader's repeat view and their p99 a first view; the steady phase is long
enough for each reader to come back to each page.

Two phases: a steady run, after which the server stops and the workspace is reopened to
check that every acknowledged event is there; then the same load again, ended by SIGKILL
mid-load, and the same check: acknowledged events lost must be 0.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from bench.coach_bench import _percentile, _setup

# Where each phase's server writes its log (kept after the run, beside the bench's files).
SERVER_LOG = str(Path(__file__).parent / "out" / "load-{phase}-server.log")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

SECONDS = 90.0  # long enough for readers to view each page again (their copies)
WRITERS = 4
READERS = 4
REFRESH_EVERY = 10.0
BATCH = 500  # events per POST
KILL_AFTER = 15.0  # seconds of load before the SIGKILL phase's kill
KILL_WAIT = 300.0  # at most this much longer for every writer's first acknowledged batch


def _tokens(folder: Path, sim: Path, admin: str) -> tuple[dict[str, str], list[str], str]:
    """The tokens the load needs (ingest, analyst, a manager, admin), people, the last day."""
    from uptake.workspace import Workspace

    roster = pd.read_parquet(sim / "people.parquet")
    team = str(roster["team"].dropna().value_counts().sort_index().idxmax())
    manager = str(roster.loc[roster["team"] == team, "manager"].dropna().iloc[0])
    with Workspace.open(folder) as ws:
        tokens = {
            "admin": admin,
            "ingest": ws.create_token("ingest")["token"],
            "analyst": ws.create_token("analyst")["token"],
            "manager": ws.create_token("manager", [f"team:{team}", f"person:{manager}"])["token"],
        }
        last = ws.con.execute("SELECT max(ts)::DATE FROM events").fetchone()
    assert last is not None and last[0] is not None
    return tokens, sorted(roster["person"].astype(str)), last[0].isoformat()


def _batches(tag: str, people: list[str], day: str) -> Any:
    """`batch(client, n)`: a writer's n-th batch, fresh event ids, activity on `day`."""

    def batch(client: int, n: int) -> list[dict[str, Any]]:
        rng = random.Random(f"{tag}-{client}-{n}")
        return [
            {
                "event_id": f"load-{tag}-{client}-{n}-{j}",
                "ts": f"{day}T{8 + j % 10:02d}:{j % 60:02d}:{rng.randrange(60):02d}Z",
                "person": rng.choice(people),
                "tool": "office_copilot",
                "action": rng.choice(("prompt", "accept", "session_start")),
            }
            for j in range(BATCH)
        ]

    return batch


def kinds(load: Any, until: float | None = None) -> dict[str, dict[str, Any]]:
    """Per kind of request: count, statuses, and 2xx latency percentiles (ms).

    Args:
        load: a finished `Load`.
        until: count only replies that ended before this (seconds from the start).

    Returns:
        {kind: {requests, ok, errors {status: n}, why, p50_ms, p95_ms, p99_ms, max_ms}},
        `why` the failures by reason: {reason: {n, first}} (`first` the wall-clock time of
        the first, as the server's log writes it).
    """
    out: dict[str, dict[str, Any]] = {}
    for kind in sorted({r.kind for r in load.replies}):
        mine = [r for r in load.replies if r.kind == kind and (until is None or r.at < until)]
        ok = [r.ms for r in mine if 200 <= r.status < 300] or [float("nan")]
        errors = Counter(r.status for r in mine if not 200 <= r.status < 300)
        out[kind] = {
            "requests": len(mine),
            "ok": sum(200 <= r.status < 300 for r in mine),
            "errors": dict(sorted(errors.items())),
            "why": _reasons(load, [r for r in mine if not 200 <= r.status < 300]),
            "p50_ms": _percentile(ok, 0.5),
            "p95_ms": _percentile(ok, 0.95),
            "p99_ms": _percentile(ok, 0.99),
            "max_ms": max(ok),
        }
    return out


def _reasons(load: Any, failed: list[Any]) -> dict[str, dict[str, Any]]:
    """Failed replies by reason (status and body, or the connection's error), the first's time."""
    from datetime import datetime

    out: dict[str, dict[str, Any]] = {}
    for r in sorted(failed, key=lambda r: r.at):
        first = datetime.fromtimestamp(load.started_at + r.at).strftime("%H:%M:%S,%f")[:-3]
        out.setdefault(f"{r.status or 'no reply'}: {r.why}", {"n": 0, "first": first})["n"] += 1
    return out


def bench_load(
    seconds: float = SECONDS,
    writers: int = WRITERS,
    readers: int = READERS,
    refresh_every: float = REFRESH_EVERY,
    kill_after: float = KILL_AFTER,
    pace_s: float | None = None,
) -> dict[str, Any]:
    """Serve a simulated organisation, load it, kill it mid-load, check nothing acked is lost.

    Args:
        seconds: length of the steady phase.
        writers: event-posting clients.
        readers: dashboard-reading clients.
        refresh_every: seconds between full refreshes asked by the admin client.
        kill_after: seconds of load before the SIGKILL.
        pace_s: seconds between the starts of a writer's batches (None: each writer posts its
            next batch as soon as the last is answered).

    Returns:
        Per phase: clients, seconds, requests per kind with latency percentiles and errors,
        events acknowledged, committed and lost.
    """
    from server_helpers import Load, committed, free_port, kill_mid_load, start

    paced = f", a batch every {pace_s:g} s each" if pace_s else ""
    print(
        f"\n== load: {writers} writers ({BATCH} events a batch{paced}), {readers} dashboard "
        f"readers, a full refresh every {refresh_every:g} s; uptake serve on loopback =="
    )
    saved = os.environ.get("UPTAKE__SERVE__WARM")
    out: dict[str, Any] = {"writers": writers, "readers": readers, "batch": BATCH}
    with tempfile.TemporaryDirectory(prefix="uptake-load-bench-") as tmp:
        t = time.perf_counter()
        folder, coach_tokens, _asked, _workflows = _setup(Path(tmp))
        tokens, people, day = _tokens(folder, Path(tmp) / "sim", coach_tokens["admin"])
        print(f"set-up (simulate + ingest): {time.perf_counter() - t:.0f} s")
        # The start-up warm-up would be one more client in the queue at the start.
        os.environ["UPTAKE__SERVE__WARM"] = "false"
        try:
            for phase in ("steady", "sigkill"):
                port = free_port()
                # The server's log is kept: a 5xx's traceback is in it (one 500 of
                # `/v1/signals` on 7 December could not be traced, its log thrown away).
                server_log = SERVER_LOG.format(phase=phase)
                Path(server_log).parent.mkdir(parents=True, exist_ok=True)
                with open(server_log, "w") as log:
                    proc = start(folder, port, stdout=subprocess.DEVNULL, stderr=log)
                load = Load(port, tokens, _batches(phase, people, day), writers=writers,
                            readers=readers, refresh_every=refresh_every,
                            pace_s=pace_s)  # fmt: skip
                killed = None
                if phase == "steady":
                    try:
                        load.run(seconds)
                    finally:
                        proc.terminate()
                        proc.communicate(timeout=120)
                else:
                    # Killed once `kill_after` has passed and every writer had a batch acknowledged.
                    def ready(ld: Load) -> bool:
                        return ld.elapsed() >= kill_after and ld.acked_count() >= writers * BATCH

                    killed = kill_mid_load(proc, load, ready, within=kill_after + KILL_WAIT)
                stored = committed(folder, load.acked)
                out[phase] = {
                    "seconds": killed if killed is not None else load.seconds,
                    "kinds": kinds(load, killed),
                    "sent_events": load.sent_events,
                    "acked_events": len(load.acked),
                    "committed_events": len(stored),
                    "lost_events": len(set(load.acked) - stored),
                    "not_all_accepted": len(load.wrong),
                    "after_kill": Counter(
                        r.status for r in load.replies if killed is not None and r.at >= killed
                    ),
                }
        finally:
            if saved is None:
                os.environ.pop("UPTAKE__SERVE__WARM", None)
            else:
                os.environ["UPTAKE__SERVE__WARM"] = saved
    _report(out)
    return out


def _report(out: dict[str, Any]) -> None:
    for phase in ("steady", "sigkill"):
        m = out[phase]
        failed = sum(n for k in m["kinds"].values() for s, n in k["errors"].items()
                     if s and int(s) >= 500)  # fmt: skip
        head = (
            f"steady phase: {m['seconds']:.0f} s"
            if phase == "steady"
            else f"SIGKILL phase: killed after {m['seconds']:.0f} s of load"
        )
        print(f"{head}, {out['writers']} writers + {out['readers']} readers + 1 refresher")
        for kind, k in m["kinds"].items():
            errors = ", ".join(f"{s or 'no reply'}: {n}" for s, n in k["errors"].items())
            # No 2xx reply in the phase: there is no latency to give (it had read "nan ms").
            if not k["requests"]:
                print(f"  {kind}: no reply in this phase")
                continue
            if not k["ok"]:
                print(f"  {kind}: {k['requests']} requests, no 2xx, errors {{{errors}}}")
                continue
            print(
                f"  {kind}: {k['requests']} requests, {k['ok']} 2xx, errors "
                f"{{{errors}}}; latency p50 {k['p50_ms']:.0f} ms, p95 {k['p95_ms']:.0f} ms, "
                f"p99 {k['p99_ms']:.0f} ms, max {k['max_ms']:.0f} ms"
            )
        for kind, k in m["kinds"].items():
            for why, w in k["why"].items():
                print(f"  {kind} failed {w['n']}× (first at {w['first']}): {why}")
        if failed:
            said = "1 reply" if failed == 1 else f"{failed} replies"
            print(f"  {said} 5xx: the server's log is {SERVER_LOG.format(phase=phase)}")
        rate = m["acked_events"] / m["seconds"] if m["seconds"] else float("nan")
        print(
            f"  events: sent {m['sent_events']:,}, acknowledged {m['acked_events']:,} "
            f"({rate:,.0f}/s), committed {m['committed_events']:,}; acknowledged events lost: "
            f"{m['lost_events']} (target 0: {'met' if m['lost_events'] == 0 else 'MISSED'})"
        )
        if phase == "sigkill":
            print(
                f"  in flight at the kill (sent, not acknowledged): "
                f"{m['sent_events'] - m['acked_events']:,} events; requests cut by the kill: "
                f"{sum(m['after_kill'].values())}"
            )
    fivexx = sum(
        n
        for phase in ("steady", "sigkill")
        for k in out[phase]["kinds"].values()
        for s, n in k["errors"].items()
        if s >= 500 or s == 0
    )
    print(f"target: no 5xx and no dropped connection before the kill: "
          f"{'met' if fivexx == 0 else f'MISSED ({fivexx})'}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.load_bench")
    parser.add_argument("--seconds", type=float, default=SECONDS, help="steady phase length")
    parser.add_argument("--writers", type=int, default=WRITERS)
    parser.add_argument("--readers", type=int, default=READERS)
    parser.add_argument("--refresh-every", type=float, default=REFRESH_EVERY)
    parser.add_argument("--kill-after", type=float, default=KILL_AFTER)
    parser.add_argument(
        "--pace", type=float, default=None, help="seconds between a writer's batches (paced)"
    )
    args = parser.parse_args()
    bench_load(
        args.seconds, args.writers, args.readers, args.refresh_every, args.kill_after, args.pace
    )
