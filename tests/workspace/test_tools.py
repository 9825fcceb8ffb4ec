"""`Workspace.tools`: per-tool usage, the tool mix and cost, for those who may read aggregates."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from factories import FROZEN_NOW
from uptake.errors import InputError, PermissionDeniedError
from uptake.workspace import Workspace
from uptake.workspace.access import Actor

AS_OF = date(2026, 5, 31)


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    """20 people with Copilot; 10 of them also in weekly ChatGPT Enterprise exports."""
    people = [f"user{i}@example.org" for i in range(20)]
    workspace.ingest_frame(
        "people",
        pd.DataFrame({"person": people, "team": ["a"] * 10 + ["b"] * 10}),
        source="p", now=FROZEN_NOW, refresh=False,
    )  # fmt: skip
    workspace.ingest_frame(
        "licenses",
        pd.DataFrame({"person": people, "tool": "github-copilot",
                      "assigned_at": "2026-01-05T00:00:00Z", "monthly_cost": 19.0}),
        source="l", now=FROZEN_NOW, refresh=False,
    )  # fmt: skip
    days = [AS_OF - timedelta(days=d) for d in range(3)]
    workspace.ingest_frame(
        "events",
        pd.DataFrame([{"event_id": f"e{i}-{d}", "ts": f"{d}T10:00:00Z", "person": p,
                       "tool": "github-copilot", "action": "prompt"}
                      for i, p in enumerate(people) for d in days]),
        source="e", now=FROZEN_NOW, refresh=False,
    )  # fmt: skip
    week = {"granularity": "week", "period_start": "2026-05-25", "period_end": "2026-05-31"}
    workspace.ingest_frame(
        "person_facts",
        pd.DataFrame([{"person": p, "source": "chatgpt-enterprise-engagement",
                       "tool": "chatgpt-enterprise", "report_date": "2026-05-31",
                       "fact": "messages", "value": 12.0, "attrs": week} for p in people[:10]]),
        source="f", now=FROZEN_NOW,
    )  # fmt: skip
    return workspace


def test_tools_document(ws: Workspace) -> None:
    doc = ws.tools(as_of=AS_OF)
    assert doc["as_of"] == AS_OF.isoformat() and doc["as_of_rule"] == "given"
    assert doc["currency"] == "USD" and doc["min_group_size"] == 5
    rows = {r["segment"]: r for r in doc["tool_usage"]["segments"]}
    chat = rows["chatgpt-enterprise"]
    assert chat["grain"] == "week" and chat["active_days_per_active"] is None
    assert chat["daily_note"] == "not available at daily grain: chatgpt-enterprise reports weekly"
    assert not rows["github-copilot"]["suppressed"]
    assert rows["github-copilot"]["daily_note"] is None
    combos = {r["segment"] for r in doc["tool_mix"]["combinations"]}
    assert combos == {"chatgpt-enterprise + github-copilot", "github-copilot only"}
    cost = {r["segment"]: r for r in doc["tool_cost"]["segments"]}
    assert cost["github-copilot"]["currency"] == "USD"
    # Whether counts carry noise is said, as the settings decide (tests run exact).
    assert doc["privacy"]["noise"] is ws.settings.privacy.noise
    assert ("noise" in doc["tool_usage"]) is ws.settings.privacy.noise


def test_usage_segments_per_tool_in_the_document(ws: Workspace) -> None:
    doc = ws.tools(as_of=AS_OF)
    segs = doc["usage_segments"]
    # Three days of data: the 4-week variant is the one to read, and the document holds it.
    assert segs["metric"] == "usage_segments_4w" and segs["recommended"] is True
    assert segs["by"] == "tool"
    rows = {r["segment"]: r for r in segs["segments"]}
    # ChatGPT Enterprise has no seats here: no seat holders to class.
    assert set(rows) == {"github-copilot"}
    gh = rows["github-copilot"]
    # One action on each of 3 days: 3 ÷ 4 weeks < 1 a week, so every seat holder is low.
    assert (gh["n"], gh["low"], gh["power"], gh["non_user"]) == (20, 20, 0, 0)
    assert any(n.startswith("github-copilot: under a week of use") for n in segs["notes"])
    # Split by team, the segments come from the same plan and say the same.
    split = ws.tools(as_of=AS_OF, by="team")["usage_segments"]
    assert split["segments"] == segs["segments"]


def test_by_team_splits_the_mix(ws: Workspace) -> None:
    doc = ws.tools(as_of=AS_OF, by="team")
    assert doc["by"] == "team"
    assert {r["segment"] for r in doc["tool_mix"]["segments"]} <= {"a", "b"}
    assert ws.tools(as_of=AS_OF, by="tool")["by"] is None
    with pytest.raises(InputError):
        ws.tools(as_of=AS_OF, by="shoe size")


def test_only_aggregate_readers(ws: Workspace) -> None:
    assert ws.tools(as_of=AS_OF, actor=Actor("token:analyst1", "analyst"))["tool_usage"]
    for who in (Actor("token:manager1", "manager", teams=("a",)),
                Actor("token:person11", "person", person_key="p_x"),
                Actor("token:ingest11", "ingest")):  # fmt: skip
        with pytest.raises(PermissionDeniedError):
            ws.tools(as_of=AS_OF, actor=who)
