"""The licences page: seats in use, seats to reclaim, the saving; aggregates only."""

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
from uptake.web.csv_export import to_csv
from uptake.web.pages import _env
from uptake.web.views.licences import PAGE
from uptake.workspace import Actor

KEY = re.compile(r"\bp_[0-9a-f]{20}\b")
TOTALS = ("seats", "used", "unused", "unknown", "reclaim_seats")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def cell(page: str, key: str) -> str:
    got = re.search(rf'<td data-key="{key}">(.*?)</td>', page, re.S)
    assert got, key
    return re.sub(r"<[^>]+>", "", html.unescape(got.group(1))).strip()


def figures(page: str) -> list[dict[str, Any]]:
    return [json.loads(html.unescape(f)) for f in re.findall(r'data-figure="([^"]*)"', page)]


@pytest.fixture(scope="module")
def org_client(org: Any) -> Iterator[TestClient]:
    with TestClient(create_app(org.folder), raise_server_exceptions=False) as c:
        yield c


def check_page(page: str, lic: dict[str, Any], currency: str) -> None:
    """The page's totals, per-tool numbers and charts are the metrics document's."""
    for key in TOTALS:
        assert cell(page, key) == f"{lic[key]:,}"
    assert cell(page, "utilisation") == f"{100 * lic['utilisation']:.1f} %"
    saving = cell(page, "saving")
    if lic["monthly_saving"] is None:
        assert saving.startswith("saving unknown") and currency not in saving
    else:
        assert saving.startswith(f"{currency} {lic['monthly_saving']:,.0f} a month")
    unpriced = lic["reclaim_unpriced"]
    words = (
        f"{unpriced:,} reclaimable seats have no price: add prices to count their saving"
        if unpriced and unpriced > 1
        else "1 reclaimable seat has no price"
    )
    assert (words in html.unescape(page)) == bool(unpriced)
    assert f"Reclaim rule: {lic['reclaim_rule']}." in html.unescape(page)
    if all(t["suppressed"] for t in lic["by_tool"]):
        # No chart of empty axes: the per-tool table says why each tool is hidden.
        assert figures(page) == []
        rows = html.unescape(page).split('id="licences-tools"', 1)[1]
        for t in lic["by_tool"]:
            assert f'scope="row">{t["group"]}</th><td colspan="9">' in rows
        return
    use, reclaim = figures(page)
    tools = [t["group"] for t in lic["by_tool"]]
    assert use["data"][0]["y"] == tools
    assert use["data"][0]["x"] == [None if t["suppressed"] else t["used"] for t in lic["by_tool"]]
    assert use["data"][1]["x"] == [None if t["suppressed"] else t["unused"] for t in lic["by_tool"]]
    assert use["layout"]["barmode"] == "stack"
    bars = reclaim["data"][0]
    assert bars["x"] == [None if t["suppressed"] else t["reclaim_seats"] for t in lic["by_tool"]]
    for t, label in zip(lic["by_tool"], bars["text"], strict=True):
        if t["suppressed"]:
            continue
        if t["monthly_saving"] is None:
            # An unknown price is said, never drawn as a saving of 0.
            assert currency not in label and (label == "" or "no price" in label)
        else:
            assert label.startswith(f"{currency} {t['monthly_saving']:,.0f} a month")


def test_page_and_json_agree_with_the_metrics(org_client: TestClient, org: Any) -> None:
    tok = org.tokens["analyst"]
    metrics = org_client.get("/v1/metrics", headers=bearer(tok)).json()
    lic = metrics["metrics"]["licenses"]
    doc = org_client.get("/v1/licences", headers=bearer(tok)).json()
    assert doc["status"] == "ok" and doc["currency"] == metrics["currency"]
    assert {k: doc["totals"][k] for k in TOTALS} == {k: lic[k] for k in TOTALS}
    assert [t["group"] for t in doc["by_tool"]] == [t["group"] for t in lic["by_tool"]]
    sign_in(org_client, tok)
    page = org_client.get("/licences")
    assert page.status_code == 200
    check_page(page.text, lic, metrics["currency"])


def test_aggregates_only_no_one_listed_nothing_audited(org_client: TestClient, org: Any) -> None:
    admin = bearer(org.tokens["admin"])

    def reads() -> list[dict[str, Any]]:
        # Page views (`view /licences`, once a day per reader) are not reads of anyone's data.
        log = org_client.get("/v1/audit", params={"limit": 10_000}, headers=admin).json()
        return [e for e in log if not e["action"].startswith("view /")]

    before = reads()
    for role in ("admin", "analyst"):
        doc = org_client.get("/v1/licences", headers=bearer(org.tokens[role]))
        assert doc.status_code == 200 and not KEY.search(doc.text)
        sign_in(org_client, org.tokens[role])
        page = org_client.get("/licences").text
        assert not KEY.search(page)
        # No seat-by-seat list for anyone: only the aggregate tables are offered.
        assert set(PAGE.tables(doc.json())) == {"by_tool", "segments"}  # type: ignore[misc]
        assert "reclaim_candidates" not in page
        for table in ("by_tool", "segments"):
            got = org_client.get(f"/licences/{table}.csv?by=team")
            assert got.status_code == 200 and not KEY.search(got.text)
    assert org_client.get("/licences/reclaim_candidates.csv").status_code == 404
    assert reads() == before


def test_team_segments_and_hidden_teams(org_client: TestClient, org: Any) -> None:
    tok = org.tokens["analyst"]
    metrics = org_client.get("/v1/metrics?by=team", headers=bearer(tok)).json()
    segs = metrics["metrics"]["licenses"]["segments"]
    doc = org_client.get("/v1/licences?by=team", headers=bearer(tok)).json()
    assert [(s["group"], s["reclaim_seats"]) for s in doc["segments"]] == [
        (s["group"], s.get("reclaim_seats")) for s in segs
    ]
    sign_in(org_client, tok)
    page = org_client.get("/licences?by=team").text
    assert {s["suppressed"] for s in segs if s["suppressed"]}, "small teams exist"
    for s in segs:
        name = html.escape(s["group"])
        if s["suppressed"]:
            assert re.search(rf'class="suppressed-{s["suppressed"]}"><th scope="row">{name}<', page)
        else:
            assert f'<th scope="row">{name}</th><td>{s["seats"]:,}</td>' in page
    got = rows(org_client.get("/licences/segments.csv?by=team").text)
    assert [r["team"] for r in got] == [s["group"] for s in segs]
    for r, s in zip(got, segs, strict=True):
        # Hidden teams are empty cells, never 0.
        assert r["seats"] == ("" if s["suppressed"] else str(s["seats"]))
    assert org_client.get("/licences/segments.csv").text.strip() == ""  # no segmentation asked


def test_csv_by_tool_matches_and_is_formula_safe(org_client: TestClient, org: Any) -> None:
    tok = org.tokens["analyst"]
    doc = org_client.get("/v1/licences", headers=bearer(tok)).json()
    got = rows(org_client.get("/v1/licences/by_tool.csv", headers=bearer(tok)).text)
    assert [r["tool"] for r in got] == [t["group"] for t in doc["by_tool"]]
    for r, t in zip(got, doc["by_tool"], strict=True):
        if t["hidden"]:
            # Hidden by the tool plan (tools overlap): no number in the CSV either.
            assert r["reclaim_seats"] == r["seats"] == ""
            continue
        assert int(r["reclaim_seats"]) == t["reclaim_seats"] and r["currency"] == doc["currency"]
        assert r["monthly_saving"] == (
            "" if t["monthly_saving"] is None else str(t["monthly_saving"])
        )
        assert not any(v.startswith(("=", "+", "-", "@")) for v in r.values())
    evil = {**doc, "by_tool": [{**doc["by_tool"][0], "group": "=cmd|' /C calc'!A0"}]}
    out = rows(to_csv(PAGE.tables(evil)["by_tool"]))  # type: ignore[misc]
    assert out[0]["tool"] == "'=cmd|' /C calc'!A0"


def test_roles_without_aggregates_are_refused(org_client: TestClient, org: Any) -> None:
    for role in ("manager", "person"):
        assert org_client.get("/v1/licences", headers=bearer(org.tokens[role])).status_code == 403
        csv_ = org_client.get("/v1/licences/by_tool.csv", headers=bearer(org.tokens[role]))
        assert csv_.status_code == 403
        sign_in(org_client, org.tokens[role])
        assert org_client.get("/licences").status_code == 403


def test_vendor_view_says_unpriced_seats_in_words(vendor_org: Any) -> None:
    with TestClient(create_app(vendor_org.folder), raise_server_exceptions=False) as c:
        tok = vendor_org.tokens["analyst"]
        metrics = c.get("/v1/metrics", headers=bearer(tok)).json()
        lic = metrics["metrics"]["licenses"]
        assert lic["reclaim_unpriced"], "the vendor view has seats without a price"
        sign_in(c, tok)
        page = c.get("/licences").text
        check_page(page, lic, metrics["currency"])
        doc = c.get("/v1/licences", headers=bearer(tok)).json()
        unpriced = [t for t in doc["by_tool"] if t["monthly_saving"] is None and t["reclaim_seats"]]
        for t in unpriced:
            assert t["saving_text"] == "saving unknown: no seat to reclaim has a price"


def test_tiny_workspace_and_its_report_section(client: TestClient, tokens: dict[str, str]) -> None:
    """30 people: the same checks on a small workspace, and the report section links nowhere."""
    head = bearer(tokens["analyst"])
    metrics = client.get("/v1/metrics", headers=head).json()
    doc = client.get("/v1/licences", headers=head)
    assert doc.status_code == 200, doc.text
    sign_in(client, tokens["analyst"])
    page = client.get("/licences")
    assert page.status_code == 200, page.text
    check_page(page.text, metrics["metrics"]["licenses"], metrics["currency"])
    report = _env.get_template("report.html").render(
        sections=[{"view": PAGE, "data": doc.json()}], as_of=doc.json()["as_of"],
        actor=Actor.local(), generated="now", css="", plotly="", charts_js="",
    )  # fmt: skip
    markup = re.sub(r"<script>.*?</script>", "", report)
    assert not re.search(r"""(src|href)=["'](?!#)""", markup)
    assert markup.count('class="figure"') == 2


def test_admins_download_the_reclaim_list_and_the_download_is_audited(
    org_client: TestClient, org: Any
) -> None:
    admin = bearer(org.tokens["admin"])
    lic = org_client.get("/v1/metrics", headers=admin).json()["metrics"]["licenses"]
    got = org_client.get("/v1/licences/reclaim_seats.csv", headers=admin)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    listed = rows(got.text)
    # The seats the metric counts, each named by its holder's roster identifier.
    assert len(listed) == lic["reclaim_seats"] > 0
    assert all("@" in r["person"] and r["tool"] and r["reason"] for r in listed)
    assert not KEY.search(got.text)
    audit = org_client.get("/v1/audit?limit=50", headers=admin).json()
    assert any(e["action"] == "read reclaim_candidates with identities" for e in audit)
    # Nobody else gets it, and the page, its JSON and its report section never hold it.
    for role in ("analyst", "manager", "coach", "person"):
        r = org_client.get("/v1/licences/reclaim_seats.csv", headers=bearer(org.tokens[role]))
        assert r.status_code == 403, role
    doc = org_client.get("/v1/licences", headers=admin)
    assert "@" not in doc.text and not KEY.search(doc.text)
    sign_in(org_client, org.tokens["admin"])
    assert "reclaim_seats.csv" in org_client.get("/licences").text
    sign_in(org_client, org.tokens["analyst"])
    assert "reclaim_seats.csv" not in org_client.get("/licences").text
    assert org_client.get("/licences/reclaim_seats.csv").status_code == 403
