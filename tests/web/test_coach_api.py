"""The coach's API on the simulated organisation: cards, interactions, choices, permissions."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from uptake.web import create_app
from uptake.workspace import Workspace


@pytest.fixture(scope="module")
def site(org: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A copy of the served organisation (cards are written), quiet hours off."""
    folder = tmp_path_factory.mktemp("coach") / "ws"
    shutil.copytree(org.folder, folder)
    mp = pytest.MonkeyPatch()
    # The API reads the wall clock: no quiet hours, so whatever time CI runs, cards may show.
    mp.setenv("UPTAKE__COACH__QUIET_START", "00:00")
    mp.setenv("UPTAKE__COACH__QUIET_END", "00:00")
    with Workspace.open(folder) as ws:
        people = ws.con.execute(
            "SELECT person_key, team FROM dim_person ORDER BY person_key"
        ).fetchall()
        token = {
            "person": org.tokens["person"],
            "coach": org.tokens["coach"],
            "admin": org.tokens["admin"],
            "analyst": org.tokens["analyst"],
        }
    with TestClient(create_app(folder), raise_server_exceptions=False) as c:
        yield {"client": c, "org": org, "token": token, "people": people, "folder": folder}
    mp.undo()


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _next(s: dict[str, Any], role: str, **params: str) -> Any:
    return s["client"].get("/v1/coach/next", params=params, headers=_h(s["token"][role]))


def test_a_person_asks_for_their_own_card(site: dict[str, Any]) -> None:
    got = _next(site, "person", surface="excel")
    assert got.status_code in (200, 204), got.text
    if got.status_code == 200:
        card = got.json()
        assert set(card) == {"card_id", "kind", "title", "body", "steps", "prompt", "use_case",
                             "reason", "expires"}  # fmt: skip
        assert "p_" not in card["title"] + card["body"]
    assert site["client"].get("/v1/coach/next").status_code == 401


def test_a_person_cannot_ask_for_someone_else(site: dict[str, Any]) -> None:
    other = next(k for k, _ in site["people"] if k != site["org"].person_key)
    got = _next(site, "person", person=other)
    assert got.status_code == 403
    # Nor for someone who does not exist: refused alike.
    assert _next(site, "person", person="nobody@example.com").status_code == 403
    assert _next(site, "analyst", person=other).status_code == 403


def test_a_coach_asks_within_its_teams_only(site: dict[str, Any]) -> None:
    team = site["org"].team
    inside = next(k for k, t in site["people"] if t == team)
    outside = next(k for k, t in site["people"] if t is not None and t != team)
    assert _next(site, "coach", person=inside).status_code in (200, 204)
    assert _next(site, "coach", person=outside).status_code == 403
    assert _next(site, "coach").status_code == 400


def test_act_on_a_card_and_it_is_stored(site: dict[str, Any]) -> None:
    card = None
    for key, _team in site["people"]:
        got = _next(site, "admin", person=key, workflow="fin.variance_analysis")
        assert got.status_code in (200, 204), got.text
        if got.status_code == 200:
            card = got.json()
            break
    assert card is not None, "someone in the organisation gets a card"
    again = _next(site, "admin", person=key, workflow="fin.variance_analysis")
    assert again.json()["card_id"] == card["card_id"], "an open card is shown again"
    c = site["client"]
    posted = c.post("/v1/coach/interactions", headers=_h(site["token"]["admin"]),
                    json={"card_id": card["card_id"], "action": "acted"})  # fmt: skip
    assert posted.status_code == 200 and posted.json()["status"] == "acted"
    bad = c.post("/v1/coach/interactions", headers=_h(site["token"]["admin"]),
                 json={"card_id": card["card_id"], "action": "liked"})  # fmt: skip
    assert bad.status_code == 400 and "expected one of" in bad.json()["message"]
    extra = c.post("/v1/coach/interactions", headers=_h(site["token"]["admin"]),
                   json={"card_id": card["card_id"], "action": "acted", "x": 1})  # fmt: skip
    assert extra.status_code == 422
    unknown = c.post("/v1/coach/interactions", headers=_h(site["token"]["admin"]),
                     json={"card_id": "coach_nope", "action": "acted"})  # fmt: skip
    assert unknown.status_code == 404
    # Stored: the acted card is no longer open, so it is not shown again (the daily cap
    # holds back a new one).
    after = _next(site, "admin", person=key, workflow="fin.variance_analysis")
    assert after.status_code == 204


def test_opt_out_is_honoured(site: dict[str, Any]) -> None:
    c, admin = site["client"], _h(site["token"]["admin"])
    key = site["people"][-1][0]
    got = c.post("/v1/coach/preferences", params={"person": key}, headers=admin,
                 json={"opt_out": True})  # fmt: skip
    assert got.status_code == 200 and got.json()["opted_out"] is True
    assert _next(site, "admin", person=key).status_code == 204
    back = c.post("/v1/coach/preferences", params={"person": key}, headers=admin,
                  json={"opt_out": False, "snooze_days": 0})  # fmt: skip
    assert back.json() == {"opted_out": False, "snoozed_until": None}
    assert c.get("/v1/coach/preferences", params={"person": key},
                 headers=admin).json()["opted_out"] is False  # fmt: skip
    bad = c.post("/v1/coach/preferences", params={"person": key}, headers=admin,
                 json={"snooze_days": 400})  # fmt: skip
    assert bad.status_code == 422


def test_a_manager_reads_their_teams_digest_only(site: dict[str, Any]) -> None:
    c, org = site["client"], site["org"]
    mine = c.get("/v1/coach/digest", params={"team": org.team}, headers=_h(org.tokens["manager"]))
    assert mine.status_code == 200, mine.text
    doc = mine.json()
    assert doc["team"] == org.team and doc["action"]["text"]
    assert all(x["n"] is None or x["n"] >= doc["k"] for x in doc["numbers"])
    assert "p_" not in doc["html"] and "<script" not in doc["html"]
    html = c.get("/v1/coach/digest", params={"team": org.team, "format": "html"},
                 headers=_h(org.tokens["manager"]))  # fmt: skip
    assert html.headers["content-type"].startswith("text/html") and html.text == doc["html"]
    other = next(t for _, t in site["people"] if t is not None and t != org.team)
    refused = c.get("/v1/coach/digest", params={"team": other}, headers=_h(org.tokens["manager"]))
    assert refused.status_code == 403
    person = c.get("/v1/coach/digest", params={"team": org.team}, headers=_h(org.tokens["person"]))
    assert person.status_code == 403
    # A team under k gets no digest, as when every team's are written (one had been written
    # for a one-person team on request, with its numbers hidden).
    sizes = Counter(t for _, t in site["people"] if t is not None)
    small = min(sizes, key=lambda t: (sizes[t], t))
    assert sizes[small] < doc["k"]
    refused = c.get("/v1/coach/digest", params={"team": small}, headers=_h(org.tokens["admin"]))
    assert refused.status_code == 403 and "at least" in refused.json()["message"]


def test_interventions_from_other_tools_land_in_the_same_table(site: dict[str, Any]) -> None:
    c, org = site["client"], site["org"]
    rows = [{"intervention_id": "lms-1", "ts": "2026-07-01T10:00:00Z", "person": org.person,
             "kind": "training_session", "ref": "excel-ai-101", "status": "acted"}]  # fmt: skip
    got = c.post("/v1/interventions", json=rows, headers=_h(org.tokens["ingest"]))
    assert got.status_code == 200, got.text
    assert got.json()["accepted"] == 1
    # Stored under the person's key (never the e-mail), in the table the coach writes to.
    con = duckdb.connect(str(site["folder"] / "uptake.duckdb"))
    try:
        row = con.execute(
            "SELECT person_key, kind, status FROM interventions WHERE intervention_id = 'lms-1'"
        ).fetchone()
    finally:
        con.close()
    assert row == (org.person_key, "training_session", "acted")
    denied = c.post("/v1/interventions", json=rows, headers=_h(org.tokens["analyst"]))
    assert denied.status_code == 403
