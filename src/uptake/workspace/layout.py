"""Where a workspace is and what its folder holds besides the database."""

from __future__ import annotations

import os
from pathlib import Path

from uptake.errors import WorkspaceError
from uptake.warehouse.database import DB_FILE

SECRET_FILE = "secret"
SECRET_ENV = "UPTAKE_SECRET"
WORKSPACE_ENV = "UPTAKE_WORKSPACE"
# The Parquet lake the Spark engine reads, kept current with the warehouse (a derived cache).
LAKE_DIR = "lake"
# Compiled SQL kept between processes (a derived cache: safe to delete, never backed up).
SQL_CACHE_DIR = "cache/sql"
# The voice model's scores of feedback texts, by keyed digest (a derived cache, like the SQL).
VOICE_CACHE_DIR = "cache/voice"
# Release plans (which segments each population may publish), by a digest of its
# memberships: positions and counts only, never names or keys (a derived cache, like the SQL).
PLAN_CACHE_DIR = "cache/plans"
# A large vendor file's rows as read, before they are checked and pseudonymised: they hold
# identifiers, so each ingest's folder in here (owner-only) lives only while it runs, and one
# left by an ingest that was killed is removed by the next (`Ingesting._spill_folder`). Never
# backed up.
SPILL_DIR = "cache/spill"


def find_workspace(path: Path | str | None = None) -> Path:
    """Locate a workspace: the given path, else $UPTAKE_WORKSPACE, else the current directory.

    Args:
        path: explicit workspace folder (the CLI's --workspace).

    Returns:
        The workspace folder.
    """
    chosen = Path(path) if path else Path(os.environ.get(WORKSPACE_ENV) or Path.cwd())
    if not (chosen / DB_FILE).exists():
        raise WorkspaceError(
            f"{chosen}: not an uptake workspace (no {DB_FILE})",
            hint="create one with `uptake init PATH`, or pass --workspace / set UPTAKE_WORKSPACE",
        )
    return chosen
