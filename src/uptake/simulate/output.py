"""Arrow columns and file writers for the canonical tables (Parquet or CSV), written in chunks.

Parquet files carry the canonical input column names with real types (timestamps in UTC, booleans,
`people.aliases` and `workflows.roles` as list columns, `attrs`/`segment` as JSON text). CSV
files carry the same columns with ISO 8601 `Z` timestamps, `YYYY-MM-DD` dates, `true`/`false`
and list columns as JSON arrays.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from uptake.schema.tables import TABLES

_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "timestamp": pa.timestamp("ms", tz="UTC"),
    "date": pa.date32(),
    "bool": pa.bool_(),
    "int": pa.int64(),
    "float": pa.float64(),
    "json": pa.string(),
    "list": pa.list_(pa.string()),
}
ISO_MS = "%Y-%m-%dT%H:%M:%SZ"


def schema(table: str) -> pa.Schema:
    """Arrow schema of a canonical table's input columns."""
    return pa.schema([pa.field(c.name, _TYPES[c.type]) for c in TABLES[table].columns])


def hex_ids(prefix: str, start: int, n: int, salt: int) -> pa.Array:
    """Unique, random-looking ids `prefix` + 16 hex digits for counters start..start+n-1.

    The mixing is a bijection, so distinct (counter, salt < 2**24) pairs give distinct ids.

    Args:
        prefix: ASCII prefix such as `evt_`.
        start: first counter.
        n: number of ids.
        salt: keeps different tables' ids apart.

    Returns:
        String column of n ids.
    """
    with np.errstate(over="ignore"):
        # splitmix64's finaliser: a bijection on 64-bit integers that scrambles every bit.
        x = np.arange(start, start + n, dtype=np.uint64) + np.uint64(salt) * np.uint64(1 << 40)
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    pre = np.frombuffer(prefix.encode(), dtype=np.uint8)
    chars = np.empty((n, len(pre) + 16), dtype=np.uint8)
    chars[:, : len(pre)] = pre
    b = x.astype(">u8").view(np.uint8).reshape(n, 8)
    nib = np.empty((n, 16), dtype=np.uint8)
    nib[:, 0::2] = b >> 4
    nib[:, 1::2] = b & 15
    # 0-9 -> '0'-'9', 10-15 -> 'a'-'f', in place to spare temporaries.
    nib += 48
    nib += (nib > 57).view(np.uint8) * np.uint8(39)
    chars[:, len(pre) :] = nib
    flat = chars.reshape(-1)
    width = len(pre) + 16
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(flat))


def ts_array(ms: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Timestamp column (ms, UTC) from epoch milliseconds; `valid` False gives null."""
    mask = None if valid is None else ~valid
    return pa.array(np.asarray(ms, dtype=np.int64), type=pa.timestamp("ms", tz="UTC"), mask=mask)


def dict_array(dictionary: pa.Array, idx: np.ndarray) -> pa.Array:
    """Dictionary-encoded string column (negative index gives null); no copy of the strings."""
    idx = np.asarray(idx)
    ind = pa.array(
        np.where(idx < 0, 0, idx).astype(np.int32), mask=idx < 0 if (idx < 0).any() else None
    )
    return pa.DictionaryArray.from_arrays(ind, dictionary)


def vocab(values: list[str] | tuple[str, ...] | np.ndarray, idx: np.ndarray) -> pa.Array:
    """Dictionary-encoded string column from a small vocabulary (negative index gives null)."""
    return dict_array(pa.array(list(values), type=pa.string()), idx)


def strings(values: np.ndarray) -> pa.Array:
    """String column from an object array (None gives null)."""
    return pa.array(values, type=pa.string())


def floats(values: np.ndarray) -> pa.Array:
    """Float column; NaN gives null."""
    v = np.asarray(values, dtype=np.float64)
    return pa.array(v, type=pa.float64(), mask=np.isnan(v))


def ints(values: np.ndarray, valid: np.ndarray) -> pa.Array:
    """Integer column; `valid` False gives null."""
    return pa.array(np.asarray(values, dtype=np.int64), type=pa.int64(), mask=~valid)


def to_csv_table(t: pa.Table) -> pa.Table:
    """The CSV form of a table: ISO timestamps with Z, dates as text, lists as JSON arrays.

    Args:
        t: a table in the Parquet layout.

    Returns:
        The same rows with every column CSV-ready.
    """
    cols = []
    for f, col in zip(t.schema, t.columns, strict=True):
        if pa.types.is_timestamp(f.type):
            text = pc.strftime(col.cast(pa.timestamp("ms", tz="UTC")), format="%Y-%m-%dT%H:%M:%S")
            z = pc.binary_join_element_wise(text, "Z", "")
            cols.append(pc.if_else(pc.is_null(col), pa.scalar(None, pa.string()), z))
        elif pa.types.is_date(f.type) or pa.types.is_dictionary(f.type):
            cols.append(col.cast(pa.string()))
        elif pa.types.is_list(f.type):
            texts = [None if v is None else json.dumps(v) for v in col.to_pylist()]
            cols.append(pa.array(texts, type=pa.string()))
        else:
            cols.append(col)
    return pa.table(cols, names=t.column_names)


Planter = Callable[[str, object, int], object]


# Low-cardinality columns written dictionary-encoded (readers still see plain strings).
DICTIONARY_COLUMNS: dict[str, frozenset[str]] = {
    "events": frozenset({"person", "tool", "action", "surface", "workflow", "session_id", "attrs"}),
    "tasks": frozenset({"person", "workflow", "status"}),
    "decisions": frozenset({"person", "tool", "workflow"}),
    "licenses": frozenset({"tool"}),
    "people": frozenset({"role", "function", "team", "location"}),
}
_DICT = pa.dictionary(pa.int32(), pa.string())


class TableWriter:
    """Writes one canonical table to `<out>/<name>.parquet` or `.csv`, chunk after chunk.

    Encoding and disk writes run on `executor` (one worker thread, shared by all writers, so
    writes keep their order) while the next chunk is generated; PyArrow releases the GIL.
    """

    def __init__(self, out: Path, name: str, fmt: str, executor: ThreadPoolExecutor) -> None:
        self.name = name
        self.fmt = fmt
        dict_cols = DICTIONARY_COLUMNS.get(name, frozenset())
        base = schema(name)
        self.schema = pa.schema(
            [pa.field(f.name, _DICT) if f.name in dict_cols else f for f in base]
        )
        self.path = out / f"{name}.{fmt}"
        self.rows = 0  # data rows written so far (after planting)
        self._executor = executor
        self._pq: pq.ParquetWriter | None = None
        self._fh: io.BufferedWriter | None = None
        self._header = True
        self._stats = [f.name for f in base if f.type != pa.string()]

    @property
    def file(self) -> str:
        return self.path.name

    def _conform(self, t: pa.Table) -> pa.Table:
        # Optional columns the simulator does not produce are written empty.
        for f in self.schema:
            if f.name not in t.column_names:
                t = t.append_column(f.name, pa.nulls(t.num_rows, f.type))
        t = t.select(self.schema.names)
        if t.schema.equals(self.schema):
            return t
        cols = [
            c if c.type == f.type else c.cast(f.type)
            for c, f in zip(t.columns, self.schema, strict=True)
        ]
        return pa.table(cols, schema=self.schema)

    def write(self, t: pa.Table, planter: Planter | None = None) -> Future[None]:
        """Queue a chunk for writing; `planter` may first insert known bad rows (see `dirty`).

        Returns:
            The pending write.
        """
        t = self._conform(t)
        if self.fmt == "parquet":
            if planter is not None:
                t = self._conform(planter(self.file, t, self.rows))  # type: ignore[arg-type]
            self.rows += t.num_rows
            return self._executor.submit(self._write_parquet, t)
        header, self._header = self._header, False
        if planter is None:
            self.rows += t.num_rows
            return self._executor.submit(self._write_csv, t, header)
        data = self._csv_bytes(t, header)
        lines = data.split(b"\n")[:-1]
        head = lines[:1] if header else []
        body = planter(self.file, lines[len(head) :], self.rows)
        self.rows += len(body)  # type: ignore[arg-type]
        return self._executor.submit(self._append, b"\n".join([*head, *body]) + b"\n")  # type: ignore[misc]

    def _write_parquet(self, t: pa.Table) -> None:
        if self._pq is None:
            self._pq = pq.ParquetWriter(
                self.path,
                self.schema,
                compression="zstd",
                store_schema=False,
                write_statistics=self._stats,
            )
        self._pq.write_table(t, row_group_size=1 << 20)

    @staticmethod
    def _csv_bytes(t: pa.Table, header: bool) -> bytes:
        sink = io.BytesIO()
        options = pacsv.WriteOptions(include_header=header, quoting_style="needed")
        pacsv.write_csv(to_csv_table(t), sink, options)
        return sink.getvalue()

    def _write_csv(self, t: pa.Table, header: bool) -> None:
        self._append(self._csv_bytes(t, header))

    def _append(self, data: bytes) -> None:
        if self._fh is None:
            self._fh = self.path.open("wb")
        self._fh.write(data)

    def close(self) -> None:
        """Finish the file (an empty table still gets its schema or header); waits for writes."""
        if self.fmt == "csv" and self._header:
            self.write(self.schema.empty_table())
        self._executor.submit(self._close).result()

    def _close(self) -> None:
        if self.fmt == "parquet":
            if self._pq is None:
                self._write_parquet(self.schema.empty_table())
            assert self._pq is not None
            self._pq.close()
        elif self._fh is not None:
            self._fh.close()
