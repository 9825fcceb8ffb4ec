"""The Workspace: the one core object every surface (CLI, API, dashboard) calls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from uptake.lazy import exports

if TYPE_CHECKING:
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

# Each name loads on first use: the Workspace imports the warehouse, Ibis and pandas, and the
# layout DuckDB and the settings, which a command line that only needs the roles (its help,
# say) does without.
__getattr__ = exports(
    __name__,
    {
        "ROLES": "uptake.workspace.access",
        "Actor": "uptake.workspace.access",
        "Workspace": "uptake.workspace.core",
        "SECRET_ENV": "uptake.workspace.layout",
        "SECRET_FILE": "uptake.workspace.layout",
        "WORKSPACE_ENV": "uptake.workspace.layout",
        "find_workspace": "uptake.workspace.layout",
    },
)
