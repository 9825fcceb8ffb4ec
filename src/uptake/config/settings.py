"""Typed, layered settings: defaults < uptake.toml < UPTAKE__SECTION__KEY env < CLI flags."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from uptake.config.coach import CoachSettings
from uptake.config.costs import CostSettings
from uptake.config.metrics import MetricsSettings
from uptake.config.programme import ProgrammeSettings
from uptake.config.sections import EngineSettings, IngestSettings, PrivacySettings, ServeSettings
from uptake.config.signals import SignalsSettings
from uptake.config.sync import SyncSettings
from uptake.errors import ConfigError

CONFIG_FILE = "uptake.toml"


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
    signals: SignalsSettings = Field(default_factory=SignalsSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    costs: CostSettings = Field(default_factory=CostSettings)
    coach: CoachSettings = Field(default_factory=CoachSettings)
    programme: ProgrammeSettings = Field(default_factory=ProgrammeSettings)

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
        *path, name = key.split(".")
        if not path:
            raise ConfigError(f"override {key!r} must look like section.key")
        node = out
        for part in path:
            node = node.setdefault(part, {})
        node[name] = value
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
    """The commented uptake.toml that `uptake init` writes, listing every setting.

    Every commented setting line is valid TOML once uncommented: it shows the default, or
    for a setting that is unset by default an example value.

    Returns:
        The file's text.
    """
    lines = [
        "# uptake workspace settings. Precedence: defaults < this file < UPTAKE__SECTION__KEY",
        "# environment variables < command-line flags. Uncomment a line to change a setting.",
        "",
    ]
    for section, field in Settings.model_fields.items():
        lines += _toml_section(section, field.annotation)
    return "\n".join(lines)


def _toml_section(name: str, model: Any) -> list[str]:
    """One `[section]` of the default file, then its sub-sections (`[section.sub]`)."""
    lines, subs = [f"[{name}]"], []
    for key, f in model.model_fields.items():
        if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel):
            subs.append((f"{name}.{key}", f.annotation))
            continue
        default = f.get_default(call_default_factory=True)
        lines.append(f"# {f.description}")
        if default is None:
            extra = f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}
            lines.append("# (unset by default; for example:)")
            default = extra["example"]
        lines.append(f"# {key} = {toml_value(default)}")
    lines.append("")
    for sub, sub_model in subs:
        lines += _toml_section(sub, sub_model)
    return lines


def toml_value(value: Any) -> str:
    """A TOML literal for a setting value.

    Args:
        value: a string, bool, number or list of those.

    Returns:
        The value as TOML source.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # JSON string escapes are a subset of TOML basic-string escapes.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise ConfigError(f"setting value {value!r} has no TOML form")
