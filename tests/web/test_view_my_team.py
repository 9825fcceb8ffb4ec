"""My team (`/my-team`): a manager's own team only, k-safe, refusals in words with a 403."""

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
from uptake.web.views.my_team import KEY_NUMBERS
from uptake.workspace import Workspace

KEY = re.compile(r"p_[0-9a-f]{20}")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def small(org: Any) -> dict[str, str]:
    """A manager token for a team under k, and another team's name (made before any client)."""
    with Workspace.open(org.folder) as ws:
        k = ws.settings.privacy.min_group_size
        sizes = ws.con.execute(
            "SELECT team, count(*) FROM dim_person WHERE team IS NOT NULL GROUP BY team "
            "ORDER BY 2, team"
        ).fetchall()
        tiny = next(str(t) for t, n in sizes if n < k)
        other = next(str(t) for t, n in reversed(sizes) if t != org.team)
        token = ws.create_token("manager", [f"team:{tiny}"])["token"]
    return {"team": tiny, "token": token, "other": other}


@pytest.fixture(scope="module")
def client(org: Any, small: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(org.folder), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def doc(client: TestClient, org: Any) -> dict[str, Any]:
    r = client.get("/v1/my-team", headers=auth(org.tokens["manager"]))
    assert r.status_code == 200, r.text
    got: dict[str, Any] = r.json()
    return got


def test_a_manager_lands_on_their_team_and_the_page_matches_the_json(
    client: TestClient, org: Any, doc: dict[str, Any]
) -> None:
    assert sign_in(client, org.tokens["manager"]) == "/my-team"
    page = client.get("/my-team")
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert doc["team"] == org.team and f"My team: {org.team}" in text
    # The numbers are the team's rows as the Workspace publishes them to this manager.
    want = client.get(f"/v1/teams/{org.team}/metrics", headers=auth(org.tokens["manager"])).json()
    rows = {r["metric"]: r for r in doc["numbers"]}
    for name, field, _unit, _label in KEY_NUMBERS:
        if rows[name]["value"] is not None:
            team = want["metrics"][name]["team_value"]
            assert rows[name]["value"] == team[field] and rows[name]["n"] == team.get("n")
    assert {"usage_rate", "adoption_ladder"} <= {r["metric"] for r in doc["numbers"] if r["text"]}
    for row in doc["numbers"]:
        assert (row["text"] or row["missing"]) in text
        if row.get("hidden"):
            assert f'class="suppressed-{row["hidden"]}">{row["missing"]}' in text
        # A number is shown, or said to be hidden or missing: never a blank or a zero.
        assert (row["value"] is None) == (row["text"] is None) == bool(row.get("missing"))
    # Hours saved is computed organisation-wide only: said, not drawn as zero.
    hours = rows["outcomes"]
    assert hours["value"] is None and hours["missing"].startswith("not available")
    assert 'href="/overview"' not in page.text and 'href="/my-team"' in page.text


def test_no_organisation_value_and_no_person_key(
    client: TestClient, org: Any, doc: dict[str, Any]
) -> None:
    # A manager may not read organisation-wide aggregates, and the page does not carry them.
    assert client.get("/v1/metrics", headers=auth(org.tokens["manager"])).status_code == 403
    assert set(doc) == {"as_of", "as_of_rule", "window_days", "min_group_size", "privacy",
                        "team", "numbers", "charts"}  # fmt: skip
    assert not KEY.search(json.dumps(doc))
    sign_in(client, org.tokens["manager"])
    assert not KEY.search(client.get("/my-team").text)
    r = client.get("/v1/my-team/team.csv", headers=auth(org.tokens["manager"]))
    assert r.status_code == 200 and not KEY.search(r.text)
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["team"] for row in rows} == {org.team}
    assert [row["label"] for row in rows] == [n["label"] for n in doc["numbers"]]
    # Text cells a spreadsheet would run as a formula would start with a quote.
    assert not any(c[:1] in "=+-@" for row in rows for c in row.values() if c)


def test_the_ladder_chart_is_the_teams_and_has_a_caption(doc: dict[str, Any]) -> None:
    chart = doc["charts"][0]
    assert f"Where {doc['team']} is on the adoption ladder" in chart["title"]
    bars = chart["figure"]["data"][0]
    assert bars["x"] == ["L1", "L2", "L3", "L4", "L5"]
    assert abs(sum(bars["y"]) - 100) < 1
    assert f"as of {doc['as_of']}" in chart["caption"] and "-day window" in chart["caption"]
    assert "n = " in chart["caption"]


def test_another_team_and_other_roles_are_refused(
    client: TestClient, org: Any, small: dict[str, str]
) -> None:
    manager = auth(org.tokens["manager"])
    assert client.get(f"/v1/teams/{small['other']}/metrics", headers=manager).status_code == 403
    for role in ("person", "analyst", "coach"):
        r = client.get("/v1/my-team", headers=auth(org.tokens[role]))
        assert r.status_code == 403, (role, r.text)
        sign_in(client, org.tokens[role])
        page = client.get("/my-team")
        assert page.status_code == 403 and 'role="alert"' in page.text
        assert "My team:" not in page.text


def test_a_team_too_small_is_refused_in_words(client: TestClient, small: dict[str, str]) -> None:
    r = client.get("/v1/my-team", headers=auth(small["token"]))
    assert r.status_code == 403 and r.json()["error"] == "PrivacyError"
    assert sign_in(client, small["token"]) == "/my-team"
    page = client.get("/my-team")
    assert page.status_code == 403
    text = html.unescape(page.text)
    assert "at least" in text and "people" in text and f"My team: {small['team']}" not in text
    assert client.get("/v1/my-team/team.csv", headers=auth(small["token"])).status_code == 403


def test_team_metrics_reads_every_family_of_the_by_team_document(
    client: TestClient, org: Any
) -> None:
    """Weekly families give the latest week; `group`-keyed families are found; none is guessed."""
    admin = auth(org.tokens["admin"])
    team = client.get(f"/v1/teams/{org.team}/metrics", headers=admin).json()["metrics"]
    full = client.get("/v1/metrics?by=team", headers=admin).json()["metrics"]
    for name, m in full.items():
        segs = m.get("segments")
        if segs is None:
            continue
        mine = [s for s in segs if s.get("segment", s.get("group")) == org.team]
        got = team[name]["team_value"]
        if not mine:
            assert got["status"] == "no_data", name
            continue
        latest = max(mine, key=lambda s: str(s.get("week") or ""))
        for key, value in latest.items():
            if key not in ("segment", "group"):
                assert got[key] == value, (name, key)
    weekly = team["weekly_active_rate"]["team_value"]
    assert weekly["week"] == team["weekly_active_rate"]["team_value"]["weeks"][-1]["week"]
    assert not team["time_to_proficiency"]["team_value"].get("suppressed")
    assert not team["licenses"]["team_value"].get("suppressed")


def test_a_level_not_judged_is_no_bar_on_the_teams_chart() -> None:
    # The team's document had dropped the ladder's `not_available`: the vendor view's L5,
    # not judged without help or feedback data, was drawn as a bar at 0 %.
    from uptake.web.views.my_team import ladder_chart
    from uptake.workspace.views import team_view

    withheld = {"L5": ["help_edges or feedback"]}
    lad = {"label": "ladder", "basis": "proxy: activity", "not_available": withheld,
           "segments": [{"segment": "t", "n": 9, "L1": 3, "L2": 3, "L3": 2, "L4": 1, "L5": 0,
                         "l3_plus_share": 3 / 9, "suppressed": False}]}  # fmt: skip
    doc = team_view({"as_of": "2026-11-24", "window_days": 28, "min_group_size": 5,
                     "metrics": {"adoption_ladder": lad}}, "t")  # fmt: skip
    assert doc["metrics"]["adoption_ladder"]["not_available"] == withheld
    chart = ladder_chart(doc)
    assert chart is not None
    assert chart["figure"]["data"][0]["x"] == ["L1", "L2", "L3", "L4"]
    assert "L5 not judged: needs help_edges or feedback" in chart["caption"]
