"""The outcomes and ROI view: page, JSON and CSV agree with the metrics document."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server_helpers import sign_in
from uptake.web import create_app
from uptake.web.csv_export import to_csv
from uptake.web.views.outcomes import PAGE, interval, to_get_it, with_interval

KEY = re.compile(r"p_[0-9a-f]{20}")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def seen(org: Any) -> Iterator[dict[str, Any]]:
    """One analyst session: the page, its JSON, its CSVs and the metrics document."""
    with TestClient(create_app(org.folder), raise_server_exceptions=False) as c:
        sign_in(c, org.tokens["analyst"])
        page = c.get("/outcomes")
        doc = c.get("/v1/outcomes", headers=_bearer(org.tokens["analyst"]))
        metrics = c.get("/v1/metrics", headers=_bearer(org.tokens["analyst"]))
        csvs = {t: c.get(f"/outcomes/{t}.csv") for t in ("workflows", "wins")}
        api_csv = c.get("/v1/outcomes/workflows.csv", headers=_bearer(org.tokens["analyst"]))
        yield {
            "page": page,
            "text": html.unescape(page.text),
            "doc": doc.json(),
            "metrics": metrics.json()["metrics"],
            "csv": csvs,
            "api_csv": api_csv,
        }


def _rows(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.text)))


def test_headline_states_each_number_with_the_documents_interval(seen: dict[str, Any]) -> None:
    assert seen["page"].status_code == 200
    text, m = seen["text"], seen["metrics"]
    out, roi = m["outcomes"], m["roi"]
    hours = (
        f"{out['hours_per_week']:,.0f} hours a week (95 % interval "
        f"{out['hours_per_week_low']:,.0f}–{out['hours_per_week_high']:,.0f})"
    )
    assert hours in text
    value = (
        f"{out['value_per_week']:,.0f} USD a week (95 % interval {out['value_per_week_low']:,.0f}"
    )
    assert value in text
    assert f"{roi['roi']:.2f} (95 % interval {roi['roi_low']:.2f}–{roi['roi_high']:.2f})" in text
    assert "an estimate" in text and "return on licence cost (estimate)" in text
    # The JSON carries the same ends as the metrics document, not numbers of its own.
    head = {r["key"]: r for r in seen["doc"]["headline"]}
    assert (head["hours_per_week"]["low"], head["hours_per_week"]["high"]) == (
        out["hours_per_week_low"],
        out["hours_per_week_high"],
    )
    assert (head["roi"]["low"], head["roi"]["high"]) == (roi["roi_low"], roi["roi_high"])
    for row in seen["doc"]["headline"]:
        assert (row["text"] or row["missing"]) in text


def test_the_definition_and_the_assumption_are_stated(seen: dict[str, Any]) -> None:
    text, out = seen["text"], seen["metrics"]["outcomes"]
    assert out["definition"] in text
    assert f"valued at {out['hourly_cost']:.2f} USD" in text


def test_workflow_rows_match_the_document_and_hidden_rows_are_marked(
    seen: dict[str, Any],
) -> None:
    text = seen["text"]
    published = {w["workflow"]: w for w in seen["metrics"]["outcomes"]["workflows"]}
    rows = seen["doc"]["workflows"]
    assert {r["workflow"] for r in rows} == set(published)
    measured = [r for r in rows if r["saving_per_run"] is not None]
    hidden = [r for r in rows if r["suppressed"]]
    assert measured and hidden, "the 300-person organisation has both"
    for r in measured:
        w = published[r["workflow"]]
        assert (r["saving_per_run_low"], r["saving_per_run_high"]) == (
            w["saving_per_run_low"],
            w["saving_per_run_high"],
        )
        words = with_interval(
            w["saving_per_run"], w["saving_per_run_low"], w["saving_per_run_high"], "min", 0.95, 1
        )
        assert words in text
    for r in hidden:
        assert r["saving_per_run"] is None and r["hours_per_week"] is None
        cell = re.search(
            rf'<th scope="row">{re.escape(r["workflow"])}</th><td colspan="6" '
            rf'class="suppressed-{r["suppressed"]}">([^<]+)</td>',
            seen["page"].text,
        )
        assert cell and "fewer than" in cell.group(1)
    # Biggest weekly saving first; hidden rows are not ranked as zero.
    hours = [r["hours_per_week"] for r in rows if r["hours_per_week"] is not None]
    assert hours == sorted(hours, reverse=True)
    assert all(r["hours_per_week"] is None for r in rows[len(hours) :])


def test_charts_draw_top_workflows_with_their_intervals(seen: dict[str, Any]) -> None:
    charts = seen["doc"]["charts"]
    assert len(charts) == 2
    for c in charts:
        assert c["title"] in seen["text"]
        assert re.search(r"as of \d{4}-\d\d-\d\d .*28-day window · n = \d", c["caption"])
    bars = charts[0]["figure"]["data"][0]
    assert bars["x"] == sorted(bars["x"], reverse=True) and len(bars["x"]) <= 15
    by_name = {w["name"]: w for w in seen["metrics"]["outcomes"]["workflows"] if w.get("name")}
    for name, x, plus, minus in zip(
        bars["y"], bars["x"], bars["error_x"]["array"], bars["error_x"]["arrayminus"], strict=True
    ):
        w = by_name[name]
        assert x == w["saving_per_run"]
        assert x + plus == pytest.approx(w["saving_per_run_high"])
        assert x - minus == pytest.approx(w["saving_per_run_low"])
    roi = charts[1]["figure"]["data"][0]
    m = seen["metrics"]["roi"]
    assert roi["x"] == [m["roi"]]
    assert roi["x"][0] + roi["error_x"]["array"][0] == pytest.approx(m["roi_high"])
    assert "estimate" in charts[1]["title"]
    assert "<script>" not in seen["page"].text


def test_csv_exports_carry_the_rows_and_are_formula_safe(seen: dict[str, Any]) -> None:
    for name, response in seen["csv"].items():
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith("text/csv")
    flows = _rows(seen["csv"]["workflows"])
    assert flows == _rows(seen["api_csv"])
    doc_rows = {r["workflow"]: r for r in seen["doc"]["workflows"]}
    assert len(flows) == len(doc_rows)
    for row in flows:
        d = doc_rows[row["workflow"]]
        if d["saving_per_run"] is None:
            assert row["saving_per_run"] == ""  # a gap, never a zero
        else:
            assert float(row["saving_per_run_low"]) == d["saving_per_run_low"]
        assert row["suppressed"] in ("False", "small", "complementary")
        for cell in row.values():
            # A negative interval end stays a number; no text cell can start a formula.
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
            if cell.startswith("-"):
                float(cell)
    wins = _rows(seen["csv"]["wins"])
    assert {r["workflow"] for r in wins} == {w["workflow"] for w in seen["doc"]["wins"]}
    assert all(float(r["saving_per_run_low"]) > 0 for r in wins)
    # A hostile workflow name is written as text, not run as a formula.
    hostile = {"workflows": [{"workflow": "x", "name": '=HYPERLINK("http://evil")'}], "wins": []}
    assert "'=HYPERLINK" in to_csv(PAGE.tables(hostile)["workflows"])  # type: ignore[misc]


def test_no_person_identifier_is_shown(seen: dict[str, Any], org: Any) -> None:
    for body in (seen["page"].text, str(seen["doc"]), *(r.text for r in seen["csv"].values())):
        assert not KEY.search(body)
        assert org.person not in body


def test_managers_and_people_are_refused(org: Any) -> None:
    with TestClient(create_app(org.folder), raise_server_exceptions=False) as c:
        for role in ("manager", "person"):
            assert c.get("/v1/outcomes", headers=_bearer(org.tokens[role])).status_code == 403
            assert (
                c.get("/v1/outcomes/workflows.csv", headers=_bearer(org.tokens[role])).status_code
                == 403
            )
            sign_in(c, org.tokens[role])
            page = c.get("/outcomes")
            assert page.status_code == 403 and '/outcomes"' not in page.text.split("<main")[0]


def test_the_vendor_view_says_what_is_missing(vendor_org: Any) -> None:
    with TestClient(create_app(vendor_org.folder), raise_server_exceptions=False) as c:
        sign_in(c, vendor_org.tokens["analyst"])
        page = c.get("/outcomes")
        doc = c.get("/v1/outcomes", headers=_bearer(vendor_org.tokens["analyst"])).json()
        flows = c.get("/outcomes/workflows.csv")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "not available: needs tasks, tasks.minutes" in text
    assert "ingest tasks" in text and "uptake ingest tasks" in text
    assert 'class="figure"' not in page.text and doc["charts"] == []
    assert doc["available"] is False and doc["workflows"] == []
    # Every headline number says why it is missing; none is a zero.
    for row in doc["headline"]:
        assert row["value"] is None and row["missing"].startswith("not available: needs")
    assert flows.status_code == 200 and _rows(flows) == []


def test_wording_helpers() -> None:
    assert interval(1731.03, 1816.7, 0.95) == "95 % interval 1,731–1,817"
    assert interval(-2.3, 1.8, 0.95, 1) == "95 % interval −2.3 to 1.8"
    assert with_interval(1772.68, 1731.03, 1816.7, "hours a week", 0.95) == (
        "1,773 hours a week (95 % interval 1,731–1,817)"
    )
    assert to_get_it(["tasks", "tasks.minutes"]).startswith(
        "To get it, ingest tasks (one row per run of a catalogued workflow, with minutes); "
        "for example: uptake ingest tasks <files>"
    )
