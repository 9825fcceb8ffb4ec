"""Friction thresholds (`FrictionRules`) and the result of one detection (`FrictionReport`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from uptake.config.signals import FrictionSettings
from uptake.signals.base import Flag

SIGNALS = (
    "bounce_loop",
    "no_meaningful_use_14d",
    "week3_4_drop",
    "surface_use",
    "rejection_streak",
    "override_spike",
    "distress_language",
)
# Rules that read the order and length of sessions: vendor daily counts cannot feed them.
SESSION_SIGNALS = ("bounce_loop", "rejection_streak")
# An input, like every other item of a `needs` list (it had read "needs needs sessions").
NEEDS_SESSIONS = "sessions (events with a session_id)"


# The thresholds are the `[signals.friction]` settings themselves (help text and limits there).
FrictionRules = FrictionSettings


def detectors_ran(status: Mapping[str, Mapping[str, Any]]) -> int:
    """How many friction detectors could run (fully or in part), from their status.

    Args:
        status: signal → its status (`FrictionReport.status`, or the signals' copy of it).

    Returns:
        The count of those not "not_available".
    """
    return sum(1 for st in status.values() if st.get("status") != "not_available")


@dataclass
class FrictionReport:
    """Flags raised and, per signal, whether it could run.

    Attributes:
        flags: every flag, sorted by signal, person and day.
        status: signal → {"status": "available" | "partial" | "not_available", "needs": [...],
            "people_without": how many people the signal could not be evaluated for}.
    """

    flags: list[Flag] = field(default_factory=list)
    status: dict[str, dict[str, Any]] = field(default_factory=dict)

    def of(self, signal: str) -> list[Flag]:
        """The flags of one signal.

        Args:
            signal: a name from `SIGNALS`.

        Returns:
            Its flags, in report order.
        """
        return [f for f in self.flags if f.signal == signal]

    def available(self, signal: str) -> bool:
        """Whether a signal ran for at least some people."""
        return self.status.get(signal, {}).get("status") != "not_available"
