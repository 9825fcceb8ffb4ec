"""Killed mid-load with SIGKILL, the server loses no event it acknowledged."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx

from factories import rows
from server_helpers import free_port, start
from uptake.workspace import Workspace


def test_sigkill_mid_batch_loses_no_acknowledged_event(
    served: tuple[Path, dict[str, str]],
) -> None:
    folder, tokens = served
    port = free_port()
    proc = start(folder, port, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    acknowledged: list[str] = []
    problems: list[str] = []
    sent = 0
    stop = threading.Event()

    def post(me: int) -> None:
        nonlocal sent
        i = 0
        with httpx.Client(base_url=base, timeout=30) as c:
            while not stop.is_set():
                # Past timestamps (the factory's), fresh ids: every row is accepted.
                batch = [
                    dict(r, event_id=f"crash-{me}-{i}-{j}")
                    for j, r in enumerate(rows("events", 200, start=200 * (i % 20)))
                ]
                i += 1
                sent += 1
                try:
                    r = c.post(
                        "/v1/events",
                        json=batch,
                        headers={"Authorization": f"Bearer {tokens['ingest']}"},
                    )
                except httpx.TransportError:
                    return  # the server died under this request: not acknowledged
                if r.status_code != 200 or r.json()["accepted"] != len(batch):
                    problems.append(r.text)  # a thread's assert would go unseen
                else:
                    acknowledged.extend(str(e["event_id"]) for e in batch)

    workers = [threading.Thread(target=post, args=(n,)) for n in range(2)]
    for w in workers:
        w.start()
    while len(acknowledged) < 1_000 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    stop.set()
    for w in workers:
        w.join(timeout=60)
    assert not problems, problems[:3]
    assert len(acknowledged) >= 1_000, "too few batches were acknowledged to test anything"
    with Workspace.open(folder, read_only=True) as ws:
        stored = {
            r[0]
            for r in ws.con.execute(
                "SELECT event_id FROM events WHERE event_id IN (SELECT unnest(?::VARCHAR[]))",
                [acknowledged],
            ).fetchall()
        }
    lost = set(acknowledged) - stored
    assert not lost, f"{len(lost)} acknowledged events lost of {len(acknowledged)}"
    assert sent * 200 > len(acknowledged), "the kill should land while a batch is in flight"
