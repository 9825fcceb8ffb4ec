"""The stub vendor APIs serving a simulated organisation, for timing a 30-day `uptake sync`.

`run(folder_or_none, days=30)` starts `VendorApi` in simulated mode on a free loopback port
(simulating an organisation first when no vendor view folder is given) and returns what a
timing harness needs: the running server, its base URLs, the workspace settings and the
credentials that point every source at it, and the `since`/`today` that make a sync cover the
last `days` simulated days. Call `result["api"].stop()` when done.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

PEOPLE = 500
SEED = 42
# Longest vendor lag (Anthropic, 4 days): "today" this far past the last simulated day makes
# every source's window reach the end of the simulated data.
MAX_LAG_DAYS = 4


def run(
    folder_or_none: Path | str | None,
    days: int = 30,
    *,
    people: int = PEOPLE,
    seed: int = SEED,
    options: Any = None,
) -> dict[str, Any]:
    """Serve a simulated organisation's vendor APIs on loopback.

    Args:
        folder_or_none: a vendor view from `uptake simulate --emit vendor`, or None to
            simulate one (`people` people over max(days, 28) days) into a temporary folder.
        days: days the sync should cover (the last `days` simulated days).
        people: headcount when simulating.
        seed: simulation seed when simulating.
        options: `uptake.simulate.vendor_api.Options` (page size, rate limits), default none.

    Returns:
        `api` (running VendorApi; `api.counts` counts requests per route), `url`, `urls` (per
        source), `folder`, `settings` (the `sync.base_urls` mapping), `env` (credentials for
        every source), `since` and `today` (dates for `Workspace.sync`), `first_day` and
        `last_day` of the simulated data, and `seconds_to_start`.
    """
    import time

    from uptake.simulate.vendor_api import DEMO_KEY, SimulatedData, VendorApi

    t0 = time.perf_counter()
    if folder_or_none is None:
        from uptake.simulate.run import simulate

        folder = Path(tempfile.mkdtemp(prefix="uptake-sync-bench-")) / "vendor"
        simulate(people=people, days=max(days, 28), seed=seed, out=folder, emit="vendor")
    else:
        folder = Path(folder_or_none)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    first = date.fromisoformat(manifest["start"])
    last = first + timedelta(days=int(manifest["days"]) - 1)
    api = VendorApi(SimulatedData(folder), options=options).start()
    urls = api.urls
    return {
        "api": api,
        "url": api.url,
        "urls": urls,
        "folder": folder,
        "settings": {**urls, "m365_login": urls["m365"]},
        "env": {
            "GITHUB_COPILOT_TOKEN": DEMO_KEY,
            "GITHUB_ORG": "meridian-group",
            "M365_TENANT_ID": "stub-tenant",
            "M365_CLIENT_ID": "stub-client",
            "M365_CLIENT_SECRET": DEMO_KEY,
            "ANTHROPIC_ADMIN_KEY": DEMO_KEY,
            "CURSOR_API_KEY": DEMO_KEY,
            "OPENAI_ADMIN_KEY": DEMO_KEY,
            "CODEX_WORKSPACE_ID": "ws-stub",
            "GOOGLE_ACCESS_TOKEN": DEMO_KEY,
        },
        "since": max(first, last - timedelta(days=days - 1)),
        "today": last + timedelta(days=MAX_LAG_DAYS),
        "first_day": first,
        "last_day": last,
        "seconds_to_start": round(time.perf_counter() - t0, 2),
    }
