"""Vendor records for one person and day, in each vendor's documented shape.

Both data modes use these builders: the samples mode for its fixed people (formats without a
verbatim sample), the simulated mode for the people it derives from GitHub and Microsoft 365
activity. Every number is fixed by the person, the day and a salt (`stable`), so the same
request always gets the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

EPOCH = date(1970, 1, 1)
MS_DAY = 86_400_000
ANTHROPIC_ORG = "5f0c1c52-2a7e-4c51-9d1b-3c3d5e0a7b21"
GOOGLE_CUSTOMER = "C03az79cb"
CLAUDE_MODELS = ("claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001")
CURSOR_MODELS = ("claude-4.5-sonnet", "gpt-5", "auto")
TERMINALS = ("vscode", "iTerm.app", "ghostty")
GEMINI_ACTIONS = ("summarize", "generate_text", "conversation", "ask_about_context", "proofread")
# Which Gemini app stands in for which Microsoft 365 app when deriving from M365 activity.
GEMINI_APP = {
    "word": "docs",
    "excel": "sheets",
    "powerpoint": "slides",
    "outlook": "gmail",
    "teams": "meet",
    "copilot_chat": "gemini_app",
    "onenote": "docs",
    "loop": "docs",
}


def stable(*parts: object) -> int:
    """A 64-bit number fixed by `parts` (Python's hash() is salted per process).

    Args:
        parts: anything with a stable `str`.

    Returns:
        The number.
    """
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def pick(n: int, low: int, high: int) -> int:
    """A number in [low, high] from a stable number `n`.

    Args:
        n: a number from `stable`.
        low: smallest result.
        high: largest result.

    Returns:
        The number.
    """
    return low + n % (high - low + 1)


def epoch_ms(day: date, seconds: int = 0) -> int:
    """Milliseconds since the epoch at midnight UTC of `day`, plus `seconds`.

    Args:
        day: the day.
        seconds: seconds after midnight.

    Returns:
        Epoch milliseconds.
    """
    return (day - EPOCH).days * MS_DAY + seconds * 1000


def iso_z(day: date, seconds: int = 0) -> str:
    """`YYYY-MM-DDTHH:MM:SS.000Z` for `seconds` after midnight UTC of `day`.

    Args:
        day: the day.
        seconds: seconds after midnight.

    Returns:
        The timestamp text.
    """
    at = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=seconds)
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def claude_code(email: str, day: date, level: int) -> dict[str, Any]:
    """One Claude Code Analytics row (`usage_report/claude_code`) for a user and day.

    Args:
        email: the user's e-mail.
        day: the day.
        level: activity level (1 = light, larger = more), scales every count.

    Returns:
        The row.
    """
    h = stable("claude_code", email, day)
    added = level * pick(h, 20, 240)
    models = []
    for i, model in enumerate(CLAUDE_MODELS[: 1 + h % 2]):
        m = stable(h, model)
        inp, out = level * pick(m, 2_000, 40_000), level * pick(m >> 16, 500, 9_000)
        models.append(
            {
                "estimated_cost": {
                    "amount": (inp * 3 + out * 15) // (10_000 * (1 + 2 * i)),
                    "currency": "USD",
                },
                "model": model,
                "tokens": {
                    "cache_creation": pick(m >> 8, 0, 3_000),
                    "cache_read": pick(m >> 24, 0, 9_000),
                    "input": inp,
                    "output": out,
                },
            }
        )
    return {
        "actor": {"email_address": email, "type": "user_actor"},
        "core_metrics": {
            "commits_by_claude_code": pick(h >> 4, 0, 2 + level),
            "lines_of_code": {"added": added, "removed": added * pick(h >> 6, 10, 60) // 100},
            "num_sessions": pick(h >> 8, 1, 2 + level),
            "pull_requests_by_claude_code": pick(h >> 10, 0, 1 + level // 2),
        },
        "customer_type": "subscription",
        "date": f"{day.isoformat()}T00:00:00Z",
        "model_breakdown": models,
        "organization_id": ANTHROPIC_ORG,
        "subscription_type": "enterprise",
        "terminal_type": TERMINALS[h % len(TERMINALS)],
        "tool_actions": {
            tool: {"accepted": level * pick(h >> shift, 0, 12), "rejected": pick(h >> shift, 0, 2)}
            for tool, shift in (
                ("edit_tool", 12),
                ("multi_edit_tool", 16),
                ("notebook_edit_tool", 20),
                ("write_tool", 24),
            )
        },
    }


def claude_user(email: str, day: date, code_level: int, chat_level: int) -> dict[str, Any]:
    """One Enterprise Analytics user row (`analytics/users?date=`) for a user and day.

    Args:
        email: the user's e-mail.
        day: the day.
        code_level: Claude Code activity (0 = none).
        chat_level: Claude chat activity (0 = none).

    Returns:
        The row.
    """
    h = stable("claude_user", email, day)
    row: dict[str, Any] = {
        "date": day.isoformat(),
        "user": {"id": f"user_{stable('uid', email):016x}", "email_address": email},
        "chat_metrics": {
            "distinct_conversation_count": chat_level * pick(h, 1, 4),
            "message_count": chat_level * pick(h >> 4, 3, 30),
            "distinct_projects_used_count": pick(h >> 8, 0, chat_level),
            "distinct_artifacts_created_count": pick(h >> 10, 0, chat_level),
            "distinct_skills_used_count": pick(h >> 12, 0, chat_level),
            "connectors_used_count": pick(h >> 14, 0, chat_level),
            "distinct_files_uploaded_count": pick(h >> 16, 0, 2 * chat_level),
        },
        "claude_code_metrics": {
            "core_metrics": {
                "distinct_session_count": code_level * pick(h >> 18, 1, 3),
                "commit_count": pick(h >> 20, 0, 2 * code_level),
                "pull_request_count": pick(h >> 22, 0, code_level),
                "lines_of_code": {
                    "added_count": code_level * pick(h >> 24, 10, 200),
                    "removed_count": code_level * pick(h >> 26, 0, 60),
                },
            },
            "tool_actions": {
                tool: {
                    "accepted_count": code_level * pick(h >> shift, 0, 9),
                    "rejected_count": pick(h >> shift, 0, code_level),
                }
                for tool, shift in (
                    ("edit_tool", 28),
                    ("multi_edit_tool", 30),
                    ("write_tool", 32),
                    ("notebook_edit_tool", 34),
                )
            },
        },
        "office_metrics": {
            app: {
                "message_count": pick(h >> shift, 0, chat_level),
                "distinct_session_count": pick(h >> shift, 0, chat_level) // 2,
            }
            for app, shift in (("excel", 36), ("powerpoint", 38), ("word", 40))
        },
        "cowork_metrics": {"distinct_session_count": pick(h >> 42, 0, chat_level) // 2},
        "web_search_count": pick(h >> 44, 0, 3 * chat_level),
    }
    return row


def cursor_daily(email: str, day: date, gen: int, acc: int, prompts: int) -> dict[str, Any]:
    """One Cursor `daily-usage-data` row, scaled from a day's completions and prompts.

    Args:
        email: the user's e-mail.
        day: the day.
        gen: suggestions shown (tabs shown).
        acc: suggestions accepted (tabs accepted).
        prompts: chat/agent prompts.

    Returns:
        The row.
    """
    h = stable("cursor", email, day)
    added = acc * pick(h, 2, 9)
    applies = pick(h >> 4, 0, prompts)
    accepts = applies - pick(h >> 6, 0, applies // 3) if applies else 0
    return {
        "date": epoch_ms(day),
        "isActive": True,
        "totalLinesAdded": added + pick(h >> 8, 0, 40),
        "totalLinesDeleted": pick(h >> 10, 0, added // 2 + 1),
        "acceptedLinesAdded": added,
        "acceptedLinesDeleted": pick(h >> 12, 0, added // 3 + 1),
        "totalApplies": applies,
        "totalAccepts": accepts,
        "totalRejects": applies - accepts,
        "totalTabsShown": gen,
        "totalTabsAccepted": acc,
        "composerRequests": prompts // 3,
        "chatRequests": prompts - prompts // 3 - prompts // 4,
        "agentRequests": prompts // 4,
        "cmdkUsages": pick(h >> 14, 0, 5),
        "subscriptionIncludedReqs": prompts,
        "apiKeyReqs": 0,
        "usageBasedReqs": pick(h >> 16, 0, 2),
        "bugbotUsages": pick(h >> 18, 0, 1),
        "mostUsedModel": CURSOR_MODELS[h % len(CURSOR_MODELS)],
        "applyMostUsedExtension": ".py",
        "tabMostUsedExtension": ".ts",
        "clientVersion": "2.1.42",
        "email": email,
    }


def cursor_events(email: str, day: date, prompts: int) -> list[dict[str, Any]]:
    """Cursor `filtered-usage-events` entries for a user and day (one per prompt, at most 6).

    Args:
        email: the user's e-mail.
        day: the day.
        prompts: prompts that day.

    Returns:
        The events, oldest first.
    """
    out = []
    for i in range(min(prompts, 6)):
        h = stable("cursor_event", email, day, i)
        inp, outp = pick(h, 100, 9_000), pick(h >> 16, 50, 2_000)
        event: dict[str, Any] = {
            "timestamp": str(epoch_ms(day, 8 * 3600 + i * 3_000 + h % 2_000)),
            "model": CURSOR_MODELS[h % 2],
            "kind": "Included in Business",
            "maxMode": False,
            "requestsCosts": 1,
            "isTokenBasedCall": True,
            "tokenUsage": {
                "inputTokens": inp,
                "outputTokens": outp,
                "cacheWriteTokens": pick(h >> 24, 0, 4_000),
                "cacheReadTokens": pick(h >> 32, 0, 9_000),
                "totalCents": round((inp * 3 + outp * 15) / 100_000, 5),
            },
            "isFreeBugbot": False,
            "userEmail": email,
        }
        out.append(event)
    return out


def codex(email: str, day: date, level: int) -> dict[str, Any]:
    """One Codex analytics usage row (per user, not grouped) for a user and day.

    Args:
        email: the user's e-mail.
        day: the day.
        level: activity level.

    Returns:
        The row.
    """
    h = stable("codex", email, day)
    threads = level * pick(h, 1, 3)
    turns = threads * pick(h >> 8, 2, 9)
    return {
        "date": day.isoformat(),
        "user_id": f"user-{stable('codex_uid', email) % 36**12:012x}",
        "email": email,
        "is_active": True,
        "total_threads": threads,
        "total_turns": turns,
        "total_credits": round(turns * pick(h >> 16, 5, 40) / 10, 1),
        "input_tokens": turns * pick(h >> 24, 2_000, 20_000),
        "output_tokens": turns * pick(h >> 32, 200, 2_000),
        "client": ("cli", "ide", "cloud")[h % 3],
    }


def gemini(email: str, day: date, apps: list[str]) -> list[dict[str, Any]]:
    """Reports API activities for a user and day: one `feature_utilization` event per app use.

    Args:
        email: the user's e-mail.
        day: the day.
        apps: Gemini app names used that day (gmail, docs, sheets, slides, meet, gemini_app…).

    Returns:
        The activities, oldest first (the server orders them as the API does).
    """
    out = []
    for i, app in enumerate(apps):
        h = stable("gemini", email, day, app, i)
        seconds = 8 * 3600 + (h % (9 * 3600))
        out.append(
            {
                "kind": "admin#reports#activity",
                "id": {
                    "time": iso_z(day, seconds),
                    "uniqueQualifier": str(-(h % 10**18)),
                    "applicationName": "gemini_in_workspace_apps",
                    "customerId": GOOGLE_CUSTOMER,
                },
                "etag": f'"{base64.b64encode(h.to_bytes(8, "big")).decode()}"',
                "actor": {
                    "callerType": "USER",
                    "email": email,
                    "profileId": str(100_000_000_000_000_000_000 + stable("gid", email) % 10**20),
                },
                "events": [
                    {
                        "type": "ai_usage_event",
                        "name": "feature_utilization",
                        "parameters": [
                            {"name": "action", "value": GEMINI_ACTIONS[h % len(GEMINI_ACTIONS)]},
                            {"name": "app_name", "value": app},
                        ],
                    }
                ],
            }
        )
    return out


def m365_by_date(email: str, day: date, apps: list[str]) -> dict[str, Any]:
    """A Graph (JSON) user-detail-by-date entry for a licensed user on `day`.

    Args:
        email: the user principal name.
        day: the report date.
        apps: the Microsoft 365 apps used that day (word, excel, teams, …); empty = none.

    Returns:
        The `value[]` entry.
    """
    when = day.isoformat()
    entry: dict[str, Any] = {
        "reportRefreshDate": when,
        "userPrincipalName": email,
        "displayName": display_name(email),
        "lastActivityDate": when if apps else "",
    }
    for key, app in M365_KEYS:
        entry[key] = when if app in apps else ""
    entry["copilotActivityUserDetailsByPeriod"] = [{"reportPeriod": 1}]
    return entry


# Graph JSON keys of the per-app last-activity dates, with the app each stands for.
M365_KEYS = (
    ("copilotChatLastActivityDate", "copilot_chat"),
    ("microsoftTeamsCopilotLastActivityDate", "teams"),
    ("wordCopilotLastActivityDate", "word"),
    ("excelCopilotLastActivityDate", "excel"),
    ("powerPointCopilotLastActivityDate", "powerpoint"),
    ("outlookCopilotLastActivityDate", "outlook"),
    ("oneNoteCopilotLastActivityDate", "onenote"),
    ("loopCopilotLastActivityDate", "loop"),
)


def display_name(email: str) -> str:
    """`ana.silva2@x` → `Ana Silva`.

    Args:
        email: the e-mail.

    Returns:
        The name a directory would show.
    """
    local = re.sub(r"\d+$", "", email.split("@", 1)[0])
    return " ".join(part.capitalize() for part in re.split(r"[._-]", local) if part)


def shift_dates(obj: Any, days: int, *, ms_keys: tuple[str, ...] = ()) -> Any:
    """A copy of `obj` with every ISO date (and epoch-ms field in `ms_keys`) moved by `days`.

    Args:
        obj: parsed JSON.
        days: days to add.
        ms_keys: keys whose values are epoch milliseconds (number or digit string).

    Returns:
        The shifted copy.
    """
    return _walk(obj, days, ms_keys, lambda s: _shift_text(s, days))


_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def _shift_text(text: str, days: int) -> str:
    m = _DATE.match(text)
    if not m:
        return text
    try:
        d = date(int(m[1]), int(m[2]), int(m[3])) + timedelta(days=days)
    except ValueError:
        return text
    return d.isoformat() + text[10:]


def _walk(obj: Any, days: int, ms_keys: tuple[str, ...], text: Callable[[str], str]) -> Any:
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k in ms_keys and isinstance(v, int | str) and str(v).isdigit():
                moved = int(v) + days * MS_DAY
                out[k] = moved if isinstance(v, int) else str(moved)
            else:
                out[k] = _walk(v, days, ms_keys, text)
        return out
    if isinstance(obj, list):
        return [_walk(v, days, ms_keys, text) for v in obj]
    if isinstance(obj, str):
        return text(obj)
    return obj
