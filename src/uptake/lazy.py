"""Lazy exports: a package's public names load from their modules on first use.

A package `__init__` that imported its public names eagerly would make every import of any of
its modules pay for all of them: `uptake --help`, which needs none, waited about two seconds
for pandas, Ibis, DuckDB, scikit-learn and the ingest pipeline. A package lists where each
name lives and gets a module `__getattr__` (PEP 562) that imports the home on first use and
keeps the value, so later reads are plain attribute reads.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any


def exports(package: str, homes: dict[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package` that loads each name from its home module.

    Args:
        package: the package's `__name__`.
        homes: public name -> the module that defines it.

    Returns:
        The function to assign to the package's `__getattr__`.
    """

    def load(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(home), name)
        # Kept in the package's namespace: the next read does not come here again.
        setattr(import_module(package), name, value)
        return value

    return load
