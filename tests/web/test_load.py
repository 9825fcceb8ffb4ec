"""Under load on loopback, nothing acknowledged is lost: writers, dashboard readers, refreshes.

A real `uptake serve` process takes event batches from several clients at once while others
read dashboards and an admin asks for full refreshes; then it is killed with SIGKILL mid-load.
Every 2xx intake reply must be in the warehouse when it is reopened, and no request may fail
with a 5xx: the server queues its writers (one DuckDB writer) instead of refusing them.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from typing import Any

import pandas as pd
import pytest

from server_helpers import (
    POST_EVENTS,
    POST_REFRESH,
    READS,
    Load,
    committed,
    free_port,
    kill_mid_load,
    start,
)
from web.conftest import Org, _simulated

BATCH = 100


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Org:
    """A simulated organisation of its own: the load adds events the shared one must not see."""
    return _simulated(tmp_path_factory, "canonical")


def _batches(org: Org) -> Any:
    roster = pd.read_parquet(org.folder.parent / "simulated" / "people.parquet")
    people = roster["person"].astype(str).tolist()[:200]
    with_events = pd.read_parquet(org.folder.parent / "simulated" / "events.parquet")
    day = pd.Timestamp(with_events["ts"].max()).date().isoformat()

    def batch(client: int, n: int) -> list[dict[str, Any]]:
        return [
            {
                "event_id": f"load-{client}-{n}-{j}",
                "ts": f"{day}T{8 + j % 10:02d}:{j % 60:02d}:00Z",
                "person": people[(client * 31 + n * 7 + j) % len(people)],
                "tool": "office_copilot",
                "action": "prompt",
            }
            for j in range(BATCH)
        ]

    return batch


KINDS = {POST_EVENTS, POST_REFRESH, *(kind for kind, *_ in READS)}


def test_under_load_and_killed_mid_load_no_acknowledged_event_is_lost(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The start-up warm-up would only make the first readers wait longer.
    monkeypatch.setenv("UPTAKE__SERVE__WARM", "false")
    port = free_port()
    proc = start(org.folder, port, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    load = Load(port, org.tokens, _batches(org), writers=2, readers=len(READS), refresh_every=2.0)

    def ready(load: Load) -> bool:
        # Every kind of request answered (so each ran against the others), and several batches.
        return load.answered() == KINDS and load.acked_count() >= 3 * BATCH

    killed = kill_mid_load(proc, load, ready, within=120)
    # Reopened after the kill: every acknowledged event is there.
    lost = set(load.acked) - committed(org.folder, load.acked)
    assert not lost, f"{len(lost)} acknowledged events lost of {len(load.acked)}"
    assert load.answered() == KINDS, f"only {sorted(load.answered())} were answered in time"
    assert len(load.acked) >= 3 * BATCH, "too few batches were acknowledged to test anything"
    # Until the kill every request got a 2xx; after it, some got no reply at all.
    failed = Counter(
        (r.kind, r.status, r.why)
        for r in load.replies
        if not 200 <= r.status < 300 and r.at < killed
    )
    assert not failed, failed
    assert not [r for r in load.replies if r.status >= 300], "the server answered an error"
    assert not load.wrong, load.wrong[:3]
    assert load.sent_events > len(load.acked), "the kill should land while a batch is in flight"
