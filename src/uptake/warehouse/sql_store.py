"""Compiled SQL kept in the workspace's folder, so a new process need not compile it again.

Every command of the command line is a new process, and so is a restarted server: each
would compile its queries from Ibis expressions afresh, which for the deeper metric
families takes longer than DuckDB takes to run them (a second of a tier-M read, most of
it the ladder's history). The store keeps each query's SQL under a digest of the
expression's structure (`engine.fingerprint`) and of the versions that turn it into SQL, one
file per query, written whole or not at all.

A query is kept only when its text means the same in any process: every in-memory table in
it is named by its rows (`stable_memtable`), and it reads no table that holds identifiers,
tokens or the audit trail, so that no name or e-mail is ever written outside the warehouse.
The store is a cache: a file that cannot be read or written is a miss, never an error, and
a backup leaves the folder out.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.operations as ops
import pyarrow as pa
import sqlglot
from ibis.formats.pyarrow import PyArrowTableProxy

from uptake.warehouse.file_store import FileStore

# In-memory tables named after their rows begin so (any other is named afresh per process).
STABLE_PREFIX = "uptake_rows_"
# Tables whose rows identify people or grant access: queries over them are never stored.
PRIVATE_TABLES = frozenset({"identities", "tokens", "audit_log"})
_SUFFIX = ".sql"


def stable_memtable(key: Any, table: pa.Table) -> ibis.Table:
    """An in-memory table named after its rows, so its queries' SQL is the same everywhere.

    Args:
        key: a value whose `repr` identifies the rows exactly (schema and values).
        table: the rows.

    Returns:
        An Ibis table named `STABLE_PREFIX` + a digest of `key`.
    """
    digest = hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()
    # What `ibis.memtable` builds for an Arrow table, but with the name given (it takes none).
    return ops.InMemoryTable(
        name=STABLE_PREFIX + digest,
        schema=ibis.Schema.from_pyarrow(table.schema),
        data=PyArrowTableProxy(table),
    ).to_expr()


def storable(node: ops.Node) -> bool:
    """Whether a query's SQL may be kept on disk (see the module's docstring).

    Args:
        node: the query's operation (`expr.op()`).

    Returns:
        True when every in-memory table is named by its rows and no private table is read.
    """
    for t in node.find((ops.InMemoryTable, ops.DatabaseTable)):
        if isinstance(t, ops.InMemoryTable) and not t.name.startswith(STABLE_PREFIX):
            return False
        if isinstance(t, ops.DatabaseTable) and t.name in PRIVATE_TABLES:
            return False
    return True


class SqlStore(FileStore):
    """A folder of compiled queries, one file each, the least recently used pruned first."""

    def __init__(self, folder: Path, dialect: str, max_entries: int = 4096) -> None:
        """Open (or later create) the store.

        Args:
            folder: where the files go (created on the first write).
            dialect: the SQL dialect compiled for (part of every key).
            max_entries: files kept; past it the least recently used tenth is removed.
        """
        # What turns an expression into SQL: a new version of any gives new keys.
        salt = "\x1f".join((dialect, ibis.__version__, sqlglot.__version__, duckdb.__version__))
        super().__init__(folder, salt, _SUFFIX, max_entries)
