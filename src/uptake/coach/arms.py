"""Treatment and holdout: each person assigned once, at random, stratified by team and level.

The draw is an HMAC of the person's key under the workspace secret, so it is random to anyone
without the secret, the same on every machine and every run, and cannot be steered by
re-asking. People are ordered by stratum (team, ladder level at assignment) and by their draw
within it; a systematic sample over that order — every 1/share-th person from a random
start — puts the holdout share into every stratum (within one person), including strata
smaller than 1/share. Once written to `coach_arms` an arm never changes: later moves between
teams or levels do not re-draw it, and people who join later are assigned in a batch of
their own, the same way.

Arms of people who never got an arm here but appear in imported interventions (a tool that
ran its own holdout, the simulator) are read from the `interventions` table's `arm` column;
when the coach first meets such a person it writes that arm (and its first time) rather than
drawing one, so an imported holdout gets no cards and its effect keeps its start.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

import duckdb
import numpy as np
import pandas as pd

TREATMENT, HOLDOUT = "treatment", "holdout"
ARMS = (TREATMENT, HOLDOUT)
_SCALE = float(2**64)


def draw(secret: bytes, person_key: str, purpose: str = "coach-arm") -> float:
    """A uniform number in [0, 1) fixed by the secret and the person.

    Args:
        secret: the workspace secret.
        person_key: the pseudonymous person.
        purpose: separates independent draws for the same person.

    Returns:
        The draw.
    """
    mac = hmac.new(secret, f"{purpose}:{person_key}".encode(), hashlib.sha256).digest()
    return int.from_bytes(mac[:8], "big") / _SCALE


def plan_arms(people: pd.DataFrame, share: float, secret: bytes) -> pd.DataFrame:
    """Arms for people not yet assigned, stratified by team and ladder level.

    Args:
        people: person_key, team, level (the stratum; missing values form their own).
        share: the holdout share (0 … 0.5).
        secret: the workspace secret.

    Returns:
        person_key, arm, stratum — one row per input person.
    """
    if people.empty:
        return pd.DataFrame({"person_key": [], "arm": [], "stratum": []})
    frame = people[["person_key", "team", "level"]].copy()
    team = frame["team"].astype(object).where(frame["team"].notna(), "(none)").astype(str)
    level = frame["level"].astype(object).where(frame["level"].notna(), "?").astype(str)
    frame["stratum"] = team + "|" + level
    frame["u"] = [draw(secret, str(k)) for k in frame["person_key"]]
    frame = frame.sort_values(["stratum", "u", "person_key"], kind="stable").reset_index(drop=True)
    # A random start fixed by the secret and this batch's people: the same batch always gets
    # the same arms, and no stratum always starts with the holdout.
    start = draw(secret, ",".join(sorted(frame["person_key"].astype(str))), "coach-start")
    position = (np.arange(len(frame)) + start) * share
    holdout = np.floor(position + share) > np.floor(position)
    frame["arm"] = np.where(holdout, HOLDOUT, TREATMENT)
    return frame[["person_key", "arm", "stratum"]]


def assign_arms(
    con: duckdb.DuckDBPyConnection,
    people: pd.DataFrame,
    share: float,
    secret: bytes,
    now: datetime,
) -> int:
    """Write arms for the people who have none yet (existing arms never change).

    Args:
        con: writable connection to the workspace database.
        people: person_key, team, level of everyone who may get cards.
        share: the holdout share.
        secret: the workspace secret.
        now: assignment time (UTC, naive).

    Returns:
        How many people were assigned now.
    """
    known = set(con.execute("SELECT person_key FROM coach_arms").df()["person_key"].astype(str))
    new = people[~people["person_key"].astype(str).isin(known)].drop_duplicates("person_key")
    if new.empty:
        return 0
    # Someone already in an imported experiment keeps that arm: drawn again here, a person of
    # the imported holdout could get cards, and its effect would be measured from today.
    imported = _imported(con)
    imported = imported[imported["person_key"].isin(new["person_key"].astype(str))]
    fresh = new[~new["person_key"].astype(str).isin(imported["person_key"])]
    arms = pd.concat(
        [plan_arms(fresh, share, secret).assign(assigned_at=now),
         imported.assign(stratum="imported")[["person_key", "arm", "stratum", "assigned_at"]]],
        ignore_index=True,
    )  # fmt: skip
    con.register("_new_arms", arms)
    try:
        con.execute(
            "INSERT INTO coach_arms SELECT person_key, arm, stratum, assigned_at FROM _new_arms"
        )
    finally:
        con.unregister("_new_arms")
    return len(arms)


def assigned_arms(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every person's arm: assigned here, else as imported interventions record it.

    Args:
        con: connection to the workspace database.

    Returns:
        person_key, arm (`treatment`/`holdout`), assigned_at (first time known), source
        (`coach` or `imported`).
    """
    own = con.execute("SELECT person_key, arm, assigned_at, 'coach' AS source FROM coach_arms").df()
    imported = _imported(con).assign(source="imported")
    imported = imported[~imported["person_key"].isin(own["person_key"])]
    out = pd.concat([own, imported], ignore_index=True) if len(imported) else own
    return out.sort_values("person_key", kind="stable").reset_index(drop=True)


def _imported(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Each person's first arm in imported interventions, from their first one's time."""
    return con.execute(
        """
        SELECT CAST(person_key AS VARCHAR) AS person_key, arg_min(arm, ts) AS arm,
               min(ts) AS assigned_at
        FROM interventions WHERE arm IS NOT NULL GROUP BY person_key
        """
    ).df()
