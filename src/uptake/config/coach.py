"""Settings of the coach: which cards, how often, when not, and the holdout that measures it."""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

RULES = ("recovery", "practice", "use_case", "champion_intro", "champion_invite")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def check_zone(value: str) -> str:
    """Refuse a time zone name the system's zone database does not know.

    Args:
        value: an IANA zone name such as `Europe/Paris`.

    Returns:
        The name.
    """
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a time zone name (e.g. Europe/Paris)") from None
    return value


class CoachSettings(BaseModel):
    """When and how the coach shows guidance cards, and the holdout arm that gets none."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="Serve guidance cards at all (false: always none).")
    rules: list[str] = Field(
        default_factory=lambda: list(RULES),
        description=(
            "Card rules in priority order; leave one out to switch it off: recovery (help for "
            "an active friction signal), practice (a private practice task for competence "
            "anxiety), use_case (a high-value use case for the role), champion_intro (a "
            "champion in their role after repeated struggle), champion_invite (at L4+)."
        ),
        json_schema_extra={"example": ["recovery", "use_case"]},
    )
    holdout: float = Field(
        0.1,
        ge=0.0,
        le=0.5,
        description=(
            "Share of people assigned to the holdout arm (no cards), once and at random, "
            "stratified by team and ladder level."
        ),
    )
    max_per_day: int = Field(1, ge=0, le=10, description="Cards a person sees a day at most.")
    max_per_week: int = Field(3, ge=0, le=30, description="Cards a person sees in 7 days at most.")
    quiet_start: str = Field(
        "19:00", description="Start of quiet hours (HH:MM, the person's local time): no cards."
    )
    quiet_end: str = Field(
        "08:00", description="End of quiet hours (HH:MM, the person's local time)."
    )
    timezone: str = Field(
        "UTC",
        description="Time zone of people whose location has none below (IANA, e.g. Europe/Paris).",
    )
    location_timezones: list[str] = Field(
        default_factory=list,
        description="Time zone per roster location, as LOCATION=ZONE (e.g. Paris=Europe/Paris).",
        json_schema_extra={"example": ["Paris=Europe/Paris"]},
    )
    card_days: int = Field(
        7, ge=1, le=90, description="Days a card stays valid after it is delivered."
    )
    snooze_days: int = Field(
        7, ge=1, le=90, description="Days a snooze lasts when the person does not say."
    )
    struggle_flags: int = Field(
        2,
        ge=1,
        le=20,
        description="Friction flags in the window that mean repeated struggle (champion intro).",
    )
    library: str | None = Field(
        None,
        description=(
            "Folder of extra use-case YAML files (default: the workspace's usecases/ folder, "
            "next to the bundled starter library)."
        ),
        json_schema_extra={"example": "usecases"},
    )
    origins: list[str] = Field(
        default_factory=list,
        description=(
            "Web origins of host apps whose pages may call the coach API from the browser "
            "(CORS), e.g. https://intranet.example.com; empty: the dashboard's own origin only."
        ),
        json_schema_extra={"example": ["https://intranet.example.com"]},
    )
    confidence: float = Field(
        0.95, gt=0.5, lt=1.0, description="Confidence level of the coaching effect's intervals."
    )
    power: float = Field(
        0.8,
        gt=0.5,
        lt=1.0,
        description="Power the effect estimate needs before it stops saying 'too early to tell'.",
    )

    @field_validator("rules")
    @classmethod
    def _known_rules(cls, value: list[str]) -> list[str]:
        unknown = [r for r in value if r not in RULES]
        if unknown:
            raise ValueError(f"unknown rule {unknown[0]!r}; expected some of: {', '.join(RULES)}")
        if len(set(value)) != len(value):
            raise ValueError("a rule is listed twice")
        return value

    @field_validator("quiet_start", "quiet_end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError(f"{value!r} is not a time of day as HH:MM (00:00 to 23:59)")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_zone(value)

    @field_validator("location_timezones")
    @classmethod
    def _zones(cls, value: list[str]) -> list[str]:
        for item in value:
            place, sep, zone = item.partition("=")
            if not sep or not place.strip():
                raise ValueError(f"{item!r}: expected LOCATION=ZONE, e.g. Paris=Europe/Paris")
            check_zone(zone.strip())
        return value

    def zone_of(self, location: str | None) -> str:
        """The time zone of a roster location (the default zone when none is configured).

        Args:
            location: the person's roster location, or None.

        Returns:
            An IANA zone name.
        """
        for item in self.location_timezones:
            place, _, zone = item.partition("=")
            if location is not None and place.strip() == location:
                return zone.strip()
        return self.timezone

    @field_validator("origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        out = []
        for origin in value:
            parts = urlsplit(origin.strip())
            if (
                parts.scheme not in ("http", "https")
                or not parts.hostname
                or parts.path not in ("", "/")
                or parts.query
                or parts.fragment
                or parts.username
            ):
                raise ValueError(f"{origin!r} is not an origin such as https://host[:port]")
            out.append(f"{parts.scheme}://{parts.netloc}")
        return out

    @model_validator(mode="after")
    def _caps(self) -> CoachSettings:
        if self.max_per_day > self.max_per_week:
            raise ValueError("coach.max_per_day cannot exceed coach.max_per_week")
        return self
