"""An option that takes one value is refused when given twice, not silently overridden.

Click keeps the last of `--by team --by role` without a word: the reader asked for two
breakdowns and got one. Every command under the root is wrapped once the command tree is
built, as `help_text` does for the help screens. Options that take several values
(`--metric`, repeatable), count or flag options are left alone: repeating them is harmless.
"""

from __future__ import annotations

from typing import Any

try:  # typer vendors its own click (typer._click) since 0.2x; older ones use click itself
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover
    from click import exceptions as click_errors  # type: ignore[no-redef]

# Marks a command already wrapped (the root and a subgroup both walk the commands below).
_WRAPPED = "_uptake_single_values"


def once_only(command: Any) -> None:
    """Make every command under `command` refuse a one-value option given more than once.

    Args:
        command: a Typer command or group (a group's `commands` are walked).
    """
    subs = getattr(command, "commands", None)
    if subs is not None:
        for sub in subs.values():
            once_only(sub)
        return
    if getattr(command, _WRAPPED, False):
        return
    single = {
        opt: str(param.name)
        for param in command.params
        if getattr(param, "param_type_name", "") == "option"
        and not (param.multiple or param.is_flag or param.count or param.nargs != 1)
        for opt in param.opts
    }
    setattr(command, _WRAPPED, True)
    if not single:
        return
    parse = command.parse_args

    def parse_args(ctx: Any, args: list[str]) -> list[str]:
        given: dict[str, list[str]] = {}
        for i, token in enumerate(args):
            if token == "--":
                break
            name, eq, _ = token.partition("=")
            # The last word without its value is click's to refuse ("requires an argument").
            if name in single and (eq or i + 1 < len(args)):
                given.setdefault(single[name], []).append(name)
        for names in given.values():
            if len(names) > 1:
                spelt = " and ".join(sorted(set(names)))  # "-w and --workspace" or "--by"
                raise click_errors.UsageError(
                    f"{spelt} given {len(names)} times: it takes one value, give it once", ctx
                )
        return parse(ctx, args)

    command.parse_args = parse_args
