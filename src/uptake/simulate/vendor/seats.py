"""GitHub Copilot seats listing (`GET /orgs/{org}/copilot/billing/seats`) from licences.

One seat per person who held a `code_assistant` licence (their latest assignment):
`created_at` = assigned_at, `pending_cancellation_date` = the removal date, `last_activity_at`
and `last_activity_editor` from their last canonical event (none when telemetry is off).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from uptake.simulate.vendor.common import CODE, Canon

ORG = "meridian-group"
EDITOR = {
    "vscode": "vscode/1.105.1/copilot/1.372.0",
    "jetbrains": "JetBrains-IU/2025.2.3/copilot-intellij/1.5.59",
    "github": "github.com",
}


def code_rows(c: Canon) -> np.ndarray:
    """Which licence rows are code_assistant seats.

    Args:
        c: the canonical organisation.

    Returns:
        A boolean mask over `c.licenses`.
    """
    return np.asarray(c.licenses.column("tool").to_numpy(zero_copy_only=False)) == CODE


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def team_ids(c: Canon) -> dict[str, int]:
    """GitHub team ids, fixed by the sorted team slugs.

    Args:
        c: the canonical organisation.

    Returns:
        slug -> id.
    """
    teams = sorted({t for t in c.people.column("team").to_pylist() if t})
    return {t: 4_100_000 + i for i, t in enumerate(teams, start=1)}


def write(c: Canon, path: Path, off: set[int], user_id: Callable[[str], int]) -> None:
    """Write the seats listing: one seat per person who held a code_assistant licence.

    Args:
        c: the canonical organisation.
        path: the JSON file.
        off: people with IDE telemetry off (their seats show no activity).
        user_id: GitHub's numeric id for a login.
    """
    lic = c.licenses.filter(code_rows(c)).sort_by(
        [("p", "ascending"), ("assigned_at", "ascending")]
    )
    latest: dict[int, dict[str, Any]] = {}
    for row in lic.to_pylist():
        latest[int(row["p"])] = row  # a later assignment replaces an earlier one
    last_ms: dict[int, int] = {}
    last_surface: dict[int, str] = {}
    a = c.code
    for p, ms, surface in zip(a["p"], a["last_ms"], a["surface"], strict=True):
        if int(ms) >= last_ms.get(int(p), -1):
            last_ms[int(p)], last_surface[int(p)] = int(ms), str(surface)
    team = c.people.column("team").to_pylist()
    ids = team_ids(c)
    seats = []
    for p in sorted(latest, key=lambda q: str(c.login[q])):
        row = latest[p]
        created = row["assigned_at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        removed = row["removed_at"]
        # Telemetry off: GitHub sees no IDE activity for the seat.
        active = p in last_ms and p not in off
        last = _iso(last_ms[p]) if active else None
        login = str(c.login[p])
        seats.append(
            {
                "created_at": created,
                "updated_at": created,
                "pending_cancellation_date": removed.date().isoformat() if removed else None,
                "last_activity_at": last,
                "last_activity_editor": EDITOR[last_surface[p]] if active else None,
                "last_authenticated_at": last,
                "plan_type": "business",
                "assignee": _assignee(login, user_id(login)),
                "assigning_team": _team(team[p], ids),
            }
        )
    doc = {"total_seats": len(seats), "seats": seats}
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def _assignee(login: str, uid: int) -> dict[str, Any]:
    api = f"https://api.github.com/users/{login}"
    return {
        "login": login,
        "id": uid,
        "node_id": base64.b64encode(f"04:User{uid}".encode()).decode(),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": f"https://github.com/{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": "User",
        "site_admin": False,
    }


def _team(slug: str | None, ids: dict[str, int]) -> dict[str, Any] | None:
    if not slug:
        return None
    tid = ids[slug]
    return {
        "id": tid,
        "node_id": base64.b64encode(f"04:Team{tid}".encode()).decode(),
        "url": f"https://api.github.com/teams/{tid}",
        "html_url": f"https://github.com/orgs/{ORG}/teams/{slug}",
        "name": slug,
        "slug": slug,
        "description": f"Copilot seats for {slug}",
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "permission": "pull",
        "members_url": f"https://api.github.com/teams/{tid}/members{{/member}}",
        "repositories_url": f"https://api.github.com/teams/{tid}/repos",
        "parent": None,
    }
