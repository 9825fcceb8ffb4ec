"""Backing a workspace up into one archive, and restoring it into a new folder.

A backup holds the warehouse (every table: data, bookkeeping, tokens, the audit log), the
workspace's settings file and use-case folder, and a manifest; the secret only when asked
(`include_secret`), because whoever holds the secret and the identities table can undo the
pseudonyms. A restore needs the secret — from the backup, a file or `$UPTAKE_SECRET` — and
refuses one whose fingerprint is not the backup's.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from uptake.config import CONFIG_FILE
from uptake.errors import InputError, MigrationError, WorkspaceError
from uptake.ingest import identity
from uptake.schema.migrations import MIGRATIONS
from uptake.warehouse import backup as archive
from uptake.warehouse.database import DB_FILE
from uptake.warehouse.doctor import FINGERPRINT_PROBE
from uptake.workspace.access import ADMINISTER, Actor, require
from uptake.workspace.layout import SECRET_ENV, SECRET_FILE

if TYPE_CHECKING:
    import duckdb

    from uptake.config import Settings
    from uptake.warehouse.journal import Journal


class Backups:
    """Mixin of Workspace: `backup` into an archive; `restore_backup` makes a workspace of one."""

    settings: Settings
    path: Path

    if TYPE_CHECKING:

        @property
        def con(self) -> duckdb.DuckDBPyConnection:
            raise NotImplementedError

        @property
        def secret(self) -> bytes:
            raise NotImplementedError

        @property
        def journal(self) -> Journal:
            raise NotImplementedError

        def schema_version(self) -> int:
            raise NotImplementedError

        def usecase_folder(self) -> Path:
            raise NotImplementedError

    def backup(
        self, out: Path | str, *, include_secret: bool = False, actor: Actor | None = None
    ) -> dict[str, Any]:
        """Write the workspace into one archive (`.tar.gz`).

        Args:
            out: the archive to create (must not exist).
            include_secret: also store the secret (then guard the archive like the secret).
            actor: who backs up (admins only: the archive holds everyone's rows).

        Returns:
            {archive, bytes, **manifest}.
        """
        require(actor or Actor.local(), ADMINISTER)
        self.journal.flush()
        got = self.con.execute(
            "SELECT value FROM workspace_meta WHERE key = 'secret_fingerprint'"
        ).fetchone()
        files: dict[str, Path] = {CONFIG_FILE: self.path / CONFIG_FILE}
        library = self.usecase_folder()
        if library.is_dir() and library.resolve().is_relative_to(self.path.resolve()):
            files[str(library.relative_to(self.path))] = library
        catalogue = self.settings.programme.shadow_catalogue
        if catalogue and (self.path / catalogue).is_file():
            files[catalogue] = self.path / catalogue
        from uptake import __version__

        manifest = archive.Manifest(
            uptake_version=__version__,
            schema_version=self.schema_version(),
            created_at=archive.now_text(),
            secret_fingerprint=str(got[0]) if got else None,
            secret_included=include_secret,
            tables={},
            files=[],
        )
        target = Path(out)
        done = archive.write_backup(
            self.con, target, manifest, files, self.secret if include_secret else None
        )
        return {"archive": str(target), "bytes": target.stat().st_size, **done.to_dict()}

    @classmethod
    def restore_backup(
        cls, source: Path | str, folder: Path | str, *, secret_file: Path | str | None = None
    ) -> dict[str, Any]:
        """Make a new workspace from a backup archive.

        Args:
            source: the archive.
            folder: the new workspace folder (must not exist, or be empty).
            secret_file: the original workspace's secret, when the backup does not hold it
                (else `$UPTAKE_SECRET` is used).

        Returns:
            {workspace, schema_version, tables, secret: where it came from}.
        """
        src, dest = Path(source), Path(folder)
        manifest = archive.read_manifest(src)
        newest = max(m.version for m in MIGRATIONS)
        if manifest.schema_version > newest:
            raise MigrationError(
                f"{src}: made with schema version {manifest.schema_version}, newer than this "
                f"uptake knows ({newest}); upgrade uptake to restore it"
            )
        if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
            raise InputError(f"{dest}: exists and is not empty; restore into a new folder")
        created = not dest.exists()
        dest.mkdir(parents=True, exist_ok=True)
        try:
            with tempfile.TemporaryDirectory(prefix="uptake-restore-", dir=dest) as tmp:
                unpacked = Path(tmp)
                archive.unpack(src, unpacked)
                secret, said = _secret(unpacked, manifest, secret_file)
                made = identity.pseudonymise(secret, FINGERPRINT_PROBE)
                if manifest.secret_fingerprint is not None and made != manifest.secret_fingerprint:
                    raise InputError(
                        "this secret is not the backup's: person keys made with it would not "
                        "match the stored ones",
                        hint="give the original workspace's secret (--secret-file)",
                    )
                tables = archive.import_warehouse(unpacked, dest / DB_FILE)
                if tables != manifest.tables:
                    raise WorkspaceError(
                        f"{src}: the restored tables do not hold the rows the backup lists"
                    )
                archive.copy_files(unpacked, manifest.files, dest)
                if said != SECRET_ENV:
                    fd = os.open(dest / SECRET_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "wb") as fh:
                        fh.write(secret)
        except BaseException:
            # Nothing half-restored is left behind.
            if created:
                shutil.rmtree(dest, ignore_errors=True)
            else:
                for child in dest.iterdir():
                    shutil.rmtree(child) if child.is_dir() else child.unlink()
            raise
        # Opening applies any migration newer than the backup's schema.
        with cls.open(dest) as ws:  # type: ignore[attr-defined]
            version = ws.schema_version()
        return {"workspace": str(dest), "schema_version": version, "backup_schema_version":
                manifest.schema_version, "tables": tables, "secret": said}  # fmt: skip


def _secret(
    unpacked: Path, manifest: archive.Manifest, secret_file: Path | str | None
) -> tuple[bytes, str]:
    """The secret to restore with, and where it came from."""
    if secret_file is not None:
        p = Path(secret_file)
        if not p.is_file():
            raise InputError(f"--secret-file {p}: no such file")
        return p.read_text(encoding="utf-8").strip().encode(), str(p)
    if manifest.secret_included and (unpacked / archive.SECRET).is_file():
        return (unpacked / archive.SECRET).read_bytes().strip(), "the backup"
    env = os.environ.get(SECRET_ENV)
    if env:
        return env.encode(), SECRET_ENV
    raise InputError(
        "the backup does not hold the secret: give the original workspace's secret",
        hint=f"--secret-file PATH, or set {SECRET_ENV}",
    )
