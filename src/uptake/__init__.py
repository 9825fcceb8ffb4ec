"""uptake: open, privacy-first AI adoption intelligence."""

import warnings

from uptake.errors import UptakeError

# DuckDB's DataFrame conversion uses an argument pandas 3.1 deprecates; users cannot act on it.
warnings.filterwarnings("ignore", message="The inplace keyword in DataFrame.drop is deprecated")

__version__ = "0.1.0"

__all__ = ["UptakeError", "__version__"]
