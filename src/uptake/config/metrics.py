"""Settings of the metrics engine (the `[metrics]` section of uptake.toml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class MetricsSettings(BaseModel):
    """Windows, thresholds and prices of the metrics engine; every one configurable."""

    model_config = ConfigDict(extra="forbid")

    window_days: int = Field(
        28, ge=1, description="Length of the 'current' window ending at as_of."
    )
    week_start: str = Field(
        "monday", description="First day of the reporting week (ISO weeks start Monday)."
    )
    hourly_cost: float = Field(
        60.0, ge=0, description="Loaded hourly cost used to value hours saved (in `currency`)."
    )
    currency: str = Field(
        "USD",
        pattern="^[A-Z]{3}$",
        description="ISO 4217 code of every money value (hourly cost, licence prices, savings).",
    )

    family_threads: int = Field(
        2,
        ge=1,
        le=16,
        description=(
            "Metric families computed at the same time on DuckDB, each on its own connection "
            "(one keeps the processor busy while another waits for a query); 1: one at a time. "
            "Reads by segment always compute one at a time (their work is all Python)."
        ),
    )

    # -- analytics families (confidence, trust, outcomes, feedback health) ------------------
    seed: int = Field(
        0, description="Seed of every random step (train/test split, bootstrap) so results repeat."
    )
    confidence_level: float = Field(
        0.95, gt=0, lt=1, description="Level of every confidence interval the metrics report."
    )
    bootstrap_resamples: int = Field(
        2000, ge=100, description="Resamples drawn for each bootstrap confidence interval."
    )
    confidence_instrument: str = Field(
        "pulse", description="Survey instrument whose answers carry the confidence score."
    )
    confidence_item: str = Field(
        "confidence", description="Survey item holding the 0–10 confidence score."
    )
    confidence_max_age_days: int = Field(
        180, ge=1, description="A pulse answer older than this many days no longer counts."
    )
    confidence_feature_days: int = Field(
        84, ge=7, description="Days of behaviour ending at as_of that feed inferred confidence."
    )
    confidence_min_train: int = Field(
        10, ge=4, description="Fewest surveyed people needed to fit the inferred-confidence model."
    )
    confidence_test_share: float = Field(
        0.3, gt=0, lt=1, description="Share of surveyed people held out to measure model error."
    )
    bounce_max_actions: int = Field(
        1,
        ge=0,
        description="A session with no meaningful event and at most this many actions is a bounce.",
    )
    nps_instrument: str | None = Field(
        None,
        description="Survey instrument of the NPS item; unset accepts any instrument.",
        json_schema_extra={"example": "pulse"},
    )
    nps_item: str = Field("nps", description="Survey item holding the 0–10 recommend score.")
    nps_months: int = Field(12, ge=1, description="Months of NPS history reported per cohort.")
    trust_trend_weeks: int = Field(
        8, ge=3, description="Weeks ending at as_of over which the override-rate trend is fitted."
    )
    trust_outcome_days: int = Field(
        90,
        ge=1,
        description="Days of decisions ending at as_of compared on outcome (outcomes arrive late).",
    )
    outcome_higher_is_better: bool = Field(
        True, description="Whether a higher decision outcome is better (for override accuracy)."
    )
    override_accuracy_min: int = Field(
        3, ge=1, description="Fewest overrides with an outcome before a person's accuracy is shown."
    )
    outcomes_min_runs: int = Field(
        5,
        ge=2,
        description="Fewest runs per arm (AI-assisted / not) to compare a workflow's minutes.",
    )
    feedback_weeks: int = Field(
        12, ge=1, description="Weeks ending at as_of whose feedback feeds volume and resolution."
    )
    feedback_history_weeks: int = Field(
        52, ge=4, description="Weeks of ticket volume searched for peaks (launch and second peak)."
    )
    feedback_peak_prominence: float = Field(
        0.25,
        gt=0,
        le=1,
        description="Least prominence of a volume peak, as a share of the highest weekly volume.",
    )
    feedback_peak_channels: list[str] = Field(
        default_factory=list,
        description="Feedback channels counted as tickets for peak detection; empty = all.",
    )
    feedback_answer_channels: list[str] = Field(
        default_factory=lambda: ["pulse", "interview"],
        description=(
            "Feedback channels whose items are answers (survey text, interview notes), not "
            "requests: left out of feedback volume, peaks and resolution."
        ),
    )
    feedback_resolved_statuses: list[str] = Field(
        default_factory=lambda: ["resolved", "closed", "done"],
        description="Statuses that mark a feedback item resolved when resolved_at is missing.",
    )

    # -- core families (usage, depth, ladder, proficiency, licences, vanity) ------------------
    trend_weeks: int = Field(
        12, ge=2, description="Complete weeks ending at as_of shown in weekly trends."
    )
    ladder_trial_share: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Share of eligible high-stakes runs AI-assisted that makes L3 Active.",
    )
    ladder_integrated_share: float = Field(
        0.8,
        gt=0,
        le=1,
        description="Share of eligible high-stakes runs AI-assisted needed for L4 Integrated.",
    )
    ladder_recent_weeks: int = Field(
        4, ge=1, description="Recent weeks (7-day blocks ending at as_of) checked for activity."
    )
    ladder_active_weeks: int = Field(
        3, ge=1, description="Of the recent weeks, how many must be active for L4 Integrated."
    )
    override_band_low: float = Field(
        0.0, ge=0, le=1, description="Lowest override rate inside the expert band (L4)."
    )
    override_band_high: float = Field(
        0.35, ge=0, le=1, description="Highest override rate inside the expert band (L4)."
    )
    advocate_weeks: int = Field(
        8, ge=1, description="Weeks ending at as_of in which help given counts towards L5."
    )
    advocate_helped: int = Field(
        2, ge=1, description="Distinct colleagues helped (in advocate_weeks) that make L5."
    )
    use_case_categories: list[str] = Field(
        default_factory=lambda: ["use_case"],
        description="Feedback categories that count as a contributed use case (L5).",
    )
    proxy_active_days: int = Field(
        16,
        ge=1,
        description=(
            "Without tasks: days with an action in the last ladder_recent_weeks weeks that "
            "make L3 (proxy; 16 of 28 is about four days a week, calibrated on the simulated "
            "vendor view)."
        ),
    )
    proxy_active_weeks: int = Field(
        3,
        ge=1,
        description="Without tasks: recent weeks with an action needed for L3 (proxy).",
    )
    proxy_integrated_days: int = Field(
        20,
        ge=1,
        description="Without tasks: days with an action in the recent weeks needed for L4.",
    )
    proxy_integrated_weeks: int = Field(
        4,
        ge=1,
        description="Without tasks: recent weeks with an action needed for L4 (proxy).",
    )
    ms_weeks: int = Field(12, ge=1, description="Weeks of Microsoft's usage segments (12-week).")
    ms_habitual_weeks: int = Field(
        9, ge=1, description="Weeks used (of ms_weeks) that make a user habitual (12-week)."
    )
    ms_short_weeks: int = Field(
        4, ge=1, description="Weeks of the short variant; habitual = used in all of them."
    )
    ms_power_actions: float = Field(
        15.0, ge=0, description="Average actions a week that make a habitual user a power user."
    )
    ms_young_days: int = Field(
        84, ge=1, description="Deployments younger than this use the short-variant segments."
    )
    reclaim_grace_days: int = Field(
        14, ge=0, description="New starters (hire or licence) are not reclaimed in these days."
    )
