"""The metric tests' warehouse factory, shared with the chart tests that draw its reports."""

from metrics.conftest import module_warehouse

__all__ = ["module_warehouse"]
