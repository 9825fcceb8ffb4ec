"""The "simulated" data mode: a folder written by `uptake simulate --emit vendor`.

GitHub and Microsoft 365 come straight from the folder (the GitHub NDJSON lines are served
byte for byte, split by day; the by-date user-detail CSVs become Graph JSON entries). The
other vendors are derived, with a fixed seed, for a subset of the simulated people so a sync
of a simulated organisation exercises every source:

- people with a GitHub login (engineers): 40 % also use Cursor on every GitHub day (counts
  from that day's completions and prompts), 25 % Claude Code and 15 % Codex on most of their
  GitHub days;
- people with a Microsoft 365 Copilot licence (office users): 30 % also use Gemini in
  Workspace on their Microsoft 365 days (same apps, Google's names) and 20 % Claude chat;
- Claude Enterprise analytics rows = the Claude Code and Claude chat people of the day.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from uptake.errors import InputError
from uptake.simulate.vendor_api import records
from uptake.simulate.vendor_api.data import VendorData
from uptake.simulate.vendor_api.records import stable

# Share (percent) of engineers / office users who also use each tool.
SHARES = {"cursor": 40, "claude_code": 25, "codex": 15, "gemini": 30, "claude_chat": 20}
# Share (percent) of a user's GitHub days on which they also use the tool.
DAY_SHARES = {"claude_code": 70, "codex": 60}
_REPORT_FILES = {
    "users-1-day": ("copilot_users_1_day.ndjson", "day"),
    "user-teams-1-day": ("copilot_user_teams_1_day.ndjson", "day"),
    "enterprise-1-day": ("copilot_enterprise_1_day.ndjson", "report_end_day"),
    "organization-1-day": ("copilot_enterprise_1_day.ndjson", "report_end_day"),
}


def _camel(header: str) -> str:
    words = header.split()
    return words[0][0].lower() + words[0][1:] + "".join(words[1:])


class SimulatedData(VendorData):
    """A simulated organisation's vendor view, plus derived records for the other vendors.

    Args:
        folder: the vendor view folder (with `manifest.json`).

    Raises:
        InputError: the folder is not a vendor view.
    """

    mode = "simulated"

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        manifest = self.folder / "manifest.json"
        try:
            self.manifest = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(
                f"{manifest}: not a vendor view ({exc})",
                hint="write one with `uptake simulate --emit vendor --out DIR`",
            ) from None
        self.seed = int(self.manifest.get("seed", 0))
        self.start = date.fromisoformat(self.manifest["start"])
        self.days = int(self.manifest["days"])
        self._lines: dict[str, dict[date, list[bytes]]] = {}
        for report, (name, key) in _REPORT_FILES.items():
            self._lines[report] = self._split(self.folder / "github" / name, key)
        self._by_date = {
            date.fromisoformat(Path(f).stem): self.folder / f
            for f in self.manifest.get("files", {}).get("m365_by_date", [])
        }
        seats = self.folder / "github" / "copilot_seats.json"
        self._seats = json.loads(seats.read_text("utf-8"))["seats"] if seats.exists() else []
        self.email = self._roster()
        self._m365: dict[date, list[dict[str, Any]]] = {}
        self._github: dict[date, list[dict[str, Any]]] = {}
        self._users: dict[str, frozenset[str]] = {}
        # Derived records per (kind, day): a paged answer asks for the same day once per page.
        self._memo: dict[tuple[str, date], list[dict[str, Any]]] = {}

    @staticmethod
    def _split(path: Path, key: str) -> dict[date, list[bytes]]:
        out: dict[date, list[bytes]] = {}
        if not path.exists():
            return out
        with path.open("rb") as fh:
            for line in fh:
                line = line.rstrip(b"\r\n")
                if line.strip():
                    day = date.fromisoformat(str(json.loads(line)[key])[:10])
                    out.setdefault(day, []).append(line)
        return out

    def _roster(self) -> dict[str, str]:
        """GitHub login -> e-mail, from the roster's aliases."""
        out: dict[str, str] = {}
        path = self.folder / "roster" / "roster.csv"
        if not path.exists():
            return out
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                for alias in json.loads(row.get("aliases") or "[]"):
                    out.setdefault(str(alias), row["person"])
        return out

    def _chosen(self, tool: str) -> frozenset[str]:
        """The tool's users: its share of engineers or office users, ranked by a seeded hash.

        Ranking (not a hash threshold) gives the exact share, and at least one user in a
        small organisation.
        """
        if tool not in self._users:
            office = tool in ("gemini", "claude_chat")
            people = self._office_people() if office else self._engineers()
            n = -(-len(people) * SHARES[tool] // 100)
            ranked = sorted(people, key=lambda e: (stable(self.seed, tool, e), e))
            self._users[tool] = frozenset(ranked[:n])
        return self._users[tool]

    def _engineers(self) -> set[str]:
        logins = {
            str(json.loads(line).get("user_login", ""))
            for lines in self._lines["users-1-day"].values()
            for line in lines
        }
        return {self._email(login) for login in logins}

    def _office_people(self) -> set[str]:
        return {
            str(e.get("userPrincipalName", "")) for day in self._by_date for e in self.m365(day)
        }

    def _email(self, login: str) -> str:
        return self.email.get(login, f"{login}@users.noreply.github.com")

    # --- straight from the folder -------------------------------------------------------

    def github(self, report: str, day: date) -> list[bytes]:
        """The folder's NDJSON lines of that report and day (see VendorData)."""
        return list(self._lines.get(report, {}).get(day, []))

    def seats(self) -> list[dict[str, Any]]:
        """The folder's seat listing (see VendorData)."""
        return list(self._seats)

    def m365(self, day: date) -> list[dict[str, Any]]:
        """The by-date CSV of `day` as Graph JSON entries (see VendorData)."""
        if day in self._m365:
            return self._m365[day]
        out: list[dict[str, Any]] = []
        path = self._by_date.get(day)
        if path is not None and path.exists():
            with path.open(encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh):
                    entry: dict[str, Any] = {}
                    for header, value in row.items():
                        if header == "Report Period":
                            entry["copilotActivityUserDetailsByPeriod"] = [
                                {"reportPeriod": int(value or 1)}
                            ]
                        else:
                            entry[_camel(header)] = value
                    out.append(entry)
        self._m365[day] = out
        return out

    # --- derived ------------------------------------------------------------------------

    def _engineer_days(self, day: date) -> list[dict[str, Any]]:
        """(email, completions shown, accepted, prompts) per GitHub user active on `day`."""
        if day not in self._github:
            rows = []
            for line in self._lines["users-1-day"].get(day, []):
                rec = json.loads(line)
                login = str(rec.get("user_login", ""))
                rows.append(
                    {
                        "email": self._email(login),
                        "gen": int(rec.get("code_generation_activity_count") or 0),
                        "acc": int(rec.get("code_acceptance_activity_count") or 0),
                        "prompts": int(rec.get("user_initiated_interaction_count") or 0),
                    }
                )
            self._github[day] = sorted(rows, key=lambda r: r["email"])
        return self._github[day]

    def _users_of(self, tool: str, day: date) -> list[dict[str, Any]]:
        users = self._chosen(tool)
        rows = [r for r in self._engineer_days(day) if r["email"] in users]
        share = DAY_SHARES.get(tool)
        if share is not None:
            rows = [r for r in rows if stable(self.seed, tool, r["email"], day) % 100 < share]
        return rows

    def _office_days(self, tool: str, day: date) -> list[tuple[str, list[str]]]:
        """(email, Microsoft 365 apps used on `day`) for the tool's share of office users."""
        when = day.isoformat()
        out = []
        users = self._chosen(tool)
        for entry in self.m365(day):
            email = str(entry.get("userPrincipalName", ""))
            if entry.get("lastActivityDate") != when or email not in users:
                continue
            apps = [app for key, app in records.M365_KEYS if entry.get(key) == when]
            out.append((email, apps))
        return sorted(out)

    @staticmethod
    def _level(prompts: int) -> int:
        return 1 + min(prompts, 40) // 10

    def _cached(
        self, kind: str, day: date, build: Callable[[date], list[dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        key = (kind, day)
        if key not in self._memo:
            self._memo[key] = build(day)
        return self._memo[key]

    def claude_code(self, day: date) -> list[dict[str, Any]]:
        """Claude Code rows for the Claude Code engineers of `day` (see VendorData)."""
        return self._cached("claude_code", day, self._claude_code)

    def claude_users(self, day: date) -> list[dict[str, Any]]:
        """Enterprise Analytics rows: Claude Code and Claude chat people (see VendorData)."""
        return self._cached("claude_users", day, self._claude_users)

    def cursor_daily(self, day: date) -> list[dict[str, Any]]:
        """Cursor rows for the Cursor engineers of `day` (see VendorData)."""
        return self._cached("cursor_daily", day, self._cursor_daily)

    def cursor_events(self, day: date) -> list[dict[str, Any]]:
        """Usage events of the Cursor engineers of `day` (see VendorData)."""
        return self._cached("cursor_events", day, self._cursor_events)

    def codex(self, day: date) -> list[dict[str, Any]]:
        """Codex rows for the Codex engineers of `day` (see VendorData)."""
        return self._cached("codex", day, self._codex)

    def gemini(self, day: date) -> list[dict[str, Any]]:
        """Gemini activities for the Gemini office users of `day` (see VendorData)."""
        return self._cached("gemini", day, self._gemini)

    def _claude_code(self, day: date) -> list[dict[str, Any]]:
        return [
            records.claude_code(r["email"], day, self._level(r["prompts"]))
            for r in self._users_of("claude_code", day)
        ]

    def _claude_users(self, day: date) -> list[dict[str, Any]]:
        levels: dict[str, list[int]] = {}
        for r in self._users_of("claude_code", day):
            levels.setdefault(r["email"], [0, 0])[0] = self._level(r["prompts"])
        for email, apps in self._office_days("claude_chat", day):
            levels.setdefault(email, [0, 0])[1] = len(apps)
        return [records.claude_user(e, day, c, m) for e, (c, m) in sorted(levels.items())]

    def _cursor_daily(self, day: date) -> list[dict[str, Any]]:
        return [
            records.cursor_daily(r["email"], day, r["gen"], r["acc"], r["prompts"])
            for r in self._users_of("cursor", day)
        ]

    def _cursor_events(self, day: date) -> list[dict[str, Any]]:
        out = []
        for r in self._users_of("cursor", day):
            out += records.cursor_events(r["email"], day, r["prompts"])
        return sorted(out, key=lambda e: (int(e["timestamp"]), e["userEmail"]))

    def _codex(self, day: date) -> list[dict[str, Any]]:
        return [
            records.codex(r["email"], day, self._level(r["prompts"]))
            for r in self._users_of("codex", day)
        ]

    def _gemini(self, day: date) -> list[dict[str, Any]]:
        out = []
        for email, apps in self._office_days("gemini", day):
            out += records.gemini(email, day, sorted({records.GEMINI_APP[a] for a in apps}))
        return sorted(out, key=lambda a: (a["id"]["time"], a["id"]["uniqueQualifier"]))
