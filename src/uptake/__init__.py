"""uptake: open, privacy-first AI adoption intelligence.

The public API is small on purpose: open a `Workspace`, ingest, read typed metric results.
Everything else is internal and may change between releases.
"""

import warnings as _warnings
from importlib.metadata import PackageNotFoundError as _NotInstalled
from importlib.metadata import version as _version
from typing import TYPE_CHECKING as _TYPE_CHECKING

from uptake.lazy import exports as _exports

# DuckDB's DataFrame conversion uses an argument pandas 3.1 deprecates; users cannot act on it.
_warnings.filterwarnings("ignore", message="The inplace keyword in DataFrame.drop is deprecated")

if _TYPE_CHECKING:
    from uptake.config import Settings
    from uptake.errors import UptakeError
    from uptake.ingest.pipeline import IngestResult
    from uptake.metrics.result import MetricResult, MetricSpec, MetricsReport
    from uptake.workspace import Workspace

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

# Each public name loads on first use: importing `uptake` (as the command line does, and every
# submodule through its package) would otherwise import pandas, Ibis, DuckDB and the ingest
# pipeline, about a second before `uptake --help` could answer.
__getattr__ = _exports(
    __name__,
    {
        "IngestResult": "uptake.ingest.pipeline",
        "MetricResult": "uptake.metrics.result",
        "MetricSpec": "uptake.metrics.result",
        "MetricsReport": "uptake.metrics.result",
        "Settings": "uptake.config",
        "UptakeError": "uptake.errors",
        "Workspace": "uptake.workspace",
    },
)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
