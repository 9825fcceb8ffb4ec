"""Realistic Cursor and Codex files of n records: daily usage rows, usage events, Codex rows.

Daily rows and Codex rows are laid out as people × days (30 days from 2026-08-01, fixed
seed); usage events are model requests at random times of those days. A file named
`*.ndjson` gets one record per line; any other name gets the API's response shape (one JSON
document holding all n records). Numbers follow plausible shapes: most people are light
users, a few heavy; every 50th person's daily rows lack an e-mail (a deleted member), as the API
allows, and every 20th Codex user appears by user id only.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

START = date(2026, 8, 1)
DAYS = 30
SEED = 20260802
CURSOR_MODELS = ("claude-4.5-sonnet", "gpt-5", "claude-4-opus", "gemini-2.5-pro", "auto")
KINDS = ("Included in Business", "Usage-based", "Errored, Not Charged")
EXTENSIONS = (".ts", ".tsx", ".py", ".go", ".java", ".rs")
WORKSPACE = "ws_7Hq2LmN4pR"


def _people(n: int, per_person: float) -> int:
    return max(1, math.ceil(n / (DAYS * per_person)))


def _grid(n: int) -> Iterator[tuple[int, date]]:
    """(person index, day) pairs, day by day, enough for n records (one per person-day)."""
    people = _people(n, 1.0)
    day = 0
    while True:
        for person in range(people):
            yield person, START + timedelta(days=day % DAYS)
        day += 1


def _ms(day: date, seconds: float = 0.0) -> int:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return int((start.timestamp() + seconds) * 1000)


def _write(path: Path, key: str, rows: list[dict[str, Any]], head: dict[str, Any]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        if path.suffix == ".ndjson":
            for row in rows:
                fh.write(json.dumps(row, separators=(",", ":")) + "\n")
        else:
            json.dump({**head, key: rows}, fh, separators=(",", ":"))
    return path


def _daily_row(rng: random.Random, person: int, day: date) -> dict[str, Any]:
    heavy = rng.random() < 0.15
    scale = 4 if heavy else 1
    shown = rng.randint(0, 120 * scale)
    applies = rng.randint(0, 25 * scale)
    accepts = rng.randint(0, applies)
    added = rng.randint(0, 600 * scale)
    deleted = rng.randint(0, added // 2 + 1)
    chat, composer, agent = (rng.randint(0, m * scale) for m in (30, 10, 15))
    row: dict[str, Any] = {
        "date": _ms(day),
        "isActive": shown + chat + composer + agent > 0,
        "totalLinesAdded": added,
        "totalLinesDeleted": deleted,
        "acceptedLinesAdded": rng.randint(0, added),
        "acceptedLinesDeleted": rng.randint(0, deleted),
        "totalApplies": applies,
        "totalAccepts": accepts,
        "totalRejects": applies - accepts,
        "totalTabsShown": shown,
        "totalTabsAccepted": rng.randint(0, shown),
        "composerRequests": composer,
        "chatRequests": chat,
        "agentRequests": agent,
        "cmdkUsages": rng.randint(0, 20 * scale),
        "subscriptionIncludedReqs": chat + composer + agent,
        "apiKeyReqs": 0,
        "usageBasedReqs": rng.randint(0, 5) if heavy else 0,
        "bugbotUsages": rng.randint(0, 3),
        "mostUsedModel": rng.choice(CURSOR_MODELS),
        "applyMostUsedExtension": rng.choice(EXTENSIONS),
        "tabMostUsedExtension": rng.choice(EXTENSIONS),
        "clientVersion": f"1.{rng.randint(4, 7)}.{rng.randint(0, 30)}",
    }
    if person % 50 != 7:
        row["email"] = f"dev{person:05d}@corp.example"
    return row


def make_cursor_daily(n: int, path: Path) -> Path:
    """Write n Cursor daily-usage-data rows (people × days).

    Args:
        n: rows.
        path: target file (`.ndjson`: one row per line; otherwise the API response).

    Returns:
        The path written.
    """
    rng = random.Random(SEED)
    cells = _grid(n)
    rows = [_daily_row(rng, *next(cells)) for _ in range(n)]
    end = START + timedelta(days=DAYS)
    return _write(path, "data", rows, {"period": {"startDate": _ms(START), "endDate": _ms(end)}})


def make_cursor_events(n: int, path: Path) -> Path:
    """Write n Cursor filtered-usage-events records (about 20 requests per person-day).

    Args:
        n: usage events.
        path: target file (`.ndjson`: one event per line; otherwise the API response).

    Returns:
        The path written.
    """
    rng = random.Random(SEED + 1)
    people = _people(n, 20.0)
    events: list[dict[str, Any]] = []
    for _ in range(n):
        day = START + timedelta(days=rng.randrange(DAYS))
        ts = _ms(day, rng.uniform(7 * 3600, 20 * 3600))
        kind = rng.choices(KINDS, weights=(80, 18, 2))[0]
        event: dict[str, Any] = {
            "timestamp": str(ts),
            "model": rng.choice(CURSOR_MODELS),
            "kind": kind,
            "maxMode": rng.random() < 0.1,
            "requestsCosts": round(rng.choice((0.5, 1, 1.4, 2, 5, 10)), 1),
            "isTokenBasedCall": kind == "Usage-based",
            "isFreeBugbot": False,
            "userEmail": f"dev{rng.randrange(people):05d}@corp.example",
        }
        if kind == "Usage-based":
            inp = rng.randint(100, 40_000)
            event["tokenUsage"] = {
                "inputTokens": inp,
                "outputTokens": rng.randint(50, 4_000),
                "cacheWriteTokens": rng.randint(0, inp),
                "cacheReadTokens": rng.randint(0, 4 * inp),
                "totalCents": round(rng.uniform(0.2, 60.0), 5),
            }
        events.append(event)
    head = {
        "totalUsageEventsCount": n,
        "pagination": {
            "numPages": 1,
            "currentPage": 1,
            "pageSize": n,
            "hasNextPage": False,
            "hasPreviousPage": False,
        },
        "period": {"startDate": _ms(START), "endDate": _ms(START + timedelta(days=DAYS))},
    }
    return _write(path, "usageEvents", events, head)


def make_codex(n: int, path: Path) -> Path:
    """Write n Codex analytics per-user usage rows (people × days).

    Args:
        n: rows.
        path: target file (`.ndjson`: one row per line; otherwise the list response).

    Returns:
        The path written.
    """
    rng = random.Random(SEED + 2)
    cells = _grid(n)
    rows: list[dict[str, Any]] = []
    for _ in range(n):
        person, day = next(cells)
        active = rng.random() < 0.7
        threads = rng.randint(1, 8) if active else 0
        turns = threads * rng.randint(2, 9)
        inp = turns * rng.randint(5_000, 60_000)
        row: dict[str, Any] = {
            "object": "codex.usage.user",
            "date": day.isoformat(),
            "workspace_id": WORKSPACE,
            "user_id": f"user-{person:08x}",
            "is_active": active,
            "total_threads": threads,
            "total_turns": turns,
            "total_credits": round(turns * rng.uniform(0.5, 4.0), 2),
            "input_tokens": inp,
            "cached_input_tokens": int(inp * rng.uniform(0.3, 0.8)),
            "output_tokens": turns * rng.randint(300, 3_000),
        }
        # Most members have an e-mail in the export; service users show only their id.
        if person % 20 != 3:
            row["email"] = f"dev{person:05d}@corp.example"
        rows.append(row)
    return _write(path, "data", rows, {"object": "list", "has_more": False, "last_id": None})
