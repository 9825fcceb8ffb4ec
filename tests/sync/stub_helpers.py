"""Helpers of the stub-server and source tests: a tiny simulated vendor view, clients, fetch.

Imported as `sync.stub_helpers` (tests/ is on the path). The vendor view is written by hand
(a few engineers and office users over a few days) so the tests need no simulation run; its
files have the shapes `uptake simulate --emit vendor` writes.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from uptake.ingest.connectors import CONNECTORS, ConnectorResult
from uptake.simulate.vendor_api import DEMO_KEY, VendorApi
from uptake.sync.base import Download, Source, SyncContext, Window
from uptake.sync.http import HttpClient

START = date(2026, 11, 2)
DAYS = 4
WINDOW = Window(START, START + timedelta(days=DAYS - 1))
ENGINEERS = 24
OFFICE = 24
SEED = 5
DOMAIN = "meridian-group.example"
M365_HEADER = [
    "Report Refresh Date",
    "User Principal Name",
    "Display Name",
    "Last Activity Date",
    "Copilot Chat Last Activity Date",
    "Microsoft Teams Copilot Last Activity Date",
    "Word Copilot Last Activity Date",
    "Excel Copilot Last Activity Date",
    "PowerPoint Copilot Last Activity Date",
    "Outlook Copilot Last Activity Date",
    "OneNote Copilot Last Activity Date",
    "Loop Copilot Last Activity Date",
    "Report Period",
]


def _user_day(login: str, day: date, n: int) -> dict[str, Any]:
    return {
        "code_acceptance_activity_count": n,
        "code_generation_activity_count": 3 * n,
        "day": day.isoformat(),
        "enterprise_id": "7301",
        "loc_added_sum": 4 * n,
        "totals_by_feature": [
            {"feature": "code_completion", "code_generation_activity_count": 3 * n}
        ],
        "user_id": 10_000_000 + n,
        "user_initiated_interaction_count": 2 * n,
        "user_login": login,
    }


def write_vendor_view(out: Path) -> Path:
    """Write a small vendor view (GitHub, M365 by date, roster, manifest) into `out`.

    Args:
        out: the folder (created).

    Returns:
        The folder.
    """
    gh, m365, roster = out / "github", out / "m365" / "copilot_user_detail_by_date", out / "roster"
    for d in (gh, m365, roster):
        d.mkdir(parents=True, exist_ok=True)
    days = [START + timedelta(days=i) for i in range(DAYS)]
    users, teams, ent = [], [], []
    for k in range(ENGINEERS):
        login = f"dev{k:02d}"
        for i, day in enumerate(days):
            if (k + i) % 4 != 3:  # most engineers work most days
                users.append(_user_day(login, day, 1 + (k + i) % 5))
                teams.append({"day": day.isoformat(), "slug": "eng", "user_login": login})
    for day in days:
        ent.append({"report_end_day": day.isoformat(), "report_start_day": day.isoformat()})
    for name, rows in (
        ("copilot_users_1_day.ndjson", users),
        ("copilot_user_teams_1_day.ndjson", teams),
        ("copilot_enterprise_1_day.ndjson", ent),
    ):
        lines = [json.dumps(r, separators=(",", ":"), sort_keys=True) for r in rows]
        (gh / name).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    seats = [
        {"assignee": {"login": f"dev{k:02d}"}, "created_at": "2026-01-05T00:00:00Z"}
        for k in range(ENGINEERS)
    ]
    doc = {"total_seats": len(seats), "seats": seats}
    (gh / "copilot_seats.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    by_date = []
    for day in days:
        name = f"m365/copilot_user_detail_by_date/{day.isoformat()}.csv"
        by_date.append(name)
        with (out / name).open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(M365_HEADER)
            for k in range(OFFICE):
                active = (k + day.toordinal()) % 3 != 0
                when = day.isoformat() if active else ""
                apps = [when if (k + j) % 3 == 0 else "" for j in range(8)]
                if active and not any(apps):
                    apps[2] = when
                w.writerow(
                    [day.isoformat(), f"office{k:02d}@{DOMAIN}", f"Office {k}", when, *apps, "1"]
                )
    with (roster / "roster.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["person", "aliases", "function"])
        for k in range(ENGINEERS):
            w.writerow([f"dev.{k:02d}@{DOMAIN}", json.dumps([f"dev{k:02d}"]), "engineering"])
        for k in range(OFFICE):
            w.writerow([f"office{k:02d}@{DOMAIN}", "[]", "finance"])
    manifest = {
        "generator": "hand-written test view",
        "seed": SEED,
        "days": DAYS,
        "start": START.isoformat(),
        "view": "vendor",
        "files": {"m365_by_date": by_date},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return out


class Waits:
    """Records the waits the HTTP client asks for instead of sleeping."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def client(source: type[Source], sleep: Waits | None = None, retries: int = 3) -> HttpClient:
    """The sync's own HTTP client for `source` (no real waiting).

    Args:
        source: the source class.
        sleep: where waits are recorded.
        retries: retries of a passing failure.

    Returns:
        The client.
    """
    return HttpClient(
        source.name,
        renew=[c.env for c in source.credentials if c.secret],
        scopes=source.scopes,
        not_found=source.not_found,
        timeout=10,
        retries=retries,
        backoff=0.0,
        sleep=sleep or Waits(),
    )


def fetch(
    api: VendorApi,
    source: type[Source],
    credentials: Mapping[str, str],
    window: Window = WINDOW,
    *,
    settings: Mapping[str, str] | None = None,
    sleep: Waits | None = None,
    warnings: list[str] | None = None,
) -> list[Download]:
    """Run `source.fetch` against the stub and collect every download.

    Args:
        api: the running stub.
        source: the source class.
        credentials: credential values by environment variable name.
        window: days to fetch.
        settings: source settings.
        sleep: records the client's waits.
        warnings: collects `ctx.warn` messages.

    Returns:
        The downloads, in the order yielded.
    """
    http = _CLIENTS.get(source.name)
    if http is None:
        http = _CLIENTS[source.name] = client(source)
    http.sleep = sleep or Waits()
    ctx = SyncContext(
        http=http,
        base_url=api.urls[source.name],
        credentials=credentials,
        settings=settings or {},
        warn=(warnings.append if warnings is not None else lambda _m: None),
    )
    return list(source().fetch(ctx, window))


# One client per source for the whole test run: making an httpx client (its TLS context) costs
# more than the requests of a test.
_CLIENTS: dict[str, HttpClient] = {}


def keyed(names: tuple[str, ...], key: str = DEMO_KEY, **extra: str) -> dict[str, str]:
    """Credentials: every name gets `key`, plus fixed extra values.

    Args:
        names: environment variable names.
        key: the key value.
        extra: other values by name.

    Returns:
        The credentials mapping.
    """
    return {**dict.fromkeys(names, key), **extra}


def ingest_check(d: Download, tmp: Path) -> ConnectorResult | None:
    """Read a download with its format's connector, when that connector is registered.

    Args:
        d: the download.
        tmp: a folder for the file.

    Returns:
        The connector's result, or None while the format has no connector yet.
    """
    connector = CONNECTORS.get(d.fmt)
    if connector is None:
        return None
    path = tmp / Path(d.name).name
    path.write_bytes(d.content)
    return connector.read(path, {"params": dict(d.options)})
