"""`uptake serve` as a real process on a free loopback port, for tests that need a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
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
