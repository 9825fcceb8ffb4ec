"""Typed, layered settings: defaults < uptake.toml < UPTAKE__SECTION__KEY env < CLI flags."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from uptake.errors import ConfigError
from uptake.metrics.settings import MetricsSettings

CONFIG_FILE = "uptake.toml"


class PrivacySettings(BaseModel):
    """Privacy rules of DESIGN §8."""

    model_config = ConfigDict(extra="forbid")

    min_group_size: int = Field(
        5,
        description="Smallest group whose numbers are shown; never below 3 (§8).",
    )

    @field_validator("min_group_size")
    @classmethod
    def _safe_k(cls, v: int) -> int:
        if v < 3:
            raise ValueError(f"min_group_size {v} is unsafe: it must be at least 3")
        return v


class IngestSettings(BaseModel):
    """How input rows are read and validated (§9)."""

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

    @field_validator("naive_timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v


class EngineSettings(BaseModel):
    """Compute engines (§10)."""

    model_config = ConfigDict(extra="forbid")

    default: str = Field("duckdb", description="Engine for metrics: duckdb or spark.")
    spark_master: str = Field("local[2]", description="Spark master URL for --engine spark.")
    spark_shuffle_partitions: int = Field(
        4, ge=1, description="spark.sql.shuffle.partitions for local runs."
    )
    duckdb_threads: int | None = Field(
        None, ge=1, description="DuckDB worker threads (default: all cores)."
    )
    duckdb_memory_limit: str | None = Field(
        None, description="DuckDB memory limit such as '4GB' (default: DuckDB's own)."
    )

    @field_validator("default")
    @classmethod
    def _engine(cls, v: str) -> str:
        if v not in ("duckdb", "spark"):
            raise ValueError(f"engine must be duckdb or spark, not {v!r}")
        return v


class ServeSettings(BaseModel):
    """Web server (§15)."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field("127.0.0.1", description="Address `uptake serve` listens on.")
    port: int = Field(8765, ge=1, le=65535, description="Port `uptake serve` listens on.")


class _TomlSource(PydanticBaseSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        if self.path is None or not self.path.exists():
            return {}
        try:
            return tomllib.loads(self.path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{self.path}: not valid TOML: {exc}") from exc


class Settings(BaseSettings):
    """Every setting of a workspace."""

    model_config = SettingsConfigDict(
        env_prefix="UPTAKE__", env_nested_delimiter="__", extra="forbid"
    )
    _toml_path: ClassVar[Path | None] = None

    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls, cls._toml_path))


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in flat.items():
        if value is None:
            continue
        section, _, name = key.partition(".")
        if not name:
            raise ConfigError(f"override {key!r} must look like section.key")
        out.setdefault(section, {})[name] = value
    return out


def load_settings(folder: Path | None, overrides: dict[str, Any] | None = None) -> Settings:
    """Load settings for a workspace folder.

    Args:
        folder: workspace folder holding `uptake.toml` (None: defaults and env only).
        overrides: CLI-flag values as `{"section.key": value}`; None values are ignored.

    Returns:
        Validated settings.
    """
    Settings._toml_path = folder / CONFIG_FILE if folder else None
    try:
        return Settings(**_nest(overrides or {}))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from None
    finally:
        Settings._toml_path = None


def default_toml() -> str:
    """The commented uptake.toml that `uptake init` writes, listing every setting."""
    lines = [
        "# uptake workspace settings. Precedence: defaults < this file < UPTAKE__SECTION__KEY",
        "# environment variables < command-line flags.",
        "",
    ]
    for section, field in Settings.model_fields.items():
        model = field.annotation
        lines.append(f"[{section}]")
        for name, f in model.model_fields.items():  # type: ignore[union-attr]
            lines.append(f"# {f.description}")
            default = f.default
            if default is None:
                lines.append(f"# {name} =")
            elif isinstance(default, str):
                lines.append(f'# {name} = "{default}"')
            elif isinstance(default, bool):
                lines.append(f"# {name} = {str(default).lower()}")
            else:
                lines.append(f"# {name} = {default}")
        lines.append("")
    return "\n".join(lines)
