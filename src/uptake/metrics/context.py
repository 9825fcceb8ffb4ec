"""What every metric family receives: the engine, the date, the settings and the group rule."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

from uptake.config import MetricsSettings
from uptake.errors import InputError
from uptake.metrics.dimensions import BY_CHOICES, SEGMENTS, TOOL
from uptake.metrics.noise import Noise
from uptake.metrics.result import MetricResult
from uptake.warehouse.engine import Engine, Lru
from uptake.warehouse.sql_store import stable_memtable

if TYPE_CHECKING:
    from uptake.metrics.plan_store import PlanStore

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

__all__ = [
    "SEGMENTS",
    "Memo",
    "MetricContext",
    "constant_table",
    "empty_table",
    "small_table",
    "week_expr",
    "week_of",
    "week_offset",
]


T = TypeVar("T")


class Memo:
    """Work several families share within one computation, done once even when two ask at once.

    Families may run in threads of their own (`uptake.metrics.concurrent`); a value asked for
    by a second thread while the first computes it is waited for, not computed twice. Values
    must be plain data (frames, lists), never expressions bound to one thread's engine.
    """

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def once(self, key: str, make: Callable[[], T]) -> T:
        """The value kept under `key`, made by `make` the first time it is asked for.

        Args:
            key: what the value is.
            make: computes it (called at most once per key).

        Returns:
            The value.
        """
        with self._lock:
            if key in self._values:
                return self._values[key]  # type: ignore[no-any-return]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._lock:
                if key in self._values:
                    return self._values[key]  # type: ignore[no-any-return]
            value = make()
            with self._lock:
                self._values[key] = value
            return value


@dataclass
class MetricContext:
    """Inputs shared by every metric family for one computation.

    `as_of` is the last day included (inclusive); the current window is the `window_days`
    days ending at it. Weeks start on `settings.week_start` (ISO Monday by default).
    """

    engine: Engine
    as_of: date
    settings: MetricsSettings
    min_group_size: int
    by: str | None = None
    # `--by tool`: families that break down by tool read this (their `by` is then None).
    by_tool: bool = False
    # Seeded noise for published people counts (off: exact); `perturb` applies it to a frame.
    noise: Noise = field(default_factory=Noise.off)
    # Results of the families computed so far, by metric name (vanity reads them).
    results: dict[str, MetricResult] = field(default_factory=dict, repr=False)
    _has: dict[str, bool] = field(default_factory=dict, repr=False)
    # `uptake.config.costs.CostSettings` for tool costs (None: report in `settings.currency`,
    # no exchange rates).
    costs: Any = None
    # Work several families share within one computation (e.g. the tool release plan).
    memo: Memo = field(default_factory=Memo, repr=False)
    # Release plans kept between processes (None: only this process remembers them).
    plans: PlanStore | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.as_of, datetime):
            self.as_of = self.as_of.date()
        if self.by == TOOL:
            self.by, self.by_tool = None, True
        if self.by is not None and self.by not in SEGMENTS:
            raise InputError(
                f"unknown segment {self.by!r}; expected one of: {', '.join(BY_CHOICES)}"
            )

    # -- availability -----------------------------------------------------------------------

    def has(self, table: str) -> bool:
        """Whether a warehouse table exists and holds rows (cached for this computation)."""
        if table not in self._has:
            self._has[table] = self.engine.has(table)
        return self._has[table]

    def has_values(self, table: str, column: str) -> bool:
        """Whether a table holds at least one non-null value in a column."""
        key = f"{table}.{column}"
        if key not in self._has:
            if not self.has(table):
                self._has[key] = False
            else:
                t = self.engine.table(table)
                n = self.engine.execute(t.filter(t[column].notnull()).limit(1).count())
                self._has[key] = bool(n.iloc[0, 0])
        return self._has[key]

    def missing(self, *needs: str) -> list[str]:
        """The subset of `needs` ("table" or "table.column") that the warehouse lacks."""
        out = []
        for need in needs:
            table, _, column = need.partition(".")
            ok = self.has_values(table, column) if column else self.has(table)
            if not ok:
                out.append(need)
        return out

    # -- time -------------------------------------------------------------------------------

    @property
    def window_days(self) -> int:
        return self.settings.window_days

    @property
    def window_start(self) -> date:
        """First day of the current window (inclusive)."""
        return self.as_of - timedelta(days=self.window_days - 1)

    @property
    def end_ts(self) -> datetime:
        """Exclusive upper timestamp bound: midnight after `as_of`."""
        return datetime.combine(self.as_of + timedelta(days=1), time())

    @property
    def start_ts(self) -> datetime:
        """Inclusive lower timestamp bound of the current window."""
        return datetime.combine(self.window_start, time())

    def days_back(self, days: int) -> date:
        """First day of the `days`-day span ending at `as_of` (inclusive)."""
        return self.as_of - timedelta(days=days - 1)

    @property
    def week_offset(self) -> int:
        """Weekday number (Monday 0) on which reporting weeks start."""
        return week_offset(self.settings.week_start)

    def week_of(self, d: date) -> date:
        """First day of the reporting week containing `d`."""
        return week_of(d, self.week_offset)

    @property
    def current_week(self) -> date:
        """First day of the reporting week containing `as_of`."""
        return self.week_of(self.as_of)

    def ibis_as_of(self) -> ibis.expr.types.DateScalar:
        """`as_of` as an Ibis date literal."""
        return ibis.literal(self.as_of, type="date")

    def week(self, d: ibis.Value) -> ibis.Value:
        """First day of the reporting week containing a date or timestamp expression."""
        return week_expr(d, self.week_offset)


def week_offset(week_start: str) -> int:
    """Weekday number (Monday 0) of a week-start setting such as "monday".

    Args:
        week_start: weekday name, case-insensitive.

    Returns:
        0 for Monday … 6 for Sunday.
    """
    try:
        return WEEKDAYS.index(week_start.strip().lower())
    except ValueError:
        raise InputError(
            f"week_start {week_start!r} is not a weekday name ({', '.join(WEEKDAYS)})"
        ) from None


def week_of(d: date, offset: int = 0) -> date:
    """First day of the week containing `d` when weeks start on weekday `offset`.

    Args:
        d: any date.
        offset: weekday number (Monday 0) on which weeks start.

    Returns:
        The week's first day.
    """
    return d - timedelta(days=(d.weekday() - offset) % 7)


def week_expr(d: ibis.Value, offset: int = 0) -> ibis.Value:
    """First day (a date) of the reporting week containing a date or timestamp expression.

    Args:
        d: a date or timestamp expression.
        offset: weekday number (Monday 0) on which weeks start.

    Returns:
        A date expression.
    """
    if offset == 0:
        return d.truncate("W").cast("date")
    shift = ibis.interval(days=offset)
    return ((d - shift).truncate("W") + shift).cast("date")


def empty_table(schema: dict[str, str]) -> ibis.Table:
    """An empty in-memory table with exact column types (for absent inputs).

    Args:
        schema: column name → Ibis type name.

    Returns:
        An Ibis table with no rows (the same expression for the same schema).
    """
    return small_table({c: [] for c in schema}, schema)


# Small tables by content, newest kept.
_SMALL: Lru[tuple[Any, ...], ibis.Table] = Lru(256)
# The most values `small_table` takes: its rows are written into each query's text.
SMALL_TABLE_CELLS = 2_000


def small_table(columns: dict[str, list[Any]], schema: dict[str, str]) -> ibis.Table:
    """A few rows written into the query itself (a calendar, a list of names).

    An in-memory table (`constant_table`) is handed to the engine apart from the query:
    DuckDB then reads it through Arrow's dataset module, which a process imports at its
    first such query (about 0.09 s, in every command that reads metrics), and Spark makes
    a DataFrame of it. Rows written into the query cost neither. Their values are part of
    the query's text, and so of its stored SQL: never put identifiers in one.

    Args:
        columns: column name → its values (dates, timestamps, strings, numbers, None).
        schema: column name → Ibis type name, for the same columns.

    Returns:
        An Ibis table (the same expression whenever the rows are); past `SMALL_TABLE_CELLS`
        values (a long trend with a long advocacy span, say), an in-memory table.
    """
    if sum(len(v) for v in columns.values()) > SMALL_TABLE_CELLS:
        return constant_table(columns, schema)
    key = (tuple(schema.items()), tuple((c, tuple(v)) for c, v in columns.items()))
    known = _SMALL.get(key)
    if known is not None:
        return known
    types = ibis.schema(schema)
    if not any(columns.values()):
        # An empty list's written form carries no type (DuckDB reads its fields as NULL):
        # one row of typed nulls, filtered away, keeps every column's type.
        one = ibis.literal(1).name("one").as_table()
        typed = one.select(*(ibis.null(t).name(c) for c, t in types.items()))
        return _SMALL.put(key, typed.filter(ibis.literal(False)))
    rows = [
        dict(zip(schema, values, strict=True))
        for values in zip(*(columns[c] for c in schema), strict=True)
    ]
    packed = ibis.literal(rows, type=dt.Array(dt.Struct(dict(types.items())))).name("row")
    one = packed.as_table()
    each = one.select(row=one.row.unnest())
    return _SMALL.put(key, each.select(*(each.row[c].name(c) for c in schema)))


# In-memory tables by content (schema, then each column's values), newest kept.
_CONSTANTS: Lru[tuple[Any, ...], ibis.Table] = Lru(256)


def constant_table(columns: dict[str, list[Any]], schema: dict[str, str]) -> ibis.Table:
    """A small in-memory table of given rows, the same expression whenever the rows are.

    Ibis names every in-memory table afresh, so a query holding one (a calendar of weeks,
    the list of dimensions) never equals the same query built again and is compiled to SQL
    anew on every read — a quarter of a second for the deeper ones. Equal content here gives
    the very same table, named after its rows, so the engine's compiled-query memo (and the
    workspace's store of compiled SQL, across processes) recognises the query.

    Args:
        columns: column name → its values (hashable: dates, strings, numbers, None).
        schema: column name → Ibis type name, for the same columns.

    Returns:
        An Ibis table.
    """
    key = (tuple(schema.items()), tuple((c, tuple(v)) for c, v in columns.items()))
    known = _CONSTANTS.get(key)
    if known is not None:
        return known
    arrow = ibis.schema(schema).to_pyarrow()
    return _CONSTANTS.put(
        key, stable_memtable(key, pa.table({c: columns[c] for c in schema}, schema=arrow))
    )
