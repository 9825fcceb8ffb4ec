"""Arrow tables in the canonical input layout, built from the simulator's NumPy columns.

Each `*_table` function takes the columns its generator produced, the identifiers and the
first id counter of the chunk, and returns an Arrow table with the canonical input columns.

Person columns carry the identifier each source would really hold: the roster and most
sources use the e-mail address, the coding assistant the GitHub-style login, the decision
model the employee number, and a few older systems a legacy-domain address — so ingestion
has to resolve them through `people.aliases`.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

from uptake.schema.tables import ACTIONS
from uptake.simulate.activity import Cols
from uptake.simulate.behaviour import Plan
from uptake.simulate.catalog import (
    CODE,
    DECISION,
    LOCATIONS,
    SURFACES,
    TOOL_COST,
    TOOLS,
    WORKFLOWS,
    workflow_roles,
)
from uptake.simulate.events import MODEL_ATTRS
from uptake.simulate.output import dict_array, floats, hex_ids, ints, strings, ts_array, vocab
from uptake.simulate.roster import ALL_FUNCTIONS, NEVER, ROLE_NAMES, Org, level_names
from uptake.simulate.timeline import MS_DAY, MS_MIN, Timeline

WORKFLOW_IDS = [w.id for w in WORKFLOWS]
ID_EMAIL, ID_LEGACY, ID_LOGIN, ID_EMPLOYEE = 0, 1, 2, 3
# Salts keep the id streams of different tables apart.
SALT = {"events": 0x11, "sessions": 0x22, "tasks": 0x33, "decisions": 0x44, "responses": 0x55}
SALT |= {"feedback": 0x66, "interventions": 0x77}


class Identifiers:
    """Every person's identifiers as one Arrow column, indexed by kind * n + person."""

    def __init__(self, org: Org) -> None:
        self.n = org.n
        self.all = pa.array(
            np.concatenate([org.email, org.legacy_email, org.login, org.employee_number]),
            type=pa.string(),
        )

    def take(self, kind: np.ndarray | int, person: np.ndarray) -> pa.Array:
        """Identifiers of `person` (global index; negative gives null) of the given kind."""
        person = np.asarray(person)
        index = np.asarray(kind) * self.n + np.maximum(person, 0)
        return self.all.take(pa.array(index.astype(np.int64), mask=person < 0))

    def chunk(self, idx: np.ndarray, kind: np.ndarray | int, local: np.ndarray) -> pa.Array:
        """Dictionary-encoded identifiers of a chunk's people (`local` indexes `idx`)."""
        m = len(idx)
        dictionary = self.all.take(pa.array(np.concatenate([idx + k * self.n for k in range(4)])))
        return dict_array(dictionary, np.asarray(kind) * m + np.asarray(local))


def workflows_table() -> pa.Table:
    """The catalogued workflows."""
    roles = workflow_roles()
    return pa.table(
        {
            "workflow": WORKFLOW_IDS,
            "name": [w.name for w in WORKFLOWS],
            "roles": pa.array([roles[w.id] for w in WORKFLOWS], type=pa.list_(pa.string())),
            "stakes": [w.stakes for w in WORKFLOWS],
            "baseline_minutes": [w.baseline_minutes for w in WORKFLOWS],
            "steps_before": [w.steps_before for w in WORKFLOWS],
            "steps_after": [w.steps_after for w in WORKFLOWS],
            "ai_mode": [w.ai_mode for w in WORKFLOWS],
        }
    )


def people_table(org: Org, tl: Timeline) -> pa.Table:
    """The roster as of the end of the period."""
    aliases = [
        [e, num] + ([lg] if eng else []) + ([old] if leg else [])
        for e, num, lg, eng, old, leg in zip(
            org.email,
            org.employee_number,
            org.login,
            org.is_engineer,
            org.legacy_email,
            org.has_legacy,
            strict=True,
        )
    ]
    levels = level_names(org)
    grade = np.clip(org.level * 2 + 3 + (org.hire_day < -5 * 365), 1, 12)
    attrs = [
        json.dumps(
            {
                "management_level": lv,
                "grade": f"G{g}",
                "employee_type": "contractor" if c else "permanent",
                "work_pattern": "part_time" if pt else "full_time",
                "cost_centre": f"CC-{t:04d}",
            }
        )
        for lv, g, c, pt, t in zip(
            levels, grade, org.contractor, org.part_time, org.team, strict=True
        )
    ]
    manager = np.where(
        org.manager >= 0, org.email[np.maximum(org.manager, 0)], np.full(org.n, None, dtype=object)
    )
    hire = tl.start.toordinal() - 719163 + org.hire_day  # days since 1970-01-01
    return pa.table(
        {
            "person": strings(org.email),
            "aliases": pa.array(aliases, type=pa.list_(pa.string())),
            "role": vocab(ROLE_NAMES, org.role),
            "function": vocab(ALL_FUNCTIONS, org.function),
            "team": vocab(org.team_names, org.team),
            "manager": strings(manager),
            "location": vocab([x.name for x in LOCATIONS], org.location),
            "hire_date": pa.array(hire.astype(np.int32), type=pa.date32()),
            "employment_status": strings(org.status_at_end()),
            "attrs": pa.array(attrs, type=pa.string()),
        }
    )


def licenses_table(
    org: Org, plan: Plan, tl: Timeline, ids: Identifiers, rng: np.random.Generator
) -> pa.Table:
    """Seats: assigned the evening before the rollout day (UTC), removed for most leavers."""
    person, tool = np.nonzero(plan.lic_day < NEVER)
    day = plan.lic_day[person, tool]
    assigned = tl.start_ms + day * MS_DAY - rng.integers(60, 600, len(day)) * MS_MIN
    removed_day = plan.removed_day[person, tool]
    has_removed = removed_day < NEVER
    removed = (
        tl.start_ms
        + np.where(has_removed, removed_day, 0) * MS_DAY
        + rng.integers(8 * 60, 18 * 60, len(day)) * MS_MIN
    )
    kind = np.select([tool == CODE, tool == DECISION], [ID_LOGIN, ID_EMPLOYEE], ID_EMAIL)
    order = np.lexsort((tool, assigned))
    cost = np.array([TOOL_COST[t] for t in TOOLS])[tool]
    return pa.table(
        {
            "person": ids.take(kind[order], person[order]),
            "tool": vocab(TOOLS, tool[order]),
            "assigned_at": ts_array(assigned[order]),
            "removed_at": ts_array(
                removed[order], has_removed[order] & (removed[order] < tl.end_ms)
            ),
            "monthly_cost": floats(cost[order]),
        }
    )


def events_table(
    ev: Cols, ids: Identifiers, idx: np.ndarray, first_id: int, first_session: int, n_sessions: int
) -> pa.Table:
    """Events (already sorted by time); `ev` carries chunk person, tool and session index."""
    kind = np.select(
        [ev["tool"] == CODE, ev["tool"] == DECISION], [ID_LOGIN, ID_EMPLOYEE], ID_EMAIL
    )
    session_ids = hex_ids("ses_", first_session, n_sessions, SALT["sessions"])
    return pa.table(
        {
            "event_id": hex_ids("evt_", first_id, len(ev["ts"]), SALT["events"]),
            "ts": ts_array(ev["ts"]),
            "person": ids.chunk(idx, kind, ev["person"]),
            "tool": vocab(TOOLS, ev["tool"]),
            "action": vocab(ACTIONS, ev["action"]),
            "surface": vocab(SURFACES, ev["surface"]),
            "workflow": vocab(WORKFLOW_IDS, ev["workflow"]),
            "session_id": dict_array(session_ids, ev["session"]),
            "duration_ms": ints(ev["duration_ms"], ev["duration_ms"] >= 0),
            "value": floats(ev["value"]),
            "attrs": vocab(MODEL_ATTRS, ev["attr"]),
        }
    )


def tasks_table(t: Cols, idx: np.ndarray, ids: Identifiers, first_id: int) -> pa.Table:
    """Workflow runs; engineering systems know people by login, decision desks by number."""
    kind = np.select([t["tool"] == CODE, t["tool"] == DECISION], [ID_LOGIN, ID_EMPLOYEE], ID_EMAIL)
    done = ~t["abandoned"]
    return pa.table(
        {
            "task_id": hex_ids("tsk_", first_id, len(t["start"]), SALT["tasks"]),
            "person": ids.chunk(idx, kind, t["person"]),
            "workflow": vocab(WORKFLOW_IDS, t["workflow"]),
            "started_at": ts_array(t["start"]),
            "completed_at": ts_array(t["end"], done),
            "status": vocab(["completed", "abandoned"], (~done).astype(np.int64)),
            "ai_assisted": pa.array(t["ai"], type=pa.bool_()),
            "minutes": floats(t["minutes"]),
        }
    )


def decisions_table(d: Cols, idx: np.ndarray, ids: Identifiers, first_id: int) -> pa.Table:
    """Decisions on model recommendations, with outcomes where they have arrived."""
    return pa.table(
        {
            "decision_id": hex_ids("dec_", first_id, len(d["ts"]), SALT["decisions"]),
            "ts": ts_array(d["ts"]),
            "person": ids.chunk(idx, ID_EMPLOYEE, d["person"]),
            "tool": vocab(TOOLS, np.full(len(d["ts"]), DECISION)),
            "workflow": vocab(WORKFLOW_IDS, d["workflow"]),
            "followed": pa.array(d["followed"], type=pa.bool_()),
            "outcome": floats(d["outcome"]),
            "outcome_ts": ts_array(d["outcome_ts"], d["outcome_ts"] >= 0),
        }
    )


def responses_table(r: Cols, g: np.ndarray, ids: Identifiers, first_id: int) -> pa.Table:
    """Survey answers; anonymous ones have no person and a segment instead."""
    kind = np.where(r["legacy"].astype(bool), ID_LEGACY, ID_EMAIL)
    return pa.table(
        {
            "response_id": hex_ids("rsp_", first_id, len(g), SALT["responses"]),
            "ts": ts_array(r["ts"]),
            "instrument": strings(r["instrument"]),
            "item": strings(r["item"]),
            "person": ids.take(kind, g),
            "score": floats(r["score"]),
            "text": strings(r["text"]),
            "segment": strings(r["segment"]),
        }
    )


def feedback_table(f: Cols, g: np.ndarray, ids: Identifiers, first_id: int) -> pa.Table:
    """Feedback items."""
    kind = np.select([f["id_kind"] == 2, f["id_kind"] == 1], [ID_EMPLOYEE, ID_LEGACY], ID_EMAIL)
    return pa.table(
        {
            "feedback_id": hex_ids("fbk_", first_id, len(g), SALT["feedback"]),
            "ts": ts_array(f["ts"]),
            "channel": strings(f["channel"]),
            "text": strings(f["text"]),
            "person": ids.take(kind, g),
            "category": strings(f["category"]),
            "status": strings(f["status"]),
            "resolved_at": ts_array(f["resolved_at"], f["resolved_at"] >= 0),
        }
    )


def help_table(h: Cols, ids: Identifiers) -> pa.Table:
    """Help edges between colleagues (both by e-mail)."""
    return pa.table(
        {
            "ts": ts_array(h["ts"]),
            "asker": ids.take(ID_EMAIL, h["asker"]),
            "helper": ids.take(ID_EMAIL, h["helper"]),
            "channel": strings(h["channel"]),
            "topic": strings(h["topic"]),
        }
    )


def interventions_table(iv: Cols, g: np.ndarray, ids: Identifiers, first_id: int) -> pa.Table:
    """Guidance cards and their holdout counterparts."""
    return pa.table(
        {
            "intervention_id": hex_ids("int_", first_id, len(g), SALT["interventions"]),
            "ts": ts_array(iv["ts"]),
            "person": ids.take(ID_EMAIL, g),
            "kind": strings(iv["kind"]),
            "ref": strings(iv["ref"]),
            "arm": strings(iv["arm"]),
            "status": strings(iv["status"]),
        }
    )
