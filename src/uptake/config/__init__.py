"""Typed, layered settings: defaults < uptake.toml < UPTAKE__SECTION__KEY env < CLI flags.

The bottom layer with `uptake.errors`: every other package may import it; it imports none.
"""

from uptake.config.metrics import MetricsSettings
from uptake.config.sections import EngineSettings, IngestSettings, PrivacySettings, ServeSettings
from uptake.config.settings import CONFIG_FILE, Settings, default_toml, load_settings

__all__ = [
    "CONFIG_FILE",
    "EngineSettings",
    "IngestSettings",
    "MetricsSettings",
    "PrivacySettings",
    "ServeSettings",
    "Settings",
    "default_toml",
    "load_settings",
]
