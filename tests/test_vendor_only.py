"""Hand-built vendor files with known answers: counts, not rows, from a GitHub report."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from uptake.workspace import Workspace

AS_OF = date(2024, 3, 31)  # a Sunday: the 4 weeks start on Mondays 03-04 … 03-25
MONDAYS = [date(2024, 3, 4) + timedelta(weeks=w) for w in range(4)]
HEAVY = ["heavy1", "heavy2", "heavy3"]
LIGHT = ["light1", "light2", "light3"]


def _record(login: str, day: date, suggestions: int) -> dict[str, object]:
    feature = {
        "feature": "code_completion",
        "code_generation_activity_count": suggestions,
        "code_acceptance_activity_count": 0,
        "user_initiated_interaction_count": 0,
    }
    return {"user_login": login, "day": day.isoformat(), "totals_by_feature": [feature]}


def _files(tmp: Path) -> dict[str, Path]:
    records = []
    for monday in MONDAYS:
        for login in HEAVY:  # five days a week, 30 suggestions a day
            records += [_record(login, monday + timedelta(days=d), 30) for d in range(5)]
        for login in LIGHT:  # one day a week, 150 suggestions in that one record
            records.append(_record(login, monday, 150))
    usage = tmp / "users-1-day.ndjson"
    usage.write_text("".join(json.dumps(r) + "\n" for r in records))
    roster = tmp / "roster.csv"
    pd.DataFrame(
        {
            "person": [f"{p}@corp.example" for p in HEAVY + LIGHT],
            "aliases": [json.dumps([p]) for p in HEAVY + LIGHT],
            "team": "platform",
        }
    ).to_csv(roster, index=False)
    seats = tmp / "seats.json"
    seats.write_text(
        json.dumps(
            {
                "total_seats": 6,
                "seats": [
                    {"created_at": "2024-01-02T00:00:00Z", "assignee": {"login": p, "id": i}}
                    for i, p in enumerate(HEAVY + LIGHT)
                ],
            }
        )
    )
    return {"usage": usage, "roster": roster, "seats": seats}


def test_counts_not_rows_and_the_light_user_rule(tmp_path: Path) -> None:
    files = _files(tmp_path)
    ws = Workspace.init(tmp_path / "ws", {"privacy.min_group_size": 3})
    ws.ingest("people", [files["roster"]])
    ws.ingest("licenses", [files["seats"]], fmt="github-copilot-seats")
    [r] = ws.ingest("events", [files["usage"]], fmt="github-copilot-usage")
    assert r.quarantined == 0
    report = ws.metrics(as_of=AS_OF)
    # Counts, not rows: 150 and 5 × 30 suggestions a week are ≥ 15 actions a week, used in
    # all 4 weeks → all six are power users (one row a day would make the light three low).
    segments = report["usage_segments_4w"].values
    assert (segments["power"], segments["habitual"], segments["novice"]) == (6, 0, 0)
    # The ladder's proxy counts days: one day a week stays L2 however large the count;
    # 20 days in 4 weeks is L4 (no feedback or decisions to judge).
    ladder = report["adoption_ladder"]
    assert ladder.basis == "proxy: activity"
    assert (ladder.values["L2"], ladder.values["L3"], ladder.values["L4"]) == (3, 0, 3)
    assert report["usage_rate"].values["active"] == 6
