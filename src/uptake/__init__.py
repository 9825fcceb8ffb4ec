"""uptake: open, privacy-first AI adoption intelligence."""

from uptake.errors import UptakeError

__version__ = "0.1.0"

__all__ = ["UptakeError", "__version__"]
