"""`Workspace.coach_effect`: the effect between arms, for those who may read aggregates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pandas as pd
import pytest

from factories import FROZEN_NOW
from uptake.errors import InputError, PermissionDeniedError
from uptake.workspace import Workspace
from uptake.workspace.access import Actor

START = date(2026, 3, 2)  # a Monday
ASSIGNED = date(2026, 4, 13)
AS_OF = date(2026, 5, 31)  # a Sunday


def _fill(ws: Workspace, arms: bool = True) -> None:
    """Twelve people: six treated (five start using the tool daily), six in the holdout."""
    people = [f"user{i}@example.org" for i in range(12)]
    ws.ingest_frame("people", pd.DataFrame({"person": people, "team": ["a", "b"] * 6}),
                    source="p", now=FROZEN_NOW, refresh=False)  # fmt: skip
    ws.ingest_frame("licenses", pd.DataFrame({"person": people, "tool": "github-copilot",
                    "assigned_at": f"{START}T00:00:00Z"}),
                    source="l", now=FROZEN_NOW, refresh=False)  # fmt: skip
    rows = []
    for i, p in enumerate(people):
        days = {START + timedelta(days=7 * w) for w in range(13)}
        if i < 5:
            days |= {ASSIGNED + timedelta(days=d) for d in range(49) if d % 7 < 5}
        rows += [{"event_id": f"e{i}-{d}", "ts": f"{d}T10:00:00Z", "person": p,
                  "tool": "github-copilot", "action": "prompt"} for d in sorted(days)]  # fmt: skip
    ws.ingest_frame("events", pd.DataFrame(rows), source="e", now=FROZEN_NOW, refresh=not arms)
    if arms:
        cards = pd.DataFrame({
            "intervention_id": [f"c{i}" for i in range(12)],
            "ts": f"{ASSIGNED}T09:00:00Z",
            "person": people,
            "kind": "use_case",
            "arm": ["treatment"] * 6 + ["holdout"] * 6,
        })  # fmt: skip
        ws.ingest_frame("interventions", cards, source="i", now=FROZEN_NOW)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """One filled workspace for the module's read-only tests (ingesting is the slow part)."""
    mp = pytest.MonkeyPatch()
    mp.delenv("UPTAKE_SECRET", raising=False)
    mp.delenv("UPTAKE_WORKSPACE", raising=False)
    with Workspace.init(tmp_path_factory.mktemp("coach-effect") / "ws") as w:
        _fill(w)
        yield w
    mp.undo()


def test_effect_between_imported_arms(ws: Workspace) -> None:
    doc = ws.coach_effect(as_of=AS_OF)
    assert doc["status"] == "ok" and doc["arms"] == {"treatment": 6, "holdout": 6}
    assert doc["as_of"] == AS_OF.isoformat() and doc["as_of_rule"] == "given"
    assert doc["min_group_size"] == 5 and doc["privacy"]["noise"] is False
    up = doc["outcomes"]["moved_up"]
    assert (
        up["difference"]["value"] == pytest.approx(5 / 6, abs=1e-4)
        and up["difference"]["ci_low"] > 0
    )
    assert doc["basis"] == "proxy: activity"
    # Asked again: the same answer.
    assert ws.coach_effect(as_of=AS_OF) == doc


def test_segments_below_k_are_not_shown(ws: Workspace) -> None:
    doc = ws.coach_effect(as_of=AS_OF, by="team")
    assert doc["by"] == "team"
    assert [s["status"] for s in doc["segments"]] == ["not_available", "not_available"]
    assert all("needs ≥ 5 people in each arm" in s["reason"] for s in doc["segments"])


def test_only_aggregate_readers(ws: Workspace) -> None:
    assert ws.coach_effect(as_of=AS_OF, actor=Actor("token:analyst1", "analyst"))["outcomes"]
    for who in (Actor("token:manager1", "manager", teams=("a",)),
                Actor("token:person1", "person", person_key="p_x"),
                Actor("token:coach1", "coach", teams=("a",)),
                Actor("token:ingest1", "ingest")):  # fmt: skip
        with pytest.raises(PermissionDeniedError):
            ws.coach_effect(as_of=AS_OF, actor=who)


def test_unknown_segment_is_refused(ws: Workspace) -> None:
    with pytest.raises(InputError, match="unknown segment"):
        ws.coach_effect(as_of=AS_OF, by="shoe_size")


def test_without_arms_it_is_not_available(workspace: Workspace) -> None:
    _fill(workspace, arms=False)
    doc = workspace.coach_effect(as_of=AS_OF)
    assert doc["status"] == "not_available" and doc["outcomes"] == {}
    assert doc["verdict"].startswith("not available: needs people assigned")
