"""Backups of a warehouse: one archive holding every table, the workspace's files and a manifest.

The archive (`.tar.gz`) holds `manifest.json` (format, uptake and schema versions, the secret's
fingerprint, rows per table), `warehouse/` (DuckDB's `EXPORT DATABASE` as Parquet: the schema
and every table, bookkeeping and tokens included), `files/` (the workspace's own files such as
`uptake.toml`) and, only when asked, `secret`. Without the secret a backup cannot pseudonymise
new data into the same person keys: restoring it needs the original secret, checked against
the fingerprint, so a wrong one is refused instead of silently splitting people in two.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from uptake.errors import InputError

FORMAT = "uptake-backup"
VERSION = 1
MANIFEST = "manifest.json"
WAREHOUSE = "warehouse"
FILES = "files"
SECRET = "secret"


@dataclass(frozen=True)
class Manifest:
    """What a backup says about itself."""

    uptake_version: str
    schema_version: int
    created_at: str
    secret_fingerprint: str | None
    secret_included: bool
    tables: dict[str, int]
    files: list[str]

    def to_dict(self) -> dict[str, Any]:
        """The manifest as stored in the archive."""
        return {"format": FORMAT, "version": VERSION, **self.__dict__}


def table_rows(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per table of the main schema, by name."""
    names = [
        str(r[0])
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_type = 'BASE TABLE' ORDER BY 1"
        ).fetchall()
    ]
    out = {}
    for name in names:
        got = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()
        out[name] = int(got[0]) if got else 0
    return out


def write_backup(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    manifest: Manifest,
    files: dict[str, Path],
    secret: bytes | None,
) -> Manifest:
    """Write the archive: the warehouse exported as Parquet, the files, the manifest.

    Args:
        con: a connection to the warehouse (read-only is enough).
        out: the archive to create (must not exist); written beside and renamed when whole.
        manifest: what to record (its `tables` are filled in here from the export).
        files: archive name -> path of each workspace file to keep.
        secret: the secret, only when the backup is asked to hold it.

    Returns:
        The manifest written.
    """
    if out.exists():
        raise InputError(f"{out}: already exists; choose another name or remove it first")
    if not out.parent.is_dir():
        raise InputError(f"{out.parent}: no such folder")
    try:
        # Written beside the archive first, so a failed backup leaves nothing under its name.
        scratch = tempfile.TemporaryDirectory(prefix="uptake-backup-", dir=out.parent)
    except OSError as exc:
        raise InputError(f"{out}: cannot write a backup there ({exc.strerror or exc})") from None
    with scratch as tmp:
        root = Path(tmp)
        # One statement, one transaction: the export is a consistent snapshot.
        con.execute(f"EXPORT DATABASE '{_sql_path(root / WAREHOUSE)}' (FORMAT PARQUET)")
        done = Manifest(
            uptake_version=manifest.uptake_version,
            schema_version=manifest.schema_version,
            created_at=manifest.created_at,
            secret_fingerprint=manifest.secret_fingerprint,
            secret_included=secret is not None,
            tables=table_rows(con),
            files=sorted(files),
        )
        (root / MANIFEST).write_text(json.dumps(done.to_dict(), indent=2), encoding="utf-8")
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(root / MANIFEST, arcname=MANIFEST)
            tar.add(root / WAREHOUSE, arcname=WAREHOUSE)
            for name, path in sorted(files.items()):
                tar.add(path, arcname=f"{FILES}/{name}")
            if secret is not None:
                (root / SECRET).write_bytes(secret)
                tar.add(root / SECRET, arcname=SECRET)
        partial.chmod(0o600)
        partial.replace(out)
    return done


def read_manifest(archive: Path) -> Manifest:
    """The manifest of a backup archive, checked.

    Args:
        archive: the `.tar.gz`.

    Returns:
        The manifest.

    Raises:
        InputError: not a readable uptake backup.
    """
    if not archive.is_file():
        raise InputError(f"{archive}: no such file")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            # The manifest is written first: read as the archive's first member, it is found
            # without reading the rest (a truncated archive's ending is found by `unpack`).
            # An archive packed again by another tool is searched for it.
            first = tar.next()
            if first is None or first.name != MANIFEST:
                first = None
            member = tar.extractfile(first or MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            doc = json.loads(member.read().decode("utf-8"))
    except EOFError:
        raise InputError(_TRUNCATED.format(archive=archive)) from None
    except (tarfile.TarError, KeyError, OSError, ValueError):
        raise InputError(f"{archive}: not an uptake backup (no readable {MANIFEST})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputError(f"{archive}: not an uptake backup")
    if doc.get("version") != VERSION:
        raise InputError(
            f"{archive}: backup format {doc.get('version')!r} is not one this uptake reads"
        )
    try:
        return Manifest(
            uptake_version=str(doc["uptake_version"]),
            schema_version=int(doc["schema_version"]),
            created_at=str(doc["created_at"]),
            secret_fingerprint=doc.get("secret_fingerprint"),
            secret_included=bool(doc["secret_included"]),
            tables={str(k): int(v) for k, v in dict(doc["tables"]).items()},
            files=[str(f) for f in doc["files"]],
        )
    except (KeyError, TypeError, ValueError):
        raise InputError(f"{archive}: the backup's manifest is damaged") from None


def unpack(archive: Path, into: Path) -> None:
    """Extract a backup archive into a folder (names are checked: nothing lands outside it).

    Args:
        archive: the `.tar.gz`.
        into: an empty folder.
    """
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for m in tar.getmembers():
                if not (m.isfile() or m.isdir()):
                    raise InputError(f"{archive}: {m.name!r} is not a plain file")
            tar.extractall(into, filter="data")
    except EOFError:
        raise InputError(_TRUNCATED.format(archive=archive)) from None
    except (tarfile.TarError, OSError) as exc:
        raise InputError(f"{archive}: cannot be read ({exc})") from None


# A gzip stream that stops early: a copy cut short, or a disk that filled while writing it.
_TRUNCATED = "{archive}: the backup is truncated (it ends before its last file): copy it again"


def import_warehouse(folder: Path, db_file: Path) -> dict[str, int]:
    """Create a warehouse from an unpacked backup's export.

    Args:
        folder: the unpacked archive.
        db_file: the database file to create (must not exist).

    Returns:
        Rows per table of the new warehouse.
    """
    export = folder / WAREHOUSE
    if not (export / "schema.sql").is_file():
        raise InputError("the backup holds no warehouse export")
    con = duckdb.connect(str(db_file))
    try:
        con.execute(f"IMPORT DATABASE '{_sql_path(export)}'")
        con.execute("CHECKPOINT")
        return table_rows(con)
    except duckdb.Error as exc:
        # DuckDB names the file by where it was unpacked, a temporary folder gone by the time
        # the message is read: name it as the archive does (warehouse/events.parquet).
        said = str(exc).replace(f"{folder}{os.sep}", "").replace(str(folder), "the archive")
        raise InputError(
            f"the backup's warehouse cannot be imported: {said}",
            hint="the archive may be damaged: copy it again, or restore an older backup",
        ) from None
    finally:
        con.close()


def copy_files(folder: Path, names: list[str], dest: Path) -> None:
    """Put the backup's workspace files into the new workspace folder."""
    for name in names:
        src = folder / FILES / name
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, target, dirs_exist_ok=True)
        elif src.is_file():
            shutil.copy2(src, target)


def now_text() -> str:
    """The time a backup is made, UTC, ISO seconds."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
