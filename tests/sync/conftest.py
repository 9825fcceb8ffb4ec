"""Fixtures of the sync tests: a loopback server and fake vendor APIs (see `loopback.py`)."""

from __future__ import annotations

from sync.loopback import github, graph, loopback

__all__ = ["github", "graph", "loopback"]
