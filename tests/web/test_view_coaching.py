"""People to support (`/coaching`): a coach's teams only, keys not names, every read audited."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server_helpers import sign_in
from uptake.web import create_app
from uptake.web.pages import _env

KEY = re.compile(r"p_[0-9a-f]{20}")
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_actor(token: str) -> str:
    """The audit log's name for a token (`token:<id>`)."""
    found = re.search(r"_([0-9a-f]{8})_", token)
    assert found, token
    return f"token:{found.group(1)}"


@pytest.fixture(scope="module")
def client(org: Any) -> Iterator[TestClient]:
    with TestClient(create_app(org.folder), raise_server_exceptions=False) as c:
        yield c


def _get(c: TestClient, org: Any, role: str, url: str = "/v1/coaching") -> dict[str, Any]:
    r = c.get(url, headers=auth(org.tokens[role]))
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


@pytest.fixture(scope="module")
def coach(client: TestClient, org: Any) -> dict[str, Any]:
    """The coach's `/v1/coaching` document (read once for the module)."""
    return _get(client, org, "coach")


@pytest.fixture(scope="module")
def admin(client: TestClient, org: Any) -> dict[str, Any]:
    """The admin's `/v1/coaching` document: every team."""
    return _get(client, org, "admin")


def _reads(c: TestClient, org: Any, who: str) -> list[dict[str, Any]]:
    r = c.get("/v1/audit", params={"limit": 10_000}, headers=auth(org.tokens["admin"]))
    assert r.status_code == 200, r.text
    return [e for e in r.json() if e["action"] == "read coaching" and e["actor"] == who]


def test_the_coach_sees_only_its_team(
    coach: dict[str, Any], admin: dict[str, Any], org: Any
) -> None:
    assert [t["team"] for t in coach["teams"]] == [org.team]
    assert coach["people"], "the simulated team has people with a signal"
    # The admin's document covers every team: it says where each person belongs.
    assert len(admin["teams"]) > 1 and admin["counts"]["shown"] > coach["counts"]["shown"]
    team_of = {p["person"]: p["team"] for p in admin["people"]}
    assert all(team_of[p["person"]] == org.team for p in coach["people"])
    # Everyone of the team the admin sees with a signal, the coach sees too, identically.
    assert [p for p in admin["people"] if p["team"] == org.team] == coach["people"]
    assert coach["counts"]["shown"] == len(coach["people"]) == coach["teams"][0]["shown"]
    # Only people with a signal worth a coach's time are listed.
    for p in coach["people"]:
        typology = (p["typology"] or {}).get("name")
        assert p["flags"] or p["risk"].get("level") == "high" or typology not in (None, "none")
        assert p["help"]


def test_no_identity_anywhere(client: TestClient, org: Any, coach: dict[str, Any]) -> None:
    sign_in(client, org.tokens["coach"])
    page = client.get("/coaching").text
    csv_text = client.get("/coaching/people.csv").text
    for text in (json.dumps(coach), page, csv_text):
        assert org.person not in text and "@" not in text


def test_a_coach_lands_on_the_page_and_it_says_what_the_json_says(
    client: TestClient, org: Any, coach: dict[str, Any]
) -> None:
    assert sign_in(client, org.tokens["coach"]) == "/coaching"
    page = client.get("/coaching")
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert "never to judge them" in text and "not shown to managers" in text
    assert f'<h2 id="coaching-team-1">{org.team}</h2>' in page.text
    # The same people, and for each the same flags, risk, typology and first help.
    assert set(KEY.findall(page.text)) == {p["person"] for p in coach["people"]}
    for p in coach["people"]:
        assert f"<code>{p['person']}</code>" in page.text
        assert p["help"] in text and p["risk_text"] in text
        assert f"{p['level']} ({p['level_name']})" in text
        for f in p["flags"]:
            assert f"{f['noticed']} · since {f['since']}" in text and f["help"] in text
        if p["typology"]:
            assert p["typology"]["label"] in text
    # Risk without a trained model says what it needs, never a low number.
    if coach["status"]["early_warning"]["status"] != "available":
        assert 'class="missing">not available: needs' in page.text
    # The frame offers no organisation page to a coach.
    assert 'href="/overview"' not in page.text


def test_the_csv_is_the_pages_people(client: TestClient, org: Any, coach: dict[str, Any]) -> None:
    r = client.get("/v1/coaching/people.csv", headers=auth(org.tokens["coach"]))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["person"] for row in rows] == [p["person"] for p in coach["people"]]
    by_key = {p["person"]: p for p in coach["people"]}
    for row in rows:
        p = by_key[row["person"]]
        assert row["team"] == org.team and row["level"] == p["level"]
        assert row["help_first"] == p["help"]
        assert all(f["rule"] in row["flags"] for f in p["flags"])
        assert not any(str(v).startswith(FORMULA) for v in row.values())


def test_every_page_json_and_csv_read_is_audited(client: TestClient, org: Any) -> None:
    who = token_actor(org.tokens["coach"])
    before = len(_reads(client, org, who))
    sign_in(client, org.tokens["coach"])
    assert client.get("/coaching").status_code == 200
    assert client.get("/v1/coaching", headers=auth(org.tokens["coach"])).status_code == 200
    assert client.get("/coaching/people.csv").status_code == 200
    after = _reads(client, org, who)
    assert len(after) == before + 3
    assert {e["role"] for e in after} == {"coach"}
    assert all(re.fullmatch(r"\d+ people", e["detail"]) for e in after)


@pytest.mark.parametrize("role", ["analyst", "manager", "person", "ingest"])
def test_other_roles_are_refused(client: TestClient, org: Any, role: str) -> None:
    who = token_actor(org.tokens[role])
    api = client.get("/v1/coaching", headers=auth(org.tokens[role]))
    assert api.status_code == 403 and api.json()["error"] == "PermissionDeniedError"
    csv_r = client.get("/v1/coaching/people.csv", headers=auth(org.tokens[role]))
    assert csv_r.status_code == 403
    assert _reads(client, org, who) == []
    if role == "ingest":
        return
    sign_in(client, org.tokens[role])
    page = client.get("/coaching")
    assert page.status_code == 403 and 'role="alert"' in page.text
    assert not KEY.search(page.text)
    # Nor is the page offered in their navigation.
    assert 'href="/coaching"' not in client.get("/").text


def test_a_team_with_no_signal_says_so_in_words(coach: dict[str, Any]) -> None:
    quiet = dict(
        coach,
        teams=[*coach["teams"], {"team": "quiet-team", "people": 7, "licensed": 7, "shown": 0}],
    )
    text = _env.get_template("views/coaching.html").render(data=quiet)
    assert "No one in quiet-team has a signal right now." in text
    assert text.count("<table>") == 1
