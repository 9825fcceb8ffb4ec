"""Use-case proposals over the API, the form and the backlog page: counts, never who.

The served workspace (30 people, k = 5) gets 40 tasks of workflow `wf1` by 7 people, each
with and without AI, so a proposal linked to `wf1` shows both arms of its outcome.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from factories import FROZEN_NOW, person_id, rows
from server_helpers import sign_in
from uptake.web import create_app
from uptake.workspace import Workspace

AS_OF = "2026-03-03"


@pytest.fixture(scope="module")
def site(served: tuple[Path, dict[str, str]]) -> Iterator[tuple[TestClient, dict[str, str]]]:
    folder, tokens = served
    with Workspace.open(folder) as ws:
        ws.ingest_frame("tasks", pd.DataFrame(rows("tasks", 40)), source="t", now=FROZEN_NOW)
        extra = {"person6": ws.create_token("person", [f"person:{person_id(6)}"])["token"]}
    with TestClient(create_app(folder), raise_server_exceptions=False) as c:
        yield c, {**tokens, **extra}


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_propose_vote_link_and_read_the_backlog(site: tuple[TestClient, dict[str, str]]) -> None:
    c, t = site
    r = c.post(
        "/v1/proposals",
        headers=_h(t["person"]),
        json={"title": "Variance commentary drafts", "priority": 1, "workflow": "wf1"},
    )
    assert r.status_code == 200, r.text
    pid = r.json()["proposal_id"]
    assert r.json()["team"] == "team3"  # the proposer's team on the roster
    for role, status in (("analyst", 403), ("ingest", 403)):
        assert (
            c.post("/v1/proposals", headers=_h(t[role]), json={"title": "x"}).status_code == status
        )
    bad = c.post("/v1/proposals", headers=_h(t["person"]), json={"title": "x", "priority": 12})
    assert bad.status_code == 400 and "priority" in bad.json()["message"]
    # A team must be on the roster, and a person proposes for their own team only.
    nowhere = c.post("/v1/proposals", headers=_h(t["admin"]), json={"title": "x", "team": "t9"})
    assert nowhere.status_code == 400 and "no one on the roster" in nowhere.json()["message"]
    other = c.post("/v1/proposals", headers=_h(t["person"]), json={"title": "x", "team": "team1"})
    assert other.status_code == 403 and "own team" in other.json()["message"]
    # One vote per person; a repeat changes nothing.
    assert c.post(f"/v1/proposals/{pid}/vote", headers=_h(t["person"])).json() == {
        "proposal_id": pid,
        "votes": 1,
        "counted": True,
    }
    again = c.post(f"/v1/proposals/{pid}/vote", headers=_h(t["person"])).json()
    assert again["votes"] == 1 and again["counted"] is False
    assert c.post(f"/v1/proposals/{pid}/vote", headers=_h(t["person6"])).json()["votes"] == 2
    assert c.post(f"/v1/proposals/{pid}/vote", headers=_h(t["analyst"])).status_code == 403
    assert c.post("/v1/proposals/prop_nope/vote", headers=_h(t["person"])).status_code == 404
    # Linking is for admins, to a workflow the data knows.
    link = f"/v1/proposals/{pid}/link"
    assert c.post(link, headers=_h(t["person"]), json={"workflow": "wf1"}).status_code == 403
    unknown = c.post(link, headers=_h(t["admin"]), json={"workflow": "no.such"})
    assert unknown.status_code == 400 and "workflow catalogue" in unknown.json()["message"]
    assert c.post(link, headers=_h(t["admin"]), json={"workflow": "wf1"}).status_code == 200
    doc = c.get(f"/v1/proposals?as_of={AS_OF}", headers=_h(t["analyst"]))
    assert doc.status_code == 200
    row = next(p for p in doc.json()["proposals"] if p["proposal_id"] == pid)
    assert (row["votes"], row["status"], row["catalogued_workflow"]) == (2, "catalogued", "wf1")
    arms = row["outcome"]["arms"]
    assert arms["ai_assisted"]["people"] == 7 and arms["without_ai"]["people"] == 7
    assert arms["ai_assisted"]["completion_rate"] == 1.0
    # Counts, never who: no person key anywhere in the document.
    assert not re.search(r"p_[0-9a-f]{20}", doc.text) and "proposer" not in doc.text
    mine = c.get(f"/v1/proposals?as_of={AS_OF}", headers=_h(t["person"])).json()
    row = next(p for p in mine["proposals"] if p["proposal_id"] == pid)
    assert row["outcome"]["status"] == "hidden" and row["voted"] is True


def test_the_form_and_the_backlog_page(site: tuple[TestClient, dict[str, str]]) -> None:
    c, t = site
    c.cookies.clear()
    sign_in(c, t["person6"])
    form = c.get("/forms/proposal")
    assert form.status_code == 200 and 'for="title"' in form.text
    empty = c.post("/forms/proposal", data={"csrf": _csrf(form.text), "title": " "})
    assert empty.status_code == 400 and 'role="alert"' in empty.text
    forged = c.post("/forms/proposal", data={"title": "Month-end checklist"})
    assert forged.status_code == 403
    r = c.post(
        "/forms/proposal",
        follow_redirects=False,
        data={"csrf": _csrf(form.text), "title": "Month-end checklist", "priority": "2"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/proposals"
    page = c.get("/proposals")
    assert page.status_code == 200 and "Month-end checklist" in page.text
    assert "not catalogued yet" in page.text
    pid = re.search(
        r'data-proposal="([^"]+)">\s*<td>\d*</td>\s*<th scope="row">Month-end', page.text
    )
    assert pid, page.text
    vote = f"/forms/proposal/{pid.group(1)}/vote"
    assert f'action="{vote}"' in page.text
    assert c.post(vote, data={}).status_code == 403
    done = c.post(vote, data={"csrf": _csrf(page.text)}, follow_redirects=False)
    assert done.status_code == 303
    assert "You voted" in c.get("/proposals").text
    csv = c.get("/proposals/proposals.csv")
    assert csv.status_code == 200 and "Month-end checklist" in csv.text


def test_intake_still_takes_rows_beside_the_proposals_routes(
    site: tuple[TestClient, dict[str, str]],
) -> None:
    c, t = site
    r = c.post(
        "/v1/feedback",
        headers=_h(t["ingest"]),
        json=[
            {
                "feedback_id": "fx1",
                "ts": "2026-03-02T10:00:00Z",
                "channel": "email",
                "text": "hello",
            }
        ],
    )
    assert r.status_code == 200 and r.json()["accepted"] == 1


def test_an_admin_sees_the_measured_outcome_on_the_page(
    site: tuple[TestClient, dict[str, str]],
) -> None:
    c, t = site
    pid = c.post("/v1/proposals", headers=_h(t["admin"]), json={"title": "Ticket triage"})
    pid = pid.json()["proposal_id"]
    assert (
        c.post(
            f"/v1/proposals/{pid}/link", headers=_h(t["admin"]), json={"workflow": "wf1"}
        ).status_code
        == 200
    )
    c.cookies.clear()
    sign_in(c, t["admin"])
    page = c.get(f"/proposals?as_of={AS_OF}")
    assert page.status_code == 200, page.text
    assert "100 % completed" in page.text and "(7 people, 20 runs)" in page.text
    nothing = c.get("/proposals?as_of=2020-01-01")
    assert "not available: needs tasks of this workflow in the window" in nothing.text
    analyst = c.get(f"/v1/proposals/proposals.csv?as_of={AS_OF}", headers=_h(t["analyst"]))
    assert analyst.status_code == 200 and "ai_assisted_completion_rate" in analyst.text
