"""Read the canonical tables once: roster identities, licences and per-day event aggregates.

Everything the vendor writers need comes from here, aggregated with PyArrow batch by batch
(the events file of a 10,000-person organisation holds tens of millions of rows), so the
writers only ever loop over person-days, never over events.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

MS_DAY = 86_400_000
EPOCH = date(1970, 1, 1)
CODE = "code_assistant"
OFFICE = "office_copilot"
# Batch size for the event scan: large enough for PyArrow to be efficient, small enough that
# memory stays flat however big the file is.
BATCH = 1_000_000


@dataclass
class Canon:
    """The canonical organisation as the vendor writers need it."""

    start: date
    days: int
    people: pa.Table  # canonical people, roster order
    email: np.ndarray  # person index -> primary e-mail (the canonical `person`)
    login: np.ndarray  # person index -> GitHub login, "" when the person has none
    alias: dict[str, int]  # any identifier (e-mail, login, number, legacy) -> person index
    licenses: pa.Table  # canonical licences with a `p` (person index) column
    code: dict[str, np.ndarray]  # code_assistant aggregates per person, day, surface, model
    office: dict[str, np.ndarray]  # office_copilot activity per person, day, surface

    @property
    def last_day(self) -> date:
        """The last simulated day (the period's end is exclusive)."""
        return self.start + timedelta(days=self.days - 1)

    def day(self, i: int) -> date:
        """Calendar date of day index `i`."""
        return self.start + timedelta(days=int(i))


def stable_int(text: str, modulo: int) -> int:
    """A number in [0, modulo) fixed by `text` (Python's hash() is salted per process).

    Args:
        text: any string.
        modulo: size of the range.

    Returns:
        The number.
    """
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") % modulo


def write_ndjson(path: Path, records: list[dict[str, Any]]) -> None:
    """Write records as NDJSON with sorted keys, so the bytes depend on content only.

    Args:
        path: the file (its folder is created).
        records: one JSON object per line.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for rec in records:
            fh.write(json.dumps(rec, separators=(",", ":"), sort_keys=True) + "\n")


def load(canonical: Path, start: date, days: int) -> Canon:
    """Read roster, licences and aggregated events from a canonical Parquet folder.

    Args:
        canonical: folder written by `simulate(..., fmt="parquet")`.
        start: first simulated day.
        days: number of simulated days.

    Returns:
        The canonical organisation, aggregated.
    """
    people = pq.read_table(canonical / "people.parquet")
    email = np.array(people.column("person").to_pylist(), dtype=object)
    alias: dict[str, int] = {}
    for i, (e, names) in enumerate(zip(email, people.column("aliases").to_pylist(), strict=True)):
        for name in [e, *(names or [])]:
            alias.setdefault(name, i)
    licenses = pq.read_table(canonical / "licenses.parquet")
    lp = np.array([alias[x] for x in licenses.column("person").to_pylist()], dtype=np.int64)
    licenses = licenses.append_column("p", pa.array(lp))
    # The coding assistant knows people by the login the canonical licences and events use.
    login = np.full(len(email), "", dtype=object)
    is_code = np.asarray(pc.equal(licenses.column("tool"), CODE).to_numpy(zero_copy_only=False))
    for p, name in zip(lp[is_code], np.asarray(licenses.column("person"))[is_code], strict=True):
        login[p] = name
    code, office = _aggregate_events(canonical / "events.parquet", alias, start, days)
    # Someone could use the assistant without a licence row; give them their login too.
    for p in np.unique(code["p"]):
        if not login[p]:
            login[p] = next(a for a, i in alias.items() if i == p and "@" not in a)
    return Canon(start, days, people, email, login, alias, licenses, code, office)


def _day_index(ts: pa.ChunkedArray | pa.Array, start: date) -> pa.Array:
    ms = pc.cast(ts, pa.int64())
    return pc.subtract(pc.divide(ms, MS_DAY), (start - EPOCH).days)


def _aggregate_events(
    path: Path, alias: dict[str, int], start: date, days: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per-batch group-bys combined at the end: code by (person, day, surface, model), office
    by (person, day, surface)."""
    cols = ["ts", "person", "tool", "action", "surface", "value", "attrs"]
    pf = pq.ParquetFile(path, read_dictionary=["person", "tool", "action", "surface", "attrs"])
    code_parts: list[pa.Table] = []
    office_parts: list[pa.Table] = []
    for batch in pf.iter_batches(batch_size=BATCH, columns=cols):
        t = pa.Table.from_batches([batch])
        tool = pc.cast(t.column("tool"), pa.string())
        day = _day_index(t.column("ts"), start)
        ms = pc.cast(t.column("ts"), pa.int64())
        base = {
            "person": pc.cast(t.column("person"), pa.string()),
            "day": day,
            "surface": pc.cast(t.column("surface"), pa.string()),
        }
        off = pc.equal(tool, OFFICE)
        o = pa.table({k: pc.filter(v, off) for k, v in base.items()})
        office_parts.append(o.group_by(["person", "day", "surface"]).aggregate([]))
        is_code = pc.equal(tool, CODE)
        action = pc.cast(t.column("action"), pa.string())
        value = pc.fill_null(pc.cast(t.column("value"), pa.float64()), 0.0)

        def flag(name: str, _action: pa.Array = action) -> pa.Array:
            return pc.cast(pc.equal(_action, name), pa.int64())

        c = pa.table(
            {
                **base,
                "model": pc.fill_null(pc.cast(t.column("attrs"), pa.string()), ""),
                "events": pa.array(np.ones(t.num_rows, dtype=np.int64)),
                "suggestions": flag("suggestion"),
                "accepts": flag("accept"),
                "prompts": flag("prompt"),
                "edits": flag("edit"),
                "loc": pc.if_else(pc.equal(action, "accept"), value, 0.0),
                "last_ms": ms,
            }
        ).filter(is_code)
        code_parts.append(_sum_code(c))
    code = _sum_code(pa.concat_tables(code_parts)) if code_parts else None
    office = pa.concat_tables(office_parts).group_by(["person", "day", "surface"]).aggregate([])
    return _to_numpy(code, alias, days), _to_numpy(office, alias, days)


def _sum_code(t: pa.Table) -> pa.Table:
    keys = ["person", "day", "surface", "model"]
    sums = ["events", "suggestions", "accepts", "prompts", "edits", "loc"]
    g = t.group_by(keys).aggregate([(s, "sum") for s in sums] + [("last_ms", "max")])
    # PyArrow names aggregates `<column>_<function>`; the combine step needs the plain names.
    return g.rename_columns([n.removesuffix("_sum").removesuffix("_max") for n in g.column_names])


def _to_numpy(t: pa.Table | None, alias: dict[str, int], days: int) -> dict[str, np.ndarray]:
    if t is None:
        return {"p": np.zeros(0, dtype=np.int64), "day": np.zeros(0, dtype=np.int64)}
    out = {
        name: np.asarray(t.column(name).to_numpy(zero_copy_only=False)) for name in t.column_names
    }
    people = out.pop("person")
    uniq, inv = np.unique(people.astype(str), return_inverse=True)
    out["p"] = np.array([alias[u] for u in uniq], dtype=np.int64)[inv]
    if "model" in out:
        out["model"] = np.array([_model(m) for m in out["model"]], dtype=object)
    keep = (out["day"] >= 0) & (out["day"] < days)
    out = {k: v[keep] for k, v in out.items()}
    # One fixed order (person, day, surface, model): group-by output order is not guaranteed.
    keys = [out[k] for k in ("model", "surface") if k in out] + [out["day"], out["p"]]
    order = np.lexsort([k.astype(str) if k.dtype == object else k for k in keys])
    return {k: v[order] for k, v in out.items()}


def _model(attrs: str) -> str:
    if not attrs:
        return "default"
    try:
        value = json.loads(attrs).get("model")
    except (ValueError, AttributeError):
        return "default"
    return value if isinstance(value, str) and value else "default"
