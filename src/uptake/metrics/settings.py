"""The `[metrics]` settings, defined with the other settings in `uptake.config`."""

from uptake.config.metrics import MetricsSettings

__all__ = ["MetricsSettings"]
