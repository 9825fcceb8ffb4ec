"""What the stub serves, per vendor and day: the interface both data modes implement."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

# GitHub usage-metrics report names the stub knows (path segment after `/reports/`).
GITHUB_REPORTS = ("users-1-day", "user-teams-1-day", "enterprise-1-day", "organization-1-day")


def dumps(record: Any) -> bytes:
    """JSON bytes with fixed separators and key order, so bytes depend on content only.

    Args:
        record: parsed JSON.

    Returns:
        The bytes.
    """
    return json.dumps(record, separators=(",", ":"), sort_keys=True).encode()


class VendorData:
    """Records per vendor and day; the base serves nothing (every list empty)."""

    mode = "empty"

    def github(self, report: str, day: date) -> list[bytes]:
        """NDJSON lines (without the newline) of one GitHub report for one day.

        Args:
            report: one of GITHUB_REPORTS.
            day: the report day.

        Returns:
            The lines.
        """
        return []

    def seats(self) -> list[dict[str, Any]]:
        """The GitHub Copilot seat listing.

        Returns:
            Seat objects in listing order.
        """
        return []

    def m365(self, day: date) -> list[dict[str, Any]]:
        """Graph `value[]` entries of the user detail for `day`.

        Args:
            day: the report date.

        Returns:
            The entries.
        """
        return []

    def claude_code(self, day: date) -> list[dict[str, Any]]:
        """Claude Code Analytics rows for `day`.

        Args:
            day: the day.

        Returns:
            The rows.
        """
        return []

    def claude_users(self, day: date) -> list[dict[str, Any]]:
        """Claude Enterprise Analytics user rows for `day`.

        Args:
            day: the day.

        Returns:
            The rows.
        """
        return []

    def cursor_daily(self, day: date) -> list[dict[str, Any]]:
        """Cursor daily-usage-data rows for `day`.

        Args:
            day: the day.

        Returns:
            The rows.
        """
        return []

    def cursor_events(self, day: date) -> list[dict[str, Any]]:
        """Cursor usage events of `day`, oldest first.

        Args:
            day: the day.

        Returns:
            The events.
        """
        return []

    def codex(self, day: date) -> list[dict[str, Any]]:
        """Codex per-user usage rows for `day`.

        Args:
            day: the day.

        Returns:
            The rows.
        """
        return []

    def gemini(self, day: date) -> list[dict[str, Any]]:
        """Gemini for Workspace activities of `day`, oldest first.

        Args:
            day: the day.

        Returns:
            The activities.
        """
        return []
