"""Help screens in words: value placeholders a reader knows, not Python's type names.

Typer prints each parameter's Python type beside it (`<bool>`, `<list[str]>`, `<str>`) and
names required arguments in braces (`{table}`). Every parameter is given a placeholder here
once the command tree is built: a flag none, a value the kind of thing it takes (TEXT,
INTEGER, PATH), a choice its choices; an argument is named in capitals, as click writes it.
"""

from __future__ import annotations

import re
from typing import Any

# Typer's type names (as `display_type` prints them inside <>) and the word shown instead.
_WORDS = {
    "str": "TEXT",
    "int": "INTEGER",
    "float": "NUMBER",
    "path": "PATH",
    "file": "FILE",
    "directory": "FOLDER",
    "Path": "PATH",
    "date": "DATE",
    "datetime": "DATE",
    "bool": "",
}
_LIST = re.compile(r"^list\[(?P<item>.+)\]$")


def plain_help(command: Any) -> None:
    """Give every parameter of a command, and of the commands under it, a plain placeholder.

    Args:
        command: a Typer command or group (its `params`, and `commands` for a group).
    """
    ctx = command.context_class(command, info_name=command.name)
    params = list(command.params)
    help_option = command.get_help_option(ctx)
    if help_option is not None:
        params.append(help_option)
    for param in params:
        if param.metavar is not None:
            continue
        if param.param_type_name == "argument":
            # An argument's type column ignores its placeholder (which names it, in capitals,
            # on the usage line): the instance's own method gives the word instead.
            word = _kind(param, ctx)
            name = param.metavar = str(param.name or "").upper()
            param.display_type_rich = lambda ctx, word=word: word
            # Usage as click writes it, `ARCHIVE [FILES]...`, not Typer's `{ARCHIVE}`.
            usage = name if param.required else f"[{name}]"
            param._usage_display_name = lambda usage=usage, many=param.nargs != 1: (
                f"{usage}..." if many else usage
            )
        else:
            param.metavar = _placeholder(param, ctx)
    for sub in getattr(command, "commands", {}).values():
        plain_help(sub)


def _placeholder(param: Any, ctx: Any) -> str:
    """The placeholder of an option (empty for a flag, which takes no value)."""
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return ""
    word = _kind(param, ctx)
    return f"{word}..." if param.nargs != 1 else word


def _kind(param: Any, ctx: Any) -> str:
    """The kind of value a parameter takes, in a word ("TEXT", "FILE", "duckdb|spark")."""
    shown = str(param.display_type(ctx)).removeprefix("<").removesuffix(">")
    item = _LIST.match(shown)
    kind = item.group("item") if item else shown
    # A ranged number ("int range"): its bounds are printed beside it.
    kind = kind.removesuffix(" range")
    # Choices ("duckdb|spark") and names not listed stay as they are.
    return _WORDS.get(kind, kind)
