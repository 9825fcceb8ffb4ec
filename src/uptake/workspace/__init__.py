"""The Workspace: the one core object every surface (CLI, API, dashboard) calls."""

from uptake.workspace.access import ROLES, Actor
from uptake.workspace.core import Workspace
from uptake.workspace.layout import SECRET_ENV, SECRET_FILE, WORKSPACE_ENV, find_workspace

__all__ = [
    "ROLES",
    "SECRET_ENV",
    "SECRET_FILE",
    "WORKSPACE_ENV",
    "Actor",
    "Workspace",
    "find_workspace",
]
