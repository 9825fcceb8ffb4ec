"""The sections of uptake.toml other than `[metrics]`: privacy, ingest, engine, serve."""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class PrivacySettings(BaseModel):
    """Privacy rules: the smallest group shown, and the noise that protects counts across dates."""

    model_config = ConfigDict(extra="forbid")

    min_group_size: int = Field(
        5,
        description="Smallest group whose numbers are shown; never below 3.",
    )

    noise: bool = Field(
        True,
        description=(
            "Add calibrated random noise to published people counts, so that comparing two "
            "as-of dates (e.g. around a leaver) cannot reveal one person; the same question "
            "always gets the same answer. false: exact numbers, without that protection."
        ),
    )
    epsilon: float = Field(
        1.0,
        description=(
            "Privacy loss per released count per as-of date (smaller: more noise); "
            "above 0, at most 10."
        ),
    )
    confidence: float = Field(
        0.95,
        description="Level of the error bars stated beside noisy counts; between 0.5 and 0.999.",
    )
    keep_release_plans: bool = Field(
        True,
        description="Keep the release plans (which segments each population may publish) "
        "in the workspace's cache/plans folder, so a new process (each command, a restarted "
        "server) does not work them out again; the files hold segment positions and counts, "
        "never segment names or person keys.",
    )

    @field_validator("min_group_size")
    @classmethod
    def _safe_k(cls, v: int) -> int:
        if v < 3:
            raise ValueError(f"min_group_size {v} is unsafe: it must be at least 3")
        return v

    @field_validator("epsilon")
    @classmethod
    def _safe_epsilon(cls, v: float) -> float:
        # Above 10 the noise (scale 1/ε) rounds to nothing: a promise the numbers cannot keep.
        if not v > 0:
            raise ValueError(f"epsilon {v} is invalid: it must be above 0")
        if v > 10:
            raise ValueError(f"epsilon {v} is unsafe: above 10 the noise hides no one")
        return v

    @field_validator("confidence")
    @classmethod
    def _sane_confidence(cls, v: float) -> float:
        if not 0.5 < v < 0.999:
            raise ValueError(f"confidence {v} must be between 0.5 and 0.999 (exclusive)")
        return v


class IngestSettings(BaseModel):
    """How input rows are read and validated."""

    model_config = ConfigDict(extra="forbid")

    naive_timezone: str = Field(
        "UTC", description="Time zone assumed for timestamps that carry no offset."
    )
    clock_skew_minutes: int = Field(
        15,
        ge=0,
        description="Timestamps further than this in the future are quarantined.",
    )
    progress_after_seconds: float = Field(
        1.0, ge=0, description="Show a progress bar when an ingest runs longer than this."
    )
    earliest_date: str = Field(
        "1950-01-01",
        description="Dates and timestamps before this day (YYYY-MM-DD) are quarantined "
        "as out_of_range.",
    )
    latest_date: str = Field(
        "2100-12-31",
        description="Dates and timestamps after this day (YYYY-MM-DD) are quarantined as "
        "out_of_range; timestamps of past events are also bounded by clock_skew_minutes.",
    )
    read_ahead_files: int = Field(
        1,
        ge=0,
        le=8,
        description="When several files of one vendor format are ingested, how many are "
        "parsed ahead in a helper process while the current one is written (0: each in "
        "place, one process).",
    )
    spill_rows: int = Field(
        500_000,
        ge=1_000,
        description="A vendor file's canonical rows held in memory while it is read; beyond "
        "this many they are written to Parquet files in the workspace's cache folder and "
        "staged from there, so a large export does not need memory in proportion to its size.",
    )
    min_linked_share: float = Field(
        0.9,
        ge=0,
        le=1,
        description="`uptake doctor` warns when a source format links fewer of its people than "
        "this share (0 to 1) to the roster; `--strict` makes that a failure.",
    )

    @field_validator("earliest_date", "latest_date", mode="before")
    @classmethod
    def _iso_date(cls, v: object) -> str:
        # TOML has a native date type; a quoted string works too.
        text = v.isoformat() if isinstance(v, date) else str(v)
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(f"{text!r} is not a date such as 1950-01-01") from None

    @model_validator(mode="after")
    def _range(self) -> IngestSettings:
        if self.earliest_date >= self.latest_date:
            raise ValueError(
                f"earliest_date {self.earliest_date} must lie before latest_date {self.latest_date}"
            )
        return self

    @field_validator("naive_timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v


# A DuckDB memory size: a number and a unit of 1000s (KB … TB) or 1024s (KiB … TiB).
_MEMORY = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>[KMGT]i?B)", re.IGNORECASE)
_LEAST_MEMORY = 128 * 1000**2


class EngineSettings(BaseModel):
    """Compute engines: embedded DuckDB by default, Apache Spark to scale out."""

    model_config = ConfigDict(extra="forbid")

    default: str = Field("duckdb", description="Engine for metrics: duckdb or spark.")
    spark_master: str = Field("local[2]", description="Spark master URL for --engine spark.")
    spark_shuffle_partitions: int = Field(
        4, ge=1, description="spark.sql.shuffle.partitions for local runs."
    )
    duckdb_threads: int | None = Field(
        None,
        ge=1,
        description="DuckDB worker threads (default: all cores).",
        json_schema_extra={"example": 2},
    )
    duckdb_memory_limit: str | None = Field(
        None,
        description="Most memory DuckDB holds, such as '4GB' or '1.5GiB' (at least 128MB); "
        "past it DuckDB writes to a temporary folder beside the warehouse. Default: DuckDB's "
        "own, 80% of the machine's memory, which a large vendor file's staging fills as far "
        "as it needs.",
        json_schema_extra={"example": "4GB"},
    )
    sql_cache: bool = Field(
        True,
        description="Keep the SQL compiled for the metrics' queries in the workspace's "
        "cache/sql folder, so a new process (each command, a restarted server) skips "
        "compiling them again; queries over identities, tokens or the audit trail are never "
        "kept.",
    )

    @field_validator("default")
    @classmethod
    def _engine(cls, v: str) -> str:
        if v not in ("duckdb", "spark"):
            raise ValueError(f"engine must be duckdb or spark, not {v!r}")
        return v

    @field_validator("duckdb_memory_limit")
    @classmethod
    def _memory_limit(cls, v: str | None) -> str | None:
        if v is None:
            return v
        m = _MEMORY.fullmatch(v.strip())
        if m is None:
            raise ValueError(
                f"duckdb_memory_limit must be a size such as '4GB' or '512MiB', not {v!r:.40}"
            )
        unit = m["unit"].upper().replace("I", "i")
        size = float(m["n"]) * (1024 if "i" in unit else 1000) ** ("KMGT".index(unit[0]) + 1)
        # A slip such as '4MB' for '4GB' would leave DuckDB spilling every large query to
        # disk or failing it for memory (a 1KB limit fails as the warehouse opens).
        if size < _LEAST_MEMORY:
            raise ValueError(f"duckdb_memory_limit {v!r} is unsafe: at least 128MB")
        return f"{m['n']}{unit}"


class ServeSettings(BaseModel):
    """The web server of `uptake serve`."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field("127.0.0.1", description="Address `uptake serve` listens on.")
    port: int = Field(8765, ge=1, le=65535, description="Port `uptake serve` listens on.")
    max_body_mb: float = Field(
        10.0, gt=0, le=200,
        description="Largest request body the API reads, in MB (bigger batches are refused "
        "with 413: split them).",
    )  # fmt: skip
    live_delay_s: float = Field(
        2.0, ge=0, le=50,
        description="Seconds the server waits after a posted batch before updating the live "
        "friction flags, so batches arriving together are looked at once (a flag still shows "
        "within a minute of its event).",
    )  # fmt: skip
    warm: bool = Field(
        True,
        description="Compute the organisation pages of the dashboard in the background when "
        "the server starts, and again once new data has settled (`warm_quiet_s`), so the "
        "first visitor does not wait for them (requests queue behind that work meanwhile).",
    )
    warm_quiet_s: float = Field(
        30.0, ge=0, le=3600,
        description="Seconds with no new ingest batch after which the server computes the "
        "organisation pages again (with `warm` on); while batches keep arriving sooner, "
        "pages are computed as people view them.",
    )  # fmt: skip
    page_lag_s: float = Field(
        60.0, ge=0, le=3600,
        description="While the server is busy (a batch being written, a page computed), a "
        "dashboard page of ingested data computed for the same person less than this many "
        "seconds ago is shown at once, labelled with its time, and recomputed in the "
        "background; 0 makes every page view wait its turn for a fresh page.",
    )  # fmt: skip
