"""Signals: named rules and models that detect friction, risk and opportunity, with evidence.

Each signal module exposes a detector that reads the warehouse through a `MetricContext`
(the facts and canonical tables) and returns `Flag`s or frames; individual results are for
the admin and coach surfaces only, aggregates follow the metrics' privacy rules.
"""

from uptake.signals.base import Flag

__all__ = ["Flag"]
