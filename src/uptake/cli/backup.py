"""`uptake backup` and `uptake restore`: a workspace in one archive, and back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from uptake.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json, spinner


def backup_command(
    out: Annotated[Path, typer.Argument(help="The archive to write, e.g. acme-2026-12-02.tar.gz.")],
    workspace: WorkspaceOpt = None,
    include_secret: Annotated[
        bool,
        typer.Option(
            "--include-secret",
            help="Also store the pseudonymisation secret (then guard the archive like it).",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Back the workspace up: warehouse, tokens, audit log, settings; the secret only if asked."""
    ws = open_workspace(workspace, read_only=True)
    try:
        with spinner("Backing up"):
            doc = ws.backup(out, include_secret=include_secret)
    finally:
        ws.close()
    if as_json:
        print_json(doc)
        return
    rows = sum(doc["tables"].values())
    console.print(
        f"Backed up {len(doc['tables'])} tables ({rows:,} rows) and {len(doc['files'])} file(s) "
        f"into {doc['archive']} ({doc['bytes'] / 1e6:,.1f} MB), schema version "
        f"{doc['schema_version']}.",
        soft_wrap=True,
    )
    if doc["secret_included"]:
        console.print("The archive holds the secret: keep it as safe as the secret itself.")
    else:
        console.print(
            "The secret is not in the archive: keep it apart (restoring needs it).", soft_wrap=True
        )


def restore_command(
    archive: Annotated[Path, typer.Argument(help="The backup archive.")],
    folder: Annotated[Path, typer.Argument(help="The new workspace folder (new or empty).")],
    secret_file: Annotated[
        Path | None,
        typer.Option(
            "--secret-file",
            help="The original workspace's secret, when the backup does not hold it "
            "(else $UPTAKE_SECRET).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Restore a backup into a new workspace folder (its secret checked against the backup's)."""
    from uptake.workspace import Workspace
    from uptake.workspace.layout import SECRET_ENV

    with spinner("Restoring"):
        doc = Workspace.restore_backup(archive, folder, secret_file=secret_file)
    if as_json:
        print_json(doc)
        return
    rows = sum(doc["tables"].values())
    console.print(
        f"Restored {len(doc['tables'])} tables ({rows:,} rows) into {doc['workspace']}, schema "
        f"version {doc['schema_version']} (backup: {doc['backup_schema_version']}); secret "
        f"from {doc['secret']}.",
        soft_wrap=True,
    )
    if doc["secret"] == SECRET_ENV:
        # Not written into the folder, as the variable's secret is kept apart on purpose:
        # every later command on this workspace needs the variable too.
        console.print(
            f"The secret was not written into the workspace: keep {SECRET_ENV} set for every "
            "command on it (or put the secret in its `secret` file, mode 600).",
            soft_wrap=True,
        )
