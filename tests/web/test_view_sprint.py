"""The sprint page (`/sprint`): timeline and milestones, roles, page views in the audit log."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server_helpers import sign_in
from uptake.programme.sprint import MILESTONES
from uptake.web import create_app
from uptake.workspace import Workspace

PERSON_KEY = re.compile(r"p_[0-9a-f]{20}")


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def client(org: Any) -> Iterator[TestClient]:
    with TestClient(create_app(org.folder), raise_server_exceptions=False) as c:
        yield c


def _views(c: TestClient, org: Any) -> list[dict[str, Any]]:
    log = c.get("/v1/audit", params={"limit": 10_000}, headers=_auth(org.tokens["admin"]))
    return [e for e in log.json() if e["action"].startswith("view /")]


def test_page_shows_the_timeline_and_every_milestone(client: TestClient, org: Any) -> None:
    doc = client.get("/v1/sprint", headers=_auth(org.tokens["analyst"]))
    assert doc.status_code == 200, doc.text
    view = doc.json()
    assert view["status"] == "ok" and len(view["rows"]) == len(MILESTONES)
    (chart,) = view["charts"]
    assert chart["caption"].startswith(f"as of {view['as_of']}")
    assert f"day {view['day']} of 90" in chart["caption"]
    assert f"n = {len(MILESTONES)} milestones" in chart["caption"]
    fig = chart["figure"]
    bars = [t for t in fig["data"] if t["type"] == "bar"]
    assert [b["base"][0] for b in bars] == [p["start"] for p in view["phases"]]
    assert fig["layout"]["shapes"][0]["x0"] == view["as_of"]  # today's marker
    assert fig["layout"]["annotations"][0]["text"] == f"as of {view['as_of']}"
    marks = sum(len(t["x"]) for t in fig["data"] if t["type"] == "scatter")
    assert marks == len(MILESTONES)
    # The simulated org logs decisions: override tracking ticks from the data.
    rows = {r["milestone"]: r for r in view["rows"]}
    assert (rows["override_tracking"]["status"], rows["override_tracking"]["how"]) == (
        "done", "data",
    )  # fmt: skip
    sign_in(client, org.tokens["analyst"])
    page = client.get("/sprint")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert chart["caption"] in text and 'href="/sprint"' in text
    for m in MILESTONES:
        assert f'data-milestone="{m.id}"' in text and m.title in text
    # A due date stays on one line ("2026-" over "09-14" in a narrow column).
    for r in view["rows"]:
        assert f'<td class="nowrap">{r["due"]}<br>' in text, r["milestone"]
    assert not PERSON_KEY.search(page.text) and not PERSON_KEY.search(doc.text)
    csv = client.get("/sprint/milestones.csv")
    assert csv.status_code == 200 and csv.text.count("\n") == len(MILESTONES) + 1


def test_the_as_of_line_and_its_label_stay_inside_the_chart(client: TestClient, org: Any) -> None:
    from datetime import date, timedelta

    from uptake.web.views.sprint import timeline

    view = client.get("/v1/sprint", headers=_auth(org.tokens["analyst"])).json()
    start = date.fromisoformat(view["start"])
    for offset, anchor, said in (
        (-5, "left", "5 days before day 1"),
        (10, "left", "day 11 of 90"),
        (89, "right", "day 90 of 90"),
        (119, "right", "30 days after day 90"),
    ):
        as_of = (start + timedelta(days=offset)).isoformat()
        chart = timeline(dict(view, as_of=as_of, day_text=said))
        assert chart is not None
        # After day 90 the title and caption had read "day 120" and "day 120 of 90".
        assert (
            chart["title"] == f"The 90-day sprint: {said}" and f" · {said} · " in chart["caption"]
        )
        layout = chart["figure"]["layout"]
        lo, hi = layout["xaxis"]["range"]
        # Day 120 is 29 days after the sprint's end: its line had been off the axis.
        assert lo <= as_of < hi, (as_of, hi)
        (label,) = layout["annotations"]
        # Centred on a line at the axis's end, half the label fell outside the chart.
        assert (label["x"], label["xanchor"]) == (as_of, anchor)


@pytest.mark.parametrize("role", ["manager", "coach", "person", "ingest"])
def test_other_roles_are_refused(client: TestClient, org: Any, role: str) -> None:
    assert client.get("/v1/sprint", headers=_auth(org.tokens[role])).status_code == 403
    if role == "ingest":
        return
    sign_in(client, org.tokens[role])
    page = client.get("/sprint")
    assert page.status_code == 403 and 'href="/sprint"' not in page.text


def test_a_page_view_is_written_once_a_day_and_the_api_is_not_a_view(
    client: TestClient, org: Any
) -> None:
    # A new analyst, so no other test's view today hides this one's.
    served = client.app.state.served  # type: ignore[attr-defined]
    made = served.run(lambda ws: ws.create_token("analyst"))
    token, who = made["token"], f"token:{made['token_id']}"

    def mine() -> list[dict[str, Any]]:
        return [e for e in _views(client, org) if e["actor"] == who]

    assert client.get("/v1/sprint", headers=_auth(token)).status_code == 200
    assert client.get("/v1/sprint/milestones.csv", headers=_auth(token)).status_code == 200
    assert mine() == [], "the API and CSV are not page views"
    sign_in(client, token)
    for _ in range(3):
        assert client.get("/sprint").status_code == 200
    (view,) = mine()
    assert (view["role"], view["action"], view["detail"]) == (
        "analyst",
        "view /sprint",
        "page view",
    )
    assert view["subject"] == view["ts"][:10]
    # A manager's view of their own team page is recorded too; a refused page is not a view.
    sign_in(client, org.tokens["manager"])
    assert client.get("/my-team").status_code == 200
    assert client.get("/sprint").status_code == 403
    roles = {(e["role"], e["action"]) for e in _views(client, org)}
    assert ("manager", "view /my-team") in roles and ("manager", "view /sprint") not in roles


def test_the_vendor_view_runs_the_sprint_by_hand(vendor_org: Any) -> None:
    with TestClient(create_app(vendor_org.folder), raise_server_exceptions=False) as c:
        doc = c.get("/v1/sprint", headers=_auth(vendor_org.tokens["analyst"])).json()
    assert doc["status"] == "ok"
    rows = {r["milestone"]: r for r in doc["rows"]}
    # No decision log, feedback or help graph in vendor exports: not available, tick by hand.
    for mid, need in (("override_tracking", "decisions"), ("feedback_cycle", "feedback"),
                      ("champion_network", "help_edges")):  # fmt: skip
        assert rows[mid]["status"] != "done" and rows[mid]["needs"].startswith(need)
        assert "a tick by hand" in rows[mid]["needs"]
    with Workspace.open(vendor_org.folder) as ws:
        sample = ws.audit_sample(size=10, seed=1)
    dims = {d["name"]: d for d in sample["dimensions"]}
    assert dims["ladder"]["status"] == "ok" and "activity proxy" in dims["ladder"]["basis"]
    assert dims["function"]["status"] == "ok" and dims["seniority"]["status"] == "ok"
    assert len(sample["people"]) == 10 and sample["coverage"]["strata_covered"] == 10
    assert all("@" in str(p["person"]) for p in sample["people"])
