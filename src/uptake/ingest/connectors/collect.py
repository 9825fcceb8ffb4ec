"""Gathering a connector's canonical rows and rejects into a ConnectorResult."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from uptake.ingest.connectors.base import LOCATOR, ConnectorResult, Reject
from uptake.ingest.connectors.fields import RecordError
from uptake.ingest.connectors.loading import BadLine, JsonInput
from uptake.ingest.connectors.privacy import dropped_note
from uptake.ingest.spill import Spilled, active, write_chunk
from uptake.schema.tables import TABLES

log = logging.getLogger(__name__)

# A reject whose detail starts with this marks a connector bug rather than bad input; tests
# assert it never appears, users still get a quarantined row instead of a traceback.
INTERNAL = "internal error while reading this record"

# Each table's canonical input column names, in order and as a set (a connector adds
# millions of rows).
_NAMES: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {}


def stable_id(prefix: str, *parts: object) -> str:
    """A deterministic id from its parts, so re-ingesting a report gives the same ids.

    Args:
        prefix: short source prefix, e.g. `ghcu`.
        parts: the values that identify the row (source, user, day, breakdown, …).

    Returns:
        `prefix-` followed by 24 hex digits of SHA-256.
    """
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:24]}"


class Collector:
    """Accumulates rows per canonical table plus rejects for one file."""

    def __init__(self, *tables: str) -> None:
        # Tables the connector produces get a frame even when empty, so the pipeline still
        # logs the file as read (with zero rows) rather than seeing nothing.
        self.rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in tables}
        self.rejects: list[Reject] = []
        self.notes: list[str] = []
        self.source_rows = 0
        # Unknown fields left out of attrs; named once per file so nothing vanishes unsaid.
        self.dropped: set[str] = set()
        # Where rows go once more than a chunk's worth are held (None: they are all held).
        self._spill = active()
        self.spilled: dict[str, Spilled] = {}

    def add(self, table: str, locator: str, **columns: Any) -> None:
        """Add one canonical row.

        Args:
            table: canonical table name.
            locator: source locator of the row.
            columns: canonical input columns.
        """
        known = _NAMES.get(table)
        if known is None:
            order = tuple(TABLES[table].names)
            known = _NAMES[table] = (order, frozenset(order))
        names, valid = known
        unknown = columns.keys() - valid
        if unknown:
            raise ValueError(f"{table} has no columns {sorted(unknown)}")
        # A tuple in the table's column order, the locator last: a connector adds millions of
        # rows, and a dict per row took more than twice the memory.
        self.rows.setdefault(table, []).append((*map(columns.get, names), locator))

    def reject(
        self,
        locator: str,
        reason: str,
        field: str | None = None,
        detail: str | None = None,
        record: Any = None,
    ) -> None:
        """Record a source record that produced no rows.

        Args:
            locator: where it is.
            reason: pipeline reason code.
            field: offending field path.
            detail: what was expected.
            record: the raw record.
        """
        self.rejects.append(Reject(locator, reason, field, detail, record))

    def each(
        self,
        items: Iterable[tuple[str, Any]],
        handle: Callable[[str, Any], None],
        source: Callable[[Any], Any] | None = None,
    ) -> None:
        """Run `handle` on every located record, turning its failures into rejects.

        Rows a handler added before failing are withdrawn, so a record is either wholly
        accepted or wholly rejected.

        Args:
            items: (locator, record) pairs.
            handle: adds rows for one record; raises RecordError for bad input.
            source: the source record of an item, for the quarantine (default: the item).
        """
        for locator, record in items:
            self.source_rows += 1
            mark = {t: len(r) for t, r in self.rows.items()}
            try:
                handle(locator, record)
            except RecordError as exc:
                self._rollback(mark)
                raw = source(record) if source else record
                self.reject(locator, exc.reason, exc.field, exc.detail, raw)
            except (ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
                self._rollback(mark)
                log.debug("connector failed on %s", locator, exc_info=True)
                raw = source(record) if source else record
                self.reject(locator, "malformed_record", None, f"{INTERNAL}: {exc!r}", raw)
            # Between records, so a record's rows are never split across a chunk and a
            # rollback.
            self.between()

    def between(self) -> None:
        """A point between records: past the spill size, write the held rows out.

        `each` calls it after every record; a connector that adds rows after its records
        (sums per person and day, say) calls it between the rows of one sum and the next.
        """
        if self._spill is not None and self._held() >= self._spill.rows:
            self._write_out()

    def _held(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    def _write_out(self) -> None:
        """Write every table's held rows to a Parquet chunk, keeping only their locators."""
        assert self._spill is not None
        for table, rows in self.rows.items():
            if not rows:
                continue
            frame = _frame(rows, [*TABLES[table].names, LOCATOR])
            part = self.spilled.setdefault(table, Spilled())
            part.files.append(write_chunk(self._spill, table, frame))
            part.counts.append(len(rows))
            part.locators.extend(frame[LOCATOR].tolist())
            del frame
            rows.clear()

    def _rollback(self, mark: dict[str, int]) -> None:
        for table, rows in self.rows.items():
            del rows[mark.get(table, 0) :]

    def lines(self, data: JsonInput) -> Iterator[tuple[str, Any]]:
        """Each NDJSON line's (locator, record); a line that does not parse is quarantined.

        The lines are read as they are handled, so the file is never held whole.

        Args:
            data: the loaded JSON input (NDJSON).

        Yields:
            (locator, record) of each line that parsed.
        """
        for item in data.lines or ():
            if isinstance(item, BadLine):
                self.source_rows += 1
                self.reject(item.locator, "bad_json", None, item.problem, item.excerpt)
            else:
                yield item.locator, item.record

    def result(self) -> ConnectorResult:
        """The collected rows as frames with every canonical input column of their table.

        Tables without rows are left out, unless no table has any: then each declared table
        gets an empty frame, so the file is still logged as read.

        Returns:
            The connector result.
        """
        note = dropped_note(self.dropped)
        if note:
            self.notes.append(note)
        if self.spilled:
            # Once any rows went out, the rest follow: each table is then read from one place.
            self._write_out()
        frames: dict[str, pd.DataFrame] = {}
        produced = any(self.rows.values()) or bool(self.spilled)
        for table, rows in self.rows.items():
            if produced and not rows and table not in self.spilled:
                continue
            frames[table] = _frame(rows, [*TABLES[table].names, LOCATOR])
        return ConnectorResult(
            frames, self.rejects, self.source_rows, self.notes, spilled=self.spilled
        )


def _frame(rows: list[tuple[Any, ...]], columns: list[str]) -> pd.DataFrame:
    """The rows (tuples in `columns`' order) as a frame of Python objects, None where empty.

    Each column is an object array of the rows' own values. `DataFrame.from_records` would
    infer a type per column first (pandas 3 copies text into Arrow strings) and
    `astype(object)` would then make a new Python string of every cell: 100,000 records of
    Cursor's daily usage (2.6 M rows) peaked at about 4.5 GB, a good part of it those copies.
    """
    data: dict[str, np.ndarray] = {}
    cells = zip(*rows, strict=True) if rows else (() for _ in columns)
    for name, column in zip(columns, cells, strict=True):
        # One cell per row even where a value is itself a list (aliases), never a dimension.
        values = np.fromiter(column, dtype=object, count=len(rows))
        # NaN from a connector's arithmetic is a missing value, as None is.
        values[pd.isna(values)] = None
        data[name] = values
    return pd.DataFrame(data, columns=columns, dtype=object, copy=False)
