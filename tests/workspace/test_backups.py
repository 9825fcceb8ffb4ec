"""Backup and restore: the same query results, tokens that still work, the secret kept apart."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pandas as pd
import pytest

from factories import FROZEN_NOW, person_id, rows
from uptake.errors import InputError, MigrationError
from uptake.workspace import Actor, Workspace


@pytest.fixture
def original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A workspace with people, events, a token, an audit row and a use-case folder."""
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    folder = tmp_path / "orig"
    with Workspace.init(folder) as ws:
        ws.ingest_frame("people", pd.DataFrame(rows("people", 12)), source="p", now=FROZEN_NOW)
        ws.ingest_frame("events", pd.DataFrame(rows("events", 40)), source="e", now=FROZEN_NOW)
        token = ws.create_token("analyst", note="BI")["token"]
        ws.record_page_view("overview", actor=Actor("lead", "analyst"))  # an audit row
    (folder / "usecases").mkdir()
    (folder / "usecases" / "ours.yaml").write_text("# our own use cases\n", encoding="utf-8")
    return folder, token


def _tables(folder: Path) -> dict[str, list[tuple[object, ...]]]:
    with Workspace.open(folder, read_only=True) as ws:
        names = [
            r[0]
            for r in ws.con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                "AND table_type = 'BASE TABLE' ORDER BY 1"
            ).fetchall()
        ]
        return {n: ws.con.execute(f'SELECT * FROM "{n}" ORDER BY ALL').fetchall() for n in names}


def test_a_restore_gives_the_same_rows_and_the_tokens_still_work(
    original: tuple[Path, str], tmp_path: Path
) -> None:
    folder, token = original
    archive = tmp_path / "b.tar.gz"
    with Workspace.open(folder, read_only=True) as ws:
        ws.engine().execute(ws.engine().table("events").count())  # keeps its compiled SQL
        made = ws.backup(archive)
    assert made["secret_included"] is False and made["tables"]["events"] == 40
    # The compiled-SQL cache is derived: it stays out of the archive.
    assert list((folder / "cache" / "sql").glob("*.sql"))
    with tarfile.open(archive, "r:gz") as tar:
        assert not [n for n in tar.getnames() if "cache" in n.split("/")]
    got = Workspace.restore_backup(archive, tmp_path / "new", secret_file=folder / "secret")
    assert got["secret"] == str(folder / "secret")
    before, after = _tables(folder), _tables(tmp_path / "new")
    assert before == after and before["events"] and before["tokens"] and before["audit_log"]
    assert (tmp_path / "new" / "usecases" / "ours.yaml").read_text() == "# our own use cases\n"
    assert (tmp_path / "new" / "uptake.toml").read_bytes() == (folder / "uptake.toml").read_bytes()
    with Workspace.open(tmp_path / "new") as ws:
        assert ws.authenticate(token).role == "analyst"
        # The same secret: new data about a known person lands on their key.
        assert ws.pseudonymise(person_id(3)) == Workspace.open(folder, read_only=True).pseudonymise(
            person_id(3)
        )


def test_the_secret_stays_out_unless_asked(original: tuple[Path, str], tmp_path: Path) -> None:
    folder, _ = original
    secret = (folder / "secret").read_bytes().strip()
    plain, withheld = tmp_path / "plain.tar.gz", tmp_path / "with.tar.gz"
    with Workspace.open(folder, read_only=True) as ws:
        ws.backup(plain)
        ws.backup(withheld, include_secret=True)

    def holds_secret(path: Path) -> bool:
        with tarfile.open(path, "r:gz") as tar:
            for m in tar.getmembers():
                f = tar.extractfile(m) if m.isfile() else None
                if f is not None and secret in f.read():
                    return True
        return False

    assert not holds_secret(plain)
    assert holds_secret(withheld)
    # Without the secret, restoring refuses (and leaves nothing behind) …
    with pytest.raises(InputError, match="does not hold the secret"):
        Workspace.restore_backup(plain, tmp_path / "r1")
    assert not (tmp_path / "r1").exists()
    # … and a backup that holds it restores on its own.
    Workspace.restore_backup(withheld, tmp_path / "r2")
    assert (tmp_path / "r2" / "secret").read_bytes().strip() == secret


def test_a_wrong_secret_or_a_used_folder_is_refused(
    original: tuple[Path, str], tmp_path: Path
) -> None:
    folder, _ = original
    archive = tmp_path / "b.tar.gz"
    with Workspace.open(folder, read_only=True) as ws:
        ws.backup(archive)
        with pytest.raises(InputError, match="already exists"):
            ws.backup(archive)
    other = tmp_path / "other-secret"
    other.write_text("f3a9" * 16)
    with pytest.raises(InputError, match="not the backup's"):
        Workspace.restore_backup(archive, tmp_path / "r", secret_file=other)
    assert not (tmp_path / "r").exists()
    used = tmp_path / "used"
    used.mkdir()
    (used / "x").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        Workspace.restore_backup(archive, used, secret_file=folder / "secret")
    assert (used / "x").read_text() == "mine"


def test_a_backup_from_a_newer_uptake_or_no_backup_at_all_is_refused(
    original: tuple[Path, str], tmp_path: Path
) -> None:
    folder, _ = original
    archive = tmp_path / "b.tar.gz"
    with Workspace.open(folder, read_only=True) as ws:
        ws.backup(archive)
    # Rewrite the manifest as a future uptake would have written it.
    unpacked = tmp_path / "u"
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(unpacked, filter="data")
    doc = json.loads((unpacked / "manifest.json").read_text())
    doc["schema_version"] = 999
    (unpacked / "manifest.json").write_text(json.dumps(doc))
    future = tmp_path / "future.tar.gz"
    with tarfile.open(future, "w:gz") as tar:
        for p in sorted(unpacked.iterdir()):
            tar.add(p, arcname=p.name)
    with pytest.raises(MigrationError, match="newer than this uptake knows"):
        Workspace.restore_backup(future, tmp_path / "r", secret_file=folder / "secret")
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a backup")
    with pytest.raises(InputError, match="not an uptake backup"):
        Workspace.restore_backup(junk, tmp_path / "r2", secret_file=folder / "secret")
