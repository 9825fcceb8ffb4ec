"""Realistic Anthropic files of n records: Claude Code Analytics and Enterprise Analytics rows.

Both writers lay records out as people × days (30 days from 2026-08-01, fixed seed) and
write NDJSON, one source record per line, which is what the benchmark counts. Numbers follow
plausible shapes: most people are light users, a few heavy; some Claude Code users work in
two terminals a day (two rows), a few rows belong to API keys rather than people.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

START = date(2026, 8, 1)
DAYS = 30
SEED = 20260801
TERMINALS = ("vscode", "iTerm.app", "tmux", "cursor", "Apple_Terminal", "jetbrains")
MODELS = ("claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805", "claude-haiku-4-5-20251001")
TOOLS = ("edit_tool", "multi_edit_tool", "write_tool", "notebook_edit_tool")
ORG = "9f3c2a71-4b8e-4d0a-9e61-2c5f7d8b1a34"


def _grid(n: int, per_cell: float) -> Iterator[tuple[int, date]]:
    """(person index, day) pairs, day by day, enough to yield n records."""
    people = max(1, math.ceil(n / (DAYS * per_cell)))
    day = 0
    while True:
        for person in range(people):
            yield person, START + timedelta(days=day % DAYS)
        day += 1


def _write(path: Path, rows: Iterator[dict[str, Any]], n: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for i, row in enumerate(rows):
            if i >= n:
                break
            fh.write(json.dumps(row, separators=(",", ":")) + "\n")
    return path


def _code_row(
    rng: random.Random, day: date, actor: dict[str, str], terminal: str
) -> dict[str, Any]:
    heavy = rng.random() < 0.2
    sessions = rng.randint(1, 12 if heavy else 4)
    models = []
    for model in rng.sample(MODELS, rng.randint(1, 2)):
        inp = rng.randint(2_000, 400_000 if heavy else 60_000)
        out = inp // rng.randint(3, 8)
        models.append(
            {
                "model": model,
                "tokens": {
                    "input": inp,
                    "output": out,
                    "cache_read": inp * rng.randint(0, 6),
                    "cache_creation": inp // rng.randint(2, 10),
                },
                "estimated_cost": {"amount": round(inp * 0.0003 + out * 0.0015), "currency": "USD"},
            }
        )
    tools = {}
    for tool in TOOLS:
        if tool == "notebook_edit_tool" and rng.random() < 0.9:
            continue
        accepted = rng.randint(0, 40 if heavy else 12)
        tools[tool] = {"accepted": accepted, "rejected": rng.randint(0, max(1, accepted // 5))}
    added = rng.randint(0, 1500 if heavy else 300)
    return {
        "actor": actor,
        "core_metrics": {
            "commits_by_claude_code": rng.randint(0, sessions),
            "lines_of_code": {"added": added, "removed": rng.randint(0, added // 2 + 1)},
            "num_sessions": sessions,
            "pull_requests_by_claude_code": rng.randint(0, 2),
        },
        "customer_type": "api",
        "date": f"{day.isoformat()}T00:00:00Z",
        "model_breakdown": models,
        "organization_id": ORG,
        "subscription_type": "enterprise",
        "terminal_type": terminal,
        "tool_actions": tools,
    }


def make_claude_code(n: int, path: Path) -> Path:
    """Write n Claude Code Analytics rows (NDJSON) for people × days.

    Args:
        n: number of rows (source records).
        path: the file to write.

    Returns:
        The path written.
    """
    rng = random.Random(SEED)

    def rows() -> Iterator[dict[str, Any]]:
        for person, day in _grid(n, 1.2):
            if person % 50 == 49:
                actor = {"type": "api_actor", "api_key_name": f"ci-pipeline-{person // 50}"}
            else:
                actor = {"type": "user_actor", "email_address": f"dev{person:05d}@example.com"}
            home = TERMINALS[person % len(TERMINALS)]
            terminals = [home] if person % 5 else [home, TERMINALS[(person + 1) % len(TERMINALS)]]
            for terminal in terminals:
                yield _code_row(rng, day, actor, terminal)

    return _write(path, rows(), n)


def _ent_row(rng: random.Random, person: int, day: date) -> dict[str, Any]:
    coder = person % 3 == 0
    chats = rng.randint(0, 40)
    code: dict[str, Any] | None = None
    if coder:
        added = rng.randint(0, 900)
        code = {
            "core_metrics": {
                "distinct_session_count": rng.randint(0, 8),
                "commit_count": rng.randint(0, 5),
                "pull_request_count": rng.randint(0, 2),
                "lines_of_code": {"added_count": added, "removed_count": rng.randint(0, added)},
            },
            "tool_actions": {
                tool: {"accepted_count": (a := rng.randint(0, 30)), "rejected_count": a // 6}
                for tool in TOOLS
            },
        }
    row: dict[str, Any] = {
        "user": {
            "id": f"user_{person:026d}",
            "email_address": f"person{person:05d}@example.com",
        },
        "date": day.isoformat(),
        "chat_metrics": {
            "distinct_conversation_count": min(chats, rng.randint(0, 6)),
            "message_count": chats,
            "distinct_projects_created_count": int(rng.random() < 0.05),
            "distinct_projects_used_count": rng.randint(0, 2),
            "distinct_files_uploaded_count": rng.randint(0, 3),
            "distinct_artifacts_created_count": rng.randint(0, 2),
            "thinking_message_count": chats // 4,
            "distinct_skills_used_count": rng.randint(0, 1),
            "connectors_used_count": rng.randint(0, 2),
        },
        "office_metrics": {
            app: {"distinct_session_count": (s := int(rng.random() < 0.1)), "message_count": s * 5}
            for app in ("excel", "powerpoint", "word")
        },
        "cowork_metrics": {
            "distinct_session_count": (c := int(rng.random() < 0.15)),
            "message_count": c * rng.randint(1, 20),
            "action_count": c * rng.randint(1, 60),
        },
        "web_search_count": rng.randint(0, 10),
    }
    if code is not None:
        row["claude_code_metrics"] = code
    return row


def make_claude_enterprise(n: int, path: Path) -> Path:
    """Write n Claude Enterprise Analytics `/users` rows (NDJSON, with `date`) for people × days.

    Args:
        n: number of rows (source records).
        path: the file to write.

    Returns:
        The path written.
    """
    rng = random.Random(SEED + 1)
    rows = (_ent_row(rng, person, day) for person, day in _grid(n, 1.0))
    return _write(path, rows, n)
