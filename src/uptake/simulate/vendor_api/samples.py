"""The "samples" data mode: the vendors' documented examples, moved to the requested day.

The JSON files next to this module are copies of public documentation examples: the
Anthropic Admin API `usage_report/claude_code` response (its e-mail replaced by the
placeholder user@example.com), the Cursor Admin API `daily-usage-data` and
`filtered-usage-events` responses, the GitHub docs' usage-metrics user-level and
enterprise-level schema examples and Copilot seats example (github/docs, CC-BY-4.0), and the
Microsoft Graph Copilot user-detail beta response (MicrosoftDocs, CC-BY-4.0). Each is served
as published with its dates moved to the requested day, plus the same record for a few fixed
people (numbers scaled) so pagination has something to page through. Formats without a
published example (Claude Enterprise users, Codex, Gemini, GitHub user-teams) are built from
their documented field lists for the same fixed people.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

from uptake.simulate.vendor_api import records
from uptake.simulate.vendor_api.data import VendorData, dumps

SAMPLES = Path(__file__).with_name("samples")
# (e-mail, GitHub login, activity level) of the fixed people every vendor knows.
PEOPLE = (
    ("ana.silva@example.com", "ana-silva", 1),
    ("ben.okafor@example.com", "bokafor", 2),
    ("chen.wei@example.com", "chenwei", 3),
)
ORG_ID = 4_521_907
TEAM = ("platform", 4_100_001)


def _load(name: str, folder: Path) -> Any:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def _scale(obj: Any, factor: int) -> Any:
    """Counts multiplied by `factor` (ids, dates and flags untouched)."""
    if isinstance(obj, dict):
        return {
            k: v if any(w in k.lower() for w in ("id", "date", "time")) else _scale(v, factor)
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [_scale(v, factor) for v in obj]
    if isinstance(obj, int) and not isinstance(obj, bool):
        return obj * factor
    return obj


def _days(a: str, b: date) -> int:
    return (b - date.fromisoformat(a[:10])).days


class SampleData(VendorData):
    """Documented samples, re-dated to each requested day.

    Args:
        folder: where the sample files are (default: the copies shipped with uptake).
        conceal: serve the Microsoft sample's concealed (32-hex) user as published; by default
            its fixed people appear with readable names instead.
    """

    mode = "samples"

    def __init__(self, folder: Path | None = None, *, conceal: bool = False) -> None:
        f = folder or SAMPLES
        self.conceal = conceal
        self._claude = _load("anthropic_claude_code_usage_report.json", f)["data"]
        self._cursor = _load("cursor_daily_usage_data.json", f)["data"]
        self._events = _load("cursor_filtered_usage_events.json", f)["usageEvents"]
        self._gh_user = _load("github_copilot_usage_metrics_user_level_example.json", f)
        self._gh_ent = _load("github_copilot_usage_metrics_enterprise_level_example.json", f)[0]
        self._seats = _load("github_copilot_billing_seats_org.json", f)["seats"]
        self._m365 = _load("m365_copilot_usage_user_detail_beta.json", f)["value"]

    def github(self, report: str, day: date) -> list[bytes]:
        """NDJSON lines of one GitHub report for one day (see VendorData)."""
        if report == "users-1-day":
            out = []
            for rec in self._gh_user:
                base = records.shift_dates(rec, _days(rec["day"], day))
                out.append(base)
                for email, login, level in PEOPLE:
                    clone = _scale(base, level)
                    clone.update(user_login=login, user_id=records.stable("ghid", email) % 10**8)
                    out.append(clone)
            return [dumps(r) for r in out]
        if report == "user-teams-1-day":
            return [
                dumps(
                    {
                        "day": day.isoformat(),
                        "organization_id": ORG_ID,
                        "slug": TEAM[0],
                        "team_id": TEAM[1],
                        "user_id": records.stable("ghid", email) % 10**8,
                        "user_login": login,
                    }
                )
                for email, login, _ in PEOPLE
            ]
        rec = records.shift_dates(self._gh_ent, _days(self._gh_ent["report_end_day"], day))
        rec.update(report_start_day=day.isoformat(), report_end_day=day.isoformat())
        return [dumps(rec)]

    def seats(self) -> list[dict[str, Any]]:
        """The sample's seats plus one seat per fixed person (see VendorData)."""
        out = copy.deepcopy(self._seats)
        for email, login, _ in PEOPLE:
            seat = copy.deepcopy(self._seats[0])
            seat["assignee"].update(login=login, id=records.stable("ghid", email) % 10**8)
            seat["assignee"]["url"] = f"https://api.github.com/users/{login}"
            seat["assignee"]["html_url"] = f"https://github.com/{login}"
            out.append(seat)
        return out

    def m365(self, day: date) -> list[dict[str, Any]]:
        """Graph user-detail entries for `day` (see VendorData)."""
        out = []
        if self.conceal:
            for rec in self._m365:
                moved = records.shift_dates(rec, _days(rec["reportRefreshDate"], day))
                moved["copilotActivityUserDetailsByPeriod"] = [{"reportPeriod": 1}]
                out.append(moved)
        apps = ("word", "teams", "copilot_chat", "excel", "outlook")
        for i, (email, _, level) in enumerate(PEOPLE):
            used = [a for k, a in enumerate(apps) if (k + i + day.toordinal()) % 4 < level]
            out.append(records.m365_by_date(email, day, used))
        return out

    def claude_code(self, day: date) -> list[dict[str, Any]]:
        """The Claude Code sample row and its clones for `day` (see VendorData)."""
        out = []
        for rec in self._claude:
            base = records.shift_dates(rec, _days(rec["date"], day))
            out.append(base)
            for email, _, level in PEOPLE:
                clone = _scale(base, level)
                clone["actor"] = {"email_address": email, "type": "user_actor"}
                out.append(clone)
        return out

    def claude_users(self, day: date) -> list[dict[str, Any]]:
        """Enterprise Analytics rows for the fixed people (see VendorData)."""
        return [records.claude_user(e, day, level, 4 - level) for e, _, level in PEOPLE]

    def cursor_daily(self, day: date) -> list[dict[str, Any]]:
        """One of the two sample rows (alternating by day) and its clones (see VendorData)."""
        rec = self._cursor[day.toordinal() % len(self._cursor)]
        base = records.shift_dates(
            rec, (day - records.EPOCH).days - rec["date"] // records.MS_DAY, ms_keys=("date",)
        )
        out = [base]
        for email, _, level in PEOPLE:
            clone = _scale(base, level)
            clone["email"] = email
            out.append(clone)
        return out

    def cursor_events(self, day: date) -> list[dict[str, Any]]:
        """The sample events moved to `day` (time of day kept) and clones (see VendorData)."""
        out = []
        for rec in self._events:
            shift = (day - records.EPOCH).days - int(rec["timestamp"]) // records.MS_DAY
            moved = records.shift_dates(rec, shift, ms_keys=("timestamp",))
            out.append(moved)
            for email, _, _level in PEOPLE:
                out.append({**moved, "userEmail": email})
        return sorted(out, key=lambda e: (int(e["timestamp"]), e["userEmail"]))

    def codex(self, day: date) -> list[dict[str, Any]]:
        """Codex rows for the fixed people (see VendorData)."""
        return [records.codex(e, day, level) for e, _, level in PEOPLE]

    def gemini(self, day: date) -> list[dict[str, Any]]:
        """Gemini activities for the fixed people (see VendorData)."""
        apps = ("gmail", "docs", "sheets", "meet")
        out = []
        for email, _, level in PEOPLE:
            out += records.gemini(email, day, list(apps[:level]))
        return sorted(out, key=lambda a: (a["id"]["time"], a["id"]["uniqueQualifier"]))
