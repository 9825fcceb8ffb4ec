"""My adoption (`/me`): a person's own level, trend, friction and next step; audited reads."""

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
from uptake.web.state import Served
from uptake.workspace import Actor

KEY = re.compile(r"p_[0-9a-f]{20}")


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


def _served(c: TestClient) -> Served:
    served: Served = c.app.state.served  # type: ignore[attr-defined]
    return served


def _reads(c: TestClient, org: Any) -> list[dict[str, Any]]:
    r = c.get("/v1/audit", params={"limit": 10_000}, headers=auth(org.tokens["admin"]))
    assert r.status_code == 200, r.text
    return [e for e in r.json() if e["action"] == "read my_adoption"]


@pytest.fixture(scope="module")
def mine(client: TestClient, org: Any) -> dict[str, Any]:
    """The person's `/v1/me` document (read once for the module)."""
    r = client.get("/v1/me", headers=auth(org.tokens["person"]))
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


def test_a_person_lands_on_their_own_page_and_it_says_what_the_json_says(
    client: TestClient, org: Any, mine: dict[str, Any]
) -> None:
    assert sign_in(client, org.tokens["person"]) == "/me"
    page = client.get("/me")
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    # The Workspace's own document for the same person: the page adds words, not numbers.
    actor = Actor("test", "person", person_key=org.person_key)
    want = _served(client).run(lambda ws: ws.my_adoption(actor=actor))
    assert mine["ladder"] == want["ladder"] and mine["trend"] == want["trend"]
    assert mine["next_step"] == want["next_step"]
    assert [f["signal"] for f in mine["flags"]] == [f["signal"] for f in want["flags"]]
    assert mine["ladder"], "the simulated person holds a licence"
    assert f"You are at {mine['ladder']} (" in text
    assert mine["means"] in text and mine["next_level"] in text
    assert mine["next_step"][1:] in text
    assert "your data only" in text
    for flag in mine["flags"]:
        assert flag["help"] in text and flag["noticed"] in text
    d = mine["detectors"]
    assert 0 < d["ran"] <= d["of"] == 7
    if not mine["flags"]:
        said = (
            "none of the friction signals picked you up"
            if d["ran"] == d["of"]
            else f"Nothing recently from the {d['ran']} of 7 friction signals"
        )
        assert said in text
    # The frame offers this page only, and no one's key is on it, not even the reader's.
    assert 'href="/overview"' not in page.text
    assert not KEY.search(page.text) and not KEY.search(json.dumps(mine))


def test_the_trend_chart_is_the_persons_own_weeks(mine: dict[str, Any]) -> None:
    assert len(mine["charts"]) == 1
    chart = mine["charts"][0]
    trace = chart["figure"]["data"][0]
    assert trace["x"] == [w["week"] for w in mine["trend"]]
    assert trace["y"] == [int(w["level"][1:]) for w in mine["trend"]]
    assert f"as of {mine['as_of']}" in chart["caption"]
    assert f"{mine['window_days']}-day window" in chart["caption"]
    assert "your data only" in chart["caption"] and "proxy" not in chart["caption"]
    assert not mine["proxy"] and mine["basis_text"].startswith("measured")


def test_the_trend_csv_is_the_persons_weeks(client: TestClient, org: Any, mine: Any) -> None:
    r = client.get("/v1/me/trend.csv", headers=auth(org.tokens["person"]))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows == [{"week": w["week"], "level": w["level"]} for w in mine["trend"]]
    assert not KEY.search(r.text)
    # Everyone else is refused the export as they are the page.
    assert client.get("/v1/me/trend.csv", headers=auth(org.tokens["analyst"])).status_code == 403


def test_each_read_of_the_page_is_audited_and_aggregate_pages_are_not(
    client: TestClient, org: Any
) -> None:
    who = token_actor(org.tokens["person"])
    before = [e for e in _reads(client, org) if e["actor"] == who]
    sign_in(client, org.tokens["person"])
    assert client.get("/me").status_code == 200
    assert client.get("/v1/me", headers=auth(org.tokens["person"])).status_code == 200
    after = [e for e in _reads(client, org) if e["actor"] == who]
    assert len(after) == len(before) + 2
    assert {(e["role"], e["detail"]) for e in after} == {("person", "1 person")}

    # An analyst's organisation pages read aggregates: no read is written to the log, only
    # the page view (`view /overview`, once a day), the evidence the dashboard is reviewed.
    def reads() -> int:
        log = client.get("/v1/audit", params={"limit": 10_000}, headers=auth(org.tokens["admin"]))
        return sum(not e["action"].startswith("view /") for e in log.json())

    total = reads()
    sign_in(client, org.tokens["analyst"])
    assert client.get("/overview").status_code == 200
    assert client.get("/v1/overview", headers=auth(org.tokens["analyst"])).status_code == 200
    assert reads() == total


@pytest.mark.parametrize("role", ["analyst", "manager", "coach", "ingest"])
def test_other_tokens_are_not_a_person_and_are_refused(
    client: TestClient, org: Any, role: str
) -> None:
    api = client.get("/v1/me", headers=auth(org.tokens[role]))
    assert api.status_code == 403 and api.json()["error"] == "PermissionDeniedError"
    if role == "ingest":
        return
    sign_in(client, org.tokens[role])
    page = client.get("/me")
    assert page.status_code == 403
    assert 'role="alert"' in page.text and "may" in page.text and "You are at" not in page.text


def test_an_admin_is_asked_whose_adoption(client: TestClient, org: Any) -> None:
    # An admin may read anyone, so the Workspace asks whom rather than refusing.
    api = client.get("/v1/me", headers=auth(org.tokens["admin"]))
    assert api.status_code == 400 and "whose adoption" in api.json()["message"]
    sign_in(client, org.tokens["admin"])
    page = client.get("/me")
    assert page.status_code == 400 and "whose adoption" in page.text


def test_the_vendor_view_labels_the_level_a_proxy(vendor_org: Any) -> None:
    with TestClient(create_app(vendor_org.folder), raise_server_exceptions=False) as c:
        doc = c.get("/v1/me", headers=auth(vendor_org.tokens["person"])).json()
        assert sign_in(c, vendor_org.tokens["person"]) == "/me"
        text = html.unescape(c.get("/me").text)
    assert doc["proxy"] and doc["basis"] == "activity_proxy"
    assert "proxy: from your activity alone" in doc["headline"] and doc["headline"] in text
    assert "proxy: worked out from your activity alone" in text
    assert "(proxy)" in doc["charts"][0]["title"] and "proxy" in doc["charts"][0]["caption"]
    assert "actions" in doc["means"] and "tasks" not in doc["means"]
    # Vendor data lets only some friction detectors run: "none picked you up" is not said
    # as if all seven had looked.
    d = doc["detectors"]
    assert 0 < d["ran"] < d["of"] == 7
    if not doc["flags"]:
        assert f"Nothing recently from the {d['ran']} of 7 friction signals" in text
        assert "none of the friction signals picked you up" not in text


def test_on_vendor_data_the_page_says_l5_cannot_be_shown(vendor_org: Any) -> None:
    """An L4 person on vendor exports alone is not told how to reach L5: nothing they could do
    would show, since the workspace holds no help given and no use cases shared."""
    import pandas as pd

    from uptake.metrics.families.ladder import person_levels
    from uptake.workspace import Workspace

    roster = pd.read_csv(vendor_org.folder.parent / "simulated" / "roster" / "roster.csv")
    with Workspace.open(vendor_org.folder) as ws:
        assert not ws.engine().has("help_edges") and not ws.engine().has("feedback")
        levels = person_levels(ws._context("test", None))
        at_l4 = set(levels.loc[levels["level"] == 4, "person_key"])
        email = next(e for e in sorted(roster["person"]) if ws.pseudonymise(e) in at_l4)
        token = ws.create_token("person", [f"person:{email}"])["token"]
    with TestClient(create_app(vendor_org.folder), raise_server_exceptions=False) as c:
        doc = c.get("/v1/me", headers=auth(token)).json()
        assert sign_in(c, token) == "/me"
        text = html.unescape(c.get("/me").text)
    assert doc["ladder"] == "L4" and doc["not_judged"] == {"L5": ["help_edges or feedback"]}
    assert doc["next_level"].startswith("L5 is not judged in this workspace: it needs records")
    assert "To reach L5" not in doc["next_level"] and doc["next_level"] in text


def test_with_help_or_feedback_the_next_level_is_the_rule(mine: dict[str, Any]) -> None:
    # The canonical view holds who helps whom: every level above is a rule one can meet.
    assert mine["not_judged"] == {}
    if mine["ladder"] != "L5":
        assert mine["next_level"].startswith(f"To reach L{int(mine['ladder'][1]) + 1}: ")
