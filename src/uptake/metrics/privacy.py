"""The one place that enforces the minimum group size on every group output.

A group (cell) counting fewer than k people is *primary*-suppressed. Because totals are
public — the total row, the organisation-wide number — a lone hidden cell could be recovered
by subtracting the visible cells from the total, so cells are also *complementary*-suppressed
until, in every table (the cells of one dimension that add up to one total):

* no suppressed cell is alone (two or more cells with people are hidden, or none), and
* the hidden cells together count at least k people, so the attacker's bound on any one of
  them (0 … total − visible) always reaches k.

If the whole table counts fewer than k people, its total is itself a small group and
everything is hidden. Complementary cells are chosen smallest-first so the least information
is lost. A group of zero people is never primary-suppressed (it describes no one) and never
serves as cover (a zero is often known).

One additive dimension per table: a distribution *within* a group (people per ladder level
in a team) is a value of that group, not a group of its own, and uptake produces no
cross-tabs with both margins published (those need linear-programming cell suppression).
Independent tables in one frame (one per week, one per metric) are split with
`partition_cols`. Differencing the same group across partitions (a team in two weeks) is
outside what cell suppression can address.

Every hidden row records why: `small` (it counts fewer than k people, or its whole table
does) or `complementary` (it is big enough, but hidden so that a smaller group cannot be
worked out by subtraction).

`public_rows` serialises only frames that went through `suppress` into `PublicRows`, the only
row lists a `MetricResult` accepts, so no group output can skip this module.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from uptake.errors import PrivacyError
from uptake.metrics import result
from uptake.metrics.result import COMPLEMENTARY, SMALL, PublicRows, SuppressReason

TOTAL = "(all)"
SUPPRESSED = "suppressed"
# Why a row is hidden (None on visible rows); `public_rows` turns it into the row's flag.
REASON = "suppressed_reason"
_MARK = "uptake_privacy_k"


def check_k(k: int) -> int:
    """Validate a minimum group size (never below 3).

    Args:
        k: the minimum group size.

    Returns:
        k, unchanged.
    """
    if k < 3:
        raise PrivacyError(f"minimum group size {k} is unsafe: it must be at least 3")
    return k


def suppress(
    frame: pd.DataFrame,
    group_cols: Sequence[str],
    n_col: str = "n",
    k: int = 5,
    *,
    partition_cols: Sequence[str] = (),
    hide: Any = None,
) -> pd.DataFrame:
    """Hide every group below k people, plus the complementary cells that would reveal one.

    Args:
        frame: one row per group; `n_col` counts the people in the group.
        group_cols: the columns naming a group; together they form ONE additive dimension
            whose cells add up to the (public) total. A row whose group columns all equal
            `TOTAL` is the total row.
        n_col: the people count.
        k: minimum group size (at least 3).
        partition_cols: columns splitting the frame into independent tables (e.g. week),
            each suppressed on its own.
        hide: rows to hide whatever their size (a boolean mask aligned with `frame`'s rows),
            as the release-wide plan of `uptake.metrics.disclosure` decides; the table rule
            then runs with them hidden.

    Returns:
        A copy with a boolean `suppressed` column and a `suppressed_reason` column ("small",
        "complementary" or None); every value column (all but the group and partition
        columns), including `n_col`, is null on suppressed rows.
    """
    check_k(k)
    group_cols = list(group_cols)
    partition_cols = list(partition_cols)
    if not group_cols:
        raise PrivacyError("suppress needs at least one group column")
    if n_col not in frame.columns:
        raise PrivacyError(f"suppress needs the people count column {n_col!r}")
    out = frame.reset_index(drop=True).copy()
    n = pd.to_numeric(out[n_col], errors="coerce").fillna(0).to_numpy(dtype=float)
    hidden = np.zeros(len(out), dtype=bool)
    forced = np.zeros(len(out), dtype=bool) if hide is None else np.asarray(hide, dtype=bool)
    if len(forced) != len(out):
        raise PrivacyError("suppress: the mask of rows to hide does not match the frame")
    if len(out):
        keys = out[group_cols].to_numpy(dtype=object)
        is_total = np.array([all(_is_total(v) for v in row) for row in keys], dtype=bool)
        if partition_cols:
            groups = out.groupby(partition_cols, dropna=False, sort=False).indices
            parts = [np.asarray(ix) for ix in groups.values()]
        else:
            parts = [np.arange(len(out))]
        for ix in parts:
            hidden[ix] = _suppress_table(is_total[ix], n[ix], k, forced[ix])
    keep = set(group_cols) | set(partition_cols)
    for c in [c for c in out.columns if c not in keep]:
        kind = out[c].dtype.kind
        if kind in "iu":
            out[c] = out[c].astype("Int64")
        elif kind == "b":
            out[c] = out[c].astype("boolean")
        elif kind == "f":
            out[c] = out[c].astype("Float64")
        if hidden.any():
            out.loc[hidden, c] = None
    out[SUPPRESSED] = hidden
    # Primary and whole-table suppression only ever hide rows below k; complementary cells
    # are picked among rows of at least k people.
    reasons: list[str | None] = [
        (SMALL if size < k else COMPLEMENTARY) if hide else None
        for hide, size in zip(hidden, n, strict=True)
    ]
    out[REASON] = pd.Series(reasons, index=out.index, dtype="object")
    out.attrs[_MARK] = k
    return out


def table_hidden(n: np.ndarray, k: int, forced: np.ndarray | None = None) -> np.ndarray:
    """Hidden flags of the cells of one table whose total is public.

    Args:
        n: people per cell.
        k: minimum group size.
        forced: cells hidden whatever their size (the table rule runs with them hidden).

    Returns:
        One flag per cell.
    """
    cells = np.asarray(n, dtype=float)
    is_total = np.zeros(len(cells) + 1, dtype=bool)
    is_total[-1] = True
    keep = np.zeros(len(cells) + 1, dtype=bool)
    if forced is not None:
        keep[:-1] = np.asarray(forced, dtype=bool)
    both = np.append(cells, cells.sum())
    return _suppress_table(is_total, both, k, keep)[:-1]


def _suppress_table(
    is_total: np.ndarray, n: np.ndarray, k: int, forced: np.ndarray | None = None
) -> np.ndarray:
    """Hidden flags of one table; `is_total` marks its total row(s)."""
    hidden = (n > 0) & (n < k)
    if forced is not None:
        hidden |= forced & ~is_total
    cells = np.flatnonzero(~is_total)
    cell_n = n[cells]
    cell_hidden = hidden[cells]
    while True:
        hid = cell_hidden & (cell_n > 0)
        count = int(hid.sum())
        if count == 0 or (count >= 2 and cell_n[hid].sum() >= k):
            break
        candidates = np.flatnonzero(~cell_hidden & (cell_n > 0))
        if candidates.size == 0:
            break
        cell_hidden[candidates[np.argmin(cell_n[candidates])]] = True
    hidden[cells] = cell_hidden
    # A table that could not be made safe counts fewer than k people in all: its total is
    # a group below k, so everything goes.
    if cell_hidden.any() and cell_n.sum() < k:
        hidden[:] = True
    if ((n[is_total] > 0) & (n[is_total] < k)).any():
        hidden[:] = True
    return hidden


def _is_total(v: object) -> bool:
    return isinstance(v, str) and v == TOTAL


def is_suppressed(frame: pd.DataFrame) -> bool:
    """Whether a frame went through `suppress`."""
    return _MARK in frame.attrs and SUPPRESSED in frame.columns


def reason(frame: pd.DataFrame, i: int = 0) -> SuppressReason | None:
    """Why row `i` (by position) of a suppressed frame is hidden, or None when it is shown.

    Args:
        frame: the result of `suppress`.
        i: row position.

    Returns:
        "small", "complementary" or None.
    """
    if not is_suppressed(frame):
        raise PrivacyError("group output must pass through uptake.metrics.privacy.suppress")
    if not bool(frame[SUPPRESSED].iloc[i]):
        return None
    why = frame[REASON].iloc[i] if REASON in frame.columns else None
    return COMPLEMENTARY if why == COMPLEMENTARY else SMALL


def public_rows(frame: pd.DataFrame, keys: Sequence[str]) -> PublicRows:
    """JSON-ready rows of a suppressed frame: hidden rows carry only their keys and why.

    Args:
        frame: the result of `suppress`.
        keys: the columns identifying a row (group and partition columns).

    Returns:
        One dict per row; suppressed rows are `{key: ..., "suppressed": "small"}` (or
        "complementary"), visible rows carry every column and `"suppressed": False`.
    """
    if not is_suppressed(frame):
        raise PrivacyError("group output must pass through uptake.metrics.privacy.suppress")
    k = int(frame.attrs[_MARK])
    out: list[dict[str, Any]] = []
    for rec in frame.to_dict(orient="records"):
        if rec[SUPPRESSED]:
            row = {c: jsonable(rec[c]) for c in keys}
            row[SUPPRESSED] = COMPLEMENTARY if rec.get(REASON) == COMPLEMENTARY else SMALL
        else:
            row = {str(c): jsonable(v) for c, v in rec.items() if c != REASON}
            row[SUPPRESSED] = False
        out.append(row)
    return PublicRows(out, k=k, _token=result._TOKEN)


def population_rows(rows: Sequence[dict[str, Any]], n: int | None, k: int) -> PublicRows:
    """Rows describing one whole population that was itself shown (e.g. a survival curve).

    Args:
        rows: points of a curve or series over the population, not groups of people.
        n: people in the population (it must count at least k).
        k: minimum group size.

    Returns:
        The rows as `PublicRows`.

    Raises:
        PrivacyError: when the population counts fewer than k people.
    """
    if n is None or n < check_k(k):
        raise PrivacyError(f"a population of {n} people is below the minimum group size {k}")
    return PublicRows([dict(r) for r in rows], k=k, _token=result._TOKEN)


def jsonable(v: Any) -> Any:
    """A plain JSON value for numpy/pandas scalars, dates and missing values.

    Args:
        v: any scalar or list.

    Returns:
        None, bool, int, float, str, or a list or mapping of those.
    """
    # The common plain types first: a read by team at 10,000 people converts 270,000 values.
    t = type(v)
    if t is str:
        return v
    if t is float or t is np.float64:
        f = float(v)
        return None if math.isnan(f) or math.isinf(f) else round(f, 6)
    if t is int:
        return v
    if isinstance(v, (list, tuple, np.ndarray)):
        return [jsonable(x) for x in v]
    if isinstance(v, Mapping):
        # Evidence nests objects (a flag's window, its sessions): kept as objects, not text.
        return {str(key): jsonable(x) for key, x in v.items()}
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer, int)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return None if math.isnan(f) or math.isinf(f) else round(f, 6)
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat() if v == v.normalize() else v.isoformat()
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    return v if isinstance(v, str) else str(v)
