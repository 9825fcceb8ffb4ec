"""Deciding each valid row of a batch: new, a duplicate of a stored row, or a conflict.

A mixin of `BatchIngest`: the rows are in the resolved stage (`RESOLVED`) when it runs; the
decided rows (`DECIDED`) are what the batch writes, unless every valid row is new and no key
repeats, in which case rows go straight from the resolved stage (`_fast`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from uptake.ingest.redact import redact
from uptake.ingest.safety import isnull
from uptake.ingest.validate import REASON_TEXT
from uptake.schema.ddl import NOT_STORED
from uptake.schema.tables import Table

RESOLVED = "_stage_resolved"
# The valid rows' keys and `__unrostered` alone, resolved like `RESOLVED`.
KEYS = "_stage_keys"
DECIDED = "_stage_decided"


@dataclass
class Quarantined:
    """One rejected row: where it was, why, which field, the detail and the redacted record."""

    locator: str
    reason: str
    field: str | None
    detail: str
    record: str


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


class Decisions:
    """The decision step of `BatchIngest` (its connection, table spec and fast-path flag)."""

    con: duckdb.DuckDBPyConnection
    spec: Table
    _fast: bool

    def _stored(self) -> list[str]:
        return [
            c.stored_name for c in self.spec.columns if (self.spec.name, c.name) not in NOT_STORED
        ]

    def _key_eq(self, a: str, b: str) -> str:
        """Join condition on the table key; optional key columns compare null-safely."""
        parts = []
        for name in self.spec.key:
            col = self.spec.column(name)
            k = q(col.stored_name)
            op = "=" if col.required else "IS NOT DISTINCT FROM"
            parts.append(f"{a}.{k} {op} {b}.{k}")
        return " AND ".join(parts)

    def _fast_counts(self) -> Counter[str] | None:
        """Counts when every valid row is an insert, or None when some row needs a decision.

        A row needs one when its key repeats in the file or is already stored. Both checks
        read only the keys (one aggregate that also takes the counts), so the common case
        of new rows skips hashing every row's content into a decided table.
        """
        con, spec = self.con, self.spec
        part = ", ".join(q(k) for k in spec.stored_key)
        row = con.execute(
            "SELECT count(*) FILTER (WHERE __n > 1), coalesce(sum(__n), 0), "
            "coalesce(sum(__u), 0) FROM (SELECT count(*) AS __n, "
            f"count(*) FILTER (WHERE __unrostered) AS __u FROM {KEYS} GROUP BY {part})"
        ).fetchone()
        if row is None or row[0]:
            return None
        stored = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {spec.name} LIMIT 1)").fetchone()
        if stored and stored[0]:
            keys = f"(SELECT {part} FROM {KEYS})"
            hit = con.execute(
                f"SELECT EXISTS (SELECT 1 FROM {keys} n JOIN (SELECT {part} FROM {spec.name}) o "
                f"ON {self._key_eq('n', 'o')})"
            ).fetchone()
            if hit is None or hit[0]:
                return None
        return Counter({"accepted": int(row[1]), "unrostered": int(row[2])})

    def _number_rows(self) -> None:
        """Give every staged row its record number, where the stage left them out."""

    def _decide(self, locator: Callable[[int], str]) -> tuple[Counter[str], list[Quarantined]]:
        """Classify each valid row: accepted (insert or update), duplicate, or conflict."""
        con, spec = self.con, self.spec
        fast = self._fast_counts()
        self._fast = fast is not None
        if fast is not None:
            # Every valid row is inserted as resolved: no content hashes, no decided copy.
            return fast, []
        # Which row of a repeated key came first, and where a conflict is, needs numbers.
        self._number_rows()
        cols = self._stored()
        key = [q(k) for k in spec.stored_key]
        immutable = [c for c in cols if c not in spec.mutable]
        h_all = f"hash({', '.join(q(c) for c in cols)})"
        part = ", ".join(key)
        r_all = f"hash({', '.join('r.' + q(c) for c in cols)})"
        r_imm = f"hash({', '.join('r.' + q(c) for c in immutable)})"
        # Within the file: the first row of a key wins; an identical repeat is a duplicate,
        # a different one a conflict. Repeats are rare, so find them with a hash aggregate
        # rather than a window over every row.
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _stage_repeats AS SELECT {part}, min(__row) AS __first, "
            f"arg_min({h_all}, __row) AS __h0 FROM {RESOLVED} GROUP BY ALL HAVING count(*) > 1"
        )
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW _stage_ranked AS SELECT r.*, {r_all} AS __h, "
            f"{r_imm} AS __hi, CASE WHEN p.__first IS NULL OR r.__row = p.__first THEN 1 "
            f"ELSE 2 END AS __k, p.__h0 FROM {RESOLVED} r LEFT JOIN _stage_repeats p "
            f"ON {self._key_eq('r', 'p')}"
        )
        on = self._key_eq("n", "o")
        merged = []
        for c in cols:
            if c in spec.mutable:
                merged.append(f"coalesce(n.{q(c)}, o.{q(c)}) AS {q(c)}")
            else:
                merged.append(f"n.{q(c)}")
        o_all = f"hash({', '.join('o.' + q(c) for c in cols)})"
        o_imm = f"hash({', '.join('o.' + q(c) for c in immutable)})"
        m_all = (
            "hash("
            + ", ".join(
                f"coalesce(n.{q(c)}, o.{q(c)})" if c in spec.mutable else f"n.{q(c)}" for c in cols
            )
            + ")"
        )
        in_file = (
            "WHEN n.__k > 1 THEN (CASE WHEN n.__h = n.__h0 THEN 'duplicate' ELSE 'conflict' END)"
        )
        if spec.merge in ("immutable", "set"):
            existing = f"WHEN n.__h = {o_all} THEN 'duplicate' ELSE 'conflict'"
        elif spec.merge == "upsert":
            existing = f"WHEN n.__h = {o_all} THEN 'duplicate' ELSE 'update'"
        else:
            existing = (
                f"WHEN n.__hi <> {o_imm} THEN 'conflict' "
                f"WHEN {m_all} = {o_all} THEN 'duplicate' ELSE 'update'"
            )
        decide = f"CASE {in_file} WHEN o.__present IS NULL THEN 'insert' {existing} END"
        con.execute(
            f"CREATE TEMP TABLE {DECIDED} AS SELECT n.__row, n.__unrostered, {', '.join(merged)}, "
            f"{decide} AS __status FROM _stage_ranked n "
            f"LEFT JOIN (SELECT *, true AS __present FROM {spec.name}) o ON {on}"
        )
        con.execute("DROP VIEW IF EXISTS _stage_ranked")
        con.execute("DROP TABLE IF EXISTS _stage_repeats")
        counts: Counter[str] = Counter()
        for status, unrostered, n in con.execute(
            f"SELECT __status, __unrostered, count(*) FROM {DECIDED} GROUP BY ALL"
        ).fetchall():
            bucket = "accepted" if status in ("insert", "update") else status
            counts[bucket] += n
            if bucket == "accepted" and unrostered:
                counts["unrostered"] += n
        conflicts = []
        if counts["conflict"]:
            rows = con.execute(
                f"SELECT * EXCLUDE (__status, __unrostered) FROM {DECIDED} "
                "WHERE __status = 'conflict' ORDER BY __row"
            ).df()
            id_cols = ", ".join(spec.key)
            for rec in rows.to_dict("records"):
                row = int(rec.pop("__row"))
                conflicts.append(
                    Quarantined(
                        locator(row),
                        "conflict",
                        spec.key[0],
                        f"{id_cols}: {REASON_TEXT['conflict']}",
                        json.dumps(
                            {
                                k: (redact(v) if isinstance(v, str) else v)
                                for k, v in rec.items()
                                if not isnull(v)
                            },
                            default=str,
                        ),
                    )
                )
        return counts, conflicts
