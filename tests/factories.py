"""Factory of valid canonical input rows for every table, and writers for the three formats."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from uptake.schema.tables import TABLES

BASE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FROZEN_NOW = datetime(2026, 6, 1, tzinfo=UTC)


def person_id(i: int) -> str:
    return f"person{i}@example.org"


def rows(table: str, n: int, start: int = 0) -> list[dict[str, Any]]:
    """`n` valid input rows for `table`, distinct keys from `start` on."""
    out = []
    for i in range(start, start + n):
        ts = (BASE + timedelta(hours=i)).isoformat().replace("+00:00", "Z")
        p = person_id(i % 7)
        r: dict[str, Any]
        if table == "people":
            r = {
                "person": person_id(i),
                "aliases": [f"login{i}", f"E{i:05d}"],
                "role": ["analyst", "engineer", "agent"][i % 3],
                "function": ["finance", "engineering", "customer service"][i % 3],
                "team": f"team{i % 4}",
                "manager": person_id(0) if i else None,
                "location": "Lisbon",
                "hire_date": f"2024-0{1 + i % 9}-1{i % 10}",
                "employment_status": ["active", "leave", "left"][i % 3],
                "attrs": {"grade": i % 5},
            }
        elif table == "licenses":
            r = {
                "person": person_id(i),
                "tool": "copilot",
                "assigned_at": ts,
                "removed_at": None,
                "monthly_cost": 30.0,
                "evidence": None,
            }
        elif table == "events":
            r = {
                "event_id": f"ev{i}",
                "ts": ts,
                "person": p,
                "tool": "copilot",
                "action": ["prompt", "accept", "session_start"][i % 3],
                "surface": "word",
                "workflow": "wf1",
                "session_id": f"s{i // 3}",
                "duration_ms": 1000 + i,
                "value": 0.5 * i,
                "quantity": 1 + i % 3,
                "attrs": {"n": i},
            }
        elif table == "tasks":
            r = {
                "task_id": f"t{i}",
                "person": p,
                "workflow": "wf1",
                "started_at": ts,
                "completed_at": ts,
                "status": "completed",
                "ai_assisted": i % 2 == 0,
                "minutes": 10.0 + i,
            }
        elif table == "decisions":
            r = {
                "decision_id": f"d{i}",
                "ts": ts,
                "person": p,
                "tool": "scorer",
                "workflow": "wf1",
                "followed": i % 3 != 0,
                "outcome": float(i),
                "outcome_ts": ts,
            }
        elif table == "responses":
            r = {
                "response_id": f"r{i}",
                "ts": ts,
                "instrument": "pulse",
                "item": "confidence",
                "person": p,
                "score": float(i % 11),
                "text": f"answer {i}",
                "segment": None,
            }
        elif table == "feedback":
            r = {
                "feedback_id": f"f{i}",
                "ts": ts,
                "channel": "ticket",
                "text": f"note {i}",
                "person": p,
                "category": "bug",
                "status": "open",
                "resolved_at": None,
            }
        elif table == "help_edges":
            r = {
                "ts": ts,
                "asker": p,
                "helper": person_id((i + 1) % 7),
                "channel": "chat",
                "topic": f"topic {i}",
            }
        elif table == "workflows":
            r = {
                "workflow": f"wf{i}",
                "name": f"Workflow {i}",
                "roles": ["analyst"],
                "stakes": "high" if i % 2 else "low",
                "baseline_minutes": 30.0,
                "steps_before": 5,
                "steps_after": 3,
                "ai_mode": "augment",
            }
        elif table == "interventions":
            r = {
                "intervention_id": f"i{i}",
                "ts": ts,
                "person": p,
                "kind": "tip",
                "ref": "x",
                "arm": "treatment",
                "status": "delivered",
            }
        elif table == "aggregate_facts":
            r = {
                "day": f"2026-03-{1 + i % 28:02d}",
                "source": "vendor",
                "tool": "copilot",
                "metric": f"m{i}",
                "scope": "org",
                "dims": {"k": i},
                "value": float(i),
            }
        elif table == "person_facts":
            r = {
                "person": p,
                "source": "m365",
                "tool": "copilot",
                "report_date": f"2026-03-{1 + i % 28:02d}",
                "fact": f"f{i}",
                "value_date": "2026-03-01",
                "value": float(i),
                "attrs": None,
            }
        elif table == "ai_web_visits":
            r = {
                "ts": ts,
                "person": p,
                "domain": ["claude.ai", "chat.openai.com", "perplexity.ai"][i % 3],
                "tool": ["Claude", "ChatGPT", "Perplexity"][i % 3],
                "sanctioned": i % 3 == 1,
            }
        else:  # pragma: no cover - every table is listed above
            raise KeyError(table)
        assert set(r) == set(TABLES[table].names), table
        out.append(r)
    return out


def _csv_value(v: Any) -> Any:
    if isinstance(v, dict | list):
        return json.dumps(v)
    return v


def write(records: list[dict[str, Any]], path: Path) -> Path:
    """Write records as CSV, JSON Lines or Parquet according to the suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    elif path.suffix == ".csv":
        pd.DataFrame([{k: _csv_value(v) for k, v in r.items()} for r in records]).to_csv(
            path, index=False
        )
    else:
        frame = pd.DataFrame(records)
        for c in frame.columns:
            if frame[c].map(lambda v: isinstance(v, dict)).any():
                frame[c] = frame[c].map(lambda v: json.dumps(v) if v is not None else None)
        frame.to_parquet(path, index=False)
    return path


def simulated_workspace(
    root: Path, *, people: int, days: int, seed: int, emit: str = "canonical"
) -> Path:
    """Simulate an organisation from 1 June 2026, ingest one view of it, refresh the facts.

    Args:
        root: a new folder (the simulation goes to `root/sim`, the workspace to `root/ws`).
        people: people simulated.
        days: days simulated.
        seed: the simulator's seed.
        emit: `canonical` or `vendor`.

    Returns:
        The workspace's folder (closed).
    """
    from uptake.evaluate.views import ingest_plan
    from uptake.simulate import simulate
    from uptake.workspace import Workspace

    sim = root / "sim"
    simulate(people=people, days=days, seed=seed, start=date(2026, 6, 1), out=sim, emit=emit)
    with Workspace.init(root / "ws") as ws:
        for table, paths, fmt, options in ingest_plan(sim, emit):
            ws.ingest(table, paths, fmt=fmt, options=options, refresh=False)
        ws.refresh()
    return root / "ws"
