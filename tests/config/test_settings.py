"""Layered settings: defaults < uptake.toml < environment < CLI flags; unsafe values refused."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from uptake.config import Settings, default_toml, load_settings
from uptake.errors import ConfigError


def test_layers_override_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings(tmp_path).privacy.min_group_size == 5
    toml = "[privacy]\nmin_group_size = 6\n[metrics]\nwindow_days = 14\n"
    (tmp_path / "uptake.toml").write_text(toml)
    s = load_settings(tmp_path)
    assert (s.privacy.min_group_size, s.metrics.window_days) == (6, 14)
    monkeypatch.setenv("UPTAKE__PRIVACY__MIN_GROUP_SIZE", "7")
    assert load_settings(tmp_path).privacy.min_group_size == 7
    assert load_settings(tmp_path, {"privacy.min_group_size": 8}).privacy.min_group_size == 8
    assert load_settings(tmp_path).metrics.window_days == 14


@pytest.mark.parametrize("k", [0, 1, 2])
def test_unsafe_group_size_is_refused(tmp_path: Path, k: int) -> None:
    with pytest.raises(ConfigError, match="at least 3"):
        load_settings(tmp_path, {"privacy.min_group_size": k})


def test_noise_setting_defaults_on_and_env_switches_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # tests/conftest.py turns noise off for exact-value tests; the default itself is on.
    monkeypatch.delenv("UPTAKE__PRIVACY__NOISE", raising=False)
    s = load_settings(tmp_path).privacy
    assert (s.noise, s.epsilon, s.confidence) == (True, 1.0, 0.95)
    monkeypatch.setenv("UPTAKE__PRIVACY__NOISE", "false")
    assert load_settings(tmp_path).privacy.noise is False
    (tmp_path / "uptake.toml").write_text("[privacy]\nepsilon = 0.5\nconfidence = 0.9\n")
    s = load_settings(tmp_path).privacy
    assert (s.epsilon, s.confidence) == (0.5, 0.9)
    text = default_toml()
    assert "# noise = true" in text and "as-of dates" in text


@pytest.mark.parametrize(
    ("value", "words"),
    [(0, "above 0"), (-1, "above 0"), (float("nan"), "above 0"), (10.5, "unsafe")],
)
def test_unsafe_epsilon_is_refused(tmp_path: Path, value: float, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        load_settings(tmp_path, {"privacy.epsilon": value})


@pytest.mark.parametrize("value", [0.5, 0.2, 0.999, 1.0])
def test_confidence_outside_range_is_refused(tmp_path: Path, value: float) -> None:
    with pytest.raises(ConfigError, match="confidence"):
        load_settings(tmp_path, {"privacy.confidence": value})


def test_bad_toml_and_unknown_keys(tmp_path: Path) -> None:
    (tmp_path / "uptake.toml").write_text("[privacy\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(tmp_path)
    (tmp_path / "uptake.toml").write_text("[privacy]\nmin_gruop_size = 5\n")
    with pytest.raises(ConfigError, match="min_gruop_size"):
        load_settings(tmp_path)
    with pytest.raises(ConfigError, match="time zone"):
        load_settings(None, {"ingest.naive_timezone": "Mars/Olympus"})


def _leaves(model: Any = Settings, prefix: str = "") -> list[tuple[str, Any]]:
    """Every setting as (dotted name, field), sub-sections opened."""
    out: list[tuple[str, Any]] = []
    for name, f in model.model_fields.items():
        if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel):
            out += _leaves(f.annotation, f"{prefix}{name}.")
        else:
            out.append((prefix + name, f))
    return out


def test_every_setting_has_help_and_appears_in_default_toml() -> None:
    text = default_toml()
    leaves = _leaves()
    assert len(leaves) > 60
    for name, f in leaves:
        assert f.description, f"{name} has no help text"
        assert f"{name.rsplit('.', 1)[-1]} =" in text


def test_default_toml_is_valid_and_every_line_uncomments_as_written(tmp_path: Path) -> None:
    text = default_toml()
    sections = {section: {} for section in Settings.model_fields}
    sections["signals"] = {"friction": {}, "champions": {}, "silence": {}, "typology": {}}
    sections["sync"] = {"base_urls": {}}
    sections["costs"] = {"rates": {}}
    assert tomllib.loads(text) == sections, "the file as written sets nothing"
    setting = re.compile(r"^# ([a-z0-9_]+) = ")
    lines = text.splitlines()
    uncommented = [line[2:] if setting.match(line) else line for line in lines]
    assert sum(1 for line in lines if setting.match(line)) == len(_leaves())
    (tmp_path / "uptake.toml").write_text("\n".join(uncommented))
    s = load_settings(tmp_path)
    # Lines of settings that are unset by default carry an example value, not an empty one.
    assert s.engine.duckdb_threads == 2
    assert s.metrics.feedback_resolved_statuses == ["resolved", "closed", "done"]
    assert "Undefined" not in text


def test_currency_must_be_an_iso_code(tmp_path: Path) -> None:
    assert load_settings(tmp_path).metrics.currency == "USD"
    with pytest.raises(ConfigError, match="currency"):
        load_settings(tmp_path, {"metrics.currency": "dollars"})


@pytest.mark.parametrize(
    ("value", "kept"),
    [("4GB", "4GB"), ("1.5 gib", "1.5GiB"), ("512mib", "512MiB"), ("128MB", "128MB")],
)
def test_a_duckdb_memory_limit_is_a_size(tmp_path: Path, value: str, kept: str) -> None:
    got = load_settings(tmp_path, {"engine.duckdb_memory_limit": value})
    assert got.engine.duckdb_memory_limit == kept


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("lots", "a size such as"),
        ("80%", "a size such as"),
        ("-1", "a size such as"),
        ("4", "a size such as"),
        ("100MB", "unsafe: at least 128MB"),
        ("0.1GiB", "unsafe: at least 128MB"),
        ("1KB", "unsafe: at least 128MB"),
    ],
)
def test_a_duckdb_memory_limit_that_is_no_size_or_too_small_is_refused(
    tmp_path: Path, value: str, words: str
) -> None:
    # DuckDB itself takes "-1" as no limit and fails a 1KB limit only at the first query.
    with pytest.raises(ConfigError, match=words):
        load_settings(tmp_path, {"engine.duckdb_memory_limit": value})
