"""Release plans kept in the workspace's folder, so a new process need not work them out again.

A release plan (`disclosure.plan`) is the dearest part of a read by segment: at 10,000 people
`uptake metrics --by team` spends more than half its time planning the window's and every
week's population. A plan depends only on the population's memberships, k and the planning
code, so it is kept under a digest of all three, and every command, a restarted server or the
first read after a day's ingest (whose past weeks have the same people) reads it back.

The files hold no segment names and no person keys: each hidden segment is written as its
position among the population's segments of that dimension (sorted), and turned back into a
name from the population being planned, whose memberships the key already pins. A file that
cannot be read, does not decode or disagrees with the population is a miss, never an error.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import sparse

from uptake.metrics.disclosure import Plan
from uptake.metrics.result import COMPLEMENTARY, SMALL, SuppressReason
from uptake.metrics.tool_release import Group
from uptake.warehouse.file_store import FileStore

# The modules whose code decides a plan: a change to any of them gives new keys.
PLANNING_MODULES = (
    "uptake.metrics.atoms",
    "uptake.metrics.disclosure",
    "uptake.metrics.privacy",
    "uptake.metrics.release",
    "uptake.metrics.tool_release",
    "uptake.metrics.plan_store",
)
_SUFFIX = ".json"
_REASONS = frozenset({SMALL, COMPLEMENTARY})


@lru_cache(maxsize=1)
def planning_code() -> str | None:
    """A digest of the planning modules' source, or None when a source file cannot be read."""
    h = hashlib.blake2b(digest_size=20)
    for name in PLANNING_MODULES:
        path = getattr(importlib.import_module(name), "__file__", None)
        if not path or not str(path).endswith(".py"):
            return None
        try:
            h.update(Path(path).read_bytes())
        except OSError:
            return None
    return h.hexdigest()


def _names(members: pd.DataFrame, dims: Sequence[str]) -> dict[str, list[str]]:
    """Each dimension's segments in the population, sorted: what positions refer to."""
    return {d: sorted(str(v) for v in pd.unique(members[d].to_numpy(dtype=object))) for d in dims}


def _positions(hidden: dict[str, SuppressReason], names: Sequence[str]) -> list[list[Any]] | None:
    """Hidden names as [position among `names`, reason] (None: a name not among them)."""
    where = {n: i for i, n in enumerate(names)}
    if not set(hidden) <= set(where):
        return None
    return [[where[n], reason] for n, reason in hidden.items()]


def _named(rows: Any, names: Sequence[str]) -> dict[str, SuppressReason] | None:
    """What `_positions` wrote, as names again (None: a row that does not fit `names`)."""
    out: dict[str, SuppressReason] = {}
    for pos, reason in rows:
        if reason not in _REASONS or not 0 <= int(pos) < len(names):
            return None
        out[names[int(pos)]] = cast(SuppressReason, reason)
    return out


class PlanStore:
    """A folder of release plans, one file each, the least recently used pruned first."""

    def __init__(self, folder: Path, max_entries: int = 2048) -> None:
        """Open (or later create) the store.

        Args:
            folder: where the files go (created on the first write).
            max_entries: files kept; past it the least recently used tenth is removed.
        """
        code = planning_code()
        self.files = FileStore(folder, code or "", _SUFFIX, max_entries) if code else None

    def get(
        self, key: tuple[Any, ...], members: pd.DataFrame, dims: Sequence[str], k: int
    ) -> Plan | None:
        """The plan kept for `key`, rebuilt with the population's segment names, or None.

        Args:
            key: what pins the population (its memberships' digest) and k.
            members: the population (one string column per dimension).
            dims: the dimensions planned, in the planner's order.
            k: the minimum group size.

        Returns:
            The plan, or None when none is kept or the kept one does not fit.
        """
        text = self.files.get(key) if self.files else None
        if text is None:
            return None
        try:
            doc = json.loads(text)
            if doc["k"] != k or doc["people"] != len(members) or list(doc["hidden"]) != list(dims):
                return None
            names = _names(members, dims)
            hidden: dict[str, dict[str, SuppressReason]] = {}
            for d in dims:
                segs = _named(doc["hidden"][d], names[d])
                if segs is None:
                    return None
                hidden[d] = segs
            return Plan(k=k, people=len(members), hidden=hidden, rounds=int(doc["rounds"]))
        except (ValueError, KeyError, TypeError):
            return None

    def put(
        self, key: tuple[Any, ...], members: pd.DataFrame, dims: Sequence[str], plan: Plan
    ) -> None:
        """Keep a plan (best effort).

        Args:
            key: as for `get`.
            members: the population planned.
            dims: the dimensions planned, in the planner's order.
            plan: its plan.
        """
        if self.files is None:
            return
        names = _names(members, dims)
        hidden = {d: _positions(plan.hidden[d], names[d]) for d in dims}
        if any(rows is None for rows in hidden.values()):
            return  # a segment outside the population: nothing to key it by, so not kept
        doc = {"k": plan.k, "people": plan.people, "rounds": plan.rounds, "hidden": hidden}
        self.files.put(key, json.dumps(doc, separators=(",", ":")))

    def get_hidden(
        self, key: tuple[Any, ...], groups: Sequence[Group]
    ) -> dict[str, SuppressReason] | None:
        """The hidden groups kept for an overlapping release (`overlap_plan`), or None.

        Args:
            key: `overlap_key` of the plan's inputs.
            groups: the groups planned, in the order given to `overlap_plan`.

        Returns:
            Group name → why hidden, or None when none is kept or the kept one does not fit.
        """
        text = self.files.get(key) if self.files else None
        if text is None:
            return None
        try:
            doc = json.loads(text)
            if doc["groups"] != len(groups):
                return None
            return _named(doc["hidden"], [g.name for g in groups])
        except (ValueError, KeyError, TypeError):
            return None

    def put_hidden(
        self, key: tuple[Any, ...], groups: Sequence[Group], hidden: dict[str, SuppressReason]
    ) -> None:
        """Keep an overlapping release's hidden groups (best effort), by position, never name.

        Args:
            key: as for `get_hidden`.
            groups: the groups planned, in order.
            hidden: what `overlap_plan` hid.
        """
        if self.files is None:
            return
        rows = _positions(hidden, [g.name for g in groups])
        if rows is None:
            return  # a name outside the groups: nothing to key it by, so not kept
        doc = {"groups": len(groups), "hidden": rows}
        self.files.put(key, json.dumps(doc, separators=(",", ":")))


def overlap_key(
    groups: Sequence[Group],
    k: int,
    totals: dict[str, str],
    external: sparse.spmatrix | None,
    start: dict[str, SuppressReason] | None,
) -> tuple[Any, ...]:
    """What pins an overlapping release's plan: every input of `overlap_plan`, digested.

    Args:
        groups: the groups, in order (names, ranks, tables and memberships).
        k: the minimum group size.
        totals: table → its total.
        external: the segment groups checked pairwise (rows × people), or None.
        start: the groups hidden beforehand, or None.

    Returns:
        The key: ("overlap", digest, k).
    """
    h = hashlib.blake2b(digest_size=20)

    def add(*parts: object) -> None:
        h.update(repr(parts).encode())

    for g in groups:
        add(g.name, g.rank, g.fixed, g.table, len(g.members), g.weights is not None)
        h.update(np.packbits(np.asarray(g.members, dtype=bool)).tobytes())
        if g.weights is not None:
            h.update(np.ascontiguousarray(g.weights, dtype=np.int64).tobytes())
    add(sorted(totals.items()), sorted((start or {}).items()))
    if external is None:
        add(None)
    else:
        m = sparse.csr_matrix(external, copy=True)
        m.sum_duplicates()  # canonical: one sorted entry per cell
        add(m.shape, m.nnz)
        for part in (m.indptr, m.indices, m.data):
            h.update(np.ascontiguousarray(part, dtype=np.int64).tobytes())
    return ("overlap", h.hexdigest(), k)
