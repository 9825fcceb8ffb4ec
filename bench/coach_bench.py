"""Coach decision latency over HTTP on loopback: GET /v1/coach/next at a fixed rate, open loop.

A simulated organisation is ingested once; `uptake serve` runs on it as a real process on
loopback. After one warm-up call (the first builds the coach's state), requests are sent on
a fixed schedule (200 a second for 30 s by default) by a bounded pool of worker threads, each
with its own keep-alive connection: a slow reply delays later sends, it does not lower the
rate asked for. Latency is measured from the moment a request was due (queueing in the
client counts: no coordinated omission) and from the moment it was sent. The mix: a host
app's coach token and an admin asking for many people, people's own tokens, several surfaces
and workflows, and one in ten calls a `POST /v1/coach/interactions` on a card seen earlier.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

PEOPLE = 2_000
DAYS = 90
RATE = 200.0
SECONDS = 30.0
WORKERS = 32  # never more requests in flight than this
ASKED_FOR = 800  # people the host asks about
PERSON_TOKENS = 40
POST_SHARE = 0.1
TARGET_P99_MS = 25.0
DRAIN = 10.0  # seconds after the schedule ends to finish; later calls are dropped, not sent
SURFACES = ("excel", "word", "outlook", "teams", "browser", None)


@dataclass
class Call:
    """One scheduled request."""

    due: float  # seconds after the start
    method: str
    path: str
    token: str
    who: str = "admin"  # which kind of token asks


@dataclass
class Result:
    """What happened to one call."""

    method: str
    status: int
    from_due_ms: float
    from_send_ms: float
    who: str = "admin"


@dataclass
class Shared:
    """What the workers share: cards seen (for interactions) and results."""

    cards: list[str] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _schedule(
    rate: float, seconds: float, tokens: dict[str, Any], people: list[str], workflows: list[str]
) -> list[Call]:
    """The fixed, seeded list of calls: who asks for whom, where, and when."""
    rng = random.Random(14)
    calls = []
    for i in range(int(rate * seconds)):
        due = i / rate
        if rng.random() < POST_SHARE:
            # The card is picked when the call is sent: one seen earlier in the run.
            calls.append(Call(due, "POST", "/v1/coach/interactions", tokens["admin"]))
            continue
        params: dict[str, str] = {}
        surface = rng.choice(SURFACES)
        if surface:
            params["surface"] = surface
        if rng.random() < 0.7:
            params["workflow"] = rng.choice(workflows)
        draw = rng.random()
        who = "person" if draw < 0.2 else "coach" if draw < 0.65 else "admin"
        if who == "person":
            token = rng.choice(tokens["person"])
        else:
            token = tokens[who]
            params["person"] = rng.choice(people)
        calls.append(Call(due, "GET", "/v1/coach/next?" + urlencode(params), token, who))
    return calls


def _worker(
    port: int, todo: queue.Queue[Call | None], start: float, stop: float, shared: Shared
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    rng = random.Random(threading.get_ident())
    while (call := todo.get()) is not None:
        if time.perf_counter() > stop:
            # Bounded: a backlog past the drain time is counted as dropped, not sent.
            with shared.lock:
                shared.results.append(Result(call.method, -1, float("nan"), float("nan"), call.who))
            continue
        body = None
        if call.method == "POST":
            with shared.lock:
                card = rng.choice(shared.cards) if shared.cards else None
            if card is None:
                continue
            body = json.dumps({"card_id": card, "action": "opened"})
        headers = {"Authorization": f"Bearer {call.token}"}
        if body:
            headers["Content-Type"] = "application/json"
        sent = time.perf_counter()
        try:
            conn.request(call.method, call.path, body=body, headers=headers)
            reply = conn.getresponse()
            data = reply.read()
            status = reply.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            status, data = 0, b""
        done = time.perf_counter()
        due_ms, sent_ms = 1000 * (done - start - call.due), 1000 * (done - sent)
        result = Result(call.method, status, due_ms, sent_ms, call.who)
        with shared.lock:
            shared.results.append(result)
            if call.method == "GET" and status == 200:
                shared.cards.append(json.loads(data)["card_id"])
    conn.close()


def drive(port: int, calls: list[Call], workers: int = WORKERS) -> list[Result]:
    """Send the calls on their schedule with at most `workers` in flight.

    Args:
        port: the server's loopback port.
        calls: the schedule.
        workers: worker threads (the bound on requests in flight).

    Returns:
        One result per call sent.
    """
    todo: queue.Queue[Call | None] = queue.Queue()
    shared = Shared()
    start = time.perf_counter()
    stop = start + (calls[-1].due if calls else 0.0) + DRAIN
    threads = [
        threading.Thread(target=_worker, args=(port, todo, start, stop, shared), daemon=True)
        for _ in range(workers)
    ]
    for t in threads:
        t.start()
    for call in calls:
        wait = start + call.due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        todo.put(call)
    for _ in threads:
        todo.put(None)
    for t in threads:
        t.join(timeout=60)
    return shared.results


def summary(
    results: list[Result], method: str, seconds: float, who: str | None = None
) -> dict[str, Any]:
    """Latency percentiles (ms), achieved rate and errors of one kind of call."""
    results = [r for r in results if who is None or r.who == who]
    mine = [r for r in results if r.method == method and r.status != -1]
    dropped = sum(r.method == method and r.status == -1 for r in results)
    ok = [r for r in mine if 200 <= r.status < 300]
    due = [r.from_due_ms for r in ok] or [float("nan")]
    sent = [r.from_send_ms for r in ok] or [float("nan")]
    return {
        "requests": len(mine),
        "rate_per_s": len(mine) / seconds,
        "errors": len(mine) - len(ok),
        "dropped": dropped,
        "cards": sum(r.status == 200 for r in mine) if method == "GET" else None,
        "p50_ms": _percentile(due, 0.5),
        "p95_ms": _percentile(due, 0.95),
        "p99_ms": _percentile(due, 0.99),
        "max_ms": max(due),
        "p50_from_send_ms": _percentile(sent, 0.5),
        "p99_from_send_ms": _percentile(sent, 0.99),
    }


def _setup(root: Path) -> tuple[Path, dict[str, Any], list[str], list[str]]:
    """Simulate and ingest the organisation; tokens for a host app, an admin, some people."""
    from uptake.evaluate.views import ingest_plan
    from uptake.simulate import simulate
    from uptake.workspace import Workspace

    simulate(people=PEOPLE, days=DAYS, seed=42, out=root / "sim")
    folder = root / "ws"
    with Workspace.init(folder) as ws:
        for table, paths, fmt, options in ingest_plan(root / "sim", "canonical"):
            ws.ingest(table, paths, fmt=fmt, options=options, refresh=False)
        ws.refresh()
        roster = pd.read_parquet(root / "sim" / "people.parquet")
        teams = sorted(str(t) for t in roster["team"].dropna().unique())
        people = sorted(roster["person"].astype(str))
        rng = random.Random(7)
        asked = rng.sample(people, min(ASKED_FOR, len(people)))
        own = rng.sample([p for p in people if p not in set(asked)], PERSON_TOKENS)
        tokens: dict[str, Any] = {
            "admin": ws.create_token("admin")["token"],
            "coach": ws.create_token("coach", [f"team:{t}" for t in teams])["token"],
            "person": [ws.create_token("person", [f"person:{p}"])["token"] for p in own],
        }
        workflows = sorted(
            str(w)
            for w in ws.con.execute(
                "SELECT DISTINCT workflow FROM tasks WHERE workflow IS NOT NULL"
            )
            .df()
            .iloc[:, 0]
        )
    return folder, tokens, asked, workflows[:12] or ["fin.variance_analysis"]


def bench_coach(seconds: float = SECONDS, rate: float = RATE) -> dict[str, Any]:
    """Serve a simulated organisation, drive the coach API at a fixed rate, print the latency.

    Args:
        seconds: how long to drive it.
        rate: requests a second asked for.

    Returns:
        The measurements: `next` and `interactions` (latency in ms, rates, errors), `cold_ms`.
    """
    from server_helpers import free_port, start

    print(f"\n== coach: {PEOPLE:,} people, GET /v1/coach/next at {rate:g}/s for {seconds:g} s ==")
    saved = {k: os.environ.get(k) for k in ("UPTAKE__SERVE__WARM", "UPTAKE__COACH__QUIET_START",
                                            "UPTAKE__COACH__QUIET_END")}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="uptake-coach-bench-") as tmp:
        t = time.perf_counter()
        folder, tokens, asked, workflows = _setup(Path(tmp))
        print(f"set-up (simulate + ingest): {time.perf_counter() - t:.0f} s")
        # Cards at any hour the bench runs; the dashboard warm-up would compete for the queue.
        os.environ.update({"UPTAKE__SERVE__WARM": "false", "UPTAKE__COACH__QUIET_START": "00:00",
                           "UPTAKE__COACH__QUIET_END": "00:00"})  # fmt: skip
        port = free_port()
        proc = start(folder, port)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            t = time.perf_counter()
            conn.request("GET", "/v1/coach/next?" + urlencode({"person": asked[0]}),
                         headers={"Authorization": f"Bearer {tokens['admin']}"})  # fmt: skip
            reply = conn.getresponse()
            reply.read()
            cold = 1000 * (time.perf_counter() - t)
            assert reply.status in (200, 204), reply.status
            conn.close()
            calls = _schedule(rate, seconds, tokens, asked, workflows)
            t = time.perf_counter()
            results = drive(port, calls)
            took = time.perf_counter() - t
        finally:
            proc.terminate()
            proc.communicate(timeout=60)
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    out = {
        "cold_ms": cold,
        "next": summary(results, "GET", took),
        "interactions": summary(results, "POST", took),
        "next_by_token": {
            w: summary(results, "GET", took, w) for w in ("coach", "admin", "person")
        },
        "seconds": took,
        "target_rate": rate,
    }
    _report(out)
    return out


def _report(out: dict[str, Any]) -> None:
    print(f"first call (builds the coach's state): {out['cold_ms']:.0f} ms")
    labels = {"next": "GET /v1/coach/next", "interactions": "POST /v1/coach/interactions"}
    for name, label in labels.items():
        m = out[name]
        line = (
            f"{label}: {m['requests']:,} requests, {m['rate_per_s']:.1f}/s, {m['errors']} errors, "
            f"{m['dropped']} dropped (not sent within {DRAIN:g} s of the end)"
            f"; latency from due time p50 {m['p50_ms']:.1f} ms, p95 {m['p95_ms']:.1f} ms, "
            f"p99 {m['p99_ms']:.1f} ms, max {m['max_ms']:.1f} ms (p99 from send "
            f"{m['p99_from_send_ms']:.1f} ms)"
        )
        if name == "next":
            line += f"; {m['cards']:,} cards"
        print(line)
    print(
        "GET p50/p99 by token (ms, from send): "
        + ", ".join(
            f"{w} {m['p50_from_send_ms']:.1f}/{m['p99_from_send_ms']:.1f} ({m['cards']} cards of "
            f"{m['requests']})"
            for w, m in out["next_by_token"].items()
        )
    )
    total = out["next"]["rate_per_s"] + out["interactions"]["rate_per_s"]
    m = out["next"]
    met = (
        m["p99_ms"] <= TARGET_P99_MS
        and total >= 0.95 * out["target_rate"]
        and not (m["errors"] or m["dropped"])
    )
    print(
        f"target: p99 ≤ {TARGET_P99_MS:g} ms at {out['target_rate']:g} requests/s "
        f"(achieved {total:.1f}/s): {'met' if met else 'MISSED'}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.coach_bench")
    parser.add_argument("--seconds", type=float, default=SECONDS, help="how long to drive it")
    parser.add_argument("--rate", type=float, default=RATE, help="requests a second")
    args = parser.parse_args()
    bench_coach(args.seconds, args.rate)
