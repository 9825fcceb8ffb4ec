"""The release plan for one population: which segments of every dimension it may publish.

`uptake.metrics.disclosure` decides on memberships; this module gives it the population's
segments in every dimension (read from `dim_person`, tenure on a date), keeps the plans made
in this process, and turns a plan into the rows of a segment frame to hide.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from uptake.metrics import disclosure
from uptake.metrics.context import MetricContext
from uptake.metrics.dimensions import SEGMENTS, STATIC
from uptake.metrics.privacy import TOTAL
from uptake.metrics.segments import DIM_PERSON, NO_SEGMENT, TENURE_BANDS

SEGMENT = "segment"
# Where the tenure bands of `TENURE_BANDS` begin, in days since hire (the first at -inf).
_TENURE_EDGES = (90, 365, 3 * 365)
_BANDS = pd.array([*TENURE_BANDS, NO_SEGMENT], dtype=str)

# When a leak can be closed in either of two dimensions, the later one gives way. Functions
# first: a function minus its teams costs one team when teams give way, but the function
# when functions do; a manager's reports overlap their team almost entirely.
KEEP_FIRST = ("function", "team", "role", "level", "location", "tenure", "cohort", "manager")

# Plans already made in this process, by the population's memberships (a refresh that moves
# anyone changes the digest, so a plan is never reused for different groups).
_PLANS: dict[tuple[str, int], disclosure.Plan] = {}
_PLANS_MAX = 64


def release_members(
    ctx: MetricContext, keys: Sequence[str], at: date | None = None
) -> pd.DataFrame:
    """Each person of a population with their segment in every dimension on a date.

    Args:
        ctx: metric context (dim_person must be built).
        keys: the population's person keys (duplicates ignored).
        at: date on which tenure is measured (default `ctx.as_of`).

    Returns:
        One row per person: `person_key` and one string column per dimension of `SEGMENTS`;
        people outside the roster are `(none)` everywhere, as `with_segment` files them.
    """
    on = at or ctx.as_of
    people = pd.unique(np.asarray(list(keys), dtype=object))
    # Read once per computation: a read by segment plans forty populations or so, and each
    # is then a lookup of positions (a merge and string conversions per population cost
    # 14 ms at 2,000 people).
    roster = ctx.memo.once("release:roster", lambda: _Roster.read(ctx))
    pos = roster.index.get_indexer(pd.Index(people, dtype=object))
    found = pos >= 0
    cols: dict[str, Any] = {"person_key": pd.array(people, dtype=str)}
    for c in STATIC:
        cols[c] = roster.static[c].take(pos, allow_fill=True, fill_value=NO_SEGMENT)
    hired = np.full(len(people), np.datetime64("NaT"), dtype="datetime64[D]")
    hired[found] = roster.hired[pos[found]]
    days = (np.datetime64(on, "D") - hired).astype("timedelta64[D]").astype(np.float64)
    # The bands are left-closed: a person hired 90 days ago is in the second; an unknown
    # hire date is the last entry, `(none)`.
    band = np.searchsorted(np.array(_TENURE_EDGES, dtype=np.float64), days, side="right")
    band[np.isnat(hired)] = len(TENURE_BANDS)
    cols["tenure"] = _BANDS.take(band)
    return pd.DataFrame(cols)[["person_key", *SEGMENTS]]


@dataclass(frozen=True)
class _Roster:
    """Every roster person's static segments (`(none)` for a blank) and hire date.

    Attributes:
        index: the person keys (one each).
        static: per static dimension, each person's segment (aligned with `index`; a
            string array, whose `take` fills the people outside the roster).
        hired: each person's hire date (NaT: unknown).
    """

    index: pd.Index
    static: dict[str, ExtensionArray]
    hired: np.ndarray

    @classmethod
    def read(cls, ctx: MetricContext) -> _Roster:
        """The roster's segments from `dim_person` (none when it is not built)."""
        if ctx.has(DIM_PERSON):
            dim = ctx.engine.table(DIM_PERSON).select("person_key", *STATIC, "hire_date")
            frame = ctx.engine.execute(dim).drop_duplicates("person_key")
        else:
            frame = pd.DataFrame(columns=["person_key", *STATIC, "hire_date"])
        static: dict[str, ExtensionArray] = {}
        for c in STATIC:
            v = frame[c].astype(object)
            filled = v.where(v.notna(), NO_SEGMENT).astype(str).to_numpy(dtype=object)
            static[c] = pd.array(filled, dtype=str)
        hired = pd.to_datetime(frame["hire_date"], errors="coerce")
        return cls(
            pd.Index(frame["person_key"].astype(object), dtype=object),
            static,
            hired.to_numpy(dtype="datetime64[D]"),
        )


def release_plan(
    ctx: MetricContext, keys: Sequence[str], at: date | None = None
) -> disclosure.Plan:
    """The release-wide plan for one population: what every dimension may publish.

    The same population gets the same plan whichever `--by` was asked, so combining the
    outputs of every dimension is as safe as any one of them.

    Args:
        ctx: metric context.
        keys: the population's person keys.
        at: date on which tenure is measured (default `ctx.as_of`).

    Returns:
        The plan.
    """
    members = release_members(ctx, keys, at)
    # Every person's memberships, in key order: the digest pins the population exactly.
    rows = pd.util.hash_pandas_object(members.sort_values("person_key"), index=False)
    digest = hashlib.blake2b(rows.to_numpy().tobytes(), digest_size=20).hexdigest()
    key = (digest, ctx.min_group_size)
    if key in _PLANS:
        return _PLANS[key]
    store = ctx.plans
    made = store.get(key, members, KEEP_FIRST, ctx.min_group_size) if store else None
    if made is None:
        made = disclosure.plan(members, KEEP_FIRST, ctx.min_group_size, block="function")
        if store:
            store.put(key, members, KEEP_FIRST, made)
    if len(_PLANS) >= _PLANS_MAX:
        _PLANS.pop(next(iter(_PLANS)))
    _PLANS[key] = made
    return made


def release_hide(
    ctx: MetricContext,
    keys: Sequence[str],
    frame: pd.DataFrame,
    group_col: str = SEGMENT,
    at: date | None = None,
    dim: str | None = None,
) -> np.ndarray:
    """Rows of a segment frame that the release plan hides.

    Args:
        ctx: metric context (with `by`).
        keys: the person keys of the population the frame counts.
        frame: one row per segment (and `TOTAL` rows, never hidden here).
        group_col: the segment column.
        at: date on which tenure is measured (default `ctx.as_of`).
        dim: the dimension the frame's groups belong to (default `ctx.by`).

    Returns:
        A boolean mask aligned with `frame`'s rows, for `suppressed_groups(hide=...)`.
    """
    dim = dim or ctx.by
    if dim is None or not len(frame):
        return np.zeros(len(frame), dtype=bool)
    hidden = release_plan(ctx, keys, at).reasons(dim)
    seg = frame[group_col].astype(object)
    return (seg.isin(list(hidden)) & (seg != TOTAL)).to_numpy(dtype=bool)
