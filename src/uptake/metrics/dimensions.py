"""The names of the segment dimensions (light: the CLI checks `--by` before any work).

What each dimension means and how people are placed in it is `uptake.metrics.segments`;
this module imports nothing, so a command's help and its option checks do not load Ibis and
pandas with it.
"""

from __future__ import annotations

# Segment columns of dim_person, by the name the CLI's --by uses (tenure is derived).
STATIC = ("role", "function", "team", "manager", "level", "location", "cohort")
# Every segment dimension of people, in the order surfaces list them.
SEGMENTS = (*STATIC, "tenure")
# Seats of one tool: not a partition of people (one person may hold several tools), so only
# metrics about seats and tool use break down by it; every other metric says so.
TOOL = "tool"
# The `--by` choices.
BY_CHOICES = (*SEGMENTS, TOOL)
