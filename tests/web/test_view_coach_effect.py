"""The coaching-effect page: treatment against holdout, charts with intervals, k and roles."""

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


def _get(c: TestClient, token: str, path: str) -> Any:
    return c.get(path, headers={"Authorization": f"Bearer {token}"})


def _site(org: Any) -> Iterator[dict[str, Any]]:
    with TestClient(create_app(org.folder), raise_server_exceptions=False) as c:
        token = org.tokens["analyst"]
        view = _get(c, token, "/v1/coach-effect")
        assert view.status_code == 200, view.text
        sign_in(c, token)
        page = c.get("/coach-effect")
        assert page.status_code == 200, page.text
        yield {"client": c, "org": org, "view": view.json(), "page": page.text}


@pytest.fixture(scope="module")
def canonical(org: Any) -> Iterator[dict[str, Any]]:
    yield from _site(org)


def test_page_compares_the_arms_with_a_chart_per_outcome(canonical: dict[str, Any]) -> None:
    view, page = canonical["view"], html.unescape(canonical["page"])
    assert view["status"] == "ok"
    k = view["k"]
    assert min(view["arms"].values()) >= k
    assert view["verdict_line"] in page
    shown = [o for o in view["outcomes"].values() if o["status"] == "ok"]
    assert len(view["charts"]) == len(shown) >= 1
    for ch in view["charts"]:
        assert ch["title"] in page
        cap = ch["caption"]
        assert cap.startswith(f"as of {view['as_of']}") and "n = " in cap
        assert f"to the week ending {view['end']}" in cap
        bars = ch["figure"]["data"][0]
        assert bars["x"][:3] == ["treatment", "holdout", "difference"]
        assert len(bars["error_y"]["array"]) == len(bars["x"])
    for r in view["rows"]:
        if r["status"] == "ok":
            assert r["treatment_n"] >= k and r["holdout_n"] >= k
            assert r["ci_low"] <= r["difference"] <= r["ci_high"]
    assert not PERSON_KEY.search(canonical["page"]) and not PERSON_KEY.search(str(view))


def test_segments_only_at_or_above_k(canonical: dict[str, Any]) -> None:
    c, org = canonical["client"], canonical["org"]
    view = _get(c, org.tokens["analyst"], "/v1/coach-effect?by=function").json()
    assert view["by"] == "function" and view["segments"]
    for seg in view["segments"]:
        if seg["status"] == "ok":
            assert min(seg["arms"].values()) >= view["k"]
        else:
            assert seg["reason"] == f"not available: needs ≥ {view['k']} people in each arm"
    # Functions without coaching have no arms at all: they are not listed.
    page = html.unescape(c.get("/coach-effect?by=function").text)
    assert "Per function" in page


def test_csv_export(canonical: dict[str, Any]) -> None:
    c, org = canonical["client"], canonical["org"]
    out = _get(c, org.tokens["analyst"], "/v1/coach-effect/effect.csv")
    assert out.status_code == 200 and out.text.startswith("group,outcome,label")
    assert not PERSON_KEY.search(out.text)


@pytest.mark.parametrize("role", ["manager", "person", "coach", "ingest"])
def test_only_aggregate_readers(canonical: dict[str, Any], role: str) -> None:
    c, org = canonical["client"], canonical["org"]
    assert _get(c, org.tokens[role], "/v1/coach-effect").status_code == 403


def test_bad_segment_is_a_400(canonical: dict[str, Any]) -> None:
    c, org = canonical["client"], canonical["org"]
    out = _get(c, org.tokens["analyst"], "/v1/coach-effect?by=shoe_size")
    assert out.status_code == 400 and "shoe_size" in out.text


def test_vendor_only_data_says_what_is_missing(vendor_org: Any) -> None:
    # Vendor exports carry no interventions, so no arms: the page says what it needs.
    with TestClient(create_app(vendor_org.folder), raise_server_exceptions=False) as c:
        view = _get(c, vendor_org.tokens["analyst"], "/v1/coach-effect").json()
        assert view["status"] == "not_available" and view["charts"] == []
        assert view["verdict"].startswith("not available: needs people assigned")
        sign_in(c, vendor_org.tokens["admin"])
        assert view["verdict"] in html.unescape(c.get("/coach-effect").text)
