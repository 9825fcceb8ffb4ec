"""uptake: open, privacy-first AI adoption intelligence.

The public API is small on purpose: open a `Workspace`, ingest, read typed metric results.
Everything else is internal and may change between releases.
"""

import warnings as _warnings
from importlib.metadata import PackageNotFoundError as _NotInstalled
from importlib.metadata import version as _version

# DuckDB's DataFrame conversion uses an argument pandas 3.1 deprecates; users cannot act on it.
_warnings.filterwarnings("ignore", message="The inplace keyword in DataFrame.drop is deprecated")

from uptake.config import Settings  # noqa: E402
from uptake.errors import UptakeError  # noqa: E402
from uptake.ingest.pipeline import IngestResult  # noqa: E402
from uptake.metrics.result import MetricResult, MetricSpec, MetricsReport  # noqa: E402
from uptake.workspace import Workspace  # noqa: E402

try:
    __version__ = _version("uptake")
except _NotInstalled:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "IngestResult",
    "MetricResult",
    "MetricSpec",
    "MetricsReport",
    "Settings",
    "UptakeError",
    "Workspace",
    "__version__",
]
