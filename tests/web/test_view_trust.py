"""The trust view: override rate, outcomes followed vs overridden, and the sponsor's reading."""

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
from uptake.web.views.trust import PAGE, p_text, p_value, reading, trend_words

KEY = re.compile(r"p_[0-9a-f]{20}")
# The claim-assessment row of a 2,000-person demo, as the metrics publish it.
CLAIMS = {
    "workflow": "cs.claim_assessment",
    "followed_decisions": 2862.0,
    "overridden_decisions": 1560.0,
    "followed_mean": 58.880248,
    "overridden_mean": 52.857455,
    "difference": -6.022793,
    "welch_t": -4.832538,
    "welch_p": 1e-06,
}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def seen(org: Any) -> Iterator[dict[str, Any]]:
    """One analyst session: the page, its JSON, its CSV and the metrics document."""
    with TestClient(create_app(org.folder), raise_server_exceptions=False) as c:
        sign_in(c, org.tokens["analyst"])
        page = c.get("/trust")
        yield {
            "page": page,
            "text": html.unescape(page.text),
            "doc": c.get("/v1/trust", headers=_bearer(org.tokens["analyst"])).json(),
            "metrics": c.get("/v1/metrics", headers=_bearer(org.tokens["analyst"])).json()[
                "metrics"
            ],
            "csv": c.get("/trust/workflows.csv"),
            "api_csv": c.get("/v1/trust/workflows.csv", headers=_bearer(org.tokens["analyst"])),
        }


def test_headline_matches_the_metrics_document(seen: dict[str, Any]) -> None:
    assert seen["page"].status_code == 200
    text, m = seen["text"], seen["metrics"]
    rate = m["override_rate"]
    assert f"{100 * rate['override_rate']:.0f} % of {rate['decisions']:,} decisions" in text
    words = trend_words(rate["slope"], rate["slope_p"], 0.95)
    assert words in text and re.search(r"(rising|falling|no clear trend) \(.*p [=<] ", words)
    acc = m["override_accuracy"]
    assert f"(95 % interval {100 * acc['mean_low']:.0f}–{100 * acc['mean_high']:.0f} %)" in text
    assert (seen["doc"]["accuracy"]["low"], seen["doc"]["accuracy"]["high"]) == (
        acc["mean_low"],
        acc["mean_high"],
    )
    assert "<script>" not in seen["page"].text


def test_workflow_rows_carry_the_documents_intervals(seen: dict[str, Any]) -> None:
    text = seen["text"]
    published = {w["workflow"]: w for w in seen["metrics"]["override_outcomes"]["workflows"]}
    rates = {w["workflow"]: w for w in seen["metrics"]["override_rate"]["workflows"]}
    rows = {r["workflow"]: r for r in seen["doc"]["workflows"]}
    assert set(rows) == set(published) | set(rates)
    shown = [r for r in rows.values() if not r["outcome_suppressed"]]
    assert shown, "the 300-person organisation shows at least one workflow"
    for r in shown:
        w = published[r["workflow"]]
        for arm in ("followed_mean", "overridden_mean"):
            assert (r[f"{arm}_low"], r[f"{arm}_high"]) == (w[f"{arm}_low"], w[f"{arm}_high"])
            assert f"{w[arm]:.1f} ({w[f'{arm}_low']:.1f}–{w[f'{arm}_high']:.1f})" in text
        assert r["difference_low"] < r["difference"] < r["difference_high"]
        assert r["reading"] in text
        clear = r["difference_low"] > 0 or r["difference_high"] < 0
        assert ("no clear difference" in r["reading"]) is not clear
        assert f"{100 * rates[r['workflow']]['override_rate']:.0f} %" in text
        assert p_text(rates[r["workflow"]]["slope_p"]) in text
        # The tests' p-values as a reader sees them: "< 0.001", never a bare 0.
        cells = f"<td>{p_value(w['welch_p'])}</td><td>{p_value(w['mannwhitney_p'])}</td>"
        assert cells in text, cells


def test_hidden_workflows_are_marked_and_never_drawn(seen: dict[str, Any]) -> None:
    hidden = [r for r in seen["doc"]["workflows"] if r["outcome_suppressed"]]
    assert hidden, "the 300-person organisation hides small workflows"
    for r in hidden:
        assert r["followed_mean"] is None and r["difference"] is None and r["reading"] is None
        cls = f'class="suppressed-{r["outcome_suppressed"]}">{r["outcome_hidden"]}</td>'
        assert cls in seen["page"].text and "fewer than" in r["outcome_hidden"]
    dots, bars, weekly = (c["figure"]["data"] for c in seen["doc"]["charts"])
    # The gap says why in words on the chart itself.
    notes = seen["doc"]["charts"][0]["figure"]["layout"]["annotations"]
    assert sorted(n["text"] for n in notes) == sorted(r["outcome_hidden"] for r in hidden)
    for trace in dots:
        for label, x in zip(trace["customdata"], trace["x"], strict=True):
            row = next(r for r in seen["doc"]["workflows"] if r["label"] == label)
            arm = "followed" if trace["name"].startswith("followed") else "overridden"
            assert x == row[f"{arm}_mean"]  # None (a gap) where the workflow is hidden
    rates = {r["label"]: r for r in seen["doc"]["workflows"]}
    for label, x in zip(bars[0]["y"], bars[0]["x"], strict=True):
        want = rates[label]["override_rate"]
        assert x == (None if want is None else round(100 * want, 1))
    weeks = seen["metrics"]["override_rate"]["weeks"]
    assert [y is None for y in weekly[0]["y"]] == [bool(w["suppressed"]) for w in weeks]


def test_charts_show_intervals_and_state_as_of_and_n(seen: dict[str, Any]) -> None:
    charts = seen["doc"]["charts"]
    assert len(charts) == 3
    for c in charts:
        assert c["title"] in seen["text"] and "n = " in c["caption"]
        assert re.search(r"as of \d{4}-\d\d-\d\d", c["caption"])
    assert "90-day window" in charts[0]["caption"]
    for trace in charts[0]["figure"]["data"]:
        arm = "followed" if trace["name"].startswith("followed") else "overridden"
        triples = zip(trace["customdata"], trace["x"], trace["error_x"]["array"], strict=True)
        for label, x, plus in triples:
            row = next(r for r in seen["doc"]["workflows"] if r["label"] == label)
            if x is not None:
                assert x + plus == pytest.approx(row[f"{arm}_mean_high"])


def test_csv_export_matches_the_rows_and_is_formula_safe(seen: dict[str, Any]) -> None:
    assert seen["csv"].status_code == 200
    got = list(csv.DictReader(io.StringIO(seen["csv"].text)))
    assert got == list(csv.DictReader(io.StringIO(seen["api_csv"].text)))
    rows = {r["workflow"]: r for r in seen["doc"]["workflows"]}
    assert {g["workflow"] for g in got} == set(rows)
    for g in got:
        r = rows[g["workflow"]]
        if r["difference"] is None:
            assert g["difference"] == "" and g["welch_p"] == ""  # gaps, never zeros
        else:
            assert float(g["difference_low"]) == r["difference_low"]
            assert float(g["welch_p"]) == r["welch_p"]
        for cell in g.values():
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
            if cell.startswith("-"):
                float(cell)  # a negative number stays a number
    hostile = {"workflows": [{"workflow": "@SUM(A1:A9)", "override_rate": 0.5}]}
    assert "'@SUM" in to_csv(PAGE.tables(hostile)["workflows"])  # type: ignore[misc]


def test_no_person_identifier_is_shown(seen: dict[str, Any], org: Any) -> None:
    for body in (seen["page"].text, str(seen["doc"]), seen["csv"].text):
        assert not KEY.search(body) and org.person not in body


def test_managers_and_people_are_refused(org: Any) -> None:
    with TestClient(create_app(org.folder), raise_server_exceptions=False) as c:
        for role in ("manager", "person"):
            assert c.get("/v1/trust", headers=_bearer(org.tokens[role])).status_code == 403
            assert (
                c.get("/v1/trust/workflows.csv", headers=_bearer(org.tokens[role])).status_code
                == 403
            )
            sign_in(c, org.tokens[role])
            assert c.get("/trust").status_code == 403


def test_the_vendor_view_says_what_is_missing(vendor_org: Any) -> None:
    with TestClient(create_app(vendor_org.folder), raise_server_exceptions=False) as c:
        sign_in(c, vendor_org.tokens["analyst"])
        page = c.get("/trust")
        doc = c.get("/v1/trust", headers=_bearer(vendor_org.tokens["analyst"])).json()
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "not available: needs decisions" in text and "uptake ingest decisions" in text
    assert 'class="figure"' not in page.text and doc["charts"] == []
    assert doc["rate"]["value"] is None and doc["accuracy"]["value"] is None
    assert doc["workflows"] == [] and doc["readings"] == []


def test_the_sponsor_sentence_reads_a_clear_difference() -> None:
    row = {**CLAIMS, "difference_low": -8.5, "difference_high": -3.6}
    said = reading(row, 0.95, higher_is_better=True)
    assert said is not None
    assert said.startswith(
        "In claim assessment, decisions that overrode the AI scored 6.0 points lower than "
        "those that followed it (95 % interval 3.6–8.5 points lower)"
    )
    assert "following the AI gave the better outcome" in said
    # Where lower is better, the same numbers say the overrides were right.
    flipped = reading(row, 0.95, higher_is_better=False)
    assert flipped is not None and "overrode the AI were right" in flipped
    unclear = reading({**row, "difference_low": -1.0, "difference_high": 2.0}, 0.95, True)
    assert unclear is not None and "no clear difference" in unclear
    unknown = reading({**CLAIMS, "difference_low": None, "difference_high": None}, 0.95, True)
    assert unknown is not None and "cannot be judged" in unknown


def test_trend_words() -> None:
    assert trend_words(0.0035, 0.2787, 0.95) == "no clear trend (p = 0.28)"
    assert trend_words(0.012, 0.002, 0.95) == "rising (1.2 points a week, p = 0.002)"
    assert trend_words(-0.02, 0.0001, 0.95) == "falling (2.0 points a week, p < 0.001)"
    assert trend_words(None, None, 0.95).startswith("trend not known")


def test_p_values_in_cells() -> None:
    assert [p_value(p) for p in (0.0, 1e-6, 0.00099, 0.0042, 0.042332, 0.124223, None)] == [
        "< 0.001", "< 0.001", "< 0.001", "0.004", "0.042", "0.124", "—",
    ]  # fmt: skip
    assert p_text(0.0) == "p < 0.001" and p_text(0.27) == "p = 0.27"
