"""`uptake backup` and `uptake restore` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from factories import FROZEN_NOW, rows
from uptake.cli import app
from uptake.workspace import Workspace


def _run(*args: str) -> object:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", "UPTAKE_WORKSPACE": None})


def _backed_up(tmp_path: Path) -> tuple[Path, Path]:
    """A workspace of eight people and its backup: (workspace folder, archive)."""
    folder = tmp_path / "ws"
    with Workspace.init(folder) as ws:
        ws.ingest_frame("people", pd.DataFrame(rows("people", 8)), source="p", now=FROZEN_NOW)
    archive = tmp_path / "ws.tar.gz"
    assert _run("backup", str(archive), "-w", str(folder)).exit_code == 0  # type: ignore[attr-defined]
    return folder, archive


def test_backup_then_restore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    folder = tmp_path / "ws"
    with Workspace.init(folder) as ws:
        ws.ingest_frame("people", pd.DataFrame(rows("people", 8)), source="p", now=FROZEN_NOW)
    archive = tmp_path / "ws.tar.gz"
    made = _run("backup", str(archive), "-w", str(folder))
    assert made.exit_code == 0, made.stderr  # type: ignore[attr-defined]
    assert "The secret is not in the archive" in made.stdout  # type: ignore[attr-defined]
    again = _run("backup", str(archive), "-w", str(folder))
    assert again.exit_code == 2 and "already exists" in again.stderr  # type: ignore[attr-defined]
    refused = _run("restore", str(archive), str(tmp_path / "r"))
    assert refused.exit_code == 2  # type: ignore[attr-defined]
    assert "does not hold the secret" in refused.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in refused.stderr  # type: ignore[attr-defined]
    done = _run(
        "restore", str(archive), str(tmp_path / "r"), "--secret-file", str(folder / "secret"),
        "--json",
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr  # type: ignore[attr-defined]
    doc = json.loads(done.stdout)  # type: ignore[attr-defined]
    assert doc["tables"]["people"] == 8 and doc["schema_version"] == doc["backup_schema_version"]
    status = json.loads(_run("status", "--json", "-w", str(tmp_path / "r")).stdout)  # type: ignore[attr-defined]
    assert status["tables"]["people"] == 8


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_backup_and_restore_name_a_place_they_cannot_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /proc is a folder in which nothing can be created, even by root.
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    folder = tmp_path / "ws"
    Workspace.init(folder).close()
    refused = _run("backup", "/proc/uptake-test.tar.gz", "-w", str(folder))
    assert refused.exit_code == 2  # type: ignore[attr-defined]
    line = refused.stderr.strip()  # type: ignore[attr-defined]
    assert line.startswith("error: /proc/uptake-test.tar.gz: cannot write a backup there"), line
    archive = tmp_path / "ws.tar.gz"
    assert _run("backup", str(archive), "-w", str(folder)).exit_code == 0  # type: ignore[attr-defined]
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    secret = str(folder / "secret")
    restored = _run("restore", str(archive), str(blocker / "r"), "--secret-file", secret)
    assert restored.exit_code == 2  # type: ignore[attr-defined]
    line = restored.stderr.strip()  # type: ignore[attr-defined]
    assert line.startswith(f"error: {blocker}") and "not a folder" in line, line


def test_a_cut_short_archive_and_a_secret_from_the_environment_say_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    folder, archive = _backed_up(tmp_path)
    secret = folder.joinpath("secret").read_text().strip()
    # Cut short, the archive still begins with its manifest: it is truncated, not foreign.
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    r = _run("restore", str(cut), str(tmp_path / "r1"), "--secret-file", str(folder / "secret"))
    assert r.exit_code == 2 and "the backup is truncated" in r.stderr  # type: ignore[attr-defined]
    assert not (tmp_path / "r1").exists()
    noise = tmp_path / "noise.tar.gz"
    noise.write_bytes(bytes(range(256)) * 20)
    r = _run("restore", str(noise), str(tmp_path / "r2"), "--secret-file", str(folder / "secret"))
    assert r.exit_code == 2 and "not an uptake backup" in r.stderr  # type: ignore[attr-defined]
    # From the environment, the secret is not written into the workspace: the user is told.
    monkeypatch.setenv("UPTAKE_SECRET", secret)
    r = _run("restore", str(archive), str(tmp_path / "r3"))
    assert r.exit_code == 0, r.stderr  # type: ignore[attr-defined]
    assert "keep UPTAKE_SECRET set" in " ".join(r.stdout.split())  # type: ignore[attr-defined]
    assert not (tmp_path / "r3" / "secret").exists()


def test_a_damaged_file_in_the_archive_is_named_as_the_archive_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import tarfile

    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    folder, archive = _backed_up(tmp_path)
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for m in src.getmembers():
            f = src.extractfile(m)
            data = f.read() if f is not None else None
            if m.name == "warehouse/people.parquet":
                data = b"not parquet at all"
            if data is not None:
                m.size = len(data)
            dst.addfile(m, io.BytesIO(data) if data is not None else None)
    out = tmp_path / "r"
    r = _run("restore", str(damaged), str(out), "--secret-file", str(folder / "secret"))
    assert r.exit_code == 2  # type: ignore[attr-defined]
    err = r.stderr  # type: ignore[attr-defined]
    assert err.startswith("error: the backup's warehouse cannot be imported: "), err
    # The file as the archive names it, not the temporary folder it was unpacked into (gone
    # by the time the message is read).
    assert "'warehouse/people.parquet'" in err and "uptake-restore-" not in err
    assert str(out) not in err and "hint: the archive may be damaged: copy it again" in err
    assert not out.exists()
