"""What a simulation can be asked for: the smallest headcount, the file formats, the views.

Kept apart from the generator (and importing nothing) so the command line can state and check
its options without loading NumPy and pandas first.
"""

from __future__ import annotations

# Fewer people than this cannot form the teams and functions a run plants.
MIN_PEOPLE = 40
FORMATS = ("parquet", "csv")
EMITS = ("canonical", "vendor", "both")
