"""The AI tools page: per-tool usage, the tool mix and cost, on both views of the simulated org."""

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

PERSON_KEY = re.compile(r"p_[0-9a-f]{20}")


def _get(c: TestClient, token: str, path: str) -> Any:
    return c.get(path, headers={"Authorization": f"Bearer {token}"})


def _site(org: Any) -> Iterator[dict[str, Any]]:
    with TestClient(create_app(org.folder), raise_server_exceptions=False) as c:
        token = org.tokens["analyst"]
        view = _get(c, token, "/v1/tools")
        assert view.status_code == 200, view.text
        sign_in(c, token)
        page = c.get("/tools")
        assert page.status_code == 200, page.text
        yield {"client": c, "org": org, "view": view.json(), "page": page.text}


@pytest.fixture(scope="module")
def canonical(org: Any) -> Iterator[dict[str, Any]]:
    yield from _site(org)


@pytest.fixture(scope="module")
def vendor(vendor_org: Any) -> Iterator[dict[str, Any]]:
    yield from _site(vendor_org)


def _check(s: dict[str, Any], tools: set[str]) -> None:
    view, page = s["view"], html.unescape(s["page"])
    assert {t["tool"] for t in view["tools"]} == tools
    k = view["k"]
    for t in view["tools"]:
        if t["hidden"]:
            assert t["hidden"] in page
            continue
        assert t["n"] >= k
        assert t["tool"] in page
    for r in view["mix"] + view["pairs"]:
        assert r["n"] == 0 or r["n"] >= k
    if view["mix_people"] is None:
        # The total hidden: said why, and the shares and the merged row hidden with it (each
        # would give it away), never a row of blanks or a merged row that is simply missing.
        assert view["mix_hidden"] and f"People active in any tool: {view['mix_hidden']}" in page
        merged = re.search(r'<tr><th scope="row">other combinations</th><td>([^<]*)</td>', page)
        assert merged is not None and merged.group(1) == "hidden"
    assert "Usage segments per tool" in page
    for t in view["segments"]:
        if t["hidden"]:
            continue
        assert t["n"] >= k
        for c in ("power", "habitual", "novice", "low", "non_user"):
            # A class is shown at or above k (or empty), else hidden with its reason.
            assert t[c] is None or t[c] == 0 or t[c] >= k, (t["tool"], c)
            assert (t[c] is None) == bool(t[f"{c}_hidden"] or t["daily_note"])
    assert not PERSON_KEY.search(s["page"])
    assert not PERSON_KEY.search(str(view))
    for ch in view["charts"]:
        assert ch["caption"].startswith(f"as of {view['as_of']}")
        assert "-day window" in ch["caption"] and "n = " in ch["caption"]
        assert ch["title"] in page
    # A bar hidden for privacy is named with its reason in the caption, never left unexplained.
    [usage] = [c for c in view["charts"] if c["title"].startswith("People in each AI tool")]
    drawn = {b["name"]: dict(zip(b["x"], b["y"], strict=True)) for b in usage["figure"]["data"]}
    for t in view["tools"]:
        for key, bar, word in (("licensed", "licensed", "licensed"),
                               ("active", "active in the window", "active")):  # fmt: skip
            if t["hidden"]:
                continue
            gap = drawn[bar][t["tool"]] is None
            unknown = key == "licensed" and bool(t.get("licence_note"))
            assert gap == bool(t[f"{key}_hidden"] or unknown), (t["tool"], key)
            if gap and not unknown:
                assert f"{t['tool']} {word}" in usage["caption"], usage["caption"]
                assert t[f"{key}_hidden"] in usage["caption"]


def test_canonical_org_has_its_three_tools(canonical: dict[str, Any]) -> None:
    _check(canonical, {"office_copilot", "code_assistant", "decision_model"})
    view = canonical["view"]
    assert view["charts"], "at least the usage chart"
    shown = [t for t in view["tools"] if not t["hidden"]]
    assert shown and all(t["grain"] == "day" for t in shown)
    # The variant that fits the data's history, said why, drawn per tool.
    assert view["segment_weeks"] in (4, 12) and view["segment_reason"]
    drawn = [c for c in view["charts"] if c["title"].startswith("How each tool's seat holders")]
    # Drawn when a tool's row is shown (at 300 people every tool's seat holders are hidden:
    # the licences' seat total less the other tools' would give one away; the chart itself
    # is tested on its own below).
    assert bool(drawn) == any(not t["hidden"] for t in view["segments"])
    # The largest single combination is shown, the rest merged or shown at or above k.
    assert view["mix"], view


def test_vendor_view_has_github_and_m365(vendor: dict[str, Any]) -> None:
    _check(vendor, {"github-copilot", "m365-copilot"})


def test_csv_exports_match(canonical: dict[str, Any]) -> None:
    c, org = canonical["client"], canonical["org"]
    for table in ("tools", "mix", "costs", "usage_segments"):
        page_csv = c.get(f"/tools/{table}.csv")
        api_csv = _get(c, org.tokens["admin"], f"/v1/tools/{table}.csv")
        assert page_csv.status_code == api_csv.status_code == 200, table
        assert page_csv.text == api_csv.text
        rows = list(csv.DictReader(io.StringIO(page_csv.text)))
        assert not PERSON_KEY.search(page_csv.text)
        if table == "tools":
            assert {r["tool"] for r in rows} == {t["tool"] for t in canonical["view"]["tools"]}


def test_by_team_and_refusals(canonical: dict[str, Any]) -> None:
    c, org = canonical["client"], canonical["org"]
    by = _get(c, org.tokens["analyst"], "/v1/tools?by=team")
    assert by.status_code == 200 and by.json()["by"] == "team"
    k = by.json()["k"]
    assert all(r["n"] >= k for r in by.json()["segment_mix"])
    assert _get(c, org.tokens["analyst"], "/v1/tools?by=shoe").status_code == 400
    for role in ("manager", "person", "coach"):
        assert _get(c, org.tokens[role], "/v1/tools").status_code == 403, role


def test_small_workspace_odd_requests(client: TestClient, tokens: dict[str, str]) -> None:
    admin = tokens["admin"]
    early = _get(client, admin, "/v1/tools?as_of=1999-01-01")
    assert early.status_code == 200, early.text
    assert early.json()["missing"]["tools"].startswith("not available: needs")
    assert _get(client, admin, "/v1/tools?by=%00").status_code == 400
    assert _get(client, admin, "/v1/tools/nope.csv").status_code == 404
    assert _get(client, tokens["person"], "/v1/tools").status_code == 403


def test_the_mix_chart_has_room_for_its_numbers() -> None:
    # The numbers sit beyond their bars: the axis had ended at the longest bar ("1,43…").
    from uptake.web.views.tools import mix_chart

    doc = {"as_of": "2026-11-24", "window_days": 28}
    view = {"mix": [{"label": "other combinations", "n": 1431}, {"label": "a only", "n": 40}],
            "mix_people": 1471, "k": 5, "mix_all_merged": False}  # fmt: skip
    chart = mix_chart(doc, view)
    assert chart is not None
    assert chart["figure"]["layout"]["xaxis"]["range"][1] > 1.15 * 1431
    assert chart["figure"]["data"][0]["text"] == ["40", "1,431"]


def test_every_combination_merged_draws_no_chart_and_says_so(canonical: dict[str, Any]) -> None:
    # The 2,000-person vendor demo drew one bar, "other combinations 1,450": a chart of nothing.
    from uptake.web.pages import _env
    from uptake.web.views import Params
    from uptake.web.views.tools import all_merged, mix_chart

    doc = {"as_of": "2026-11-24", "window_days": 28}
    merged = [{"label": "other combinations", "n": 1450, "share": 1.0}]
    mixed = [*merged, {"label": "a only", "n": 40}]
    # The canonical organisation shows combinations of its own: its page keeps the chart.
    assert canonical["view"]["mix_all_merged"] is False
    assert [all_merged(m, "other combinations") for m in (merged, mixed, [])] == [
        True, False, False]  # fmt: skip
    said = "Here every combination is: none can be shown without letting a group of fewer"
    page = _env.get_template("views/tools.html")
    base = {**canonical["view"], "mix_hidden": None, "mix_people": 1450, "k": 5}
    for mix in (merged, mixed):
        view = {**base, "mix": mix, "mix_all_merged": all_merged(mix, "other combinations")}
        assert (mix_chart(doc, view) is None) is view["mix_all_merged"]
        text = page.render(data=view, params=Params())
        assert (said in " ".join(text.split())) is view["mix_all_merged"]


def test_the_segments_chart_draws_shown_tools_and_names_hidden_ones() -> None:
    from uptake.metrics.tool_segments import SEGMENT_NAMES
    from uptake.web.views.tools import segments_chart

    doc = {"as_of": "2026-11-24", "window_days": 28}
    shares = {"power": 0.2, "habitual": 0.3, "novice": 0.1, "low": None, "non_user": 0.3}
    shown = {"tool": "a", "hidden": None, "n": 40, "daily_note": None,
             **{f"{c}_share": shares[c] for c in SEGMENT_NAMES},
             **{f"{c}_hidden": "< 5 people" if shares[c] is None else None
                for c in SEGMENT_NAMES}}  # fmt: skip
    gone = {"tool": "b", "hidden": "hidden so a smaller group cannot be worked out"}
    chart = segments_chart(doc, {"segments": [shown, gone], "segment_weeks": 4})
    assert chart is not None
    bars = {t["name"]: t for t in chart["figure"]["data"]}
    assert bars["hidden classes"]["x"] == [pytest.approx(0.1)]
    assert all(t["y"] == ["a"] for t in chart["figure"]["data"])
    assert "a n = 40" in chart["caption"]
    assert "not drawn (too few people to show): b" in chart["caption"]
    assert segments_chart(doc, {"segments": [gone], "segment_weeks": 4}) is None


def test_both_views_hide_the_mix_total(canonical: dict[str, Any], vendor: dict[str, Any]) -> None:
    # Both 300-person views hide their total, so `_check` tests the words on each.
    for site in (canonical, vendor):
        assert site["view"]["mix_people"] is None
        assert site["view"]["mix_hidden"] == "hidden so a smaller group cannot be worked out"


def test_a_tool_without_seats_draws_no_licensed_bar_and_says_why() -> None:
    # No seat of the tool is known: its licensed bar is a gap, never a 0, and the caption
    # says which tools and why (the noise had drawn an unknown 0 as up to 3 licensed).
    from uptake.web.views.tools import usage_chart

    doc = {"as_of": "2026-11-24", "window_days": 28}
    seated = {
        "tool": "copilot",
        "hidden": None,
        "n": 40,
        "licensed": 38,
        "active": 30,
        "licensed_hidden": None,
        "active_hidden": None,
        "licence_note": None,
    }
    unseated = {"tool": "claude", "hidden": None, "n": 12, "licensed": None, "active": 12,
                "licensed_hidden": None, "active_hidden": None,
                "licence_note": "not available: needs licences for claude"}  # fmt: skip
    chart = usage_chart(doc, {"tools": [seated, unseated]})
    assert chart is not None
    bars = {b["name"]: dict(zip(b["x"], b["y"], strict=True)) for b in chart["figure"]["data"]}
    assert bars["licensed"] == {"copilot": 38, "claude": None}
    assert "licensed not drawn (no seat of them is known): claude" in chart["caption"]
