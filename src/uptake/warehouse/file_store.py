"""A folder of small derived files kept between processes, each under a digest of its key.

What the compiled-SQL store and the release-plan store share: a file per key, written whole
or not at all (readers in other processes see all of it or nothing), the least recently used
pruned first. It is a cache: a file that cannot be read or written is a miss, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any


class FileStore:
    """Text files under digests of (salt, key), the least recently used pruned first."""

    def __init__(self, folder: Path, salt: str, suffix: str, max_entries: int = 4096) -> None:
        """Open (or later create) the store.

        Args:
            folder: where the files go (created on the first write).
            salt: what else decides a file's meaning (versions, a code digest): part of
                every key, so a new one never reads an old file.
            suffix: the files' extension, such as `.sql`.
            max_entries: files kept; past it the least recently used tenth is removed.
        """
        self.folder = folder
        self.max_entries = max_entries
        self._salt = salt
        self._suffix = suffix
        self._writes = 0
        self.hits = 0
        self.misses = 0

    def _path(self, key: tuple[Any, ...]) -> Path:
        digest = hashlib.blake2b(f"{self._salt}\x1e{key!r}".encode(), digest_size=20)
        return self.folder / (digest.hexdigest() + self._suffix)

    def get(self, key: tuple[Any, ...]) -> str | None:
        """The text stored for `key`, or None.

        Args:
            key: the key (its `repr` is digested).

        Returns:
            The text, or None when absent or unreadable.
        """
        path = self._path(key)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            self.misses += 1
            return None
        self.hits += 1
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used, for pruning
        return text

    def has(self, key: tuple[Any, ...]) -> bool:
        """Whether text is stored for `key` (without reading it).

        Args:
            key: as for `get`.

        Returns:
            True when its file exists.
        """
        return self._path(key).is_file()

    def put(self, key: tuple[Any, ...], text: str) -> None:
        """Store the text for `key` (best effort: a folder that cannot be written is skipped).

        Args:
            key: as for `get`.
            text: what to keep.
        """
        path = self._path(key)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        except OSError:
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            # Readers in other processes see the whole file or none.
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.remove(tmp)  # a half-written file (a full disk, say) is not left behind
            return
        self._writes += 1
        if self._writes % 64 == 1:
            self.prune()

    def prune(self) -> int:
        """Remove the least recently used files past `max_entries`.

        Returns:
            How many files were removed.
        """
        aged: list[tuple[float, str]] = []
        try:
            with os.scandir(self.folder) as found:
                for entry in found:
                    with contextlib.suppress(OSError):
                        # A file another process removes meanwhile is simply not listed.
                        aged.append((entry.stat().st_mtime, entry.path))
        except OSError:
            return 0
        if len(aged) <= self.max_entries:
            return 0
        aged.sort()
        removed = 0
        for _, path in aged[: len(aged) - self.max_entries * 9 // 10]:
            with contextlib.suppress(OSError):
                os.remove(path)
                removed += 1
        return removed
