"""Use-case proposals: teams propose workflows for AI with a ranked priority, people vote.

The backlog orders open proposals by votes, then by the team's own priority (1 = the team's
first choice), then by age. Once a proposal is a catalogued workflow, its measured outcome
is that workflow's tasks in the window: completion rate and median minutes of AI-assisted
runs beside runs without AI, each shown only when at least k people ran it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from uptake.errors import InputError

MAX_TITLE = 120
MAX_DESCRIPTION = 2000
MAX_NAME = 64
PRIORITIES = range(1, 10)
STATUSES = ("proposed", "catalogued", "declined")


@dataclass(frozen=True)
class Proposal:
    """A checked proposal, ready to store (the proposer is stored as a person key only)."""

    title: str
    description: str | None
    team: str | None
    workflow: str | None
    priority: int | None


def _clean(value: object, name: str, limit: int, *, multiline: bool = False) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"{name}: expected text")
    text = value.strip()
    if not text:
        return None
    if len(text) > limit:
        raise InputError(f"{name}: at most {limit:,} characters")
    ok = (lambda c: c.isprintable() or c in "\r\n\t") if multiline else str.isprintable
    if not all(ok(c) for c in text):
        raise InputError(f"{name}: holds characters that cannot be stored")
    return text


def check(data: Mapping[str, Any]) -> Proposal:
    """Check a proposal's fields (from a form, the API or the command line).

    Args:
        data: title (required), description, team, workflow (the workflow it is about, in
            words or as a catalogue id), priority (1–9, 1 = the team's first choice).

    Returns:
        The proposal.

    Raises:
        InputError: a field is missing, too long or out of range (the message names it).
    """
    title = _clean(data.get("title"), "title", MAX_TITLE)
    if title is None:
        raise InputError("title: say in a few words which work AI should help with")
    raw = data.get("priority")
    priority = None
    if raw not in (None, ""):
        try:
            priority = int(str(raw).strip())
        except ValueError:
            priority = None
        if priority is None or priority not in PRIORITIES:
            raise InputError(
                f"priority: a whole number from {PRIORITIES[0]} (the team's first choice) "
                f"to {PRIORITIES[-1]}"
            )
    return Proposal(
        title=title,
        description=_clean(data.get("description"), "description", MAX_DESCRIPTION,
                           multiline=True),
        team=_clean(data.get("team"), "team", MAX_NAME),
        workflow=_clean(data.get("workflow"), "workflow", MAX_TITLE),
        priority=priority,
    )  # fmt: skip


def ranked(frame: pd.DataFrame) -> pd.DataFrame:
    """The backlog in order: open proposals by votes, priority and age, then the rest.

    Args:
        frame: proposals with a `votes` column.

    Returns:
        The same rows sorted, with `rank` (1, 2, … among open proposals; None otherwise).
    """
    df = frame.copy()
    df["_open"] = (df["status"] == "proposed").astype(int)
    df["_priority"] = pd.to_numeric(df["priority"]).fillna(max(PRIORITIES) + 1)
    df = df.sort_values(
        ["_open", "votes", "_priority", "ts", "proposal_id"],
        ascending=[False, False, True, True, True],
    ).drop(columns=["_open", "_priority"])
    open_ = df["status"] == "proposed"
    df["rank"] = None
    df.loc[open_, "rank"] = range(1, int(open_.sum()) + 1)
    return df.reset_index(drop=True)


def outcome(tasks: pd.DataFrame, k: int) -> dict[str, Any]:
    """A catalogued workflow's measured outcome: AI-assisted runs beside runs without AI.

    Args:
        tasks: the workflow's tasks in the window (person_key, ai_assisted, status, minutes).
        k: the minimum group size (people).

    Returns:
        {status, arms: {ai_assisted, without_ai}}: each arm's people, tasks, completion rate
        and median minutes of completed runs, or `hidden` with the reason when fewer than k
        people ran it; status `not_available` with `needs` when there are no tasks.
    """
    if tasks.empty:
        return {"status": "not_available", "needs": ["tasks of this workflow in the window"],
                "arms": {}}  # fmt: skip
    arms: dict[str, Any] = {}
    for name, assisted in (("ai_assisted", True), ("without_ai", False)):
        part = tasks[tasks["ai_assisted"].astype(bool) == assisted]
        people = int(part["person_key"].nunique())
        if people < k:
            arms[name] = {"hidden": f"hidden: fewer than {k} people"}
            continue
        ended = part[part["status"].isin(["completed", "abandoned"])]
        done = part[part["status"] == "completed"]
        minutes = pd.to_numeric(done["minutes"]).dropna()
        arms[name] = {
            "people": people,
            "tasks": len(part),
            "completion_rate": (len(done) / len(ended)) if len(ended) else None,
            "median_minutes": float(minutes.median()) if len(minutes) else None,
        }
    return {"status": "ok", "arms": arms}
