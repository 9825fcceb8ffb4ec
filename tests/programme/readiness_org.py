"""A tiny organisation whose readiness evidence is known by hand (see each number below).

Thirteen analysts: m0 manages m1–m4, and each of m1–m4 manages two of ic0–ic7. As of
2026-05-31 (window 2026-05-04 – 05-31; decisions window 2026-04-04 – 05-01):

* events on 05-20: each person one prompt on the catalogued `wf_hi`, one on an uncatalogued
  workflow (plus a session_start and an April prompt, neither counted) → in workflows 13 / 26;
* tasks on 05-20 (all `wf_hi`, high stakes, open to every role): m0–m2 and ic0–ic3 AI-assisted,
  m3, m4 and ic4–ic7 not → AI-assisted people 7 / 13; managers at L3+ 3 / 5 (m0–m2);
* decisions on 04-15 by ic0–ic5, five each: ic0–ic2 all with outcomes, three followed and two
  overridden; ic3–ic5 followed, two with outcomes → outcomes logged 21 / 30; deciders with a
  loop (≥ 5 outcomes on a comparable workflow) 3 / 6; ic0 also decides on 05-25 (outcome not
  due: outside the window);
* feedback on 05-10 from ic0–ic5: ic0–ic2 resolved two days later, ic3–ic5 open → resolved
  3 / 6, Kaplan–Meier median 2 days.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from factories import FROZEN_NOW
from uptake.workspace import Workspace

AS_OF = date(2026, 5, 31)
MANAGERS = [f"m{i}@example.org" for i in range(5)]
ICS = [f"ic{i}@example.org" for i in range(8)]
EVERYONE = MANAGERS + ICS
AI_PEOPLE = MANAGERS[:3] + ICS[:4]


def _manager(p: str) -> str | None:
    if p == MANAGERS[0]:
        return None
    if p in MANAGERS:
        return MANAGERS[0]
    return MANAGERS[1 + ICS.index(p) // 2]


def _team(p: str) -> str:
    if p == MANAGERS[0]:
        return "lead"
    m = p if p in MANAGERS else _manager(p)
    return f"t{MANAGERS.index(str(m))}"


def fill(ws: Workspace) -> None:
    """Ingest the organisation above (refreshing once at the end)."""
    people = pd.DataFrame(
        {
            "person": EVERYONE,
            "role": "analyst",
            "team": [_team(p) for p in EVERYONE],
            "function": [
                "finance" if _team(p) in ("lead", "t1", "t2") else "sales" for p in EVERYONE
            ],
            "manager": [_manager(p) for p in EVERYONE],
        }
    )
    licenses = pd.DataFrame(
        {"person": EVERYONE, "tool": "copilot", "assigned_at": "2026-03-02T00:00:00Z"}
    )
    workflows = pd.DataFrame(
        {"workflow": ["wf_hi", "wf_lo"], "name": ["High", "Low"], "stakes": ["high", "low"]}
    )
    events = []
    for i, p in enumerate(EVERYONE):
        for j, (wf, action, day) in enumerate(
            [
                ("wf_hi", "prompt", "05-20"),
                ("elsewhere", "prompt", "05-20"),
                ("wf_hi", "session_start", "05-20"),
                ("wf_hi", "prompt", "04-01"),
            ]
        ):
            events.append(
                {
                    "event_id": f"e{i}-{j}",
                    "ts": f"2026-{day}T10:00:00Z",
                    "person": p,
                    "tool": "copilot",
                    "action": action,
                    "workflow": wf,
                }
            )
    tasks = []
    for i, p in enumerate(EVERYONE):
        runs = 4 if p in MANAGERS else 2
        for j in range(runs):
            tasks.append(
                {
                    "task_id": f"t{i}-{j}",
                    "person": p,
                    "workflow": "wf_hi",
                    "started_at": "2026-05-20T09:00:00Z",
                    "completed_at": "2026-05-20T09:30:00Z",
                    "status": "completed",
                    "ai_assisted": p in AI_PEOPLE,
                    "minutes": 30.0,
                }
            )
    decisions = []
    for i, p in enumerate(ICS[:6]):
        for j in range(5):
            full = i < 3
            logged = full or j < 2
            decisions.append(
                {
                    "decision_id": f"d{i}-{j}",
                    "ts": "2026-04-15T10:00:00Z",
                    "person": p,
                    "tool": "scorer",
                    "workflow": "wf_hi",
                    "followed": not (full and j >= 3),
                    "outcome": 1.0 if logged else None,
                    "outcome_ts": "2026-04-20T10:00:00Z" if logged else None,
                }
            )
    decisions.append(
        {
            "decision_id": "late",
            "ts": "2026-05-25T10:00:00Z",
            "person": ICS[0],
            "tool": "scorer",
            "workflow": "wf_hi",
            "followed": True,
            "outcome": None,
            "outcome_ts": None,
        }
    )
    feedback = pd.DataFrame(
        {
            "feedback_id": [f"f{i}" for i in range(6)],
            "ts": "2026-05-10T10:00:00Z",
            "channel": "ticket",
            "text": "the tool",
            "person": ICS[:6],
            "status": ["resolved"] * 3 + ["open"] * 3,
            "resolved_at": ["2026-05-12T10:00:00Z"] * 3 + [None] * 3,
        }
    )
    for name, frame in [
        ("people", people),
        ("licenses", licenses),
        ("workflows", workflows),
        ("events", pd.DataFrame(events)),
        ("tasks", pd.DataFrame(tasks)),
        ("decisions", pd.DataFrame(decisions)),
        ("feedback", feedback),
    ]:
        ws.ingest_frame(name, frame, source=name, now=FROZEN_NOW, refresh=False)
    ws.refresh()
