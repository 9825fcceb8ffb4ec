"""Voice scores kept in a workspace folder, so a new process does not score old feedback again.

Each CLI command is a new process, and so is a restarted server: without this, every read of
the signals scored every feedback text of the last year again (1.5 s for 5,600 texts). A text's
scores depend on the text and the model alone, so they are kept under the model's identity,
keyed by a keyed digest of the text (BLAKE2b with a random key kept beside them): the folder
holds no text, and a guessed text cannot be checked against it without that key. Files are
written whole (temporary file, then rename), so a reader sees a file complete or not at all;
a file that cannot be read or written is a miss, never an error.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

import numpy as np

KEY_FILE = "key"
# Files of one model merged into one when there are more than this many.
MAX_FILES = 64
# Texts kept per model; the oldest files go first beyond it.
MAX_TEXTS = 2_000_000


class ScoreStore:
    """Scores per text digest, one folder per model, shared by the processes of a workspace."""

    def __init__(self, folder: Path) -> None:
        """Args:
        folder: the workspace's voice cache folder (created on first write).
        """
        self.folder = folder
        self._key: bytes | None = None
        self._rows: dict[str, dict[bytes, np.ndarray]] = {}
        self._read: dict[str, set[str]] = {}

    def digests(self, texts: Iterable[str]) -> list[bytes] | None:
        """The keyed digest of each text, or None when the key cannot be read or made."""
        key = self._secret()
        if key is None:
            return None
        return [hashlib.blake2b(t.encode("utf-8"), digest_size=16, key=key).digest() for t in texts]

    def get(self, model: str, digests: Iterable[bytes]) -> dict[bytes, np.ndarray]:
        """The kept scores of those digests that some process has stored for this model."""
        known = self._load(model)
        return {d: known[d] for d in digests if d in known}

    def put(self, model: str, rows: dict[bytes, np.ndarray]) -> None:
        """Keep new scores (one file); a failed write is only a miss next time."""
        if not rows:
            return
        place = self.folder / model
        name, table = _table(rows)
        if self._write(place, name, table):
            self._rows.setdefault(model, {}).update(rows)
            self._read.setdefault(model, set()).add(name)
            self._compact(model, place)

    # -- files ---------------------------------------------------------------------------

    def _secret(self) -> bytes | None:
        if self._key is not None:
            return self._key
        path = self.folder / KEY_FILE
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as out:
                    out.write(secrets.token_bytes(32))
            key = path.read_bytes()
        except OSError:
            return None
        # Another process may be between creating the file and writing it: no key yet.
        if len(key) != 32:
            return None
        self._key = key
        return key

    def _load(self, model: str) -> dict[bytes, np.ndarray]:
        """Scores of this model, reading only the files this store has not read yet."""
        known = self._rows.setdefault(model, {})
        seen = self._read.setdefault(model, set())
        try:
            names = sorted(p.name for p in (self.folder / model).glob("*.npy"))
        except OSError:
            return known
        for name in names:
            if name in seen:
                continue
            try:
                table = np.load(self.folder / model / name, allow_pickle=False)
            except (OSError, ValueError):
                continue  # removed by a merge in another process, or half there: a miss
            known.update(zip(table["d"].tolist(), table["p"], strict=True))
            seen.add(name)
        return known

    def _write(self, place: Path, name: str, table: np.ndarray) -> bool:
        tmp = place / f".{name}.{os.getpid()}.tmp"
        try:
            place.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as out:
                np.save(out, table, allow_pickle=False)
            os.replace(tmp, place / name)
        except OSError:
            tmp.unlink(missing_ok=True)
            return False
        return True

    def _compact(self, model: str, place: Path) -> None:
        """Merge a model's files into one when there are many, keeping the newest texts."""
        try:
            files = sorted(place.glob("*.npy"), key=lambda p: p.stat().st_mtime_ns)
        except OSError:
            return
        if len(files) <= MAX_FILES:
            return
        merged: dict[bytes, np.ndarray] = {}
        for path in files:
            try:
                table = np.load(path, allow_pickle=False)
            except (OSError, ValueError):
                continue
            merged.update(zip(table["d"].tolist(), table["p"], strict=True))
        while len(merged) > MAX_TEXTS:
            merged.pop(next(iter(merged)))
        if not merged:
            return
        name, table = _table(merged)
        if not self._write(place, name, table):
            return
        for path in files:
            if path.name != name:
                path.unlink(missing_ok=True)
        self._rows[model] = merged
        self._read[model] = {name}


def _table(rows: dict[bytes, np.ndarray]) -> tuple[str, np.ndarray]:
    """One file's rows (digest, scores) and its name, a digest of its bytes."""
    width = len(next(iter(rows.values())))
    table = np.zeros(len(rows), dtype=[("d", "V16"), ("p", "<f8", (width,))])
    table["d"] = list(rows)
    table["p"] = np.vstack(list(rows.values()))
    return hashlib.blake2b(table.tobytes(), digest_size=16).hexdigest() + ".npy", table
