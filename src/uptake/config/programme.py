"""Settings of the programme: the rollout's start, readiness thresholds, forms, shadow AI."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FormSegment = Literal["function", "role", "team", "location"]
FORM_SEGMENTS: tuple[FormSegment, ...] = ("function", "role", "team")


class ProgrammeSettings(BaseModel):
    """How uptake runs the adoption programme: sprint dates, readiness gaps, forms, samples."""

    model_config = ConfigDict(extra="forbid")

    start: date | None = Field(
        None,
        description=(
            "The rollout's start (YYYY-MM-DD): day 1 of the 90-day sprint. Unset: the first "
            "day of AI use in the data."
        ),
        json_schema_extra={"example": "2026-06-01"},
    )
    gap_below: int = Field(
        60,
        ge=1,
        le=100,
        description="A readiness condition scoring below this (0-100) is listed as a gap.",
    )
    outcome_grace_days: int = Field(
        30,
        ge=0,
        le=365,
        description=(
            "Readiness: decisions younger than this many days are not yet expected to have "
            "their outcome logged (override architecture, performance feedback loops)."
        ),
    )
    outcomes_per_decider: int = Field(
        5,
        ge=1,
        le=1000,
        description=(
            "Readiness: decisions with an outcome a person needs in the window before a "
            "followed-versus-overridden view of their own decisions means anything."
        ),
    )
    resolution_target_days: int = Field(
        7,
        ge=1,
        le=365,
        description=(
            "Readiness: median days to resolve AI feedback that scores 100 (four times it "
            "scores 0)."
        ),
    )
    sample_size: int = Field(
        10, ge=1, le=200, description="People proposed by `uptake audit-sample` by default."
    )
    champion_coverage: float = Field(
        0.5,
        gt=0,
        le=1,
        description=(
            "The sprint's champion network counts as selected once the champion selection "
            "covers this share of people (a selected champion in their own team)."
        ),
    )
    anonymous_forms: bool = Field(
        False,
        description=(
            "Hosted forms store segment fields instead of the person (only segments of at "
            "least the minimum group size are offered)."
        ),
    )
    form_segments: list[FormSegment] = Field(
        default_factory=lambda: list(FORM_SEGMENTS),
        description=(
            "Roster fields an anonymous form asks for instead of the person; the answers "
            "are stored only when the chosen combination has at least the minimum group size "
            "on the roster."
        ),
    )
    shadow_catalogue: str | None = Field(
        None,
        description=(
            "A CSV of AI tool domains (domain,tool,vendor,sanctioned and optionally "
            "provided_as) replacing the shipped catalogue for shadow-AI matching; relative to "
            "the workspace folder."
        ),
        json_schema_extra={"example": "shadow_ai.csv"},
    )
