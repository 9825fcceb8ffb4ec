"""Dashboard pages in process: sign-in, CSRF, the overview and its JSON from one function."""

from __future__ import annotations

import html
import re
from pathlib import Path

from fastapi.testclient import TestClient

from server_helpers import sign_in
from uptake.web import create_app
from uptake.web.pages import NONCE, SESSION
from web.conftest import Org


def _sign_in(client: TestClient, token: str) -> None:
    sign_in(client, token)


def test_pages_need_a_signed_in_token(client: TestClient, tokens: dict[str, str]) -> None:
    r = client.get("/overview", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sign-in"
    assert client.get("/", follow_redirects=False).headers["location"] == "/sign-in"
    assert sign_in(client, tokens["analyst"]) == "/overview"
    assert client.get("/", follow_redirects=False).headers["location"] == "/overview"
    page = client.get("/overview")
    assert page.status_code == 200
    assert "Vanity against value" in page.text and "analyst" in page.text
    # Every chart states as-of, window and n, and carries its figure for plotly.js.
    assert page.text.count('class="figure"') >= 2
    assert re.search(r"as of \d{4}-\d\d-\d\d .*28-day window .*n = \d", page.text)
    assert "<script>" not in page.text  # no inline script (CSP)


def test_the_page_and_its_json_share_one_function(
    client: TestClient, tokens: dict[str, str]
) -> None:
    doc = client.get("/v1/overview", headers={"Authorization": f"Bearer {tokens['analyst']}"})
    assert doc.status_code == 200
    data = doc.json()
    _sign_in(client, tokens["analyst"])
    page = client.get("/overview").text
    for row in data["headline"]:
        assert (row["text"] or row["missing"]) in page.replace("&#43;", "+")
    for chart in data["charts"]:
        assert chart["title"] in page


def test_the_trend_and_this_month_against_last_read_each_weekly_share(org: Org) -> None:
    # Weekly activity rows hold `rate`, weekly depth rows `depth`: both lines are drawn and
    # both rows compared (the depth line was all gaps, its row "too early" at any age).
    auth = {"Authorization": f"Bearer {org.tokens['analyst']}"}
    with TestClient(create_app(org.folder)) as client:
        metrics = client.get("/v1/metrics", headers=auth).json()["metrics"]
        doc = client.get("/v1/overview", headers=auth).json()
    [trend] = [c for c in doc["charts"] if c["title"].startswith("Week by week")]
    lines = {s["name"]: s["y"] for s in trend["figure"]["data"]}
    better = {row["label"]: row for row in doc["better"]}
    for name, metric, key, label in (
        ("active in the week (logins)", "weekly_active_rate", "rate", "active in the week"),
        ("depth on high-stakes work", "weekly_depth", "depth", "depth on high-stakes work"),
    ):
        weeks = metrics[metric]["weeks"]
        values = [None if w["suppressed"] else w[key] for w in weeks]
        assert lines[name] == [None if v is None else round(100 * v, 1) for v in values], name
        values = [v for v in values if v is not None]
        assert len(values) >= 8, metric
        row = better[label]
        assert row["now"] == round(sum(values[-4:]) / 4, 4), label
        assert row["before"] == round(sum(values[-8:-4]) / 4, 4), label


def test_a_mistyped_page_is_a_page_and_a_mistyped_call_is_json(
    client: TestClient, tokens: dict[str, str]
) -> None:
    html = {"Accept": "text/html,application/xhtml+xml"}
    r = client.get("/support", headers=html)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "Page not found" in r.text and "Sign in to see" in r.text
    _sign_in(client, tokens["analyst"])
    r = client.get("/support", headers=html)
    assert r.status_code == 404 and "Page not found" in r.text
    assert 'href="/overview"' in r.text  # the navigation, to go on from
    r = client.get("/v1/no/such/call", headers=html)
    assert r.status_code == 404 and r.json()["error"] == "HTTPError"
    assert client.get("/support").json()["error"] == "HTTPError"  # no HTML asked for
    # A bad parameter: a page naming it (it had been the API's JSON, shown as text).
    r = client.get("/overview?as_of=2026-13-45", headers=html)
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert "Not a valid address" in r.text and "as_of: Input should be a valid date" in r.text
    assert 'href="/overview"' in r.text and "query.as_of" not in r.text
    bearer = {**html, "Authorization": f"Bearer {tokens['analyst']}"}
    r = client.get("/v1/overview?as_of=2026-13-45", headers=bearer)
    assert r.status_code == 422 and r.json()["error"] == "InputError"


def test_csrf_and_bad_tokens_are_refused(client: TestClient, tokens: dict[str, str]) -> None:
    client.get("/sign-in")
    r = client.post("/sign-in", data={"csrf": "forged", "token": tokens["admin"]})
    assert "form expired" in r.text and SESSION not in client.cookies
    page = client.get("/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = client.post("/sign-in", data={"csrf": csrf, "token": "upt_00000000_" + "x" * 43})
    assert "Not signed in: unknown token" in r.text
    # A revoked token signs the browser out on its next page.
    page = client.get("/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = client.post("/sign-in", data={"csrf": csrf, "token": tokens["revoked"]})
    assert "revoked" in r.text
    _sign_in(client, tokens["admin"])
    r = client.post("/sign-out", data={"csrf": "forged"})
    assert r.status_code == 400
    page = client.get("/overview", follow_redirects=False)
    assert page.status_code == 200 and NONCE not in client.cookies
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = client.post("/sign-out", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and SESSION not in client.cookies
    assert client.get("/overview", follow_redirects=False).status_code == 303


def test_roles_without_aggregates_see_why(client: TestClient, tokens: dict[str, str]) -> None:
    _sign_in(client, tokens["person"])
    r = client.get("/overview")
    assert r.status_code == 403 and "may not read organisation-wide aggregates" in r.text


def test_assets_are_local(client: TestClient) -> None:
    js = client.get("/static/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000
    assert client.get("/static/charts.js").status_code == 200
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/nothing.css").status_code == 404


def test_coverage_page_and_json(client: TestClient, tokens: dict[str, str]) -> None:
    doc = client.get("/v1/coverage", headers={"Authorization": f"Bearer {tokens['analyst']}"})
    assert doc.status_code == 200
    data = doc.json()
    assert data["tables"]["events"] > 0 and data["identity"]
    spans = {r["table_name"]: r for r in data["spans"]}
    assert spans["events"]["first"] <= spans["events"]["last"]
    _sign_in(client, tokens["analyst"])
    page = client.get("/coverage")
    assert page.status_code == 200 and "Data coverage" in page.text
    assert spans["events"]["first"][:10] in page.text
    assert f"Quarantine: {data['quarantined_total']} rows" in page.text
    _sign_in(client, tokens["manager"])
    assert client.get("/coverage").status_code == 403


def test_coverage_page_lets_a_source_path_break_at_its_slashes(
    client: TestClient, tokens: dict[str, str]
) -> None:
    from uptake.web.pages import _env

    doc = client.get("/v1/coverage", headers={"Authorization": f"Bearer {tokens['analyst']}"})
    data = dict(doc.json())
    data["last_ingests"] = [
        dict(data["last_ingests"][0], source="exports/m365/copilot_user_detail/<b>x</b>.csv")
    ]
    page = _env.get_template("views/coverage.html").render(data=data)
    # A path has no spaces: the browser had made its column a few letters wide ("demo-",
    # "vendor/simulate", …), or, kept whole, wider than the page.
    assert (
        "exports/<wbr>m365/<wbr>copilot_<wbr>user_<wbr>detail/<wbr>&lt;b&gt;x&lt;/<wbr>b&gt;.csv"
        in page
    )
    assert "<b>x</b>" not in page
    css = (Path(__file__).parents[2] / "src/uptake/web/static/app.css").read_text()
    assert "td.wrap { overflow-wrap: break-word; }" in css


def test_teams_page_names_no_one(client: TestClient, tokens: dict[str, str]) -> None:
    doc = client.get("/v1/teams", headers={"Authorization": f"Bearer {tokens['analyst']}"})
    assert doc.status_code == 200
    data = doc.json()
    expected = {"as_of", "teams", "segments", "voice", "status", "notes", "privacy", "k"}
    assert set(data) == expected | {"voice_days"}
    assert "friction" in data["status"]
    _sign_in(client, tokens["analyst"])
    page = client.get("/teams")
    assert page.status_code == 200 and "Teams that need help first" in page.text
    # A silent team's mark is explained, and codes read as words.
    silent = [t for t in data["teams"] if t.get("silent")]
    assert ("little depth on high-stakes work and little feedback" in page.text) == bool(silent)
    assert "surface_use" not in page.text and "no_meaningful_use_14d" not in page.text
    # A rule's name as words: "week3 4 drop" had been its underscores read as spaces.
    assert "week3 4 drop" not in page.text and "week 3–4 drop" in page.text
    # Tests run with the release noise off: the page claims none (with it on, the teams'
    # counts carry it: tests/metrics/test_noise.py).
    assert data["privacy"]["noise"] is False and "random noise" not in page.text
    for t in data["teams"]:
        assert t["team"] in page.text and t["n"] >= 5
    # One pressure basis for every team is said once, in the column's heading, not per row.
    bases = {t["pressure_basis"] for t in data["teams"]}
    if len(bases) == 1:
        [basis] = bases
        text = html.unescape(page.text)
        assert text.count(basis) == 1 and f'pressure <span class="caption">({basis})' in text
    # Aggregates only: no person key anywhere, and no individual read in the audit log —
    # only the page view (`view /teams`, the sprint's evidence that the dashboard is reviewed).
    assert not re.search(r"\bp_[0-9a-f]{20}\b", page.text + doc.text)
    audit = client.get("/v1/audit", headers={"Authorization": f"Bearer {tokens['admin']}"})
    actions = [e["action"] for e in audit.json() if e["action"].endswith("teams")]
    assert actions == ["view /teams"]


def test_teams_page_counts_the_small_themes_in_one_sentence(
    client: TestClient, tokens: dict[str, str]
) -> None:
    from uptake.web.pages import _env
    from uptake.web.views import Params

    doc = client.get("/v1/teams", headers={"Authorization": f"Bearer {tokens['analyst']}"})
    small = {"theme": 1, "label": "(fewer than 5 people)", "terms": [], "people": None,
             "segments": {}, "quotes": []}  # fmt: skip
    big = {"theme": 0, "label": "login, times out", "terms": ["login"], "people": 12,
           "segments": {"sales": 7, "legal": 5}, "quotes": ["the login times out"]}  # fmt: skip
    page = _env.get_template("views/teams.html")
    for voice, said in (
        ([big, small, dict(small, theme=2)], "Not shown: 2 more themes, each shared by "
         "fewer than 5 people."),
        ([small], "Not shown: 1 theme shared by fewer than 5 people."),
    ):  # fmt: skip
        text = html.unescape(page.render(data=dict(doc.json(), voice=voice, k=5), params=Params()))
        assert said in " ".join(text.split()), text
        assert "(fewer than 5 people)" not in text
        assert ("login, times out" in text) == (big in voice)
        assert text.count("<q>") == (1 if big in voice else 0)
    # A team's shares and change stay on one line each ("12 %", "+25 points"), not two.
    rows = [r for r in text.split("<tr>") if 'scope="row"' in r]
    assert rows and all(r.count('<td class="nowrap">') >= 2 for r in rows)


def test_teams_page_a_change_rounding_to_zero_has_no_sign(
    client: TestClient, tokens: dict[str, str]
) -> None:
    from uptake.web.pages import _env
    from uptake.web.views import Params

    doc = client.get("/v1/teams", headers={"Authorization": f"Bearer {tokens['analyst']}"})
    teams = doc.json()["teams"]
    assert len(teams) >= 3
    moved = [dict(teams[0], l3_plus_change=0.004), dict(teams[1], l3_plus_change=-0.003),
             dict(teams[2], l3_plus_change=0.25)]  # fmt: skip
    page = _env.get_template("views/teams.html").render(
        data=dict(doc.json(), teams=moved), params=Params()
    )
    cells = [c.split("<")[0] for c in page.split('<td class="nowrap">')[1:]]
    changes = [c for c in cells if c.endswith("points")]
    assert changes == ["0 points", "0 points", "+25 points"]
    # The column says what it holds: "typology" was the model's word, not the reader's.
    assert '<th scope="col">resistance</th>' in page and "typology" not in page


def test_teams_page_shows_the_first_25_and_folds_the_rest(
    client: TestClient, tokens: dict[str, str]
) -> None:
    from uptake.web.pages import _env
    from uptake.web.views import Params

    doc = client.get("/v1/teams", headers={"Authorization": f"Bearer {tokens['analyst']}"})
    one = doc.json()["teams"][0]
    page = _env.get_template("views/teams.html")
    # 204 rows on the 2,000-person vendor demo: the answer was one row among two hundred.
    many = [dict(one, team=f"t{i:02d}", need=1 - i / 100) for i in range(30)]
    text = page.render(data=dict(doc.json(), teams=many), params=Params())
    shown, folded = text.split('<details class="more-teams">')
    assert shown.count('scope="row"') == 25 and folded.count('scope="row"') == 5
    assert "5 more teams, in order of need (from 0.75 down)" in folded
    assert ">t24<" in shown and ">t25<" in folded and "<td>26</td>" in folded
    few = page.render(data=dict(doc.json(), teams=many[:25]), params=Params())
    assert "more-teams" not in few and few.count('scope="row"') == 25
