"""GitHub Copilot files: users-1-day and enterprise-1-day reports, user-teams, seats listing.

Mapping from the canonical `code_assistant` events (person-day counts):
suggestions → `code_generation_activity_count` and accepts → `code_acceptance_activity_count`
of feature `code_completion`, accepted lines (`value` of accept) → `loc_added_sum`; prompts →
`user_initiated_interaction_count` of `chat_panel_agent_mode` on an IDE day with edits (the
agent changed code), else `chat_panel_ask_mode`, and of `agent_edit` on the github.com surface
(review and cloud agent). IDE = the event's surface when it is vscode or jetbrains.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from uptake.simulate.vendor import seats
from uptake.simulate.vendor.common import Canon, stable_int, write_ndjson

ENTERPRISE_ID = "7301"
ORGANIZATION_ID = 90417
ETL_ID = "uptake-sim"
IDES = ("vscode", "jetbrains")
IDE_VERSION = {"vscode": "1.105.1", "jetbrains": "2025.2.3"}
PLUGIN = {"vscode": ("copilot-chat", "0.32.4"), "jetbrains": ("copilot-intellij", "1.5.59")}
LANGUAGES = ("python", "typescript", "java", "go", "csharp", "kotlin", "sql")
COUNTERS = (
    "code_acceptance_activity_count",
    "code_generation_activity_count",
    "user_initiated_interaction_count",
    "loc_added_sum",
    "loc_deleted_sum",
    "loc_suggested_to_add_sum",
    "loc_suggested_to_delete_sum",
)
CHAT = ("chat_panel_ask_mode", "chat_panel_agent_mode")
AGENT = ("chat_panel_agent_mode", "agent_edit")
PHASES = ("none", "code first", "agent first", "multi-agent")
TELEMETRY_OFF_SHARE = 0.03


@dataclass
class GithubOut:
    """What the GitHub writer produced (the tests and the manifest read it)."""

    files: list[str]
    users: int
    user_days: int
    telemetry_off: list[str]  # logins never present in the usage reports


def user_id(login: str) -> int:
    """GitHub's numeric user id, fixed by the login.

    Args:
        login: the GitHub login.

    Returns:
        An integer id.
    """
    return 10_000_000 + stable_int(login, 89_999_999)


def telemetry_off(c: Canon, seed: int) -> np.ndarray:
    """People whose IDE telemetry is off: a seeded 3 % of code_assistant licensees.

    Args:
        c: the canonical organisation.
        seed: the simulation seed.

    Returns:
        Sorted person indices.
    """
    holders = np.unique(c.licenses.column("p").to_numpy()[_code_rows(c)])
    n = round(len(holders) * TELEMETRY_OFF_SHARE)
    if len(holders) >= 10:
        n = max(n, 1)
    rng = np.random.default_rng([seed, 71])
    return np.sort(rng.choice(holders, size=n, replace=False)) if n else holders[:0]


def _code_rows(c: Canon) -> np.ndarray:
    return seats.code_rows(c)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _zero() -> dict[str, int]:
    return dict.fromkeys(COUNTERS, 0)


def _add(into: dict[str, int], **counts: int) -> None:
    for k, v in counts.items():
        into[k] += v


def _phase(ide_days: np.ndarray, agent_days: np.ndarray) -> np.ndarray:
    """v1 adoption phase per day from the days each surface kind was used (rolling 28 days)."""

    def rolling(active: np.ndarray) -> np.ndarray:
        cum = np.concatenate([[0], np.cumsum(active)])
        idx = np.arange(len(active))
        return cum[idx + 1] - cum[np.maximum(idx - 27, 0)]

    code = rolling(ide_days) >= 2
    agents = (rolling(agent_days) >= 2).astype(int)  # one agent surface here: github.com
    return np.where(agents >= 2, 3, np.where(agents == 1, 2, np.where(code, 1, 0)))


def write(c: Canon, out: Path, seed: int) -> GithubOut:
    """Write the four GitHub files under `out/github/`.

    Args:
        c: the canonical organisation.
        out: the vendor folder.
        seed: the simulation seed (telemetry-off users, pull-request numbers).

    Returns:
        Files written and counts.
    """
    gh = out / "github"
    off = set(telemetry_off(c, seed).tolist())
    users = _user_records(c, off)
    write_ndjson(gh / "copilot_users_1_day.ndjson", users)
    write_ndjson(gh / "copilot_enterprise_1_day.ndjson", _enterprise(c, users, seed))
    write_ndjson(gh / "copilot_user_teams_1_day.ndjson", _user_teams(c, users))
    seats.write(c, gh / "copilot_seats.json", off, user_id)
    files = [
        "github/copilot_users_1_day.ndjson",
        "github/copilot_enterprise_1_day.ndjson",
        "github/copilot_user_teams_1_day.ndjson",
        "github/copilot_seats.json",
    ]
    return GithubOut(
        files,
        len({u["user_login"] for u in users}),
        len(users),
        sorted(str(c.login[p]) for p in off),
    )


def _user_records(c: Canon, off: set[int]) -> list[dict[str, Any]]:
    a = c.code
    n = len(a["p"])
    if n == 0:
        return []
    key = a["p"] * c.days + a["day"]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ends = np.r_[starts[1:], n]
    # Per person: the days each surface kind was used, for the adoption phase.
    ide = np.isin(a["surface"], IDES)
    grid_ide: dict[int, np.ndarray] = {}
    grid_agent: dict[int, np.ndarray] = {}
    for p, d, is_ide in zip(a["p"], a["day"], ide, strict=True):
        g = grid_ide if is_ide else grid_agent
        g.setdefault(int(p), np.zeros(c.days, dtype=np.int64))[d] = 1
    none = np.zeros(c.days, np.int64)
    phases = {
        p: _phase(grid_ide.get(p, none), grid_agent.get(p, none))
        for p in set(grid_ide) | set(grid_agent)
    }
    # Plain lists: indexing NumPy arrays one scalar at a time is several times slower.
    rows = {k: v.tolist() for k, v in a.items()}
    records: list[dict[str, Any]] = []
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        p, d = int(a["p"][s]), int(a["day"][s])
        if p in off:
            continue
        records.append(_user_day(c, rows, s, e, p, d, int(phases[p][d])))
    return records


def _user_day(
    c: Canon, a: dict[str, list[Any]], s: int, e: int, p: int, d: int, phase: int
) -> dict[str, Any]:
    login = str(c.login[p])
    language = LANGUAGES[stable_int(login, len(LANGUAGES))]
    edits_on = {str(a["surface"][i]) for i in range(s, e) if a["edits"][i] > 0}
    features: dict[str, dict[str, int]] = {}
    by_model: dict[tuple[str, str], dict[str, int]] = {}
    by_ide: dict[str, dict[str, int]] = {}
    ide_last: dict[str, int] = {}
    for i in range(s, e):
        surface, model = str(a["surface"][i]), str(a["model"][i])
        sugg, acc, prompts = int(a["suggestions"][i]), int(a["accepts"][i]), int(a["prompts"][i])
        loc = round(float(a["loc"][i]))
        # Lines offered: accepted lines scaled up by the unaccepted suggestions.
        offered = round(loc * sugg / acc) if acc else 3 * sugg
        parts: list[tuple[str, dict[str, int]]] = []
        if sugg or acc:
            parts.append(
                (
                    "code_completion",
                    {
                        "code_generation_activity_count": sugg,
                        "code_acceptance_activity_count": acc,
                        "loc_added_sum": loc,
                        "loc_suggested_to_add_sum": max(offered, loc),
                    },
                )
            )
        if prompts:
            if surface not in IDES:
                feature = "agent_edit"
            else:
                feature = CHAT[1] if surface in edits_on else CHAT[0]
            parts.append((feature, {"user_initiated_interaction_count": prompts}))
        for feature, counts in parts:
            _add(features.setdefault(feature, _zero()), **counts)
            _add(by_model.setdefault((feature, model), _zero()), **counts)
            if surface in IDES:
                _add(by_ide.setdefault(surface, _zero()), **counts)
        if surface in IDES:
            ide_last[surface] = max(ide_last.get(surface, 0), int(a["last_ms"][i]))
    day = c.day(d).isoformat()
    top = _zero()
    for counts in features.values():
        _add(top, **counts)
    return {
        **top,
        "day": day,
        "enterprise_id": ENTERPRISE_ID,
        "totals_by_feature": [{"feature": f, **v} for f, v in sorted(features.items())],
        "totals_by_ide": [_ide_entry(ide, v, ide_last[ide]) for ide, v in sorted(by_ide.items())],
        "totals_by_language_feature": [
            {"feature": f, "language": language, **_no_prompts(v)}
            for f, v in sorted(features.items())
            if f == "code_completion"
        ],
        "totals_by_language_model": [],
        "totals_by_model_feature": [
            {"feature": f, "model": m, **v} for (f, m), v in sorted(by_model.items())
        ],
        "used_agent": any(f in AGENT for f in features),
        "used_chat": any(f in CHAT for f in features),
        "used_cli": False,
        "ai_adoption_phase": {"phase": PHASES[phase], "phase_number": phase, "version": "v1"},
        "user_id": user_id(login),
        "user_login": login,
        "etl_id": ETL_ID,
        "day_partition": day,
        "entity_id_partition": int(ENTERPRISE_ID),
    }


def _no_prompts(v: dict[str, int]) -> dict[str, int]:
    return {k: x for k, x in v.items() if k != "user_initiated_interaction_count"}


def _ide_entry(ide: str, v: dict[str, int], last_ms: int) -> dict[str, Any]:
    at = _iso(last_ms)
    plugin, version = PLUGIN[ide]
    return {
        "ide": ide,
        **v,
        "last_known_ide_version": {"ide_version": IDE_VERSION[ide], "sampled_at": at},
        "last_known_plugin_version": {
            "plugin": plugin,
            "plugin_version": version,
            "sampled_at": at,
        },
    }


def _sum_entries(entries: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Sum breakdown entries over users, per value of `keys` (version objects dropped)."""
    out: dict[tuple[str, ...], dict[str, int]] = {}
    for entry in entries:
        k = tuple(str(entry[x]) for x in keys)
        acc = out.setdefault(k, {c: 0 for c in COUNTERS if c in entry})
        for c in acc:
            acc[c] += int(entry[c])
    return [{**dict(zip(keys, k, strict=True)), **v} for k, v in sorted(out.items())]


def _enterprise(c: Canon, users: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    by_day: dict[int, list[dict[str, Any]]] = {d: [] for d in range(c.days)}
    for u in users:
        by_day[(datetime.fromisoformat(u["day"]).date() - c.start).days].append(u)
    seen: dict[str, list[int]] = {}  # login -> active day indices
    chat: dict[str, list[int]] = {}
    agent: dict[str, list[int]] = {}
    records: list[dict[str, Any]] = []
    for d in range(c.days):
        day_users = by_day[d]
        for u in day_users:
            seen.setdefault(u["user_login"], []).append(d)
            if u["used_chat"]:
                chat.setdefault(u["user_login"], []).append(d)
            if u["used_agent"]:
                agent.setdefault(u["user_login"], []).append(d)

        def within(m: dict[str, list[int]], span: int, _d: int = d) -> int:
            return sum(1 for days in m.values() if days[-1] > _d - span)

        totals = {k: sum(int(u[k]) for u in day_users) for k in COUNTERS}
        day = c.day(d).isoformat()
        entry: dict[str, Any] = {
            **totals,
            "day": day,
            "enterprise_id": ENTERPRISE_ID,
            "daily_active_users": len(day_users),
            "daily_active_cli_users": 0,
            "weekly_active_users": within(seen, 7),
            "monthly_active_users": within(seen, 28),
            "monthly_active_chat_users": within(chat, 28),
            "monthly_active_agent_users": within(agent, 28),
            "pull_requests": _pull_requests(day_users, np.random.default_rng([seed, 72, d])),
            "totals_by_feature": _sum_entries(
                [e for u in day_users for e in u["totals_by_feature"]], ("feature",)
            ),
            "totals_by_ide": _sum_entries(
                [e for u in day_users for e in u["totals_by_ide"]], ("ide",)
            ),
            "totals_by_language_feature": _sum_entries(
                [e for u in day_users for e in u["totals_by_language_feature"]],
                ("feature", "language"),
            ),
            "totals_by_language_model": [],
            "totals_by_model_feature": _sum_entries(
                [e for u in day_users for e in u["totals_by_model_feature"]], ("feature", "model")
            ),
        }
        records.append(
            {
                "day_totals": [entry],
                "enterprise_id": ENTERPRISE_ID,
                "report_start_day": day,
                "report_end_day": day,
                "etl_id": ETL_ID,
                "day_partition": day,
                "entity_id_partition": int(ENTERPRISE_ID),
            }
        )
    return records


def _pull_requests(day_users: list[dict[str, Any]], rng: np.random.Generator) -> dict[str, Any]:
    """Invented but consistent PR numbers: Copilot reviews = github.com agent users that day."""
    reviewers = [
        u for u in day_users if any(f["feature"] == "agent_edit" for f in u["totals_by_feature"])
    ]
    by_copilot = len(reviewers)
    created = by_copilot + int(rng.poisson(0.4 * len(day_users)))
    reviewed = by_copilot + int(rng.binomial(created - by_copilot, 0.6))
    created_by_copilot = int(rng.binomial(created, 0.08))
    merged = int(rng.binomial(created, 0.85))
    copilot_suggestions = int(rng.poisson(2.0 * by_copilot))
    copilot_applied = int(rng.binomial(copilot_suggestions, 0.45))
    suggestions = copilot_suggestions + int(rng.poisson(1.5 * (reviewed - by_copilot)))
    applied = copilot_applied + int(rng.binomial(suggestions - copilot_suggestions, 0.5))
    out: dict[str, Any] = {}
    if merged:
        out["median_minutes_to_merge"] = round(float(rng.gamma(4.0, 45.0)), 1)
        out["median_minutes_to_merge_copilot_authored"] = round(float(rng.gamma(4.0, 35.0)), 1)
        out["median_minutes_to_merge_copilot_reviewed"] = round(float(rng.gamma(4.0, 40.0)), 1)
    return {
        **out,
        "total_applied_suggestions": applied,
        "total_copilot_applied_suggestions": copilot_applied,
        "total_copilot_suggestions": copilot_suggestions,
        "total_created": created,
        "total_created_by_copilot": created_by_copilot,
        "total_merged": merged,
        "total_merged_created_by_copilot": int(rng.binomial(created_by_copilot, 0.8)),
        "total_merged_reviewed_by_copilot": int(rng.binomial(by_copilot, 0.85)),
        "total_reviewed": reviewed,
        "total_reviewed_by_copilot": by_copilot,
        "total_suggestions": suggestions,
    }


def _user_teams(c: Canon, users: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per user per active day (the day's team of the end-of-period roster)."""
    team = c.people.column("team").to_pylist()
    ids = seats.team_ids(c)
    by_login = {str(c.login[p]): p for p in range(len(c.login)) if c.login[p]}
    rows = []
    for u in users:
        t = team[by_login[u["user_login"]]]
        if t:
            rows.append(
                {
                    "user_id": u["user_id"],
                    "user_login": u["user_login"],
                    "day": u["day"],
                    "organization_id": ORGANIZATION_ID,
                    "team_id": ids[t],
                    "slug": t,
                }
            )
    return rows
