"""Two workspaces for one simulated organisation: its canonical tables and its vendor view."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from uptake.errors import InputError
from uptake.workspace import SECRET_FILE, Workspace

Progress = Callable[[str, int, int], None]


def ingest_plan(sim: Path, view: str) -> list[tuple[str, list[Path], str | None, dict[str, Any]]]:
    """What to ingest for a view, in order: (table, files, format, options).

    Args:
        sim: folder of a `simulate(..., emit="both")` run.
        view: `canonical` (the tables, as the manifest lists them) or `vendor` (the vendor
            manifest's `ingest` list).

    Returns:
        One entry per ingest call.
    """
    if view == "canonical":
        manifest = json.loads((sim / "manifest.json").read_text(encoding="utf-8"))
        tables: dict[str, list[str]] = manifest["tables"]
        order = manifest.get("ingest_order", list(tables))
        return [(t, [sim / f for f in tables[t]], None, {}) for t in order if tables.get(t)]
    folder = sim / "vendor" if (sim / "vendor" / "manifest.json").exists() else sim
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    plan = []
    for entry in manifest["ingest"]:
        names = entry["files"] if "files" in entry else [entry["file"]]
        # "canonical" names a plain table file (the HR roster); any other is a vendor format.
        fmt = None if entry["format"] == "canonical" else entry["format"]
        plan.append(
            (
                entry.get("table", "events"),
                [folder / n for n in names],
                fmt,
                dict(entry.get("options", {})),
            )
        )
    return plan


def build(folder: Path, sim: Path, view: str, *, secret_from: Path | None = None,
          progress: Progress | None = None) -> Workspace:  # fmt: skip
    """Create a workspace in `folder` and ingest one view of the simulation into it.

    Args:
        folder: new workspace folder.
        sim: folder of a `simulate(..., emit="both")` run.
        view: `canonical` or `vendor`.
        secret_from: another workspace whose secret to reuse, so both key people alike.
        progress: told (stage, done, total) per ingest call.

    Returns:
        The open workspace, facts refreshed; the caller closes it.
    """
    if view not in ("canonical", "vendor"):
        raise InputError(f"unknown view {view!r}; expected canonical or vendor")
    folder.mkdir(parents=True, exist_ok=True)
    if secret_from is not None and (secret_from / SECRET_FILE).exists():
        # Workspace.init keeps a secret file it finds: same secret, same person keys.
        fd = os.open(folder / SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write((secret_from / SECRET_FILE).read_text(encoding="utf-8"))
    ws = Workspace.init(folder)
    try:
        plan = ingest_plan(sim, view)
        for i, (table, files, fmt, options) in enumerate(plan):
            if progress is not None:
                progress(f"ingest {view}: {files[0].name}", i, len(plan))
            ws.ingest(table, files, fmt=fmt, options=options, refresh=False)
        if progress is not None:
            progress(f"refresh {view}", len(plan), len(plan))
        ws.refresh()
    except BaseException:
        ws.close()
        raise
    return ws


def scratch_cleanup(folder: Path) -> None:
    """Remove a scratch folder (the evaluation's workspaces and simulation).

    Args:
        folder: the folder.
    """
    shutil.rmtree(folder, ignore_errors=True)
