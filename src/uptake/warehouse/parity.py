"""Compare results of two engines: metric result trees and frames, within float tolerance.

Used by the engine-parity test (the DuckDB and Spark engines produce the same report) and
by the benchmark's check of its pandas reference.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd


def _scalar(value: Any) -> Any:
    """Plain Python form of a scalar: numpy numbers, NaN/NaT/None and timestamps unified."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _key(value: Any, digits: int) -> str:
    """An order key for a row that ignores float noise beyond `digits` significant digits."""

    def norm(v: Any) -> Any:
        v = _scalar(v)
        if isinstance(v, Mapping):
            return {str(k): norm(x) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))}
        if isinstance(v, list | tuple | np.ndarray):
            return [norm(x) for x in v]
        if isinstance(v, float):
            return float(f"{v:.{digits}g}")
        if isinstance(v, date | datetime):
            return v.isoformat()
        return v

    return json.dumps(norm(value), sort_keys=True, default=str)


def diff_results(
    a: Any,
    b: Any,
    *,
    rtol: float = 1e-9,
    atol: float = 1e-12,
    ordered: bool = True,
    path: str = "$",
) -> list[str]:
    """Differences between two JSON-like result trees (dicts, lists, numbers, text, dates).

    Numbers compare within tolerance (ints and floats alike); NaN, NaT and None are one
    "missing" value; dicts must have the same keys.

    Args:
        a: first result (e.g. `compute_all(...).to_dict()` on DuckDB).
        b: second result (e.g. `compute_all(...).to_dict()` on Spark).
        rtol: relative tolerance for numbers.
        atol: absolute tolerance for numbers.
        ordered: compare lists element by element; if False, lists whose rows only come in
            a different order count as equal.
        path: where in the tree `a` and `b` sit (for messages).

    Returns:
        One line per difference, naming its path; empty when the results agree.
    """
    a, b = _scalar(a), _scalar(b)
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        out = [f"{path}: key {k!r} only in first" for k in a if k not in b]
        out += [f"{path}: key {k!r} only in second" for k in b if k not in a]
        for k in a:
            if k in b:
                out += diff_results(
                    a[k], b[k], rtol=rtol, atol=atol, ordered=ordered, path=f"{path}.{k}"
                )
        return out
    if isinstance(a, list | tuple | np.ndarray) and isinstance(b, list | tuple | np.ndarray):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items vs {len(b)}"]
        if not ordered:
            a = sorted(a, key=lambda v: _key(v, 8))
            b = sorted(b, key=lambda v: _key(v, 8))
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += diff_results(x, y, rtol=rtol, atol=atol, ordered=ordered, path=f"{path}[{i}]")
        return out
    if _is_number(a) and _is_number(b):
        if math.isinf(a) or math.isinf(b):
            return [] if a == b else [f"{path}: {a!r} vs {b!r}"]
        return [] if math.isclose(a, b, rel_tol=rtol, abs_tol=atol) else [f"{path}: {a!r} vs {b!r}"]
    if isinstance(a, date) and isinstance(b, date):
        # Engines return a DATE as a date or as a midnight timestamp.
        same = _as_datetime(a) == _as_datetime(b)
        return [] if same else [f"{path}: {a!r} vs {b!r}"]
    if type(a) is not type(b) or a != b:
        return [f"{path}: {a!r} vs {b!r}"]
    return []


def _as_datetime(d: date) -> datetime:
    return d if isinstance(d, datetime) else datetime(d.year, d.month, d.day)


def frame_records(frame: pd.DataFrame, sort: bool = True) -> list[dict[str, Any]]:
    """A frame as a list of plain records, sorted into a canonical row order.

    Args:
        frame: a result frame from any engine.
        sort: sort rows (engines do not promise an order without ORDER BY).

    Returns:
        Records with plain Python scalars (missing values as None, arrays as lists).
    """
    records = [
        {
            str(c): [_scalar(x) for x in v] if isinstance(v, list | np.ndarray) else _scalar(v)
            for c, v in row.items()
        }
        for row in frame.to_dict(orient="records")
    ]
    return sorted(records, key=lambda r: _key(r, 8)) if sort else records


def diff_frames(
    a: pd.DataFrame, b: pd.DataFrame, *, rtol: float = 1e-9, columns: Sequence[str] | None = None
) -> list[str]:
    """Differences between two result frames, ignoring row order and dtype details.

    Args:
        a: first frame.
        b: second frame.
        rtol: relative tolerance for numbers.
        columns: compare these columns only (default: all, which must match by name).

    Returns:
        One line per difference; empty when the frames hold the same rows.
    """
    if columns is None:
        if list(a.columns) != list(b.columns):
            return [f"columns {list(a.columns)} vs {list(b.columns)}"]
        columns = list(a.columns)
    return diff_results(frame_records(a[list(columns)]), frame_records(b[list(columns)]), rtol=rtol)
