"""Realistic GitHub Copilot and Microsoft 365 Copilot files of n records (fixed seed).

- `make_github_users`: the `users-1-day` report (API version 2026-03-10), one record per
  user and active day, with the per-feature, per-IDE, per-language and per-model
  breakdowns, CLI/Copilot-app/third-party-agent totals for some users, the adoption phase
  and AI credits.
- `make_github_user_teams`: the `user-teams-1-day` report, one row per user, team and day.
- `make_m365_by_date`: `getMicrosoft365CopilotUsageUserDetailByDate` polled daily, one row
  per licensed user and date; `.csv` gives the v1.0 CSV stream, any other suffix the beta
  JSON pages (`{"value": [...], "@odata.nextLink": ...}` per 1,000 rows, as an array).

People × days grids over 30 days from 2026-03-01; most people are light users, a few heavy.
"""

from __future__ import annotations

import csv
import json
import math
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

START = date(2026, 3, 1)
DAYS = 30
SEED = 20260310
ORG_ID = "4711"
ENTERPRISE_ID = "311"
IDES = ("vscode", "JetBrains", "visualstudio", "neovim")
LANGUAGES = ("python", "typescript", "java", "go", "csharp", "unknown")
MODELS = ("gpt-4.1", "claude-sonnet-4.5", "gpt-5", "gemini-2.5-pro")
CHAT_FEATURES = (
    "chat_panel_ask_mode",
    "chat_panel_agent_mode",
    "chat_panel_edit_mode",
    "agent_edit",
)
AGENTS = (("claude", "Claude (Anthropic)"), ("codex", "Codex (OpenAI)"))
PHASES = ("none", "code first", "agent first", "multi-agent")
TEAMS = ("platform", "payments", "web", "mobile", "data", "security", "sre", "api")
M365_APPS = (
    "Copilot Chat",
    "Microsoft Teams Copilot",
    "Word Copilot",
    "Excel Copilot",
    "PowerPoint Copilot",
    "Outlook Copilot",
    "OneNote Copilot",
    "Loop Copilot",
)
# Chance an active M365 user used each app on a day (Teams and Chat most, Loop least).
M365_APP_USE = (0.55, 0.6, 0.35, 0.2, 0.15, 0.4, 0.05, 0.03)


def _grid(n: int, per_day: int = 1) -> Iterator[tuple[int, date]]:
    """(person, day) pairs day by day: enough people that n records span the 30 days."""
    people = max(1, math.ceil(n / (DAYS * per_day)))
    day = 0
    while True:
        for person in range(people):
            yield person, START + timedelta(days=day % DAYS)
        day += 1


def _login(i: int) -> str:
    return f"dev{i:05d}-acme"


def _counts(rng: random.Random, heavy: bool) -> dict[str, int]:
    gen = int(rng.expovariate(1 / (60 if heavy else 12)))
    acc = int(gen * rng.uniform(0.15, 0.4))
    added = acc * rng.randint(1, 6)
    return {
        "user_initiated_interaction_count": int(rng.expovariate(1 / (25 if heavy else 4))),
        "code_generation_activity_count": gen,
        "code_acceptance_activity_count": acc,
        "loc_suggested_to_add_sum": gen * rng.randint(2, 8),
        "loc_suggested_to_delete_sum": gen // 4,
        "loc_added_sum": added,
        "loc_deleted_sum": added // 5,
    }


def _tokens(rng: random.Random, requests: int) -> dict[str, Any]:
    prompt = requests * rng.randint(800, 4000)
    output = requests * rng.randint(200, 1500)
    avg = round((prompt + output) / requests, 1) if requests else 0.0
    return {
        "prompt_tokens_sum": prompt,
        "output_tokens_sum": output,
        "avg_tokens_per_request": avg,
    }


def _surface(rng: random.Random, day: date, version: str) -> dict[str, Any]:
    sessions = rng.randint(1, 4)
    requests = sessions * rng.randint(2, 15)
    return {
        "session_count": sessions,
        "request_count": requests,
        "prompt_count": max(1, requests // 2),
        "token_usage": _tokens(rng, requests),
        "last_known_cli_version": {"cli_version": version, "sampled_at": f"{day}T17:02:11Z"},
    }


def _github_user(rng: random.Random, person: int, day: date) -> dict[str, Any]:
    heavy = person % 10 == 0
    ide = IDES[person % 7 % len(IDES)]
    totals = _counts(rng, heavy)
    chat = rng.sample(CHAT_FEATURES, rng.randint(0, 2 if heavy else 1))
    features = [
        {
            "feature": "code_completion",
            **{k: v for k, v in totals.items() if k != "user_initiated_interaction_count"},
            "user_initiated_interaction_count": 0,
        }
    ]
    for feature in chat:
        features.append(
            {
                "feature": feature,
                "user_initiated_interaction_count": max(
                    1, totals["user_initiated_interaction_count"] // 2
                ),
                "code_generation_activity_count": rng.randint(0, 10),
                "code_acceptance_activity_count": rng.randint(0, 4),
                "loc_added_sum": rng.randint(0, 200),
                "loc_deleted_sum": rng.randint(0, 50),
            }
        )
    language = LANGUAGES[person % len(LANGUAGES)]
    record: dict[str, Any] = {
        "day": day.isoformat(),
        "enterprise_id": ENTERPRISE_ID,
        "organization_id": ORG_ID,
        "user_id": 100_000 + person,
        "user_login": _login(person),
        **totals,
        "totals_by_ide": [
            {
                "ide": ide,
                **totals,
                "last_known_ide_version": {
                    "ide_version": "1.104.2",
                    "sampled_at": f"{day}T09:14:03Z",
                },
                "last_known_plugin_version": {
                    "plugin": "copilot-chat",
                    "plugin_version": "0.31.5",
                    "sampled_at": f"{day}T09:14:03Z",
                },
            }
        ],
        "totals_by_feature": features,
        "totals_by_language_feature": [
            {
                "language": language,
                "feature": "code_completion",
                "code_generation_activity_count": totals["code_generation_activity_count"],
                "code_acceptance_activity_count": totals["code_acceptance_activity_count"],
                "loc_added_sum": totals["loc_added_sum"],
            }
        ],
        "totals_by_language_model": [],
        "totals_by_model_feature": [
            {
                "model": rng.choice(MODELS),
                "feature": f,
                "user_initiated_interaction_count": max(
                    1, totals["user_initiated_interaction_count"] // 2
                ),
            }
            for f in chat
        ],
        "used_agent": "chat_panel_agent_mode" in chat or "agent_edit" in chat,
        "used_chat": bool(chat),
        "used_cli": False,
        "used_copilot_cloud_agent": heavy and rng.random() < 0.3,
        "used_copilot_coding_agent": heavy and rng.random() < 0.2,
        "ai_credits_used": round(rng.expovariate(1 / (80 if heavy else 8)), 2),
        "etl_id": f"etl-{day:%Y%m%d}",
        "day_partition": day.isoformat(),
        "entity_id_partition": int(ORG_ID),
    }
    if person % 4 == 0:
        record["totals_by_cli"] = _surface(rng, day, "0.0.338")
        record["used_cli"] = True
    if person % 9 == 0:
        record["totals_by_copilot_app"] = _surface(rng, day, "1.2.0")
    if person % 6 == 0:
        agent_id, name = AGENTS[person % 2]
        record["totals_by_3rd_party_agent"] = [
            {
                "agent_id": agent_id,
                "agent_name": name,
                "user_initiated_interaction_count": rng.randint(1, 30),
            }
        ]
    phase = (
        3
        if person % 9 == 0
        else 2
        if person % 4 == 0
        else 1
        if totals["code_generation_activity_count"]
        else 0
    )
    record["ai_adoption_phase"] = {"phase": PHASES[phase], "phase_number": phase, "version": "v1"}
    return record


def _write_ndjson(path: Path, rows: Iterator[dict[str, Any]]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    items = list(rows)
    with path.open("w", encoding="utf-8") as fh:
        if path.suffix == ".ndjson":
            for row in items:
                fh.write(json.dumps(row, separators=(",", ":")) + "\n")
        else:
            json.dump(items, fh, separators=(",", ":"))
    return path


def make_github_users(n: int, path: Path) -> Path:
    """Write a `users-1-day` style report of n user-day records.

    Args:
        n: records.
        path: `.ndjson` (as downloaded) or any other suffix for a JSON array.

    Returns:
        The path.
    """
    rng = random.Random(SEED)
    grid = _grid(n)
    return _write_ndjson(path, (_github_user(rng, *next(grid)) for _ in range(n)))


def make_github_user_teams(n: int, path: Path) -> Path:
    """Write a `user-teams-1-day` style report of n user × team × day rows.

    Every third person is in two teams; the team list is stable over the days.

    Args:
        n: rows.
        path: `.ndjson` or any other suffix for a JSON array.

    Returns:
        The path.
    """
    rng = random.Random(SEED + 1)

    def teams_of(person: int) -> list[int]:
        first = person % len(TEAMS)
        return [first, (first + 3) % len(TEAMS)] if person % 3 == 0 else [first]

    def rows() -> Iterator[dict[str, Any]]:
        written = 0
        for person, day in _grid(n, per_day=1):
            for team in teams_of(person):
                if written == n:
                    return
                written += 1
                yield {
                    "user_id": 100_000 + person,
                    "user_login": _login(person),
                    "day": day.isoformat(),
                    "organization_id": ORG_ID,
                    "team_id": 9000 + team,
                    "slug": TEAMS[team],
                    "etl_id": f"etl-{day:%Y%m%d}-{rng.randint(0, 9)}",
                }

    return _write_ndjson(path, rows())


def _m365_row(rng: random.Random, person: int, day: date) -> dict[str, str]:
    active = rng.random() < (0.85 if person % 5 == 0 else 0.45)
    row = {
        "Report Refresh Date": (day + timedelta(days=2)).isoformat(),
        "Report Date": day.isoformat(),
        "User Principal Name": f"user{person:05d}@contoso.example",
        "Display Name": f"User {person:05d}",
    }
    last_any = ""
    for app, chance in zip(M365_APPS, M365_APP_USE, strict=True):
        if active and rng.random() < chance:
            when = day
        elif rng.random() < chance:
            when = day - timedelta(days=rng.randint(1, 20))
        else:
            row[f"{app} Last Activity Date"] = ""
            continue
        row[f"{app} Last Activity Date"] = when.isoformat()
        last_any = max(last_any, when.isoformat())
    row["Last Activity Date"] = last_any
    return row


def make_m365_by_date(n: int, path: Path) -> Path:
    """Write a by-date M365 Copilot user-detail file of n user × date rows.

    Args:
        n: rows.
        path: `.csv` for the v1.0 CSV stream, any other suffix for beta JSON pages.

    Returns:
        The path.
    """
    rng = random.Random(SEED + 2)
    grid = _grid(n)
    rows = [_m365_row(rng, *next(grid)) for _ in range(n)]
    header = [
        "Report Refresh Date",
        "Report Date",
        "User Principal Name",
        "Display Name",
        "Last Activity Date",
        *(f"{app} Last Activity Date" for app in M365_APPS),
    ]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows)
        return path
    pages = []
    for start in range(0, len(rows), 1000):
        page: dict[str, Any] = {"value": [_camel(r) for r in rows[start : start + 1000]]}
        if start + 1000 < len(rows):
            page["@odata.nextLink"] = (
                f"https://graph.microsoft.com/beta/copilot/reports/next?skip={start + 1000}"
            )
        pages.append(page)
    path.write_text(json.dumps(pages, separators=(",", ":")), encoding="utf-8")
    return path


def _camel(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row with the beta JSON's camelCase keys (null for no activity)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        words = key.replace("PowerPoint", "Power Point").replace("OneNote", "One Note").split()
        name = words[0].lower() + "".join(w[:1].upper() + w[1:] for w in words[1:])
        out[name] = value or None
    return out
