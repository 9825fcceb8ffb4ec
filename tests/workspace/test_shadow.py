"""`Workspace.shadow_ai`: unsanctioned AI tools per segment, for those who read aggregates."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from factories import FROZEN_NOW
from uptake.errors import InputError, PermissionDeniedError
from uptake.programme.shadow import COMPLEMENTARY, NEEDS, SMALL
from uptake.workspace import Workspace
from uptake.workspace.access import Actor

AS_OF = date(2026, 5, 31)
PERSON_KEY = re.compile(r"p_[0-9a-f]{20}")
# Teams: a (12 people, 6 on Claude), b (12, 6 on Poe and Claude), c (12, none), d (3, 2 on
# Claude and Poe), f (3, none). d and f are below k; a is hidden to cover d's two people.
TEAMS = ["a"] * 12 + ["b"] * 12 + ["c"] * 12 + ["d"] * 3 + ["f"] * 3
USERS = {0, 1, 2, 3, 4, 5} | {12, 13, 14, 15, 16, 17} | {36, 37}


def _people() -> list[str]:
    return [f"user{i}@example.org" for i in range(len(TEAMS))]


def _fill(ws: Workspace, tmp_path: Path) -> None:
    people = _people()
    ws.ingest_frame("people", pd.DataFrame({"person": people, "team": TEAMS}),
                    source="p", now=FROZEN_NOW, refresh=False)  # fmt: skip
    # Everyone holds ChatGPT Enterprise: chatgpt.com is sanctioned by the licence data.
    ws.ingest_frame("licenses", pd.DataFrame({"person": people, "tool": "chatgpt-enterprise",
                    "assigned_at": "2026-04-01T00:00:00Z"}),
                    source="l", now=FROZEN_NOW, refresh=False)  # fmt: skip
    lines = ["timestamp,user,domain"]
    for i, p in enumerate(people):
        lines.append(f"2026-05-20T09:00:00Z,{p},chatgpt.com")
        lines.append(f"2026-05-20T09:05:00Z,{p},intranet.example.org")
        if i in USERS:
            lines.append(f"2026-05-2{i % 3}T10:00:00Z,{p},claude.ai")
            if TEAMS[i] in ("b", "d"):
                lines.append(f"2026-05-22T11:00:00Z,{p},www.poe.com")
    # Outside the window: not counted.
    lines.append(f"2026-03-01T10:00:00Z,{people[25]},claude.ai")
    log = tmp_path / "proxy.csv"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ws.ingest("ai_web_visits", [log], fmt="proxy", now=FROZEN_NOW, refresh=False)
    answers = []
    for i, p in enumerate(people[:36]):
        yes = i % 2 == 0
        answers.append({"response_id": f"s{i}:shadow_ai", "ts": "2026-05-25T09:00:00Z",
                        "instrument": "pulse", "item": "shadow_ai", "person": p,
                        "score": 1.0 if yes else 0.0})  # fmt: skip
        if yes:
            answers.append({"response_id": f"s{i}:shadow_ai_tools", "ts": "2026-05-25T09:00:00Z",
                            "instrument": "pulse", "item": "shadow_ai_tools", "person": p,
                            "text": "Claude, sometimes perplexity.ai"})  # fmt: skip
    # Anonymous answers carry their segment instead of the person.
    for j in range(6):
        answers.append({"response_id": f"anon{j}:shadow_ai", "ts": "2026-05-26T09:00:00Z",
                        "instrument": "pulse", "item": "shadow_ai", "person": None,
                        "score": 1.0, "segment": json.dumps({"team": "e"})})  # fmt: skip
    for j in range(6):
        answers.append({"response_id": f"anon{j + 6}:shadow_ai", "ts": "2026-05-26T09:00:00Z",
                        "instrument": "pulse", "item": "shadow_ai", "person": None,
                        "score": 0.0, "segment": json.dumps({"team": "e"})})  # fmt: skip
    ws.ingest_frame("responses", pd.DataFrame(answers), source="r", now=FROZEN_NOW)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    mp = pytest.MonkeyPatch()
    mp.delenv("UPTAKE_SECRET", raising=False)
    mp.delenv("UPTAKE_WORKSPACE", raising=False)
    root = tmp_path_factory.mktemp("shadow")
    with Workspace.init(root / "ws") as w:
        _fill(w, root)
        yield w
    mp.undo()


def test_people_on_unsanctioned_tools_per_team(ws: Workspace) -> None:
    doc = ws.shadow_ai(as_of=AS_OF, by="team")
    assert doc["status"] == "ok" and doc["by"] == "team"
    assert doc["catalogue"]["sanctioned"] == ["ChatGPT"]
    proxy = doc["proxy"]
    assert (proxy["start"], proxy["end"]) == ("2026-05-04", "2026-05-31")
    rows = {r["segment"]: r for r in proxy["segments"]}
    # d and f have 3 people each: below k, hidden with why.
    assert rows["d"] == {"segment": "d", "suppressed": SMALL}
    assert rows["f"] == {"segment": "f", "suppressed": SMALL}
    # d's two people would be the organisation's 14 minus the teams shown: a covers them.
    assert rows["a"]["roster"] == 12
    assert rows["a"]["people"] is None and rows["a"]["people_hidden"] == COMPLEMENTARY
    assert rows["a"]["tools"] == []
    assert rows["b"]["people"] == 6 and rows["b"]["share"] == 0.5
    # Poe in b is hidden too: d's two Poe users would be the organisation's 8 minus b's 6.
    assert rows["b"]["tools"] == [{"tool": "Claude", "people": 6, "share": 0.5}]
    assert rows["b"]["hidden_tools"] == 1
    assert rows["c"]["people"] == 0 and rows["c"]["tools"] == []
    org = proxy["organisation"]
    assert (org["roster"], org["people"], org["share"]) == (42, 14, 0.3333)
    assert org["tools"] == [{"tool": "Claude", "people": 14, "share": 0.3333},
                            {"tool": "Poe", "people": 8, "share": 0.1905}]  # fmt: skip


def test_survey_shares_and_tools_named_including_anonymous_answers(ws: Workspace) -> None:
    survey = ws.shadow_ai(as_of=AS_OF, by="team")["survey"]
    rows = {r["segment"]: r for r in survey["segments"]}
    assert rows["e"]["respondents"] == 12 and rows["e"]["yes"] == 6
    assert rows["a"]["respondents"] == 12 and rows["a"]["yes"] == 6
    assert rows["a"]["tools_named"] == [
        {"tool": "Claude", "people": 6, "sanctioned": False},
        {"tool": "Perplexity", "people": 6, "sanctioned": False},
    ]
    org = survey["organisation"]
    assert (org["respondents"], org["yes"], org["share"]) == (48, 24, 0.5)
    named = {t["tool"]: t["people"] for t in org["tools_named"]}
    assert named == {"Claude": 18, "Perplexity": 18}


def test_no_person_appears_and_hidden_values_say_why(ws: Workspace) -> None:
    doc = ws.shadow_ai(as_of=AS_OF, by="team")
    text = json.dumps(doc)
    assert not PERSON_KEY.search(text)
    assert "@example.org" not in text
    for row in doc["proxy"]["segments"] + doc["survey"]["segments"]:
        for key, value in row.items():
            if key.endswith("_hidden") and value:
                assert value in (SMALL, COMPLEMENTARY)


def test_organisation_only_without_by(ws: Workspace) -> None:
    doc = ws.shadow_ai(as_of=AS_OF)
    assert doc["proxy"]["segments"] == [] and doc["proxy"]["organisation"]["people"] == 14


def test_only_aggregate_readers(ws: Workspace) -> None:
    assert ws.shadow_ai(as_of=AS_OF, actor=Actor("token:analyst1", "analyst"))["status"] == "ok"
    for who in (Actor("token:manager1", "manager", teams=("a",)),
                Actor("token:person11", "person", person_key="p_x"),
                Actor("token:coach111", "coach", teams=("a",))):  # fmt: skip
        with pytest.raises(PermissionDeniedError):
            ws.shadow_ai(as_of=AS_OF, actor=who)
    with pytest.raises(InputError, match="unknown segment"):
        ws.shadow_ai(as_of=AS_OF, by="shoe_size")


def test_missing_inputs_say_what_is_needed(workspace: Workspace) -> None:
    workspace.ingest_frame("people", pd.DataFrame({"person": _people()}), source="p",
                           now=FROZEN_NOW)  # fmt: skip
    doc = workspace.shadow_ai(as_of=AS_OF)
    assert doc["status"] == "not_available" and doc["needs"] == [NEEDS]
    assert doc["proxy"]["needs"] == ["ai_web_visits (proxy logs: uptake ingest --format proxy)"]
