"""The segments page: each segment on the key metrics, both kinds of suppression marked apart."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from server_helpers import sign_in
from uptake.metrics.dimensions import BY_CHOICES
from uptake.web import create_app

PERSON_KEY = re.compile(r"p_[0-9a-f]{20}")
WORDS = {"small": "fewer than 5 people", "complementary": "hidden so a smaller group cannot be"}


@pytest.fixture(scope="module")
def site(org: Any) -> Iterator[TestClient]:
    """One app for the module (its workspace remembers the metrics), signed in as analyst."""
    with TestClient(create_app(org.folder), raise_server_exceptions=False) as c:
        sign_in(c, org.tokens["analyst"])
        yield c


def _get(c: TestClient, token: str, path: str) -> Any:
    return c.get(path, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture(scope="module")
def docs(site: TestClient, org: Any) -> dict[str, Any]:
    """The view's JSON, the metrics document it reads (by team) and the page."""
    view = _get(site, org.tokens["analyst"], "/v1/segments")
    assert view.status_code == 200, view.text
    metrics = _get(site, org.tokens["analyst"], "/v1/metrics?by=team")
    assert metrics.status_code == 200
    page = site.get("/segments")
    assert page.status_code == 200, page.text
    return {"view": view.json(), "metrics": metrics.json(), "page": page.text}


def _expected(
    metrics: dict[str, Any], metric: str, field: str, columns: list[dict[str, Any]]
) -> dict[str, Any]:
    """segment -> the value the document publishes, or its suppression kind.

    A segment that no column shows is hidden where it has no row too (else "no data" beside
    "< 5" would tell whether its few people had data).
    """
    rows = {
        str(r.get("segment", r.get("group"))): r["suppressed"] or r.get(field)
        for r in metrics["metrics"][metric]["segments"]
    }
    return {**_hidden_everywhere(metrics, columns), **rows}


def _hidden_everywhere(metrics: dict[str, Any], columns: list[dict[str, Any]]) -> dict[str, str]:
    """Segments no column shows (only hidden cells), each with the reason its cells give."""
    kinds: dict[str, set[str]] = {}
    for col in columns:
        for r in metrics["metrics"][col["metric"]]["segments"]:
            seg = str(r.get("segment", r.get("group")))
            shown = not r["suppressed"] and r.get(col["field"]) is not None
            kinds.setdefault(seg, set()).add("" if shown else str(r["suppressed"] or "none"))
    return {
        seg: "small" if "small" in found else "complementary"
        for seg, found in kinds.items()
        if "" not in found and found & {"small", "complementary"}
    }


def _table(page: str) -> list[tuple[str, dict[str, tuple[str, str]]]]:
    """The page's segment table: [(segment, {metric: (css class, text)})], in order."""
    body = page.split('<table class="segments">', 1)[1].split("</table>", 1)[0]
    out = []
    for seg, cells in re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', body, re.S):
        found = re.findall(r'<td(?: class="([^"]+)")? data-metric="([^"]+)">(.*?)</td>', cells)
        texts = {key: (cls, re.sub(r"<[^>]+>", "", text)) for cls, key, text in found}
        out.append((html.unescape(seg), texts))
    return out


def test_page_json_and_metrics_document_agree(docs: dict[str, Any]) -> None:
    d, metrics = docs["view"], docs["metrics"]
    assert d["by"] == "team" and d["k"] == metrics["min_group_size"] == 5
    assert [c["key"] for c in d["columns"]][:2] == ["l3_plus_share", "active_rate"]
    for col in d["columns"]:
        want = _expected(metrics, col["metric"], col["field"], d["columns"])
        for row in d["rows"]:
            cell = row["cells"][col["key"]]
            got = cell["suppressed"] or cell["value"]
            assert got == want.get(row["segment"]), (col["key"], row["segment"])
    # Sorted by L3+ share, highest first, hidden segments after every shown one.
    shown = [r["cells"]["l3_plus_share"]["value"] for r in d["rows"]]
    values = [v for v in shown if v is not None]
    assert values == sorted(values, reverse=True)
    assert shown[: len(values)] == values
    # The page's table shows the same rows in the same order with the same numbers.
    table = _table(docs["page"])
    assert [seg for seg, _ in table] == [r["segment"] for r in d["rows"]]
    for (_, cells), row in zip(table, d["rows"], strict=True):
        for key, cell in row["cells"].items():
            assert cells[key][1].strip() == cell["text"]
    c = d["counts"]
    assert f"{c['segments']} segments by team" in docs["page"]
    assert c["shown"] + c["small"] + c["complementary"] + c["no_data"] == c["segments"]


def test_suppressed_cells_are_marked_by_kind(docs: dict[str, Any]) -> None:
    metrics, page = docs["metrics"], docs["page"]
    columns = docs["view"]["columns"]
    ladder = _expected(metrics, "adoption_ladder", "l3_plus_share", columns)
    kinds = {kind: {s for s, v in ladder.items() if v == kind} for kind in WORDS}
    # The 300-person organisation has small teams and teams hidden so they cannot be derived.
    assert kinds["small"] and kinds["complementary"], kinds
    assert docs["view"]["counts"]["small"] == len(kinds["small"])
    assert docs["view"]["counts"]["complementary"] == len(kinds["complementary"])
    table = dict(_table(page))
    for col in columns:
        want = _expected(metrics, col["metric"], col["field"], columns)
        for seg, cells in table.items():
            cls, text = cells[col["key"]]
            kind = want.get(seg)
            if kind in WORDS:
                assert cls == f"suppressed-{kind}" and WORDS[kind] in text, (seg, col["key"])
                assert not re.search(r"\d+ %|\d\.\d", text)  # never a number
            else:
                assert not cls.startswith("suppressed"), (seg, col["key"])
    # The chart: hidden cells are gaps (None), labelled apart by kind, never drawn as 0.
    figs = re.findall(r'data-figure="([^"]+)"', page)
    assert len(figs) == 1
    fig = json.loads(html.unescape(figs[0]))
    heat, *marks = fig["data"]
    keys = [c["key"] for c in docs["view"]["columns"]]
    col = keys.index("l3_plus_share")
    for seg, z in zip(heat["y"], heat["z"], strict=True):
        if ladder[seg] in WORDS:
            assert z[col] is None
        else:
            assert z[col] == pytest.approx(round(100 * ladder[seg], 1))
    by_mark = {m["text"][0]: m for m in marks}
    assert set(by_mark) >= {"< 5", "hidden"}
    short = docs["view"]["columns"][col]["short"]
    for mark, kind in (("< 5", "small"), ("hidden", "complementary")):
        at = {y for x, y in zip(by_mark[mark]["x"], by_mark[mark]["y"], strict=True) if x == short}
        assert at == kinds[kind]
    assert "fewer than 5 people" in by_mark["< 5"]["name"]
    assert "hidden so a smaller group cannot be worked out" in by_mark["hidden"]["name"]
    assert re.search(r"as of \d{4}-\d\d-\d\d .*28-day window .*n = \d", page)
    assert "'< 5': fewer than 5 people" in html.unescape(page)


def test_csv_has_each_metric_and_its_suppression(
    site: TestClient, org: Any, docs: dict[str, Any]
) -> None:
    d = docs["view"]
    page_csv = site.get("/segments/segments.csv")
    api_csv = _get(site, org.tokens["admin"], "/v1/segments/segments.csv?by=team")
    assert page_csv.status_code == api_csv.status_code == 200
    assert page_csv.text == api_csv.text
    rows = list(csv.DictReader(io.StringIO(page_csv.text)))
    assert len(rows) == len(d["rows"])
    for got, row in zip(rows, d["rows"], strict=True):
        assert got["team"].lstrip("'") == row["segment"]
        for key, cell in row["cells"].items():
            if cell["value"] is None:
                assert got[key] == ""
                assert got[f"{key}_suppressed"] == (cell["suppressed"] or "no data")
            else:
                assert float(got[key]) == pytest.approx(cell["value"])
                assert got[f"{key}_suppressed"] == ""
    kinds = {r["l3_plus_share_suppressed"] for r in rows}
    assert {"small", "complementary"} <= kinds
    for r in rows:  # formula-safe: no text cell a spreadsheet would run
        assert not any(str(v).startswith(("=", "+", "@", "\t", "\r")) for v in r.values())
    assert not PERSON_KEY.search(page_csv.text)
    assert not PERSON_KEY.search(docs["page"]) and not PERSON_KEY.search(json.dumps(d))


def test_form_picks_the_dimension(docs: dict[str, Any]) -> None:
    page = docs["page"]
    form = page.split('<form method="get" action="/segments"', 1)[1].split("</form>", 1)[0]
    assert '<label for="segments-by">Segment by</label>' in form
    assert '<select id="segments-by" name="by">' in form
    assert re.findall(r'<option value="([^"]+)"', form) == list(BY_CHOICES)
    assert '<option value="team" selected>' in form
    assert '<button type="submit">' in form
    assert 'href="/segments/segments.csv?by=team"' in page


def test_roles_without_organisation_aggregates_are_refused(org: Any, site: TestClient) -> None:
    for role in ("manager", "coach", "person"):
        for path in ("/v1/segments", "/v1/segments/segments.csv", "/v1/segments?by=nonsense"):
            r = _get(site, org.tokens[role], path)
            assert r.status_code == 403, (role, path, r.text)
        with TestClient(create_app(org.folder), raise_server_exceptions=False) as c:
            sign_in(c, org.tokens[role])
            r = c.get("/segments")
            assert r.status_code == 403 and "organisation-wide aggregates" in r.text
            assert 'href="/segments"' not in r.text  # not offered in the navigation


def test_a_bad_dimension_is_a_clear_400(site: TestClient, org: Any) -> None:
    r = _get(site, org.tokens["analyst"], "/v1/segments?by=nonsense")
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "InputError"
    assert "nonsense" in body["message"] and "team" in body["message"]
    assert "role" in body["message"]
    assert _get(site, org.tokens["analyst"], "/v1/segments/segments.csv?by=x").status_code == 400
    page = site.get("/segments?by=nonsense")
    assert page.status_code == 400 and "is not a segment dimension" in page.text


def test_another_dimension_is_read_from_the_document(
    served: tuple[Path, dict[str, str]],
) -> None:
    folder, tokens = served
    with TestClient(create_app(folder), raise_server_exceptions=False) as c:
        d = _get(c, tokens["analyst"], "/v1/segments?by=role").json()
        metrics = _get(c, tokens["analyst"], "/v1/metrics?by=role").json()
        sign_in(c, tokens["analyst"])
        page = c.get("/segments?by=role").text
    assert d["by"] == "role"
    want = _expected(metrics, "usage_rate", "rate", d["columns"])
    assert {r["segment"] for r in d["rows"]} == set(want)
    for r in d["rows"]:
        cell = r["cells"]["active_rate"]
        assert (cell["suppressed"] or cell["value"]) == want[r["segment"]]
    assert '<option value="role" selected>' in page
    assert "segments by role" in page
