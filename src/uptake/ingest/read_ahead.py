"""Vendor files read one ahead in a helper process while the current one is ingested.

A vendor export often comes as a folder of daily files (Microsoft 365's by-date reports: 120
files for four months). Each is parsed record by record in Python (0.2 s for a 2,000-person
day) and then ingested, mostly DuckDB statements (0.4 s). A thread cannot overlap the two:
the parser holds the interpreter. A second process can, on a machine with two cores or more,
so the next file is parsed there while this one is ingested.

The helper is this module run as a program (`python -m uptake.ingest.read_ahead`), not a
`multiprocessing` child: those import the caller's main script again, which in a script
without a `__main__` guard would run the whole script a second time. It reads requests on
its standard input and answers on its standard output, each a length and a pickle (both ends
are this module, in the same installation).

The parse is the connector's own reader, unchanged, so every file's rows are the same as when
it is read in place. Anything that goes wrong in the helper (it cannot start, a file does not
parse, an answer does not come back whole) only means the file is read again in place, where
a bad file raises its usual error.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import subprocess
import sys
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import IO, Any

from uptake.ingest.connectors.base import ConnectorResult
from uptake.ingest.spill import SpillTo, prepare, spilling

_LENGTH = struct.Struct("<Q")


def read_ahead(
    fmt: str,
    paths: Sequence[Path],
    options: dict[str, Any],
    *,
    ahead: int = 1,
    spill: SpillTo | None = None,
) -> Generator[tuple[Path, SpillTo | None, ConnectorResult | None], None, None]:
    """Each path with its parse, the next ones parsed in a helper process meanwhile.

    The first file is left to the caller (None), as is any file whose parse the helper did
    not return: the caller reads those in place.

    Args:
        fmt: the vendor format (a key of `CONNECTORS`).
        paths: the files, in the order they are ingested.
        options: the connector's options (plain data: they go to the helper).
        ahead: files parsed ahead of the one being ingested (0: none, no helper).
        spill: where a large file's rows may be written while it is parsed; each file gets
            a folder of its own inside it.

    Yields:
        (path, where its rows may spill, parsed or None), in the order of `paths`.
    """
    spills = [
        None if spill is None else SpillTo(spill.folder / f"file-{i}", spill.rows)
        for i in range(len(paths))
    ]
    helper = _Helper.start() if ahead >= 1 and len(paths) >= 2 else None
    if helper is None:
        yield from ((p, s, None) for p, s in zip(paths, spills, strict=True))
        return
    try:
        asked = 0
        rest = list(paths[1:])
        while asked < min(ahead, len(rest)):
            helper.ask(fmt, rest[asked], options, spills[asked + 1])
            asked += 1
        yield paths[0], spills[0], None
        for i, path in enumerate(rest, start=1):
            parsed = helper.answer()
            if asked < len(rest):
                helper.ask(fmt, rest[asked], options, spills[asked + 1])
                asked += 1
            # Read again in place (None): the helper's chunks, if any, are not used, and a
            # folder of their own keeps them apart.
            yield path, spills[i] if parsed is not None else _retry(spills[i]), parsed
    finally:
        helper.stop()


def _retry(spill: SpillTo | None) -> SpillTo | None:
    return None if spill is None else SpillTo(spill.folder / "again", spill.rows)


class _Helper:
    """The helper process, seen from the caller; once it fails it answers None."""

    def __init__(self, proc: subprocess.Popen[bytes], ask: IO[bytes], hear: IO[bytes]) -> None:
        self.proc = proc
        self.ask_pipe = ask
        self.answer_pipe = hear
        self.broken = False

    @classmethod
    def start(cls) -> _Helper | None:
        """Start the helper on this installation's code, or None when it cannot start."""
        # The helper imports the same package as the caller, wherever that was found.
        root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "uptake.ingest.read_ahead"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                # Its errors are the caller's to report (it reads the file again in place).
                stderr=subprocess.DEVNULL,
                env=env,
            )
        except (OSError, ValueError, TypeError):  # no interpreter to run (embedded Python)
            return None
        if proc.stdin is None or proc.stdout is None:  # pipes asked for: always there
            proc.kill()
            return None
        return cls(proc, proc.stdin, proc.stdout)

    def ask(self, fmt: str, path: Path, options: dict[str, Any], spill: SpillTo | None) -> None:
        """Ask for one file's parse (answered in order by `answer`)."""
        if self.broken:
            return
        try:
            _send(self.ask_pipe, (fmt, str(path), options, spill))
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            self.broken = True

    def answer(self) -> ConnectorResult | None:
        """The next parse asked for, or None (the caller reads that file in place)."""
        if self.broken:
            return None
        try:
            status, result = _receive(self.answer_pipe)
        except Exception:  # a short, unreadable or unpicklable answer: the helper is done
            self.broken = True
            return None
        return result if status == "ok" else None

    def stop(self) -> None:
        """End the helper (it may be parsing a file no one needs any more)."""
        # Both pipes closed first: a helper idle on its input sees the end, and one writing
        # an answer no one will read fails at once instead of waiting for a reader.
        for pipe in (self.ask_pipe, self.answer_pipe):
            with contextlib.suppress(OSError):
                pipe.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _send(out: IO[bytes], value: object) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_LENGTH.pack(len(data)) + data)
    out.flush()


def _receive(inp: IO[bytes]) -> Any:
    head = inp.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError("the helper ended")
    (size,) = _LENGTH.unpack(head)
    data = inp.read(size)
    if len(data) < size:
        raise EOFError("the helper's answer was cut short")
    return pickle.loads(data)  # written by this module's own helper or caller


def _serve(inp: IO[bytes], out: IO[bytes]) -> None:
    """The helper: parse each file asked for until the caller closes its input."""
    from uptake.ingest.connectors import CONNECTORS

    while True:
        try:
            fmt, path, options, spill = _receive(inp)
        except EOFError:
            return
        try:
            prepare(spill)
            with spilling(spill):
                answer: tuple[str, Any] = ("ok", CONNECTORS[fmt].read(Path(path), options))
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # the caller reads the file itself and reports what is wrong
            data = pickle.dumps(("error", None), protocol=pickle.HIGHEST_PROTOCOL)
        out.write(_LENGTH.pack(len(data)) + data)
        out.flush()


if __name__ == "__main__":
    # Answers go to the original standard output alone: anything printed while parsing
    # goes where errors go (nowhere), not into an answer.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, answers)
