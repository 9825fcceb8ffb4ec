"""Realistic ChatGPT Enterprise and Gemini for Workspace files of a given size (fixed seed)."""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

SEED = 20261202
ACCOUNT = "3f6c1e2a-8b7d-4c55-9a10-2d4e6f8a0b1c"
WEEK_START = date(2026, 11, 2)
CHATGPT_COLUMNS = (
    "cadence",
    "period_start",
    "period_end",
    "account_id",
    "public_id",
    "name",
    "email",
    "user_role",
    "role",
    "department",
    "user_status",
    "created_or_invited_date",
    "is_active",
    "first_day_active_in_period",
    "last_day_active_in_period",
    "messages",
    "messages_rank",
    "gpt_messages",
    "gpts_messaged",
    "tool_messages",
    "tools_messaged",
    "last_day_active",
)
DEPARTMENTS = ("Finance", "Engineering", "Legal", "Sales", "Operations", "People", "Marketing")
ROLES = ("Analyst", "Engineer", "Counsel", "Account Executive", "Manager", "")
APPS = {
    "gmail": ("summarize", "suggest_full_replies", "generate_text", "auto_proofread"),
    "docs": ("generate_text", "summarize", "ask_about_context", "paraphrase", "formalize"),
    "sheets": ("ask_about_context", "generate_text"),
    "slides": ("generate_image_for_current_page", "generate_text", "bulletize"),
    "meet": ("summarize", "list_action_items_refinement"),
    "drive": ("summarize_proactive", "ask_about_context"),
    "gemini_app": ("conversation",),
}
PAGE_SIZE = 1000


def _public_id(rng: random.Random) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    return "user-" + "".join(rng.choice(alphabet) for _ in range(16))


def make_chatgpt(n: int, path: Path) -> Path:
    """Write a weekly ChatGPT Enterprise User Engagement CSV with n user rows.

    About 70 % of users are active; 2 % are deleted accounts without an e-mail.

    Args:
        n: number of user rows.
        path: output file.

    Returns:
        The path.
    """
    rng = random.Random(SEED)
    end = WEEK_START + timedelta(days=6)
    active_rows: list[tuple[int, dict[str, str]]] = []
    rows: list[dict[str, str]] = []
    for i in range(n):
        status = rng.choices(("enabled", "pending", "deleted"), (0.93, 0.05, 0.02))[0]
        email = "" if status == "deleted" else f"user{i:06d}@corp.example"
        active = status == "enabled" and rng.random() < 0.75
        created = WEEK_START - timedelta(days=rng.randint(0, 700))
        row = {
            "cadence": "weekly",
            "period_start": WEEK_START.isoformat(),
            "period_end": end.isoformat(),
            "account_id": ACCOUNT,
            "public_id": _public_id(rng),
            "name": "" if not email else f"User {i}",
            "email": email,
            "user_role": rng.choices(("user", "admin", "owner"), (0.97, 0.025, 0.005))[0],
            "role": rng.choice(ROLES),
            "department": rng.choice(DEPARTMENTS),
            "user_status": status,
            "created_or_invited_date": created.isoformat(),
            "is_active": "True" if active else "False",
            "first_day_active_in_period": "",
            "last_day_active_in_period": "",
            "messages": "0",
            "messages_rank": "",
            "gpt_messages": "0",
            "gpts_messaged": "0",
            "tool_messages": "0",
            "tools_messaged": "0",
            "last_day_active": "",
        }
        if active:
            first = rng.randint(0, 6)
            last = rng.randint(first, 6)
            messages = max(1, int(rng.lognormvariate(3.0, 1.1)))
            gpt = int(messages * rng.random() * 0.4)
            tool = int(messages * rng.random() * 0.3)
            row.update(
                first_day_active_in_period=(WEEK_START + timedelta(days=first)).isoformat(),
                last_day_active_in_period=(WEEK_START + timedelta(days=last)).isoformat(),
                last_day_active=(WEEK_START + timedelta(days=last)).isoformat(),
                messages=str(messages),
                gpt_messages=str(gpt),
                gpts_messaged=str(min(gpt, rng.randint(1, 4)) if gpt else 0),
                tool_messages=str(tool),
                tools_messaged=str(min(tool, rng.randint(1, 4)) if tool else 0),
            )
            active_rows.append((messages, row))
        elif status != "pending" and rng.random() < 0.6:
            row["last_day_active"] = (WEEK_START - timedelta(days=rng.randint(1, 120))).isoformat()
        rows.append(row)
    for rank, (_, row) in enumerate(sorted(active_rows, key=lambda x: -x[0]), start=1):
        row["messages_rank"] = str(rank)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CHATGPT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def make_gemini(n: int, path: Path) -> Path:
    """Write n Gemini for Workspace activity records as Reports API pages (a JSON array).

    About one user per 20 activities, spread over 14 days, newest first as the API returns.

    Args:
        n: number of activity records.
        path: output file.

    Returns:
        The path.
    """
    rng = random.Random(SEED + 1)
    users = [
        (f"user{i:06d}@corp.example", str(100000000000000000000 + i * 7919))
        for i in range(max(1, n // 20))
    ]
    start = datetime(2026, 11, 2, tzinfo=UTC)
    times = sorted((rng.random() * 14 * 86400 for _ in range(n)), reverse=True)
    apps = list(APPS)
    items = []
    for offset in times:
        email, profile = rng.choice(users)
        app = rng.choices(apps, (30, 25, 10, 8, 7, 5, 15))[0]
        when = start + timedelta(seconds=offset)
        qualifier = str(rng.randint(-(2**63), 2**63 - 1))
        items.append(
            {
                "kind": "admin#reports#activity",
                "id": {
                    "time": when.strftime("%Y-%m-%dT%H:%M:%S.")
                    + f"{when.microsecond // 1000:03d}Z",
                    "uniqueQualifier": qualifier,
                    "applicationName": "gemini_in_workspace_apps",
                    "customerId": "C03az79cb",
                },
                "etag": f'"kB3k9xQ2aTZ1mRvYw0pL7cN4sUe/{qualifier[-10:]}"',
                "actor": {"callerType": "USER", "email": email, "profileId": profile},
                "events": [
                    {
                        "type": "ai_usage_event",
                        "name": "feature_utilization",
                        "parameters": [
                            {"name": "action", "value": rng.choice(APPS[app])},
                            {"name": "app_name", "value": app},
                        ],
                    }
                ],
            }
        )
    pages = []
    for i in range(0, max(n, 1), PAGE_SIZE):
        page: dict[str, object] = {
            "kind": "admin#reports#activities",
            "etag": f'"kB3k9xQ2aTZ1mRvYw0pL7cN4sUe/page{i // PAGE_SIZE}"',
            "items": items[i : i + PAGE_SIZE],
        }
        if i + PAGE_SIZE < n:
            page["nextPageToken"] = f"A:{1700000000000 + i}:page{i // PAGE_SIZE + 1}"
        pages.append(page)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(pages), encoding="utf-8")
    return path
