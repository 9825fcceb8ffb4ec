"""`uptake serve` as a real server on loopback, driven by a real HTTP client."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from factories import rows
from server_helpers import free_port, start


def test_serve_ingests_and_answers_over_http(served: tuple[Path, dict[str, str]]) -> None:
    folder, tokens = served
    port = free_port()
    proc = start(folder, port)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as c:
            ingest = {"Authorization": f"Bearer {tokens['ingest']}"}
            r = c.post("/v1/events", json=rows("events", 5, start=5000), headers=ingest)
            assert r.status_code == 200 and r.json()["accepted"] == 5, r.text
            analyst = {"Authorization": f"Bearer {tokens['analyst']}"}
            r = c.get("/v1/metrics", headers=analyst)
            assert r.status_code == 200 and "metrics" in r.json()
            assert c.get("/v1/metrics", headers=ingest).status_code == 403
            assert c.get("/docs").status_code == 200
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert "Traceback" not in err, err
    assert f"http://127.0.0.1:{port}" in out


def test_demo_ends_by_serving_with_an_admin_token(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("UPTAKE_WORKSPACE", "UPTAKE_SECRET")}
    env["UPTAKE__SERVE__PORT"] = str(port)
    args = ["demo", "--people", "60", "--days", "28", "--seed", "3", "-w", str(tmp_path / "d")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "uptake", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "COLUMNS": "300"},
    )
    out = ""
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 300
        token = None
        while token is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, proc.communicate()
            out += line
            if line.startswith("Admin token"):
                token = line.split(":", 1)[1].strip()
        assert token, out
        base = f"http://127.0.0.1:{port}"
        while True:
            try:
                r = httpx.get(f"{base}/v1/metrics", headers={"Authorization": f"Bearer {token}"})
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.2)
        assert r.status_code == 200 and r.json()["metrics"]["usage_rate"]["n"] > 0
    finally:
        proc.terminate()
        rest, err = proc.communicate(timeout=30)
    assert f"{base}/docs" in out + rest and "Traceback" not in err


def test_the_server_warms_the_organisation_pages_in_the_background(
    served: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With `[serve] warm`, the first visitor finds the pages computed; nothing is audited."""
    from fastapi.testclient import TestClient

    from uptake.web import create_app

    monkeypatch.setenv("UPTAKE__SERVE__WARM", "true")
    folder, tokens = served
    app = create_app(folder)
    with TestClient(app) as c:
        assert app.state.served.warmed.wait(timeout=300)
        assert c.get("/readyz").json()["warm_up"] == "done"
        served = app.state.served
        # Remembered once for both queues: pages of ingested data are read beside the writer.
        read = served.read(lambda ws: {k[0] for k in ws.__dict__.get("_memo_cache", {})})
        written = served.run(lambda ws: {k[0] for k in ws.__dict__.get("_memo_cache", {})})
        assert {"metrics", "teams", "status"} <= read and read == written
        audit = c.get("/v1/audit", headers={"Authorization": f"Bearer {tokens['admin']}"})
        assert audit.status_code == 200 and "warm-up" not in audit.text


def test_readyz_says_when_the_server_does_not_warm(
    served: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from uptake.web import create_app

    monkeypatch.setenv("UPTAKE__SERVE__WARM", "false")
    with TestClient(create_app(served[0])) as c:
        assert c.get("/readyz").json()["warm_up"] == "off"
