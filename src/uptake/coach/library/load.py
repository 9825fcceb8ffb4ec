"""Read use-case YAML files: every problem as one line `file:line: where: what`, then a Library.

A file is a mapping with `use_cases:` (a list of use cases, see `schema.UseCase`), an
optional `version: 1` and an optional `override: true`, which lets its ids replace bundled
use cases of the same id (without it, such a clash is an error). Ids are unique across every
other file. Line numbers come from the YAML nodes, so a problem points at the offending key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from uptake.coach.library.collection import Library
from uptake.coach.library.schema import FIELDS, UseCase
from uptake.errors import InputError

SUFFIXES = (".yaml", ".yml")
TOP_KEYS = ("version", "use_cases", "override")
VERSION = 1
BUNDLED = "bundled/"
_EXPECTED = "expected a mapping with `use_cases:` (a list of use cases) and optional `version: 1`"


class LibraryError(InputError):
    """Use-case files that cannot be used; `problems` holds one line per problem."""

    def __init__(self, problems: Sequence[str], *, hint: str | None = None) -> None:
        self.problems = list(problems)
        n = len(self.problems)
        head = self.problems[0] if n == 1 else f"{n} problems in the use-case files:"
        body = "" if n == 1 else "\n" + "\n".join(self.problems)
        super().__init__(head + body, hint=hint)


@dataclass(frozen=True)
class LoadedFile:
    """One valid use-case file.

    Attributes:
        name: the file as shown in messages (a path, or `bundled/<file>`).
        cases: its use cases, in file order.
        lines: the line of each use case, by id.
        override: whether its ids may replace bundled ones.
        digest: SHA-256 of its bytes (an import of the same file changes nothing).
    """

    name: str
    cases: tuple[UseCase, ...]
    lines: dict[str, int] = field(default_factory=dict)
    override: bool = False
    digest: str = ""


# -- reading one file ---------------------------------------------------------------------------


def parse_text(text: str, name: str, digest: str = "") -> LoadedFile:
    """Validate one file's text.

    Args:
        text: the YAML text.
        name: the file as shown in messages.
        digest: the file's SHA-256, kept on the result.

    Returns:
        The file's use cases.

    Raises:
        LibraryError: every problem of the file, one line each.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise LibraryError([_yaml_problem(exc, name)]) from None
    except RecursionError:
        raise LibraryError([f"{name}:1: not YAML: nested too deeply"]) from None
    finally:
        loader.dispose()
    if node is None:
        raise LibraryError([f"{name}:1: empty file; {_EXPECTED}"])
    if not isinstance(node, MappingNode) or not isinstance(data, dict):
        raise LibraryError([f"{name}:{_line(node)}: {_EXPECTED}"])
    problems = _duplicate_keys(node, name, "")
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, ScalarNode) else None
        if key not in TOP_KEYS:
            problems.append(
                f"{name}:{_line(key_node)}: unknown key {key!r} at the top; "
                f"expected: {', '.join(TOP_KEYS)}"
            )
        elif key == "version" and data.get("version") != VERSION:
            problems.append(f"{name}:{_line(value_node)}: version: must be {VERSION}")
        elif key == "override" and not isinstance(data.get("override"), bool):
            problems.append(f"{name}:{_line(value_node)}: override: must be true or false")
    seq = _child(node, "use_cases")
    items = data.get("use_cases")
    if seq is None:
        problems.append(f"{name}:{_line(node)}: use_cases: is required; {_EXPECTED}")
    elif not isinstance(seq, SequenceNode) or not isinstance(items, list):
        problems.append(f"{name}:{_line(seq)}: use_cases: must be a list of use cases")
    cases: list[UseCase] = []
    lines: dict[str, int] = {}
    if isinstance(seq, SequenceNode) and isinstance(items, list):
        for i, (item_node, item) in enumerate(zip(seq.value, items, strict=False)):
            where = f"use_cases[{i}]"
            if not isinstance(item, dict) or not isinstance(item_node, MappingNode):
                problems.append(
                    f"{name}:{_line(item_node)}: {where}: must be a mapping of {', '.join(FIELDS)}"
                )
                continue
            problems += _duplicate_keys(item_node, name, f"{where}.")
            try:
                case = UseCase.model_validate(item)
            except ValidationError as exc:
                found = [_field_problem(e, item_node, name, where) for e in exc.errors()]
                problems += sorted(found, key=lambda p: int(p[len(name) + 1 :].split(":")[0]))
                continue
            if case.id in lines:
                problems.append(
                    f"{name}:{_line(item_node)}: {where}.id: duplicate id {case.id!r} "
                    f"(also at {name}:{lines[case.id]})"
                )
                continue
            cases.append(case)
            lines[case.id] = _line(item_node)
    if problems:
        raise LibraryError(problems)
    return LoadedFile(name, tuple(cases), lines, data.get("override") is True, digest)


def read_file(path: Path) -> LoadedFile:
    """Read and validate one file.

    Args:
        path: a use-case YAML file.

    Returns:
        Its use cases.

    Raises:
        LibraryError: every problem of the file, one line each.
    """
    name = str(path)
    if not path.exists():
        raise LibraryError([f"{name}: no such file"])
    if path.is_dir():
        raise LibraryError([f"{name}: is a folder, not a file"])
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LibraryError([f"{name}: cannot read: {exc.strerror or exc}"]) from None
    return parse_bytes(raw, name)


def parse_bytes(raw: bytes, name: str) -> LoadedFile:
    """Validate one file's bytes (UTF-8 text).

    Args:
        raw: the file's bytes.
        name: the file as shown in messages.

    Returns:
        Its use cases.

    Raises:
        LibraryError: every problem of the file, one line each.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LibraryError([f"{name}:{line}: not YAML: not UTF-8 text"]) from None
    return parse_text(text, name, hashlib.sha256(raw).hexdigest())


# -- many files ---------------------------------------------------------------------------------


def expand(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """Files named, with each folder replaced by the .yaml/.yml files in it.

    Args:
        paths: files and folders.

    Returns:
        The files (a folder's in name order) and one problem per unusable path.
    """
    files: list[Path] = []
    problems: list[str] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.suffix in SUFFIXES and f.is_file())
            if not found:
                problems.append(f"{p}: the folder holds no .yaml or .yml file")
            files += found
        elif not p.exists():
            problems.append(f"{p}: no such file")
        else:
            files.append(p)
    return files, problems


def read_files(paths: Iterable[Path]) -> tuple[list[LoadedFile], list[str], int]:
    """Read many files and folders, collecting every problem instead of stopping at one.

    Args:
        paths: files and folders.

    Returns:
        The valid files, every problem (one line each) and how many files were read.
    """
    files, problems = expand(paths)
    loaded: list[LoadedFile] = []
    for f in files:
        try:
            loaded.append(read_file(f))
        except LibraryError as exc:
            problems += exc.problems
    return loaded, problems, len(files)


def clashes(files: Sequence[LoadedFile], base: Sequence[LoadedFile] = ()) -> list[str]:
    """Ids defined twice: across `files`, or in `files` and `base` without `override: true`.

    Args:
        files: the files checked.
        base: files already in force (the bundled library, usually).

    Returns:
        One problem per clash, naming both places.
    """
    seen: dict[str, str] = {}
    for f in base:
        for c in f.cases:
            seen[c.id] = f"{f.name}:{f.lines.get(c.id, 1)}"
    base_ids = set(seen)
    problems: list[str] = []
    for f in files:
        for c in f.cases:
            here = f"{f.name}:{f.lines.get(c.id, 1)}"
            if c.id in seen and not (c.id in base_ids and f.override):
                hint = " (say `override: true` to replace it)" if c.id in base_ids else ""
                problems.append(f"{here}: id: duplicate id {c.id!r} (also at {seen[c.id]}){hint}")
            elif c.id not in seen or c.id in base_ids:
                seen[c.id] = here
                base_ids.discard(c.id)
    return problems


def build(files: Sequence[LoadedFile], base: Sequence[LoadedFile] = ()) -> Library:
    """The library of `base` files with `files` added (overriding where they say so).

    Args:
        files: added files (a workspace's).
        base: the files they add to (the bundled library).

    Returns:
        The library.

    Raises:
        LibraryError: when an id is defined twice.
    """
    problems = clashes(files, base)
    if problems:
        raise LibraryError(problems)
    by_id: dict[str, UseCase] = {}
    origin: dict[str, str] = {}
    for f in [*base, *files]:
        for c in f.cases:
            by_id[c.id] = c
            origin[c.id] = f"{f.name}:{f.lines.get(c.id, 1)}"
    return Library(tuple(by_id.values()), origin)


@lru_cache(maxsize=1)
def bundled_files() -> tuple[LoadedFile, ...]:
    """The starter library shipped in the package (`uptake/coach/library/data/*.yaml`).

    Returns:
        Its files, in name order.
    """
    folder = resources.files("uptake.coach.library").joinpath("data")
    entries = sorted(
        (e for e in folder.iterdir() if e.name.endswith(SUFFIXES)), key=lambda e: e.name
    )
    loaded: list[LoadedFile] = []
    problems: list[str] = []
    for e in entries:
        try:
            loaded.append(parse_bytes(e.read_bytes(), f"{BUNDLED}{e.name}"))
        except LibraryError as exc:
            problems += exc.problems
    problems += clashes(loaded)
    if problems:
        raise LibraryError(problems)
    return tuple(loaded)


def load_library(paths: Iterable[Path] = (), *, bundled: bool = True) -> Library:
    """The bundled library plus the use cases of the files and folders given.

    Args:
        paths: extra files and folders (a workspace's usecases/ folder).
        bundled: include the starter library.

    Returns:
        The library.

    Raises:
        LibraryError: every problem of every file, one line each.
    """
    loaded, problems, _ = read_files(paths)
    base = bundled_files() if bundled else ()
    problems += clashes(loaded, base)
    if problems:
        raise LibraryError(problems)
    return build(loaded, base)


def summary(files: Sequence[LoadedFile], problems: Sequence[str], checked: int) -> dict[str, Any]:
    """What a validation found, as JSON.

    Args:
        files: the valid files.
        problems: every problem found.
        checked: how many files were checked, valid or not.

    Returns:
        {valid, files (checked), valid_files, use_cases, roles, problems}.
    """
    cases = [c for f in files for c in f.cases]
    return {
        "valid": not problems,
        # Every file checked: the valid ones alone read as if the others were never seen.
        "files": checked,
        "valid_files": len(files),
        "use_cases": len(cases),
        "roles": len({c.role.casefold() for c in cases}),
        "problems": list(problems),
    }


def validate_paths(paths: Iterable[Path], *, bundled: bool = True) -> dict[str, Any]:
    """Validate files and folders, and their ids against the bundled library.

    Args:
        paths: files and folders.
        bundled: check id clashes with the starter library too.

    Returns:
        `summary`'s document.
    """
    loaded, problems, checked = read_files(paths)
    problems += clashes(loaded, bundled_files() if bundled else ())
    return summary(loaded, problems, checked)


# -- YAML nodes ---------------------------------------------------------------------------------


def _line(node: Node | None) -> int:
    return 1 if node is None else node.start_mark.line + 1


def _child(node: Node, key: object) -> Node | None:
    """The value node of a key in a mapping node (the last one: YAML's last key wins)."""
    found = None
    if isinstance(node, MappingNode):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == str(key):
                found = v
    return found


def _key_node(node: Node, key: object) -> Node | None:
    found = None
    if isinstance(node, MappingNode):
        for k, _ in node.value:
            if isinstance(k, ScalarNode) and k.value == str(key):
                found = k
    return found


def _duplicate_keys(node: MappingNode, name: str, where: str) -> list[str]:
    first: dict[str, int] = {}
    out: list[str] = []
    for k, _ in node.value:
        if not isinstance(k, ScalarNode):
            continue
        if k.value in first:
            out.append(
                f"{name}:{_line(k)}: {where}{k.value}: duplicate key (first at line "
                f"{first[k.value]})"
            )
        else:
            first[k.value] = _line(k)
    return out


def _field_problem(err: Any, item: MappingNode, name: str, where: str) -> str:
    """One pydantic error as `file:line: use_cases[i].field[j]: what`."""
    node: Node = item
    path = where
    loc = list(err.get("loc") or ())
    for n, part in enumerate(loc):
        last = n == len(loc) - 1
        nxt: Node | None = None
        if isinstance(node, MappingNode) and isinstance(part, str):
            # An unknown key points at the key itself; anything else at its value.
            nxt = _key_node(node, part) if last and err["type"] == "extra_forbidden" else None
            nxt = nxt or _child(node, part)
        elif isinstance(node, SequenceNode) and isinstance(part, int):
            nxt = node.value[part] if 0 <= part < len(node.value) else None
        if nxt is None:
            # A missing field is named although it has no node; union tags are not.
            if err["type"] == "missing" and isinstance(part, str) and part in FIELDS:
                path += f".{part}"
            break
        node = nxt
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return f"{name}:{_line(node)}: {path}: {_say(err, loc)}"


def _say(err: Any, loc: list[Any]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return f"unknown key; expected: {', '.join(FIELDS)}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    if kind == "string_pattern_mismatch" and loc and loc[-1] == "id":
        return "must be a slug: lower-case letters, digits, _ . - (2 to 80 characters)"
    msg = str(err["msg"]).replace(" after validation", "")
    for lead in ("Input should be ", "String should ", "List should ", "Value should "):
        if msg.startswith(lead):
            return "must " + ("be " if lead == "Input should be " else "") + msg[len(lead) :]
    return msg[:1].lower() + msg[1:]


def _yaml_problem(exc: yaml.YAMLError, name: str) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    what = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
    return f"{name}:{line}: not YAML: {' '.join(str(what).split())}"
