"""The vendor page: each vendor's own numbers beside uptake's, or what the vendor view needs."""

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

PERSON_KEY = re.compile(r"p_[0-9a-f]{20}")


def _get(c: TestClient, token: str, path: str) -> Any:
    return c.get(path, headers={"Authorization": f"Bearer {token}"})


def _site(org: Any) -> Iterator[dict[str, Any]]:
    with TestClient(create_app(org.folder), raise_server_exceptions=False) as c:
        token = org.tokens["analyst"]
        view = _get(c, token, "/v1/vendors")
        assert view.status_code == 200, view.text
        metrics = _get(c, token, "/v1/metrics")
        assert metrics.status_code == 200
        sign_in(c, token)
        page = c.get("/vendors")
        assert page.status_code == 200, page.text
        yield {"client": c, "org": org, "view": view.json(), "metrics": metrics.json(),
               "page": page.text}  # fmt: skip


@pytest.fixture(scope="module")
def canonical(org: Any) -> Iterator[dict[str, Any]]:
    """The canonical organisation: task and activity data, no vendor export."""
    yield from _site(org)


@pytest.fixture(scope="module")
def vendor(vendor_org: Any) -> Iterator[dict[str, Any]]:
    """The same organisation seen through vendor exports and the HR roster only."""
    yield from _site(vendor_org)


def _entries(metrics: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: e for k, e in metrics["metrics"].items() if k.startswith("vendor_")}


def _csv(s: dict[str, Any]) -> list[dict[str, str]]:
    c, org = s["client"], s["org"]
    page_csv = c.get("/vendors/vendors.csv")
    api_csv = _get(c, org.tokens["admin"], "/v1/vendors/vendors.csv")
    assert page_csv.status_code == api_csv.status_code == 200
    assert page_csv.text == api_csv.text
    rows = list(csv.DictReader(io.StringIO(page_csv.text)))
    for r in rows:  # formula-safe: no text cell a spreadsheet would run
        assert not any(str(v).startswith(("=", "+", "-", "@", "\t", "\r")) for v in r.values())
    return rows


def test_without_vendor_exports_each_vendor_says_what_it_needs(
    canonical: dict[str, Any],
) -> None:
    entries = _entries(canonical["metrics"])
    assert {"vendor_github_copilot", "vendor_m365_copilot"} <= set(entries)
    assert all(e.get("status") == "not_available" for e in entries.values())
    view = {v["key"]: v for v in canonical["view"]["vendors"]}
    assert set(view) == set(entries)
    page = html.unescape(canonical["page"])
    for key, e in entries.items():
        want = "not available: needs " + ", ".join(e["needs"])
        assert not view[key]["available"] and view[key]["missing"] == want
        assert want in page
    # Nothing to compare: no chart, and no number stands in for the missing ones.
    assert canonical["view"]["charts"] == [] and 'class="figure"' not in page
    assert "No comparison chart" in page
    assert not re.search(r'data-key="vendor_active">\d', page)
    rows = _csv(canonical)
    assert {r["metric"]: r["missing"] for r in rows} == {
        k: "not available: needs " + ", ".join(e["needs"]) for k, e in entries.items()
    }
    assert all(r["available"] == "False" for r in rows)


def test_vendor_numbers_are_the_metrics_document_s(vendor: dict[str, Any]) -> None:
    entries = _entries(vendor["metrics"])
    shown = {k: e for k, e in entries.items() if e.get("status") != "not_available"}
    # The vendor view's simulation exports both GitHub's and Microsoft's reports.
    assert {"vendor_github_copilot", "vendor_m365_copilot"} <= set(shown)
    view = {v["key"]: v for v in vendor["view"]["vendors"]}
    for key, e in shown.items():
        v = view[key]
        assert v["available"] and "missing" not in v
        assert v["licensed_people"] == e["uptake"]["licensed_people"]
        assert v["active_people"] == e["uptake"]["active_people"]
        for field in ("value", "scope", "days_covered", "latest_day", "first_day", "source"):
            assert v[field] == e.get(field), (key, field)
        for r in v["reported"]:
            assert r["value"] == e[r["key"]]
            assert r["hidden"] == (e.get("hidden") or {}).get(r["key"])
            # GitHub's user counts are its latest day's, and say so (its mean is the window's).
            day = key == "vendor_github_copilot" and r["key"].endswith("_users")
            day = day and r["key"] != "mean_daily_active_users"
            assert (f"on the latest day ({e['latest_day']})" in r["what"]) == day, r
        hidden = {f for f, why in (e.get("hidden") or {}).items() if why}
        assert hidden <= {r["key"] for r in v["reported"]}  # every hidden number is said
        assert "roster" in v["why"] and "defines as active" in v["why"]
    gh, ms = shown["vendor_github_copilot"], shown["vendor_m365_copilot"]
    assert view["vendor_github_copilot"]["vendor_active"] == gh["monthly_active_users"]
    period = (ms.get("period") or {}).get("apps", {}).get("any", {}).get("active_users")
    assert view["vendor_m365_copilot"]["vendor_active"] == (
        period if period is not None else ms["active_users"]
    )
    ms_apps = {a["app"]: a for a in view["vendor_m365_copilot"]["apps"]}
    for app, counts in ms["apps"].items():
        assert ms_apps[app.replace("_", " ")]["active_users_day"] == counts["active_users"]


def test_vendor_page_shows_the_same_numbers_and_chart(vendor: dict[str, Any]) -> None:
    page, view = vendor["page"], vendor["view"]
    for v in view["vendors"]:
        if not v["available"]:
            continue
        section = page.split(f'id="vendor-{v["key"]}"', 1)[1].split("</section>", 1)[0]
        for key in ("vendor_active", "active_people", "licensed_people"):
            if v[key] is not None:
                assert f'data-key="{key}">{v[key]:,}' in section
            else:  # hidden, and said so by kind (as the per-tool views hide it)
                assert v[f"{key}_hidden"] in ("small", "complementary")
                assert f'data-key="{key}"><span class="suppressed-{v[f"{key}_hidden"]}">' in section
        if v["value"] is not None:
            assert f'data-key="value">{100 * v["value"]:.1f} %' in section
        else:  # a share of a hidden count is hidden with it, and said so by kind
            assert v["value_hidden"] in ("small", "complementary")
            assert f'data-key="value"><span class="suppressed-{v["value_hidden"]}">' in section
        for r in v["reported"]:
            if r["hidden"]:
                cell = f'data-key="{r["key"]}"><span class="suppressed-{r["hidden"]}">'
                assert cell in section, r
        assert v["why"] in html.unescape(section)
        assert f"{v['days_covered']} days covered" in section and v["latest_day"] in section
        assert str(v["scope"]) in html.unescape(section)
    figs = re.findall(r'data-figure="([^"]+)"', page)
    assert len(figs) == 1
    fig = json.loads(html.unescape(figs[0]))
    shown = [v for v in view["vendors"] if v["available"]]
    bars = {t["name"]: t for t in fig["data"]}
    assert bars["as the vendor reports active"]["y"] == [v["vendor_active"] for v in shown]
    assert bars["uptake: active people on the roster"]["y"] == [v["active_people"] for v in shown]
    assert bars["as the vendor reports active"]["x"] == [v["tool"] for v in shown]
    chart = view["charts"][0]
    assert chart["title"] in html.unescape(page)
    # n per tool, or why it is hidden (each tool's licensed people can be hidden so that the
    # licences' seat total less the others' cannot give one away).
    assert re.search(r"as of \d{4}-\d\d-\d\d .*28-day window ", chart["caption"])
    for v in shown:
        if v["licensed_people"] is not None:
            assert f"{v['tool']} n = {v['licensed_people']:,}" in chart["caption"]
        else:
            assert f"{v['tool']} uptake licensed: hidden" in chart["caption"]
    rows = {r["metric"]: r for r in _csv(vendor)}
    for v in shown:
        r = rows[v["key"]]
        assert int(r["vendor_active"]) == v["vendor_active"]
        for key in ("active_people", "licensed_people"):
            # The CSV holds what the page shows: the count, or empty with the reason beside it.
            if v[key] is None:
                assert (r[f"uptake_{key}"], r[f"uptake_{key}_hidden"]) == ("", v[f"{key}_hidden"])
            else:
                assert int(r[f"uptake_{key}"]) == v[key]
        assert r["missing"] == ""
    assert not PERSON_KEY.search(page) and not PERSON_KEY.search(json.dumps(view))


def test_roles_without_organisation_aggregates_are_refused(canonical: dict[str, Any]) -> None:
    c, org = canonical["client"], canonical["org"]
    for role in ("manager", "coach", "person"):
        for path in ("/v1/vendors", "/v1/vendors/vendors.csv"):
            assert _get(c, org.tokens[role], path).status_code == 403, (role, path)
    with TestClient(create_app(org.folder), raise_server_exceptions=False) as other:
        for role in ("manager", "person"):
            sign_in(other, org.tokens[role])
            r = other.get("/vendors")
            assert r.status_code == 403 and "organisation-wide aggregates" in r.text
