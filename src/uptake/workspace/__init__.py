"""The Workspace: the one core object every surface (CLI, API, dashboard) calls."""

from uptake.workspace.core import SECRET_ENV, SECRET_FILE, WORKSPACE_ENV, Workspace, find_workspace

__all__ = ["SECRET_ENV", "SECRET_FILE", "WORKSPACE_ENV", "Workspace", "find_workspace"]
