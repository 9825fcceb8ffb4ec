"""Workspace methods about the use-case library and peers' measured use cases.

The library in force is the bundled starter library plus the YAML files of the workspace's
library folder (`coach.library`, default `<workspace>/usecases/`), read once and re-read when
a file there changes. Only admins import files; the library holds no personal data, so every
role but `ingest` may read it. Peers' use cases are organisation aggregates (k-anonymous).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from uptake.workspace.access import ADMINISTER, AGGREGATE, LIBRARY, Actor, require

if TYPE_CHECKING:
    from uptake.coach.library import Library
    from uptake.coach.library.reach import Known
    from uptake.config import Settings
    from uptake.metrics.context import MetricContext
    from uptake.warehouse.engine import DuckDBEngine

T = TypeVar("T")
DEFAULT_FOLDER = "usecases"


class UseCases:
    """Mixin of Workspace: the role-specific use-case library and peers' measured use cases."""

    settings: Settings
    path: Path

    if TYPE_CHECKING:
        # Provided by other parts of Workspace (stubs only for the type checker: at run time
        # a stub here would shadow the real method for the classes after it).
        def _context(self, what: str, as_of: date | None) -> MetricContext: ...

        def _memo(self, kind: str, key: tuple[Any, ...], compute: Callable[[], T]) -> T: ...

        def engine(self) -> DuckDBEngine: ...

    # -- the library ------------------------------------------------------------------------

    def usecase_folder(self) -> Path:
        """The workspace's library folder (`coach.library`, relative to the workspace)."""
        return self.path / (self.settings.coach.library or DEFAULT_FOLDER)

    def library(self) -> Library:
        """The use cases in force: bundled plus the workspace folder's (re-read on change).

        Returns:
            The library.

        Raises:
            LibraryError: when a file of the workspace folder is invalid (one line each).
        """
        from uptake.coach.library import load_library

        folder = self.usecase_folder()
        stamp = _stamp(folder)
        cached = self.__dict__.get("_library_cache")
        if cached is not None and cached[0] == stamp:
            return cached[1]  # type: ignore[no-any-return]
        lib = load_library([folder] if stamp else [])
        self.__dict__["_library_cache"] = (stamp, lib)
        return lib

    def usecases(
        self, role: str | None = None, workflow: str | None = None, *, actor: Actor | None = None
    ) -> dict[str, Any]:
        """The library's use cases for a role and workflow (every role's when None).

        Args:
            role: a roster role (case-insensitive; `any` use cases are included).
            workflow: a workflow id (use cases for any workflow are included).
            actor: who reads (any role but ingest: the library holds no personal data).

        Returns:
            {role, workflow, folder, count, roles, use_cases: [use case + source]}.
        """
        from uptake.coach.library.schema import check_key, check_role

        require(actor or Actor.local(), LIBRARY)
        role = _checked(check_role, role, "--role")
        workflow = _checked(check_key, workflow, "--workflow")
        return {**self.library().listing(role, workflow), "folder": str(self.usecase_folder())}

    def peer_usecases(
        self, role: str | None = None, as_of: date | None = None, *, actor: Actor | None = None
    ) -> dict[str, Any]:
        """Per role, the workflows where peers' AI-assisted runs complete most and save most.

        Args:
            role: one roster role (None: every role).
            as_of: last day counted (default: the one as-of rule).
            actor: who reads (organisation aggregates: admin or analyst).

        Returns:
            `uptake.coach.peers.peer_use_cases`'s document (k-anonymous rows, counts only).
        """
        require(actor or Actor.local(), AGGREGATE)
        return self._peer_usecases(role, as_of)

    def _peer_usecases(self, role: str | None, as_of: date | None) -> dict[str, Any]:
        """`peer_usecases` without the actor check, for the coach (its output is k-safe)."""
        from uptake.coach.library.schema import check_role
        from uptake.coach.peers import peer_use_cases

        role = _checked(check_role, role, "--role")

        def compute() -> dict[str, Any]:
            ctx = self._context("peer use cases", as_of)
            return peer_use_cases(ctx, role)

        return self._memo("peer_usecases", (role, as_of), compute)

    # -- files ------------------------------------------------------------------------------

    def validate_usecases(self, paths: Iterable[Path | str]) -> dict[str, Any]:
        """Validate use-case files against the schema and the ids already in force.

        Args:
            paths: files and folders.

        Returns:
            {valid, files (checked), valid_files, use_cases, roles, problems: [one line
            each]}.
        """
        new, problems, _, checked = self._read_new([Path(p) for p in paths])
        from uptake.coach.library.load import summary

        return summary([f for f, _ in new], problems, checked)

    def import_usecases(
        self, paths: Iterable[Path | str], *, actor: Actor | None = None
    ) -> dict[str, Any]:
        """Validate use-case files, then copy them into the workspace's library folder.

        A file replaces the folder's file of the same name; importing the same file again
        changes nothing. Nothing is copied when any file has a problem.

        Args:
            paths: files and folders.
            actor: who imports (admins only).

        Returns:
            {folder, imported: [file names], unchanged: [file names], use_cases: n in the
            files, library: n in force afterwards, warnings: a use case whose role, workflow
            or surface the workspace's data never names (one line each), unchecked: what
            could not be checked for want of data}.

        Raises:
            LibraryError: every problem of every file (one line each); nothing copied.
        """
        from uptake.coach.library import LibraryError

        require(actor or Actor.local(), ADMINISTER)
        new, problems, folder, _ = self._read_new([Path(p) for p in paths])
        if problems:
            raise LibraryError(problems)
        folder.mkdir(parents=True, exist_ok=True)
        imported: list[str] = []
        unchanged: list[str] = []
        for _, source in new:
            dest = folder / _dest_name(source)
            raw = source.read_bytes()
            if dest.exists() and dest.read_bytes() == raw:
                unchanged.append(dest.name)
                continue
            tmp = dest.with_name(f".{dest.name}.tmp")
            tmp.write_bytes(raw)
            os.replace(tmp, dest)
            imported.append(dest.name)
        self.__dict__.pop("_library_cache", None)
        from uptake.coach.library.reach import unmatched

        # Valid files whose use cases no one would be shown are imported, with a warning: the
        # library may be written before the roster or the catalogue arrives.
        reach = unmatched(((f.name, c) for f, _ in new for c in f.cases), self._reach_data())
        return {
            "folder": str(folder),
            "imported": imported,
            "unchanged": unchanged,
            "use_cases": sum(len(f.cases) for f, _ in new),
            "library": len(self.library()),
            **reach,
        }

    def _reach_data(self) -> Known:
        """The roles, workflows and surfaces the warehouse names (None: nothing to check with)."""
        from uptake.coach.library.reach import Known

        engine = self.engine()

        def distinct(*sources: tuple[str, str]) -> frozenset[str] | None:
            found: set[str] = set()
            # Each column is canonical: a table that holds rows has it.
            for table, column in sources:
                if engine.has(table):
                    t = engine.table(table)
                    got = engine.execute(t.filter(t[column].notnull()).select(column).distinct())
                    found |= {str(v) for v in got[column]}
            # Nothing named anywhere (vendor events carry no workflow) is nothing to check with.
            return frozenset(found) or None

        return Known(
            roles=distinct(("people", "role")),
            workflows=distinct(
                ("workflows", "workflow"), ("tasks", "workflow"), ("events", "workflow")
            ),
            surfaces=distinct(("events", "surface")),
        )

    def _read_new(self, paths: list[Path]) -> tuple[list[tuple[Any, Path]], list[str], Path, int]:
        """Read files to add, with every problem: schema, names, clashes with the library.

        Returns:
            The valid files with their paths, every problem, the library folder and how many
            files were checked.
        """
        from uptake.coach.library.load import (
            LibraryError,
            bundled_files,
            clashes,
            expand,
            read_file,
        )

        folder = self.usecase_folder()
        files, problems = expand(paths)
        new: list[tuple[Any, Path]] = []
        names: dict[str, Path] = {}
        for f in files:
            name = _dest_name(f)
            if name in names:
                problems.append(f"{f}: same file name as {names[name]} (rename one)")
                continue
            names[name] = f
            try:
                new.append((read_file(f), f))
            except LibraryError as exc:
                problems += exc.problems
        # The folder's other files stay; a file of the same name is replaced.
        kept = []
        if folder.is_dir():
            for f in sorted(folder.iterdir()):
                if f.suffix in (".yaml", ".yml") and f.name not in names:
                    try:
                        kept.append(read_file(f))
                    except LibraryError as exc:
                        problems += exc.problems
        problems += clashes([*kept, *(f for f, _ in new)], bundled_files())
        return new, problems, folder, len(files)


def _checked(check: Callable[..., str], value: str | None, option: str) -> str | None:
    from uptake.errors import InputError

    if value is None:
        return None
    try:
        return check(value)
    except ValueError as exc:
        raise InputError(f"{option} {value!r}: {exc}") from None


def _dest_name(source: Path) -> str:
    return source.name if source.suffix in (".yaml", ".yml") else f"{source.stem}.yaml"


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """What identifies the folder's files' state: names, modification times and sizes."""
    if not folder.is_dir():
        return ()
    out = []
    for f in sorted(folder.iterdir()):
        if f.suffix in (".yaml", ".yml") and f.is_file():
            st = f.stat()
            out.append((f.name, st.st_mtime_ns, st.st_size))
    return tuple(out)
