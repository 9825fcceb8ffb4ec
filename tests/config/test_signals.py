"""The `[signals]` section: layered like every setting, unsafe values refused, defaults shared."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from uptake.config import load_settings
from uptake.config.signals import ChampionSettings, SignalsSettings, SilenceSettings
from uptake.errors import ConfigError
from uptake.signals import champions, managers, silence
from uptake.signals.friction import FrictionRules


def test_sub_sections_layer_file_env_and_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "uptake.toml").write_text(
        "[signals]\nrecent_days = 21\n[signals.friction]\nbounce_sessions = 4\nstreak_rejects = 6\n"
    )
    s = load_settings(tmp_path).signals
    assert (s.recent_days, s.friction.bounce_sessions, s.friction.streak_rejects) == (21, 4, 6)
    assert s.friction.drop_ratio == 0.5  # the rest keep their defaults
    monkeypatch.setenv("UPTAKE__SIGNALS__FRICTION__BOUNCE_SESSIONS", "5")
    s = load_settings(tmp_path).signals
    # The environment beats the file for its key and leaves the file's other keys alone.
    assert (s.friction.bounce_sessions, s.friction.streak_rejects) == (5, 6)
    s = load_settings(tmp_path, {"signals.friction.bounce_sessions": 7}).signals
    assert s.friction.bounce_sessions == 7


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("signals.friction.drop_ratio", 0.0),
        ("signals.friction.surface_share", 1.5),
        ("signals.friction.bounce_sessions", 1),
        ("signals.friction.spike_ratio", 1.0),
        ("signals.champions.min_askers", 0),
        ("signals.silence.depth_below", -0.1),
        ("signals.recent_days", 0),
        ("signals.typology.min_score", 0),
    ],
)
def test_unsafe_thresholds_are_refused(tmp_path: Path, key: str, value: float) -> None:
    with pytest.raises(ConfigError, match=key.split(".")[-1]):
        load_settings(tmp_path, {key: value})


def test_unknown_signal_keys_are_refused(tmp_path: Path) -> None:
    (tmp_path / "uptake.toml").write_text("[signals.friction]\nbounce_sesions = 4\n")
    with pytest.raises(ConfigError, match="bounce_sesions"):
        load_settings(tmp_path)


def test_friction_and_typology_rules_are_the_settings() -> None:
    from uptake.signals.typology import TypologyRules

    assert FrictionRules is SignalsSettings().friction.__class__
    assert TypologyRules is SignalsSettings().typology.__class__
    with pytest.raises(ValueError, match="frozen"):
        FrictionRules().bounce_sessions = 2  # type: ignore[misc]


def _defaults(fn: object) -> dict[str, object]:
    return {
        name: p.default
        for name, p in inspect.signature(fn).parameters.items()  # type: ignore[arg-type]
        if p.default is not inspect.Parameter.empty
    }


def test_detector_defaults_are_the_settings_defaults() -> None:
    # The detectors keep keyword defaults for direct use; they must not drift from the settings.
    rank, want = _defaults(champions.rank), ChampionSettings().rank_kwargs()
    assert {k: rank[k] for k in want} == want
    assert _defaults(silence.silence) == SilenceSettings().kwargs()
    assert _defaults(managers.managers)["trend_weeks"] == SignalsSettings().trend_weeks
