"""How `make test` spreads tests over xdist workers: a file at a time, Spark files together."""

from __future__ import annotations

from pathlib import Path

from xdist.scheduler import LoadScopeScheduling

SPARK = "spark"


def scope_of(nodeid: str) -> str:
    """The unit of work a test belongs to: its file, or `spark` for every Spark test file.

    Many files build a simulated organisation in a module-scoped fixture: spread test by test
    over two workers, both would build it. The Spark files share one JVM per worker, so they
    go together.

    Args:
        nodeid: pytest's node id (`path::name[params]`).

    Returns:
        The scope's name.
    """
    path = nodeid.split("::", 1)[0]
    return SPARK if Path(path).name.startswith("test_spark") else path


class FileScheduling(LoadScopeScheduling):
    """xdist's scope scheduling with `scope_of` as the scope.

    xdist's own `loadgroup` cannot do this with pytest 9: it marks a group by appending
    `@group` to an attribute pytest 9 no longer reads, so its groups were silently ignored.
    """

    def _split_scope(self, nodeid: str) -> str:
        return scope_of(nodeid)
