"""What really happened, read from the simulator's files with pandas (not uptake's metrics).

The usage segments are computed here from the complete canonical event stream with
Microsoft's published rules, so the comparison also checks uptake's own implementation; the
ladder's truth comes from the simulator's `ground_truth.parquet`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

SEGMENTS = ("power", "habitual", "novice", "low", "non_user")
NOT_ACTIONS = ("session_start", "session_end")
# The ladder collapsed to what the ground truth can say.
NOT_USING, TRYING, PROFICIENT = "L1 not using", "L2 trying", "L3+ proficient"
LADDER_CLASSES = (NOT_USING, TRYING, PROFICIENT)
LADDER_MAPPING = {
    "measured": "L1 → not using, L2 → trying, L3/L4/L5 → proficient",
    "truth": (
        "not using: no event yet, or abandoned_on or left_on on or before as-of; proficient: "
        "proficient_on on or before as-of and not abandoned or left; trying: everyone else"
    ),
}


def _end(day: date) -> pd.Timestamp:
    """Midnight after `day`, UTC: the exclusive end of the day."""
    return pd.Timestamp(datetime.combine(day + timedelta(days=1), time()), tz="UTC")


def _utc(col: pd.Series) -> pd.Series:
    ts = pd.to_datetime(col)
    return ts.dt.tz_localize("UTC") if ts.dt.tz is None else ts.dt.tz_convert("UTC")


def licensed(sim: Path, as_of: date) -> pd.DataFrame:
    """Seats held at the end of `as_of`, by roster e-mail.

    Args:
        sim: folder of a canonical simulation (Parquet).
        as_of: the day.

    Returns:
        Frame (person, tool): one row per seat held.
    """
    lic = pd.read_parquet(sim / "licenses.parquet")
    lic["person"] = lic["person"].map(aliases(sim))
    end = _end(as_of)
    held = (_utc(lic["assigned_at"]) < end) & (
        lic["removed_at"].isna() | (_utc(lic["removed_at"]) >= end)
    )
    return lic.loc[held, ["person", "tool"]].drop_duplicates().reset_index(drop=True)


def aliases(sim: Path) -> dict[str, str]:
    """Every identifier the sources use (e-mail, login, employee number) → roster e-mail.

    Args:
        sim: folder of a canonical simulation.

    Returns:
        The mapping.
    """
    people = pd.read_parquet(sim / "people.parquet", columns=["person", "aliases"])
    out: dict[str, str] = {}
    for person, names in zip(people["person"], people["aliases"], strict=True):
        for name in [person, *(list(names) if names is not None else [])]:
            out.setdefault(str(name), str(person))
    return out


def person_days(sim: Path, lo: date, hi: date) -> pd.DataFrame:
    """Actions and events per person, tool and UTC day in [lo, hi], from canonical events.

    Args:
        sim: folder of a canonical simulation.
        lo: first day.
        hi: last day (inclusive).

    Returns:
        Frame (person, tool, day, events, actions).
    """
    ev = pd.read_parquet(sim / "events.parquet", columns=["ts", "person", "tool", "action"])
    ts = _utc(ev["ts"])
    keep = (ts >= _end(lo - timedelta(days=1))) & (ts < _end(hi))
    ev = ev.loc[keep].assign(day=ts[keep].dt.date)
    ev["person"] = ev["person"].map(aliases(sim))
    ev["action_n"] = (~ev["action"].isin(NOT_ACTIONS)).astype("int64")
    return (
        ev.groupby(["person", "tool", "day"], as_index=False)
        .agg(events=("action", "size"), actions=("action_n", "sum"))
        .reset_index(drop=True)
    )


def segments(
    sim: Path, as_of: date, weeks: int, habitual: int, power_actions: float
) -> pd.DataFrame:
    """Microsoft's usage segment of every person licensed on `as_of` (any tool).

    Over the `weeks` 7-day blocks ending at `as_of`: power = used (≥ 1 action) in ≥
    `habitual` blocks and ≥ `power_actions` actions a week on average; habitual = used in ≥
    `habitual` blocks; novice ≥ 1 action a week on average; low > 0; non-user none.

    Args:
        sim: folder of a canonical simulation.
        as_of: last day of the last block.
        weeks: number of blocks.
        habitual: blocks used that make a user habitual.
        power_actions: average actions a week that make a habitual user a power user.

    Returns:
        Frame (person, weeks_used, avg_actions, segment).
    """
    lo = as_of - timedelta(days=7 * weeks - 1)
    days = person_days(sim, lo, as_of)
    days = days[days["actions"] > 0]
    days = days.assign(block=[(as_of - d).days // 7 for d in days["day"]])
    per = days.groupby("person").agg(weeks_used=("block", "nunique"), actions=("actions", "sum"))
    people = pd.DataFrame({"person": sorted(set(licensed(sim, as_of)["person"]))})
    df = people.merge(per, left_on="person", right_index=True, how="left").fillna(0)
    df["avg_actions"] = df["actions"] / weeks
    habit = df["weeks_used"] >= habitual
    df["segment"] = np.select(
        [habit & (df["avg_actions"] >= power_actions), habit, df["avg_actions"] >= 1,
         df["avg_actions"] > 0],
        list(SEGMENTS[:4]),
        default=SEGMENTS[4],
    )  # fmt: skip
    return df[["person", "weeks_used", "avg_actions", "segment"]]


def ladder(sim: Path, as_of: date) -> pd.DataFrame:
    """Every person's true ladder class on `as_of` (see `LADDER_MAPPING`).

    Args:
        sim: folder holding `ground_truth.parquet`.
        as_of: the day.

    Returns:
        Frame (person, ladder).
    """
    g = pd.read_parquet(
        sim / "ground_truth.parquet",
        columns=["person", "first_use_on", "proficient_on", "abandoned_on", "left_on"],
    )

    def by(col: str) -> pd.Series:
        d = pd.to_datetime(g[col])
        return d.notna() & (d <= pd.Timestamp(as_of))

    gone = by("abandoned_on") | by("left_on")
    cls = np.where(
        ~by("first_use_on") | gone, NOT_USING, np.where(by("proficient_on"), PROFICIENT, TRYING)
    )
    return pd.DataFrame({"person": g["person"], "ladder": cls})


def tool_usage(sim: Path, as_of: date, window_days: int) -> pd.DataFrame:
    """Per tool: seats held on `as_of` and how many of them had an event on it in the window.

    Args:
        sim: folder of a canonical simulation.
        as_of: last day of the window.
        window_days: days in the window.

    Returns:
        Frame (person, tool, used), one row per seat.
    """
    held = licensed(sim, as_of)
    days = person_days(sim, as_of - timedelta(days=window_days - 1), as_of)
    used = days.loc[days["events"] > 0, ["person", "tool"]].drop_duplicates()
    out = held.merge(used.assign(used=True), on=["person", "tool"], how="left")
    return out.assign(used=out["used"].fillna(False).astype(bool))


def telemetry_off(sim: Path, seed: int, start: date, days: int) -> set[str]:
    """Roster e-mails of the coding-assistant users whose IDE telemetry is off.

    The vendor view never reports them (a known loss); the simulator decides who they are.

    Args:
        sim: folder of a canonical simulation.
        seed: the simulation seed.
        start: first simulated day.
        days: simulated days.

    Returns:
        Their e-mails.
    """
    from uptake.simulate.vendor.common import load
    from uptake.simulate.vendor.github import telemetry_off as off

    c = load(sim, start, days)
    return {str(c.email[i]) for i in off(c, seed)}
