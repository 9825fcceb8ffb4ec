"""Settings of the metrics engine (the `[metrics]` section of uptake.toml)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MetricsSettings(BaseModel):
    """Windows and thresholds of DESIGN §6; every one configurable."""

    window_days: int = Field(28, ge=1, description="Length of the 'current' window ending at as_of.")
    week_start: str = Field(
        "monday", description="First day of the reporting week (ISO weeks start Monday)."
    )
    hourly_cost: float = Field(
        60.0, ge=0, description="Loaded hourly cost used to value hours saved (currency units)."
    )
