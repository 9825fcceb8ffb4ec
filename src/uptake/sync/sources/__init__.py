"""Vendor sources of `uptake sync`, by name; every module is imported here, explicitly."""

from __future__ import annotations

from uptake.sync.base import Source
from uptake.sync.sources.anthropic import AnthropicSource
from uptake.sync.sources.codex import CodexSource
from uptake.sync.sources.cursor import CursorSource
from uptake.sync.sources.github import GitHubSource
from uptake.sync.sources.google import GoogleSource
from uptake.sync.sources.m365 import M365Source

SOURCES: dict[str, type[Source]] = {
    s.name: s
    for s in (GitHubSource, M365Source, AnthropicSource, CursorSource, CodexSource, GoogleSource)
}

__all__ = ["SOURCES"]
