"""Pseudonymisation and identity resolution.

person_key = HMAC-SHA256(workspace secret, canonical person id), shortened. Only the
`identities` table maps aliases back to keys.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

import duckdb
import numpy as np
import pandas as pd

from uptake.schema.tables import TABLES

KEY_LENGTH = 20


def normalise(identifier: str) -> str:
    """Canonical form of an identifier: trimmed and lower-cased."""
    return identifier.strip().lower()


def pseudonymise(secret: bytes, identifier: str) -> str:
    """Pseudonymous key of an identifier.

    Args:
        secret: the workspace secret.
        identifier: any raw identifier; it is normalised first.

    Returns:
        A short hex key, stable for the same secret and identifier.
    """
    digest = hmac.new(secret, normalise(identifier).encode(), hashlib.sha256).hexdigest()
    return "p_" + digest[:KEY_LENGTH]


def person_columns() -> list[tuple[str, str]]:
    """(table, stored column) of every pseudonymised person column in the warehouse."""
    return [(t.name, c.stored_name) for t in TABLES.values() for c in t.columns if c.person]


def resolve_aliases(
    con: duckdb.DuckDBPyConnection, secret: bytes, raw: Iterable[str], now: datetime
) -> pd.DataFrame:
    """Map identifiers as given to person keys, registering unknown ones as observed.

    Args:
        con: warehouse connection, inside the batch's transaction.
        secret: workspace secret.
        raw: distinct identifiers as they appear in the batch (normalised here, once each).
        now: timestamp recorded for new identities.

    Returns:
        Frame with columns raw, person_key, kind ('roster' or 'observed').
    """
    given = pd.DataFrame({"raw": pd.Series(list(raw), dtype="string")})
    given["alias"] = given["raw"].map(normalise).astype("string")
    wanted = given[["alias"]].drop_duplicates()
    con.register("_wanted_aliases", wanted)
    try:
        known = con.execute(
            "SELECT i.alias, i.person_key, i.kind FROM identities i "
            "JOIN _wanted_aliases w USING (alias)"
        ).df()
        missing = con.execute(
            "SELECT alias FROM _wanted_aliases EXCEPT SELECT alias FROM identities"
        ).df()
    finally:
        con.unregister("_wanted_aliases")
    if len(missing):
        new = pd.DataFrame(
            {
                "alias": missing["alias"].astype(str),
                "person_key": [pseudonymise(secret, a) for a in missing["alias"]],
                "kind": "observed",
                "first_seen": now.replace(tzinfo=None),
            }
        )
        con.register("_new_ids", new)
        try:
            con.execute(
                "INSERT INTO identities SELECT alias, person_key, kind, first_seen FROM _new_ids"
            )
        finally:
            con.unregister("_new_ids")
        known = pd.concat([known, new[["alias", "person_key", "kind"]]], ignore_index=True)
    known["alias"] = known["alias"].astype("string")
    return given.merge(known, on="alias", how="inner")[["raw", "person_key", "kind"]]


class Rekeyed(NamedTuple):
    """What a roster moved: stored rows, and the distinct earlier identities they belonged to."""

    rows: int = 0
    identities: int = 0


def register_roster(
    con: duckdb.DuckDBPyConnection,
    secret: bytes,
    roster: pd.DataFrame,
    now: datetime,
) -> Rekeyed:
    """Claim every alias of roster people and re-key rows that used them before.

    Resolution must not depend on ingestion order: an alias first seen in events gets a
    provisional key; when the roster later claims it, every stored row is moved to the
    roster person's key.

    Args:
        con: warehouse connection, inside the batch's transaction.
        secret: workspace secret.
        roster: frame with `person` (raw canonical id) and `aliases` (list of raw ids).
        now: timestamp recorded for new identities.

    Returns:
        Stored rows re-keyed (a row counts once however many of its person columns moved)
        and the distinct provisional identities those rows belonged to.
    """
    pairs: dict[str, str] = {}
    for person, aliases in zip(roster["person"], roster["aliases"], strict=True):
        key = pseudonymise(secret, person)
        pairs[normalise(person)] = key
        for alias in aliases if isinstance(aliases, list | tuple | np.ndarray) else []:
            if isinstance(alias, str) and alias.strip():
                pairs.setdefault(normalise(alias), key)
    claims = pd.DataFrame({"alias": list(pairs), "person_key": list(pairs.values())})
    con.register("_claims", claims)
    try:
        moves = con.execute(
            "SELECT DISTINCT i.person_key AS old_key, c.person_key AS new_key "
            "FROM identities i JOIN _claims c USING (alias) "
            "WHERE i.person_key <> c.person_key AND i.kind = 'observed'"
        ).df()
        con.execute("DELETE FROM identities WHERE alias IN (SELECT alias FROM _claims)")
        con.execute(
            "INSERT INTO identities SELECT alias, person_key, 'roster', ? FROM _claims",
            [now.replace(tzinfo=None)],
        )
    finally:
        con.unregister("_claims")
    if not len(moves):
        return Rekeyed()
    by_table: dict[str, list[str]] = {}
    for table, col in person_columns():
        by_table.setdefault(table, []).append(col)
    rows = 0
    moved: set[str] = set()
    con.register("_moves", moves)
    try:
        for table, cols in by_table.items():
            hit = " OR ".join(f"{c} IN (SELECT old_key FROM _moves)" for c in cols)
            n = con.execute(f"SELECT count(*) FROM {table} WHERE {hit}").fetchone()
            if not n or not n[0]:
                continue
            rows += int(n[0])
            # Which identities had rows is the "M" users are told: a claimed alias with no
            # stored rows linked nothing visible.
            for c in cols:
                moved.update(
                    k
                    for (k,) in con.execute(
                        f"SELECT DISTINCT {c} FROM {table} WHERE {c} IN "
                        "(SELECT old_key FROM _moves)"
                    ).fetchall()
                )
                con.execute(
                    f"UPDATE {table} SET {c} = m.new_key FROM _moves m "
                    f"WHERE {table}.{c} = m.old_key"
                )
        con.execute(
            "UPDATE identities SET person_key = m.new_key FROM _moves m "
            "WHERE identities.person_key = m.old_key AND identities.kind = 'observed'"
        )
    finally:
        con.unregister("_moves")
    return Rekeyed(rows, len(moved))
