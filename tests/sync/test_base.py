"""Shared parts of the sync sources."""

from __future__ import annotations

from uptake.sync.base import counted


def test_a_progress_count_of_one_is_singular() -> None:
    # "codex: 2026-11-30: 1 user rows" had been said.
    assert counted(1, "user row") == "1 user row"
    assert counted(1_204, "Claude Code row") == "1,204 Claude Code rows"
    assert counted(0, "event") == "0 events"
