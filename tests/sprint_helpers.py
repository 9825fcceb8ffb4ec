"""A small workspace for the sprint and the audit sample: 40 people, 30 seats, 60 days of use."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from factories import FROZEN_NOW
from uptake.workspace import Workspace

START = date(2026, 3, 2)  # day 1 of the sprint (a Monday)
FUNCTIONS = ("sales", "finance", "legal", "ops")
PEOPLE = [f"u{i}@example.org" for i in range(40)]


def build(
    folder: Path, *, start: date | None = START, attrs: bool = True, managers: bool = True
) -> Workspace:
    """A workspace with a roster (function, grade, teams, managers), seats and events.

    Args:
        folder: where to create it.
        start: `programme.start` (None: from the data, whose first event is on START).
        attrs: whether the roster carries a `grade` attribute.
        managers: whether the roster names each person's manager.

    Returns:
        The open workspace (refreshed).
    """
    overrides = {"programme.start": start.isoformat()} if start else None
    Workspace.init(folder).close()
    ws = Workspace.open(folder, overrides)
    roster = pd.DataFrame(
        {
            "person": PEOPLE,
            "function": [FUNCTIONS[i % 4] for i in range(40)],
            "team": [f"t{i % 5}" for i in range(40)],
            "manager": [_manager(i) for i in range(40)],
            "employment_status": ["left" if i == 39 else "active" for i in range(40)],
        }
    )
    if not managers:
        roster["manager"] = None
    if attrs:
        roster["attrs"] = [json.dumps({"grade": f"G{i % 3}"}) for i in range(40)]
    ws.ingest_frame("people", roster, source="people", now=FROZEN_NOW, refresh=False)
    seats = [{"person": p, "tool": "github-copilot", "assigned_at": f"{START}T00:00:00Z"}
             for p in PEOPLE[:30]]  # fmt: skip
    ingest(ws, "licenses", seats, refresh=False)
    events = [
        {"event_id": f"e{i}-{k}", "ts": f"{START + timedelta(days=k)}T10:00:00Z", "person": p,
         "tool": "github-copilot", "action": "prompt"}
        for i, p in enumerate(PEOPLE[:30]) for k in range(0, 60, 1 + i % 7)
    ]  # fmt: skip
    ingest(ws, "events", events)
    return ws


def _manager(i: int) -> str | None:
    """u0 manages u1..u4; u1..u4 each manage a fifth of the rest."""
    return None if i == 0 else (PEOPLE[0] if i < 5 else PEOPLE[i % 5])


def ingest(ws: Workspace, table: str, rows: list[dict[str, Any]], refresh: bool = True) -> None:
    """Ingest canonical rows into a table."""
    ws.ingest_frame(table, pd.DataFrame(rows), source=table, now=FROZEN_NOW, refresh=refresh)


def day(n: int, hour: int = 10) -> str:
    """Sprint day n (1 = START) at an hour, as an ISO timestamp (UTC)."""
    return (
        datetime.combine(START + timedelta(days=n - 1), datetime.min.time())
        .replace(hour=hour)
        .isoformat()
        + "Z"
    )
