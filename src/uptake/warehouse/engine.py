"""Compute engines behind the metrics: one Ibis interface over DuckDB (default) or Spark."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import duckdb
import ibis
import ibis.expr.operations as ops
import pandas as pd
from ibis.common.exceptions import TableNotFound
from ibis.common.grounds import Concrete

from uptake.warehouse import sql_template
from uptake.warehouse.database import in_transaction
from uptake.warehouse.sql import quote_ident
from uptake.warehouse.sql_store import SqlStore, storable
from uptake.warehouse.sql_template import Render, Slots, build, check, fill, renderer

if TYPE_CHECKING:
    from ibis.backends import BaseBackend


class Engine(Protocol):
    """What metric code needs from an engine; metric code never sees the backend itself."""

    name: str

    def table(self, name: str) -> ibis.Table:
        """An Ibis table expression for a canonical or materialised table."""
        ...

    def has(self, name: str) -> bool:
        """Whether the table exists and holds at least one row."""
        ...

    def materialize(self, name: str, expr: ibis.Table) -> ibis.Table:
        """Store an expression's result as a named table and return it."""
        ...

    def execute(self, expr: ibis.Expr) -> pd.DataFrame:
        """Run an expression and fetch its result as pandas."""
        ...


K = TypeVar("K")
V = TypeVar("V")


class _Unshareable(Exception):
    """An expression holds a value whose text does not identify it (no fingerprint)."""


# Plain values whose `repr` identifies them exactly (and never names a memory address).
_PLAIN = (str, int, float, bool, type(None), date, datetime, time, timedelta, Decimal, Enum)


def fingerprint(node: Any, slots: Callable[[ops.Literal], str | None] | None = None) -> str | None:
    """A digest of a query's structure that does not depend on the connection it was built on.

    Two expressions built by the same code over two connections whose tables have the same
    names and schemas differ only in the backend their tables point to, and compile to the
    same SQL. The digest covers every operation and value of the expression except that
    backend; an in-memory table counts by its name (the SQL names it, and each in-memory
    table's name is unique to its rows), and a value whose text would not identify it makes
    the expression unshareable.

    Args:
        node: an Ibis operation (`expr.op()`).
        slots: gives the text a constant stands as when its value is left out of the digest
            (see `sql_template.Slots`); None, or None from it: the constant counts by value.

    Returns:
        A hex digest, or None when the expression cannot be fingerprinted.
    """
    seen: dict[int, str] = {}

    def walk(x: Any) -> str:
        if slots is not None and isinstance(x, ops.Literal):
            lifted = slots(x)
            if lifted is not None:
                return lifted
        if isinstance(x, Concrete):
            known = seen.get(id(x))
            if known is not None:
                return known
            if isinstance(x, ops.DatabaseTable):
                parts = ["T", repr(x.name), walk(x.schema), walk(x.namespace)]
            elif isinstance(x, ops.InMemoryTable):
                parts = ["M", repr(x.name), walk(x.schema)]
            else:
                parts = [type(x).__module__, type(x).__qualname__, *(walk(a) for a in x.__args__)]
            digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()
            seen[id(x)] = digest
            return digest
        if isinstance(x, tuple | list):
            return "(" + ",".join(walk(a) for a in x) + ")"
        if isinstance(x, frozenset):
            # Unordered (the columns a `drop` removes): its members' texts in sorted order, as
            # iteration follows string hashes, which differ from one process to the next.
            return "<" + ",".join(sorted(walk(a) for a in x)) + ">"
        if isinstance(x, Mapping):
            return "{" + ",".join(f"{walk(k)}:{walk(v)}" for k, v in x.items()) + "}"
        if isinstance(x, _PLAIN):
            return f"{type(x).__name__}:{x!r}"
        raise _Unshareable(type(x).__name__)

    try:
        return walk(node)
    except _Unshareable:
        return None


class Lru(Generic[K, V]):
    """A bounded map that forgets its least recently used entry first; safe across threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value kept for `key` (now the most recently used), or None."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> V:
        """Keep `value` for `key` unless one is kept already; return the kept one."""
        with self._lock:
            kept = self._items.setdefault(key, value)
            self._items.move_to_end(key)
            if len(self._items) > self._size:
                self._items.popitem(last=False)
            return kept


# Compiled SQL by (fingerprint, limit, pretty), shared by every engine of one dialect.
SharedSql = Lru[tuple[Any, ...], str]


class CompiledSql:
    """Ibis's SQL for expressions compiled before on one backend, newest kept (LRU).

    Compiling an expression to SQL is pure Python and costs tens of milliseconds for a
    family's deeper queries, often more than DuckDB takes to run them on a small
    organisation; the same expressions recur from one read to the next (a page, then its
    JSON; the organisation's numbers, then the same numbers by team). An expression's
    operation is an immutable value with a precomputed hash, equal only to a structurally
    identical one (same tables with the same schemas on the same backend, same literals), so
    equal keys compile to the same SQL. An expression first seen on this backend is looked up
    by its `fingerprint` in the `shared` memo of other backends of the same dialect, then in
    the workspace's `store` on disk (what earlier processes compiled; only queries it may
    keep). Calls with parameters are not remembered. `misses` counts the expressions
    compiled here.
    """

    def __init__(
        self,
        compile_sql: Callable[..., str],
        size: int = 512,
        shared: SharedSql | None = None,
        store: SqlStore | None = None,
        render: Render | None = None,
    ) -> None:
        self._compile = compile_sql
        self._memo: Lru[tuple[Any, ...], str] = Lru(size)
        self._shared = shared
        self.store = store
        # Writes a constant in SQL; with it, queries that differ only in their dates share
        # one template (see `sql_template`).
        self._render = render
        self._templates: Lru[tuple[Any, ...], str] = shared if shared is not None else Lru(size)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def shared(self) -> SharedSql | None:
        """The memo shared with other backends of the same dialect (None: not shared)."""
        return self._shared

    def __call__(
        self,
        expr: ibis.Expr,
        /,
        *,
        limit: int | None = None,
        params: Mapping[ibis.Expr, Any] | None = None,
        pretty: bool = False,
    ) -> str:
        if params:
            return self._compile(expr, limit=limit, params=params, pretty=pretty)
        key = (expr.op(), limit, pretty)
        sql = self._memo.get(key)
        compiled = False
        if sql is None:
            sql, compiled = self._first_seen(expr, limit, pretty)
            self._memo.put(key, sql)
        with self._lock:
            if compiled:
                self.misses += 1
            else:
                self.hits += 1
        return sql

    def _first_seen(self, expr: ibis.Expr, limit: int | None, pretty: bool) -> tuple[str, bool]:
        """The SQL of an expression this engine has not seen: shared, stored or compiled.

        Returns:
            The SQL, and whether it was compiled here.
        """
        digest = None
        if self._shared is not None or self.store is not None:
            digest = fingerprint(expr.op())
        if digest is None:
            return self._compile(expr, limit=limit, pretty=pretty), True
        wide = (digest, limit, pretty)
        store = self.store if self.store is not None and storable(expr.op()) else None
        sql = self._shared.get(wide) if self._shared is not None else None
        if sql is not None:
            # Compiled by another connection of this process: the workspace keeps it too.
            if store is not None and not store.has(wide):
                store.put(wide, sql)
            return sql, False
        sql = store.get(wide) if store is not None else None
        compiled = sql is None
        if sql is None:
            sql, compiled = self._from_template(expr, limit, pretty, store)
            if store is not None:
                store.put(wide, sql)
        if self._shared is not None:
            sql = self._shared.put(wide, sql)
        return sql, compiled

    def _from_template(
        self, expr: ibis.Expr, limit: int | None, pretty: bool, store: SqlStore | None
    ) -> tuple[str, bool]:
        """SQL filled into the template of the query's structure, else compiled.

        Returns:
            The SQL, and whether it was compiled here.
        """
        slots = Slots()
        # Pretty SQL wraps lines by their length, which the dates' own text changes.
        shape = None if pretty or self._render is None else fingerprint(expr.op(), slots)
        if shape is None or not slots.literals:
            return self._compile(expr, limit=limit, pretty=pretty), True
        assert self._render is not None
        key = ("template", shape, limit)
        template = self._templates.get(key)
        if template is None and store is not None:
            template = store.get(key)
        compiled = template is None
        if template is None:
            # Compiled once, with stand-ins for the constants (see `sql_template`).
            template = build(
                expr.op(), slots.literals, lambda e: self._compile(e, limit=limit), self._render
            )
            if template is None:
                return self._compile(expr, limit=limit, pretty=pretty), True
            self._templates.put(key, template)
            if store is not None:
                store.put(key, template)
        sql = fill(template, slots.literals, self._render)
        if sql_template.needs_check(key):
            check(sql, self._compile(expr, limit=limit, pretty=pretty))
        return sql, compiled


# The SQL DuckDB engines compiled in this process (see `CompiledSql`).
DUCKDB_SQL: SharedSql = Lru(2048)


_heap_frozen = False


def _freeze_startup_heap() -> None:
    """Exempt the objects alive now from the cyclic garbage collector, once per process.

    By the time the first engine exists the process has imported Ibis, pandas, pyarrow,
    sqlglot and DuckDB: about 150,000 objects the collector tracks, nearly all of which live
    until the process ends (modules, classes, functions). A full collection walks every one
    of them (about 0.07 s at 190,000), and a read of the metrics in a fresh process sets one
    off. Frozen, they are still freed by reference counting when dropped; only a reference
    cycle among them would outlive its last use.
    """
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        gc.freeze()


class DuckDBEngine:
    """The embedded default: Ibis over the workspace's own DuckDB connection."""

    name = "duckdb"

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        shared: SharedSql | None = DUCKDB_SQL,
        store: SqlStore | None = None,
    ) -> None:
        self.backend: BaseBackend = ibis.duckdb.from_connection(con)
        # After the line above, which imports the backend, most long-lived objects exist.
        _freeze_startup_heap()
        self._con = con
        # Forks not in use, kept with their compiled SQL for the next read (see `fork`).
        self._idle: list[DuckDBEngine] = []
        self._idle_lock = threading.Lock()
        # Ibis compiles the queries it reads and inserts through the backend's `compile`;
        # the memo sits there so each of those is compiled once. Creating a table
        # (`materialize`) compiles through Ibis's compiler directly and is not remembered.
        self.compiled = CompiledSql(
            self.backend.compile, shared=shared, store=store, render=renderer(self.backend)
        )
        self.backend.compile = self.compiled  # type: ignore[method-assign]
        self._tables: Lru[tuple[str, tuple[str, ...], tuple[str, ...]], ibis.Table] = Lru(512)

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection the engine runs on (for in-place writes)."""
        return self._con

    @contextlib.contextmanager
    def fork(self) -> Iterator[DuckDBEngine | None]:
        """Another engine over the same database on a connection of its own, for another thread.

        A DuckDB connection runs one query at a time; a second connection (a cursor) runs its
        own beside it. The fork shares this engine's store of compiled SQL and sees what is
        committed, so none is made inside a `transaction` block on this connection: its
        reads would miss the block's writes, or mix later commits into a snapshot. After the
        block the fork is kept for the next one, with the queries it compiled (a new one
        would look each up again by its fingerprint); closing this engine's connection
        closes it too.

        Yields:
            The engine, for this block only; None inside a transaction.
        """
        if in_transaction(self._con):
            yield None
            return
        with self._idle_lock:
            engine = self._idle.pop() if self._idle else None
        if engine is None:
            con = self._con.cursor()
            con.execute("SET enable_progress_bar = false")
            engine = DuckDBEngine(con, shared=self.compiled.shared, store=self.compiled.store)
        # Session settings do not carry over to another connection: the fork reads times in
        # the zone this connection does.
        row = self._con.execute("SELECT current_setting('TimeZone')").fetchone()
        engine.con.execute("SET TimeZone = $zone", {"zone": row[0] if row else "UTC"})
        try:
            yield engine
        finally:
            with self._idle_lock:
                self._idle.append(engine)

    def table(self, name: str) -> ibis.Table:
        # Ibis's own `table` asks DuckDB to describe the table (about half a millisecond) and
        # then parses every column's type in Python (about three): metric code asks for a
        # table dozens of times per read. The client's relation gives the columns and their
        # types without a query (0.01 ms), so a changed schema is always seen; the description
        # (which adds whether each column may be null) and its parse are remembered per
        # columns and types.
        try:
            rel = self._con.table(name)
        except duckdb.CatalogException:
            raise TableNotFound(name) from None
        key = (name, tuple(rel.columns), tuple(str(t) for t in rel.types))
        known = self._tables.get(key)
        if known is not None:
            return known
        described = self._con.sql(f"DESCRIBE {quote_ident(name)}").fetchall()
        parse = self.backend.compiler.type_mapper.from_string
        schema = ibis.schema({row[0]: parse(row[1], nullable=row[2] == "YES") for row in described})
        if schema.geospatial:  # what Ibis does for geometry columns (none are canonical)
            return self.backend.table(name)
        expr = ops.DatabaseTable(
            name, schema=schema, source=self.backend, namespace=ops.Namespace()
        ).to_expr()
        return self._tables.put(key, expr)

    def has(self, name: str) -> bool:
        # A table or view found on the search path (temporary ones first, as queries find
        # them), looked up by the client without running a query: 0.006 ms, where asking the
        # catalogue functions took 1.2 ms, and metric code asks dozens of times per read (4 %
        # of the test suite's time). A name it lacks raises without spoiling an open
        # transaction, which a failing query would.
        try:
            self._con.table(name)
        except duckdb.CatalogException:
            return False
        row = self._con.execute(f"SELECT 1 FROM {quote_ident(name)} LIMIT 1").fetchone()
        return row is not None

    def materialize(self, name: str, expr: ibis.Table) -> ibis.Table:
        return self.backend.create_table(name, expr, overwrite=True)

    def execute(self, expr: ibis.Expr) -> pd.DataFrame:
        result = expr.execute()
        return result if isinstance(result, pd.DataFrame) else pd.DataFrame({"value": [result]})
