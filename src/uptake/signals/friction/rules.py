"""Friction thresholds (`FrictionRules`) and the result of one detection (`FrictionReport`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

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
NEEDS_SESSIONS = "needs sessions"


@dataclass(frozen=True)
class FrictionRules:
    """Thresholds of every friction rule (defaults follow the product spec).

    Attributes:
        bounce_sessions: short sessions that make a bounce loop (≥).
        bounce_seconds: a session shorter than this, without a meaningful event, is short.
        bounce_days: the days the short sessions must fall in (a trailing window).
        no_meaningful_days: days licensed without a meaningful event before flagging.
        drop_days: length of each half of the week 3–4 comparison (days 1–14 vs 15–28).
        drop_ratio: the second half below this share of the first flags a drop.
        drop_min_active_days: days 1–14 must show activity on at least this many days (1 is
            the literal rule; 3 keeps a single try-out from counting as a drop — on the
            simulated organisation it lifts precision from 0.68 to 0.83, recall 0.97 → 0.95).
        surface_days: trailing window over which AI-assisted runs are counted.
        surface_share: share of AI-assisted runs on low-stakes workflows that flags (≥).
        surface_min_runs: AI-assisted runs (with known stakes) needed in the window.
        streak_rejects: consecutive rejected suggestions, no accept between, that flag (≥).
        streak_days: the last `streak_rejects` rejections must fall within this many days.
        spike_recent_days: the recent window of the override spike.
        spike_baseline_days: the person's earlier window, just before the recent one.
        spike_min_recent: decisions needed in the recent window.
        spike_min_baseline: decisions needed in the earlier window.
        spike_ratio: recent rate must be ≥ this multiple of the earlier and workflow rates.
        spike_margin: …and at least this many points (a share) above each of them.
        spike_gap_days: decision days further apart than this start a new episode.
        distress_gap_days: distressed feedback within this many days continues an episode.
    """

    bounce_sessions: int = 3
    bounce_seconds: int = 60
    bounce_days: int = 7
    no_meaningful_days: int = 14
    drop_days: int = 14
    drop_ratio: float = 0.5
    drop_min_active_days: int = 3
    surface_days: int = 28
    surface_share: float = 0.8
    surface_min_runs: int = 5
    streak_rejects: int = 5
    streak_days: int = 7
    spike_recent_days: int = 14
    spike_baseline_days: int = 56
    spike_min_recent: int = 8
    spike_min_baseline: int = 8
    spike_ratio: float = 2.0
    spike_margin: float = 0.2
    spike_gap_days: int = 14
    distress_gap_days: int = 14

    def to_dict(self) -> dict[str, Any]:
        """The thresholds as a JSON-ready dict."""
        return asdict(self)


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
