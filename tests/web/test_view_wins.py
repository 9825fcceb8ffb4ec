"""The wins page: wins with intervals at or above k, a labelled chart, CSV, roles, vendor view."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server_helpers import sign_in
from uptake.web import create_app

PERSON_KEY = re.compile(r"p_[0-9a-f]{20}")
NEEDS = "not available: needs tasks (workflow runs with ai_assisted and minutes)"


def _get(c: TestClient, token: str, path: str) -> Any:
    return c.get(path, headers={"Authorization": f"Bearer {token}"})


def _site(org: Any) -> Iterator[dict[str, Any]]:
    with TestClient(create_app(org.folder), raise_server_exceptions=False) as c:
        token = org.tokens["analyst"]
        view = _get(c, token, "/v1/wins")
        assert view.status_code == 200, view.text
        sign_in(c, token)
        page = c.get("/wins")
        assert page.status_code == 200, page.text
        yield {"client": c, "org": org, "view": view.json(), "page": page.text}


@pytest.fixture(scope="module")
def canonical(org: Any) -> Iterator[dict[str, Any]]:
    yield from _site(org)


@pytest.fixture(scope="module")
def vendor(vendor_org: Any) -> Iterator[dict[str, Any]]:
    yield from _site(vendor_org)


def test_wins_are_measured_improvements_for_at_least_k_people(canonical: dict[str, Any]) -> None:
    view, page = canonical["view"], html.unescape(canonical["page"])
    assert view["status"] == "ok" and view["wins"], "the simulated org has wins"
    k = view["k"]
    for key in ("wins", "mixed", "promising", "others"):
        for r in view[key]:
            assert r["people_ai"] >= k or r["runs_ai"] == 0, r
            if r["runs_other"] is not None:
                assert r["people_other"] >= k
    for r in view["wins"]:
        better = (r["saving_per_run_low"] or 0) > 0 or (r["completion_diff_low"] or 0) > 0
        assert better and r["verdict"] == "win"
        assert r["saving_per_run_low"] <= r["saving_per_run"] <= r["saving_per_run_high"]
        assert not (r["completion_diff_high"] is not None and r["completion_diff_high"] < 0)
    for r in view["promising"]:
        assert r["saving_per_run_low"] <= 0 and (r["completion_diff_low"] or 0) <= 0
    saved = [r["minutes_saved"] for r in view["wins"]]
    assert saved == sorted(saved, reverse=True)
    for r in view["wins"]:
        assert f'data-workflow="{r["workflow"]}" data-verdict="win"' in page
    assert not PERSON_KEY.search(canonical["page"]) and not PERSON_KEY.search(str(view))


def test_the_chart_is_labelled_with_as_of_window_and_n(canonical: dict[str, Any]) -> None:
    view, page = canonical["view"], html.unescape(canonical["page"])
    ch = view["chart"]
    cap = ch["caption"]
    assert cap.startswith(f"as of {view['as_of']}") and f"{view['window_days']}-day window" in cap
    found = [r for key in ("wins", "mixed", "promising") for r in view[key]]
    charted = sorted(found, key=lambda r: -(r["minutes_saved"] or 0.0))[:15]
    runs = sum(r["runs_ai"] for r in charted)
    assert f"n = {runs:,} AI-assisted runs" in cap
    assert ch["title"] in page and cap in page
    bars = ch["figure"]["data"][0]
    assert len(bars["error_x"]["array"]) == len(bars["y"]) <= 15
    # The biggest savings in the window, whatever their verdict (mixed ones in orange).
    assert bars["y"] == [r["name"] for r in charted]
    assert bars["customdata"] == [r["verdict"] for r in charted]
    # The caption says which workflows these are: the bars are not ordered by their length.
    timed = [r for r in found if r["saving_per_run"] is not None]
    assert f"the {len(charted)} of {len(timed)} workflows saving the most minutes" in cap


def test_redesigns_and_roles_sections(canonical: dict[str, Any]) -> None:
    view, page = canonical["view"], html.unescape(canonical["page"])
    assert "No redesign recorded yet" in page and view["redesigns"] == []
    assert view["redesigns_missing"] is None
    roles = view["roles"]
    assert roles["status"] == "ok" and roles["roles"]
    for r in roles["roles"]:
        assert r["n"] >= view["k"]
        assert r["substitute_runs"] + r["augment_runs"] + r["create_runs"] <= r["ai_runs"]
        assert f'data-role="{r["role"]}"' in canonical["page"]
        if r["deciders"] is not None:
            assert r["deciders"] >= view["k"]


def test_csv_export_and_roles_allowed(canonical: dict[str, Any]) -> None:
    c, org = canonical["client"], canonical["org"]
    out = _get(c, org.tokens["analyst"], "/v1/wins/wins.csv")
    assert out.status_code == 200 and out.text.startswith("workflow,name,verdict,compared_with")
    lines = out.text.strip().splitlines()
    view = canonical["view"]
    shown = sum(len(view[key]) for key in ("wins", "mixed", "promising", "others"))
    assert len(lines) == 1 + shown and not PERSON_KEY.search(out.text)
    assert _get(c, org.tokens["admin"], "/v1/wins").status_code == 200
    for role in ("manager", "person", "coach"):
        assert _get(c, org.tokens[role], "/v1/wins").status_code == 403, role


def test_vendor_view_says_what_each_section_needs(vendor: dict[str, Any]) -> None:
    view, page = vendor["view"], " ".join(html.unescape(vendor["page"]).split())
    assert view["status"] == "not_available" and view["wins"] == [] and view["chart"] is None
    needs = [
        "tasks (workflow runs with ai_assisted and minutes)",
        "workflows (the catalogue: roles, baseline_minutes, steps, ai_mode)",
    ]
    assert view["needs"] == needs and view["roles"]["needs"] == needs
    assert view["roles"]["status"] == "not_available"
    assert f"Wins: {NEEDS}" in page and f"Role redesign evidence: {NEEDS}" in page
    assert f"Workflow redesigns: {NEEDS}" in page and view["redesigns_missing"].startswith(NEEDS)
    assert view["rows"] == []
