"""`uptake serve` as a real process on a free loopback port, for tests that need a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(folder: Path, port: int, **popen: object) -> subprocess.Popen[str]:
    """Start `uptake serve` on a workspace and wait until /healthz answers."""
    env = {k: v for k, v in os.environ.items() if k not in ("UPTAKE_WORKSPACE", "UPTAKE_SECRET")}
    proc: subprocess.Popen[str] = subprocess.Popen(  # type: ignore[call-overload]
        [sys.executable, "-m", "uptake", "serve", "-w", str(folder), "--port", str(port)],
        text=True,
        env=env,
        **{"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **popen},
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"the server did not start: {proc.communicate()}")
        time.sleep(0.2)


def sign_in(client: Any, token: str) -> str:
    """Sign a TestClient in through the sign-in form; returns where it was sent next."""
    import re

    page = client.get("/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, page.text
    r = client.post(
        "/sign-in", data={"csrf": csrf.group(1), "token": token}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    return str(r.headers["location"])


# -- load: concurrent writers, dashboard readers and full refreshes against a real server --


# What the readers ask, in turn: (kind, path, token role, as a signed-in page or the API).
READS = (
    ("GET /overview", "/overview", "analyst", "page"),
    ("GET /my-team", "/my-team", "manager", "page"),
    ("GET /v1/metrics", "/v1/metrics", "analyst", "api"),
    ("GET /v1/signals", "/v1/signals", "admin", "api"),
)
POST_EVENTS = "POST /v1/events"
POST_REFRESH = "POST /v1/refresh?full=true"


@dataclass
class Reply:
    """One request of a load run: kind, status (0: no reply at all), latency, when it ended."""

    kind: str
    status: int
    ms: float
    at: float  # seconds from the load's start
    why: str = ""  # a failure's reason: the reply's body, or the connection's error


@dataclass
class Load:
    """Closed-loop clients on one server: event writers, dashboard readers, a refresher.

    Each client sends its next request when the last one is answered (so the server is never
    asked for more than there are clients). An intake reply counts as acknowledged only when
    it is 2xx and accepted every row. Clients stop at `stop()` or at their first connection
    failure (the server was killed under them: that request was not acknowledged).

    Attributes:
        port: the server's loopback port.
        tokens: bearer tokens by role (ingest, analyst, manager, admin).
        batch: `batch(client, n)`: the event rows of a writer's n-th batch (unique ids).
        writers: event-posting clients.
        readers: dashboard-reading clients (each cycles through `READS`).
        refresh_every: seconds between full refreshes (None: none).
        pace_s: seconds between the starts of a writer's batches (None: closed loop).
    """

    port: int
    tokens: dict[str, str]
    batch: Callable[[int, int], list[dict[str, Any]]]
    writers: int = 3
    readers: int = 2
    refresh_every: float | None = 5.0
    pace_s: float | None = None  # a writer starts a batch at most this often (None: at once)
    replies: list[Reply] = field(default_factory=list)
    acked: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # 2xx replies that did not take every row
    sent_events: int = 0
    seconds: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)
    _t0: float = 0.0
    started_at: float = 0.0  # the load's start, wall clock (to find a failure in a server log)

    def run(self, seconds: float) -> Load:
        """Start, drive for `seconds`, stop; returns self."""
        self.start()
        self._stop.wait(seconds)
        self.stop()
        return self

    def start(self) -> None:
        """Start every client thread."""
        self._t0 = time.perf_counter()
        self.started_at = time.time()
        targets: list[tuple[Callable[..., None], tuple[Any, ...]]] = [
            *((self._write, (i,)) for i in range(self.writers)),
            *((self._read, (i,)) for i in range(self.readers)),
        ]
        if self.refresh_every is not None:
            targets.append((self._refresh, ()))
        self._threads = [threading.Thread(target=f, args=a, daemon=True) for f, a in targets]
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        """Ask every client to stop after its current request, and wait for them."""
        self._stop.set()
        for t in self._threads:
            t.join(timeout=300)
        self.seconds = time.perf_counter() - self._t0

    def acked_count(self) -> int:
        """Events acknowledged so far."""
        with self._lock:
            return len(self.acked)

    def answered(self) -> set[str]:
        """The kinds of request that got a 2xx reply so far."""
        with self._lock:
            return {r.kind for r in self.replies if 200 <= r.status < 300}

    def elapsed(self) -> float:
        """Seconds since the load started."""
        return time.perf_counter() - self._t0

    def _client(self) -> httpx.Client:
        # Generous: a full refresh holds the queue, and requests wait their turn behind it.
        return httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=600)

    def _send(self, c: httpx.Client, kind: str, method: str, url: str, **kw: Any) -> Any:
        t = time.perf_counter()
        try:
            r = c.request(method, url, **kw)
        except httpx.TransportError as exc:
            self._note(kind, 0, t, f"{type(exc).__name__}: {exc}")
            return None
        why = ""
        if r.is_redirect:
            why = f"sent to {r.headers.get('location')}"  # e.g. the sign-in page
        elif not r.is_success:
            why = r.text[:300]
        self._note(kind, r.status_code, t, why)
        return r

    def _note(self, kind: str, status: int, sent: float, why: str = "") -> None:
        now = time.perf_counter()
        with self._lock:
            self.replies.append(Reply(kind, status, 1000 * (now - sent), now - self._t0, why))

    def _write(self, me: int) -> None:
        auth = {"Authorization": f"Bearer {self.tokens['ingest']}"}
        with self._client() as c:
            n = 0
            due = time.perf_counter()
            while not self._stop.is_set():
                if self.pace_s is not None:
                    # Paced: data arrives at its own rate, not as fast as the server answers.
                    if self._stop.wait(max(0.0, due - time.perf_counter())):
                        return
                    due += self.pace_s
                rows = self.batch(me, n)
                n += 1
                with self._lock:
                    self.sent_events += len(rows)
                r = self._send(c, POST_EVENTS, "POST", "/v1/events", json=rows, headers=auth)
                if r is None:
                    return
                if not 200 <= r.status_code < 300:
                    continue
                if r.json().get("accepted") != len(rows):
                    with self._lock:
                        self.wrong.append(r.text[:300])
                    continue
                with self._lock:
                    self.acked.extend(str(row["event_id"]) for row in rows)

    def _read(self, me: int) -> None:
        with self._client() as c:
            i = me  # readers start on different pages
            while not self._stop.is_set():
                kind, path, role, how = READS[i % len(READS)]
                i += 1
                token = self.tokens[role]
                headers = (
                    {"Cookie": f"uptake_session={token}"}
                    if how == "page"
                    else {"Authorization": f"Bearer {token}"}
                )
                # Not following redirects: one to the sign-in page would be a failure.
                r = self._send(c, kind, "GET", path, headers=headers)
                if r is None:
                    return

    def _refresh(self) -> None:
        auth = {"Authorization": f"Bearer {self.tokens['admin']}"}
        with self._client() as c:
            while not self._stop.wait(self.refresh_every):
                r = self._send(c, POST_REFRESH, "POST", "/v1/refresh?full=true", headers=auth)
                if r is None:
                    return


def committed(folder: Path, event_ids: list[str]) -> set[str]:
    """Which of these event ids the workspace holds (opened afresh, read-only).

    Args:
        folder: the workspace (no server may hold it).
        event_ids: ids to look for.

    Returns:
        The ids present in the events table.
    """
    from uptake.workspace import Workspace

    with Workspace.open(folder, read_only=True) as ws:
        return {
            str(r[0])
            for r in ws.con.execute(
                "SELECT event_id FROM events WHERE event_id IN (SELECT unnest(?::VARCHAR[]))",
                [event_ids],
            ).fetchall()
        }


def kill_mid_load(
    proc: subprocess.Popen[str], load: Load, ready: Callable[[Load], bool], within: float
) -> float:
    """Drive `load`, SIGKILL the server once `ready(load)` holds, then stop the load.

    Args:
        proc: the server process.
        load: the (not yet started) load on it.
        ready: when to kill (e.g. enough events acknowledged).
        within: seconds to wait for it at most (the kill happens then anyway).

    Returns:
        When the kill was sent, in seconds from the load's start (replies after it may fail).
    """
    import signal

    load.start()
    deadline = time.monotonic() + within
    while not ready(load) and time.monotonic() < deadline:
        time.sleep(0.05)
    killed = load.elapsed()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    load.stop()
    return killed
