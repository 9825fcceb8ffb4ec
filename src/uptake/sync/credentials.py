"""Vendor credentials: from the environment or a private secrets file, never stored or shown.

A secrets file holds `KEY=VALUE` lines (an optional `export ` prefix and quotes are allowed,
`#` starts a comment) or, when it ends in `.toml`, top-level `KEY = "value"` pairs. It is
refused when anyone but its owner may read it or when it lies inside the workspace folder
(backups and copies of the workspace would then carry the keys).
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

from uptake.errors import ConfigError
from uptake.sync.base import Source

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Values shorter than this are not scrubbed from messages (they would mangle ordinary words;
# real keys are far longer, and uptake never puts a credential in a message itself).
_MIN_SCRUB = 8


class Secrets:
    """Credential values by environment-variable name, and a scrubber for messages."""

    def __init__(self, values: Mapping[str, str], secret_names: Iterable[str]) -> None:
        """Keep the values found.

        Args:
            values: credential values by name.
            secret_names: the names whose values are secret (scrubbed from any message).
        """
        self._values = {k: v for k, v in values.items() if v}
        names = set(secret_names)
        self._secret = sorted(
            (v for k, v in self._values.items() if k in names and len(v) >= _MIN_SCRUB),
            key=len,
            reverse=True,
        )

    def for_source(self, source: type[Source]) -> dict[str, str]:
        """The values a source declares (and only those).

        Args:
            source: the source class.

        Returns:
            Values by name, for the names that are set.
        """
        return {c.env: self._values[c.env] for c in source.credentials if c.env in self._values}

    def scrub(self, text: str) -> str:
        """Text with every secret value replaced by `***`.

        Args:
            text: a message about to be shown or stored.

        Returns:
            The message without secrets.
        """
        for value in self._secret:
            text = text.replace(value, "***")
        return text

    def __repr__(self) -> str:
        # Never the values, even in a debugger or a traceback.
        return f"Secrets({sorted(self._values)})"


def check_private(path: Path, workspace: Path | None) -> None:
    """Refuse a secrets file others may read or that lives inside the workspace.

    Args:
        path: the secrets file.
        workspace: the workspace folder (None: no workspace check).
    """
    if not path.is_file():
        raise ConfigError(f"secrets file {path}: not found (or not a file)")
    if workspace is not None and path.resolve().is_relative_to(workspace.resolve()):
        raise ConfigError(
            f"secrets file {path} is inside the workspace folder: backups and copies of the "
            "workspace would carry the keys",
            hint="move it out, e.g. to ~/.config/uptake/sync.env (chmod 600)",
        )
    mode = path.stat().st_mode
    if mode & (stat.S_IROTH | stat.S_IWOTH):
        raise ConfigError(
            f"secrets file {path} can be read or changed by every user of this machine",
            hint=f"chmod 600 {path}",
        )


def read_file(path: Path) -> dict[str, str]:
    """The `KEY=VALUE` (or TOML) pairs of a secrets file; errors name lines, never values.

    Args:
        path: the secrets file (already checked with `check_private`).

    Returns:
        Values by key.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"secrets file {path}: cannot read it ({type(exc).__name__})") from None
    if path.suffix.lower() == ".toml":
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            # The decoder's message may quote the offending line, which may hold a key.
            raise ConfigError(f"secrets file {path}: not valid TOML") from None
        return {str(k): str(v) for k, v in doc.items() if isinstance(v, str | int)}
    out: dict[str, str] = {}
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].strip()
        key, sep, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not _KEY.match(key):
            raise ConfigError(f"secrets file {path}, line {n}: expected KEY=VALUE")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out[key] = value
    return out


def gather(
    sources: Iterable[type[Source]],
    *,
    env: Mapping[str, str] | None = None,
    secrets_file: Path | None = None,
    workspace: Path | None = None,
) -> Secrets:
    """Every credential the sources declare: the environment first, then the secrets file.

    Args:
        sources: the source classes.
        env: the environment (default: `os.environ`).
        secrets_file: a private KEY=VALUE or TOML file, or None.
        workspace: the workspace folder a secrets file must lie outside of.

    Returns:
        The values found.
    """
    environ = os.environ if env is None else env
    from_file: dict[str, str] = {}
    if secrets_file is not None:
        check_private(secrets_file, workspace)
        from_file = read_file(secrets_file)
    values: dict[str, str] = {}
    secret_names: set[str] = set()
    for source in sources:
        for c in source.credentials:
            value = (environ.get(c.env) or from_file.get(c.env) or "").strip()
            if value:
                values[c.env] = value
            if c.secret:
                secret_names.add(c.env)
    return Secrets(values, secret_names)
