"""The proficiency page: time to L3 (Kaplan–Meier), the median marked or said not reached."""

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
from uptake.report.charts import hidden_reason
from uptake.web import create_app
from uptake.web.csv_export import to_csv
from uptake.web.pages import _env
from uptake.web.views.proficiency import PAGE, _median
from uptake.workspace import Actor

KEY = re.compile(r"\bp_[0-9a-f]{20}\b")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def figures(page: str) -> list[dict[str, Any]]:
    """The Plotly figures a page carries, as drawn by charts.js."""
    return [json.loads(html.unescape(f)) for f in re.findall(r'data-figure="([^"]*)"', page)]


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def plain(page: str) -> str:
    """The page's words without tags or figures (for phrases that span elements)."""
    text = re.sub(r'data-figure="[^"]*"', "", page)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


@pytest.fixture(scope="module")
def org_client(org: Any) -> Iterator[TestClient]:
    with TestClient(create_app(org.folder), raise_server_exceptions=False) as c:
        yield c


def expected_median_words(m: dict[str, Any]) -> tuple[str, float | None]:
    """What the page must say about the median, built from the metrics document alone."""
    if m["median_days"] is not None:
        return f"reach L3 within {m['median_days']:,.0f} days", m["median_days"]
    floor = m["ci_low"] if m["ci_low"] is not None else m["curve"][-1]["day"]
    return f"fewer than half have reached L3 yet: the median is at least {floor:,.0f} days", None


def check_median(page: str, metric: dict[str, Any]) -> None:
    words, median = expected_median_words(metric)
    text = plain(page)
    assert words in text
    assert f"{metric['reached']:,} people have reached L3" in text
    assert f"{metric['censored']:,} have not yet (censored)" in text
    curve = figures(page)[0]
    verticals = [
        s for s in curve["layout"]["shapes"] if s["type"] == "line" and s.get("yref") == "paper"
    ]
    if median is None:
        # Never a median that does not exist: no vertical mark, and the words say why.
        assert verticals == []
        assert "median not reached" in json.dumps(curve["layout"]["annotations"])
    else:
        assert [s["x0"] for s in verticals] == [median]
        band = [s for s in curve["layout"]["shapes"] if s["type"] == "rect"]
        if metric["ci_low"] is not None:
            assert band and band[0]["x0"] == metric["ci_low"]
    # The step line is the share who reached L3: 1 − not_proficient, day by day.
    line = curve["data"][0]
    assert line["line"]["shape"] == "hv"
    assert line["x"] == [p["day"] for p in metric["curve"]]
    assert line["y"] == [round(100 * (1 - p["not_proficient"]), 1) for p in metric["curve"]]


def test_page_and_json_agree_with_the_metrics(org_client: TestClient, org: Any) -> None:
    tok = org.tokens["analyst"]
    metrics = org_client.get("/v1/metrics", headers=bearer(tok)).json()
    ttp = metrics["metrics"]["time_to_proficiency"]
    lt = metrics["metrics"]["ladder_transitions"]
    doc = org_client.get("/v1/proficiency", headers=bearer(tok)).json()
    assert doc["median"]["median_days"] == ttp["median_days"]
    assert (doc["median"]["reached"], doc["median"]["censored"]) == (
        ttp["reached"],
        ttp["censored"],
    )
    assert [p["day"] for p in doc["curve"]] == [p["day"] for p in ttp["curve"]]
    assert doc["groups"] == []  # no segmentation unless asked
    sign_in(org_client, tok)
    page = org_client.get("/proficiency")
    assert page.status_code == 200
    check_median(page.text, ttp)
    # The section's heading is the metric's label, capitalised as every heading is.
    label = doc["median"]["label"]
    assert label[:1].islower(), label  # the label reads after a number elsewhere
    assert f'<h2 id="proficiency-median">{label[:1].upper()}{label[1:]}</h2>' in page.text
    # Last week's moves: the from → to counts exactly as in the document.
    text = plain(page.text)
    assert f"{lt['up']:,} up, {lt['down']:,} down, {lt['same']:,} the same" in text
    for r in lt["rows"]:
        if r["suppressed"]:
            assert f'class="suppressed-{r["suppressed"]}"><th scope="row">{r["from"]}<' in page.text
        else:
            cells = " ".join(str(r[f"to_L{i}"]) for i in range(1, 6))
            assert f"{r['from']} {r['n']} {cells} {r['up']} {r['down']}" in text
    assert not KEY.search(page.text + json.dumps(doc))


def test_segments_show_medians_and_mark_hidden_groups(org_client: TestClient, org: Any) -> None:
    tok = org.tokens["analyst"]
    metrics = org_client.get("/v1/metrics?by=role", headers=bearer(tok)).json()
    groups = metrics["metrics"]["time_to_proficiency"]["segments"]
    doc = org_client.get("/v1/proficiency?by=role", headers=bearer(tok)).json()
    assert [g["group"] for g in doc["groups"]] == [g["group"] for g in groups]
    sign_in(org_client, tok)
    page = org_client.get("/proficiency?by=role").text
    kinds = {g["suppressed"] for g in groups if g["suppressed"]}
    assert kinds, "a 300-person organisation has roles below k"
    for g in groups:
        name = html.escape(g["group"])
        if g["suppressed"]:
            assert re.search(rf'class="suppressed-{g["suppressed"]}"><th scope="row">{name}<', page)
        elif g["median_days"] is None:
            row = re.search(rf"<th scope=\"row\">{re.escape(name)}</th>.*?</tr>", page)
            assert row and "not reached yet" in row.group(0)
    # The dot-and-whisker: medians only where they exist, hidden groups absent, never 0.
    fig = next(f for f in figures(page) if f["data"][0].get("error_x"))
    dots = dict(zip(fig["data"][0]["y"], fig["data"][0]["x"], strict=True))
    shown = [g for g in groups if not g["suppressed"]]
    assert dots == {g["group"]: None if g["suppressed"] else g["median_days"] for g in groups}
    notes = {a["y"]: a["text"] for a in fig["layout"]["annotations"]}
    for g in groups:
        if g["suppressed"]:
            assert notes[g["group"]] == hidden_reason(g, metrics["min_group_size"])
        elif g["median_days"] is None:
            assert notes[g["group"]].startswith("not reached yet")
    floors = dict(zip(fig["data"][1]["y"], fig["data"][1]["x"], strict=True))
    assert all(floors[g["group"]] is None for g in shown if g["median_days"] is not None)
    # CSV of the groups follows the query string's segmentation.
    got = rows(org_client.get("/proficiency/groups.csv?by=role").text)
    assert [r["group"] for r in got] == [g["group"] for g in groups]
    assert {r["by"] for r in got} == {"role"}


def test_csv_exports_match_and_are_formula_safe(org_client: TestClient, org: Any) -> None:
    tok = org.tokens["admin"]
    doc = org_client.get("/v1/proficiency", headers=bearer(tok)).json()
    curve = rows(org_client.get("/v1/proficiency/curve.csv", headers=bearer(tok)).text)
    assert [float(r["reached_l3_share"]) for r in curve] == [
        p["reached_share"] for p in doc["curve"]
    ]
    moves = rows(org_client.get("/v1/proficiency/transitions.csv", headers=bearer(tok)).text)
    # A hidden row is an empty cell, never 0.
    assert [int(r["to_L3"]) if r["to_L3"] else None for r in moves] == [
        r["to_L3"] for r in doc["transitions"]["rows"]
    ]
    for table in (curve, moves):
        for r in table:
            assert not any(v.startswith(("=", "+", "-", "@")) for v in r.values())
    # A hostile segment name reaches the spreadsheet as text, not as a formula.
    evil = {**doc, "by": "team"}
    evil["groups"] = [{"group": '=HYPERLINK("x")', "text": "-1", "suppressed": "small"}]
    out = rows(to_csv(PAGE.tables(evil)["groups"]))  # type: ignore[misc]
    assert out[0]["group"] == '\'=HYPERLINK("x")' and out[0]["median_in_words"] == "'-1"


def test_roles_without_aggregates_are_refused(org_client: TestClient, org: Any) -> None:
    for role in ("manager", "person"):
        assert (
            org_client.get("/v1/proficiency", headers=bearer(org.tokens[role])).status_code == 403
        )
        assert (
            org_client.get(
                "/v1/proficiency/curve.csv", headers=bearer(org.tokens[role])
            ).status_code
            == 403
        )
        sign_in(org_client, org.tokens[role])
        assert org_client.get("/proficiency").status_code == 403


def test_median_words_never_invent_a_median() -> None:
    base = {"n": 40, "reached": 12, "censored": 28, "left_truncated": 0, "basis": "measured"}
    curve = [{"day": 0.0, "not_proficient": 1.0}, {"day": 84.0, "not_proficient": 0.7}]
    open_ = _median({**base, "median_days": None, "ci_low": None, "ci_high": None,
                     "curve": curve}, 5)  # fmt: skip
    assert open_["status"] == "not_reached" and open_["at_least_days"] == 84.0
    assert open_["text"].startswith(
        "fewer than half have reached L3 yet: the median is at least 84"
    )
    done = _median({**base, "median_days": 63.0, "ci_low": 49.0, "ci_high": None,
                    "curve": curve}, 5)  # fmt: skip
    assert done["text"].startswith("median 63 days (interval from 49 days, no upper bound yet)")
    gone = _median({"status": "not_available", "needs": ["events"]}, 5)
    assert gone["status"] == "not_available" and gone["text"] == "not available: needs events"


def test_vendor_view_labels_the_proxy(vendor_org: Any) -> None:
    with TestClient(create_app(vendor_org.folder), raise_server_exceptions=False) as c:
        tok = vendor_org.tokens["analyst"]
        metrics = c.get("/v1/metrics", headers=bearer(tok)).json()["metrics"]
        ttp = metrics["time_to_proficiency"]
        assert ttp["basis"].startswith("proxy")
        sign_in(c, tok)
        page = c.get("/proficiency").text
        check_median(page, ttp)
        label = f"({ttp['basis']})"
        assert f"Median not reached {label}" in plain(page) or (f"days {label}" in plain(page))
        # Every chart title says the ladder is a proxy here.
        titles = re.findall(r'<h2 id="chart-proficiency-\d+">([^<]*)</h2>', page)
        assert titles and all(html.unescape(t).endswith(label) for t in titles)
        assert f"Moves on the ladder last week {label}" in plain(page)
        # Vendor exports hold no help or feedback data: L5 is not judged, so the moves table
        # has no L5 column or row (never a column of zeros), and its caption says why.
        moves = c.get("/v1/proficiency", headers=bearer(tok)).json()["transitions"]
        assert moves["levels"] == ["L1", "L2", "L3", "L4"]
        assert "L5 not judged: needs help_edges or feedback" in moves["not_judged"]
        assert "to L5" not in plain(page) and "L5 not judged: needs help_edges" in plain(page)
        assert {r["from"] for r in moves["rows"]} <= {"L1", "L2", "L3", "L4"}
        overview = c.get("/v1/overview", headers=bearer(tok)).json()
        ladder = next(ch for ch in overview["charts"] if "adoption ladder" in ch["title"])
        assert [t["name"] for t in ladder["figure"]["data"]] == ["L1", "L2", "L3", "L4"]
        assert "L5 not judged" in ladder["caption"]


def test_tiny_workspace_says_what_is_missing(client: TestClient, tokens: dict[str, str]) -> None:
    """30 people: the page says what it cannot show, and its report section links nowhere."""
    head = bearer(tokens["analyst"])
    metrics = client.get("/v1/metrics", headers=head).json()["metrics"]
    doc = client.get("/v1/proficiency", headers=head)
    assert doc.status_code == 200, doc.text
    sign_in(client, tokens["analyst"])
    page = client.get("/proficiency")
    assert page.status_code == 200, page.text
    ttp, lt = metrics["time_to_proficiency"], metrics["ladder_transitions"]
    text = plain(page.text)
    if ttp.get("status") == "not_available":
        assert f"not available: needs {', '.join(ttp['needs'])}" in text
    elif ttp["median_days"] is None:
        assert "fewer than half have reached L3 yet" in text
        assert f"{ttp['reached']:,} people have reached L3" in text
    if lt.get("status") == "not_available":
        assert f"not available: needs {', '.join(lt['needs'])}" in text
    report = _env.get_template("report.html").render(
        sections=[{"view": PAGE, "data": doc.json()}], as_of=doc.json()["as_of"],
        actor=Actor.local(), generated="now", css="", plotly="", charts_js="",
    )  # fmt: skip
    assert not re.search(r"""(src|href)=["'](?!#)""", re.sub(r"<script>.*?</script>", "", report))
