"""Errors at the edge: every failure leaves the command line as one line and an exit code.

`UptakeGroup` is the root command's class, so `uptake`, `python -m uptake` and a test's
`CliRunner` all go through the same translation.
"""

from __future__ import annotations

import errno
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperGroup

try:  # typer vendors its own click (typer._click) since 0.2x; older ones use click itself
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover
    from click import exceptions as click_errors  # type: ignore[no-redef]

from uptake.cli.common import err_console
from uptake.cli.help_text import plain_help
from uptake.cli.single_values import once_only
from uptake.errors import UptakeError

DEBUG_ENV = "UPTAKE_DEBUG"
# Optional extras, by the top-level module whose absence means the extra is not installed.
EXTRAS = {"pyspark": "spark", "py4j": "spark"}
INTERNAL = 1
ABORTED = 130
INTERRUPTED = "interrupted (Ctrl-C)"
# What the file system says about a path the user named (an output folder that cannot be
# created, a full or read-only disk, a file where a folder should be): no bug of uptake's.
FILE_SYSTEM = {
    errno.ENOENT: "no such file or folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "not permitted",
    errno.EROFS: "read-only file system",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.EISDIR: "is a folder",
    errno.EEXIST: "already exists",
    errno.ENAMETOOLONG: "name too long",
}


class UptakeGroup(TyperGroup):
    """The root group: runs a command and turns whatever it raises into one line on stderr."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_help(self)
        once_only(self)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; exit with its code (or return it when not standalone).

        Args:
            args: arguments without the program name (default: `sys.argv[1:]`).
            prog_name: the program name shown in messages (default: detected).
            complete_var: shell-completion variable (unused by uptake).
            standalone_mode: exit the process with the code instead of returning it.
            windows_expand_args: expand wildcards on Windows.
            extra: passed on to the context.

        Returns:
            The exit code, when not standalone.
        """
        try:
            # Not standalone: click then raises usage errors and returns Exit codes to us.
            rc = super().main(
                args,
                prog_name,
                complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
            code = rc if isinstance(rc, int) else 0
        except Exception as exc:
            code = translate(exc)
        if standalone_mode:
            sys.exit(code)
        return code

    def invoke(self, ctx: Any) -> Any:
        """Run the chosen command; an interrupt (Ctrl-C) becomes an abort that says so.

        Args:
            ctx: the click context.

        Returns:
            What the command returns.
        """
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # Typer turns an interrupt into an exit 130 with nothing said, which reads as a
            # crash; every other way a command stops leaves one line.
            raise typer.Abort(INTERRUPTED) from None


def translate(exc: Exception) -> int:
    """Print an exception as one error line (plus a hint line where there is one).

    Args:
        exc: what a command raised.

    Returns:
        The exit code: an `UptakeError`'s own, 2 for usage errors and for a path the file
        system refuses, 3 for a missing optional extra, 130 when aborted, 1 for anything
        unexpected (a bug).

    Raises:
        Exception: `exc` itself when $UPTAKE_DEBUG is set and it is unexpected.
    """
    if isinstance(exc, UptakeError):
        _error(exc.message, exc.hint)
        return exc.exit_code
    if isinstance(exc, click_errors.NoArgsIsHelpError):
        if exc.ctx is not None:
            typer.echo(exc.ctx.get_help())
        return 0
    if isinstance(exc, click_errors.UsageError):
        path = exc.ctx.command_path if exc.ctx is not None else "uptake"
        _error(f"{_usage_message(exc)} (see {path} --help)")
        return exc.exit_code
    if isinstance(exc, click_errors.ClickException):
        _error(_clause(exc.format_message()))
        return exc.exit_code
    if isinstance(exc, typer.Abort):
        _error(str(exc) or "aborted")
        return ABORTED
    if isinstance(exc, OSError) and exc.errno in FILE_SYSTEM and exc.filename:
        reason = FILE_SYSTEM[exc.errno]
        if exc.errno == errno.EEXIST and not os.path.isdir(exc.filename):
            # What `mkdir` says of a file standing where a folder must be made.
            reason += " and is not a folder"
        _error(f"{exc.filename}: cannot read or write it: {reason}")
        return 2
    top = (getattr(exc, "name", None) or "").split(".")[0]
    if isinstance(exc, ModuleNotFoundError) and top in EXTRAS:
        _error(
            f"this needs the optional package {top!r}, which is not installed",
            f"pip install 'uptake[{EXTRAS[top]}]'",
        )
        return 3
    if os.environ.get(DEBUG_ENV):
        raise exc
    _error(
        f"internal error: {type(exc).__name__}: {exc} "
        f"(re-run with {DEBUG_ENV}=1 to see the traceback)",
        style="red",
    )
    return INTERNAL


def _error(message: str, hint: str | None = None, *, style: str | None = None) -> None:
    # Markup off for the message: it quotes user input and file names that may hold "[".
    err_console.print("error:", style="bold red", end=" ")
    err_console.print(
        " ".join(message.split()), style=style, markup=False, highlight=False, soft_wrap=True
    )
    if hint:
        err_console.print("hint:", style="yellow", end=" ")
        err_console.print(hint, markup=False, highlight=False, soft_wrap=True)


# Typer's validation messages (pydantic's wording) and how uptake says them.
_VALUE_WORDS = (
    (re.compile(r"^Input should be a valid integer.*$"), "expected a whole number"),
    (re.compile(r"^Input should be a valid number.*$"), "expected a number"),
    (re.compile(r"^Input should be less than or equal to (\S+)$"), r"at most \1"),
    (re.compile(r"^Input should be greater than or equal to (\S+)$"), r"at least \1"),
    (re.compile(r"^Input should be less than (\S+)$"), r"less than \1"),
    (re.compile(r"^Input should be greater than (\S+)$"), r"more than \1"),
)


def _usage_message(exc: click_errors.UsageError) -> str:
    if isinstance(exc, click_errors.NoSuchOption):
        # click lists every possibility; one suggestion reads better on one line.
        guess = f"; did you mean {exc.possibilities[0]}?" if exc.possibilities else ""
        return f"no such option {exc.option_name}{guess}"
    if isinstance(exc, click_errors.BadParameter):
        # "Input should be a valid integer, unable to parse string as an integer" reads
        # "expected a whole number".
        for pattern, words in _VALUE_WORDS:
            exc.message = pattern.sub(words, exc.message)
    return _clause(exc.format_message())


def _clause(text: str) -> str:
    """Click's message as one lower-case clause without a final full stop."""
    line = " ".join(text.split())
    if line[:1].isupper() and not line[1:2].isupper():
        line = line[0].lower() + line[1:]
    return line.rstrip(".")
