"""The `[signals]` section: thresholds of every friction rule, champions, silence and the report.

The friction and typology thresholds are the detectors' own types (`FrictionRules` is
`FrictionSettings`, `TypologyRules` is `TypologySettings`), so a detector cannot run on a
threshold the settings do not declare.
Champion and silence thresholds are handed to those detectors as keyword arguments; a test
holds their defaults equal to the detectors' own.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_FROZEN = ConfigDict(extra="forbid", frozen=True)


def _days(default: int, text: str, low: int = 1, high: int = 366) -> Any:
    return Field(default, ge=low, le=high, description=text)


def _share(default: float, text: str) -> Any:
    # A share of 0 would flag everyone and above 1 no one: both are mistakes, not settings.
    return Field(default, gt=0.0, le=1.0, description=text)


class FrictionSettings(BaseModel):
    """Thresholds of every friction rule (defaults follow the product's definitions)."""

    model_config = _FROZEN

    bounce_sessions: int = Field(
        3, ge=2, le=100, description="Short sessions within bounce_days that make a bounce loop."
    )
    bounce_seconds: int = Field(
        60, ge=1, le=3600,
        description="A session shorter than this, without a meaningful event, is a short one.",
    )  # fmt: skip
    bounce_days: int = _days(7, "Trailing days the short sessions of a bounce loop fall in.")
    no_meaningful_days: int = _days(
        14, "Days licensed without a meaningful event before no_meaningful_use_14d flags."
    )
    drop_days: int = _days(
        14, "Length of each half of the week 3-4 comparison (days 1-14 against 15-28).", 7, 56
    )
    drop_ratio: float = _share(
        0.5, "week3_4_drop flags when the second half falls below this share of the first."
    )
    drop_min_active_days: int = _days(
        3,
        "Active days needed in the first half for a drop to count (1 is the literal rule; 3 "
        "keeps a single try-out from counting as a drop).",
    )
    surface_days: int = _days(28, "Trailing days over which surface_use counts AI-assisted runs.")
    surface_share: float = _share(
        0.8, "surface_use flags when at least this share of AI-assisted runs is low-stakes."
    )
    surface_min_runs: int = Field(
        5, ge=1, le=10_000,
        description="AI-assisted runs with known stakes needed in the window for surface_use.",
    )  # fmt: skip
    streak_rejects: int = Field(
        5, ge=2, le=1000,
        description="Consecutive rejected suggestions, no accept between, that make a streak.",
    )  # fmt: skip
    streak_days: int = _days(7, "The rejections of a streak must fall within this many days.")
    spike_recent_days: int = _days(14, "Recent window of override_spike, in days.")
    spike_baseline_days: int = _days(
        56, "The person's earlier window, just before the recent one, in days."
    )
    spike_min_recent: int = Field(
        8, ge=1, le=10_000, description="Decisions needed in the recent window for override_spike."
    )
    spike_min_baseline: int = Field(
        8, ge=1, le=10_000, description="Decisions needed in the earlier window."
    )
    spike_ratio: float = Field(
        2.0, gt=1.0, le=100.0,
        description="The recent override rate must be at least this multiple of the person's "
        "earlier rate and of the workflow's rate.",
    )  # fmt: skip
    spike_margin: float = Field(
        0.2, ge=0.0, lt=1.0,
        description="...and at least this many points (a share) above each of them.",
    )  # fmt: skip
    spike_gap_days: int = _days(14, "Decision days further apart than this start a new episode.")
    distress_gap_days: int = _days(
        14, "Distressed feedback within this many days continues a distress episode."
    )

    def to_dict(self) -> dict[str, Any]:
        """The thresholds as a JSON-ready dict."""
        return self.model_dump()


class ChampionSettings(BaseModel):
    """Who counts as a credible champion."""

    model_config = _FROZEN

    credibility_days: int = _days(
        56, "Days of help requests counted for credibility, ending at the as-of date."
    )
    min_askers: int = Field(
        2, ge=1, le=1000, description="Distinct colleagues who asked for help to be a candidate."
    )
    early_days: int = _days(
        28, "Days after a person's first licence that count as their start (for conversion)."
    )
    low_confidence: float = Field(
        4.0, ge=1.0, le=10.0,
        description="A first pulse confidence answer at or below this is a low start.",
    )  # fmt: skip
    low_use_days: int = _days(
        3, "Acting on fewer days than this in the first days is a low start.", 1, 365
    )

    def rank_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of `uptake.signals.champions.rank`."""
        return {
            "days": self.credibility_days,
            "min_askers": self.min_askers,
            "early_days": self.early_days,
            "low_confidence": self.low_confidence,
            "low_use_days": self.low_use_days,
        }


class SilenceSettings(BaseModel):
    """When a quiet team is silent rather than content."""

    model_config = _FROZEN

    depth_below: float = _share(
        0.3, "Depth (or L3+ share where tasks are missing) below which a team's use is shallow."
    )
    feedback_below: float = Field(
        0.05, ge=0.0, le=10.0,
        description="Feedback items per licensed person below which a team is quiet.",
    )  # fmt: skip
    feedback_days: int = _days(56, "Days of feedback counted, ending at the as-of date.")

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of `uptake.signals.silence.silence`."""
        return self.model_dump()


class TypologySettings(BaseModel):
    """How resistance typologies are scored from survey, behaviour and language cues."""

    model_config = _FROZEN

    min_score: float = Field(
        1.5, gt=0, le=10, description="A typology's weighted cue score needed to name it."
    )
    min_margin: float = Field(
        0.0, ge=0, le=10, description="Lead of the best typology over the next one needed."
    )
    min_spread: float = Field(
        0.5, ge=0, le=10,
        description="A survey answer this little above the person's other answers is flat: "
        "mild resistance to everything is 'none' unless behaviour and language say more.",
    )  # fmt: skip
    survey_weight: float = Field(1.0, ge=0, le=10, description="Weight of survey cues.")
    behaviour_weight: float = Field(1.5, ge=0, le=10, description="Weight of behaviour cues.")
    language_weight: float = Field(0.5, ge=0, le=10, description="Weight of language cues.")
    min_decisions: int = Field(
        5, ge=1, le=10_000, description="Decisions needed before override cues count."
    )
    min_runs: int = Field(
        5, ge=1, le=10_000, description="Workflow runs needed before run cues count."
    )
    min_suggestions: int = Field(
        10, ge=1, le=100_000, description="Suggestions needed before rejection cues count."
    )
    min_sessions: int = Field(
        5, ge=1, le=10_000, description="Sessions needed before bounce cues count."
    )
    bounce_seconds: int = Field(
        60, ge=1, le=3600, description="A session shorter than this is a bounce (a cue)."
    )
    lookback_days: int = _days(365, "Days of history the cues are read from.", 28, 3660)


class SignalsSettings(BaseModel):
    """What the signals report counts, and every detector's thresholds."""

    model_config = ConfigDict(extra="forbid")

    recent_days: int = _days(
        28, "A flag counts in the report (and for its team) when it started this recently."
    )
    trend_weeks: int = _days(4, "Weeks over which team and manager trends are measured.", 1, 52)
    stalled_share: float = _share(0.3, "A team whose L3+ share is under this is stalled.")
    voice_days: int = _days(90, "Days of feedback that form the themes of the voice section.")
    live: bool = Field(
        True,
        description="Keep the friction flags of the recent window current as batches arrive "
        "(after every ingest, refresh and API post), so a flag shows within a minute of the "
        "event that completes it; off: flags are worked out only when signals are read.",
    )
    keep_voice_scores: bool = Field(
        True,
        description="Keep the voice model's scores of feedback texts in the workspace's "
        "cache/voice folder (keyed digests of the texts, never the texts), so a new process "
        "does not score old feedback again.",
    )
    friction: FrictionSettings = Field(
        default_factory=FrictionSettings, description="Friction rule thresholds."
    )
    champions: ChampionSettings = Field(
        default_factory=ChampionSettings, description="Champion credibility thresholds."
    )
    silence: SilenceSettings = Field(
        default_factory=SilenceSettings, description="Silence thresholds."
    )
    typology: TypologySettings = Field(
        default_factory=TypologySettings, description="Resistance typology scoring."
    )
