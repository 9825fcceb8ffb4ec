"""Hosted forms in process: sign-in from an invitation, CSRF, the body limit, anonymous mode.

A small served workspace (30 people, k = 5): person3 answers for themself, an admin fills the
audit interview in about someone, an analyst may not answer. Every refused post stores nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from factories import person_id
from server_helpers import sign_in
from uptake.web import create_app
from uptake.workspace import Workspace

PULSE = {
    "confidence": "7",
    "nps": "9",
    "safe_to_say": "4",
    "trust": "2",
    "shadow_ai": "yes",
    "shadow_ai_tools": "a chatbot on my phone",
    "used_last_week": "Drafting replies to customers",
    "back_to_hand": "Reconciliations",
}


@pytest.fixture
def app_client(served: tuple[Path, dict[str, str]]) -> Iterator[TestClient]:
    with TestClient(create_app(served[0]), raise_server_exceptions=False) as c:
        yield c


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def _rows(client: TestClient, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    served = client.app.state.served  # type: ignore[attr-defined]
    return served.run(lambda ws: ws.con.execute(sql, params or []).fetchall())  # type: ignore[no-any-return]


def _count(client: TestClient) -> int:
    got = _rows(client, "SELECT (SELECT count(*) FROM responses) + (SELECT count(*) FROM feedback)")
    return int(got[0][0])


def _post(client: TestClient, path: str, data: dict[str, str]) -> Any:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.post(path.split("?")[0], data={"csrf": _csrf(page.text), **data})


class _Labels(HTMLParser):
    """Every form control and whether a label names it (a wrapping label or label[for])."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.in_label = 0
        self.fieldsets = 0
        self.legends = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label":
            self.in_label += 1
            if a.get("for"):
                self.label_for.add(str(a["for"]))
        elif tag in ("input", "textarea", "select") and a.get("type") != "hidden":
            self.controls.append({**a, "_wrapped": "1" if self.in_label else None})
        elif tag == "fieldset":
            self.fieldsets += 1
        elif tag == "legend":
            self.legends += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.in_label -= 1


def test_an_invitation_link_signs_the_person_in_and_returns_to_the_form(
    app_client: TestClient, tokens: dict[str, str]
) -> None:
    page = app_client.get("/forms/pulse?anonymous=1")
    assert page.status_code == 200 and "Sign in to answer" in page.text
    assert 'name="next" value="/forms/pulse?anonymous=1"' in page.text
    # The double-submit nonce: a post without the cookie's twin is refused.
    bad = app_client.post(
        "/forms/sign-in", data={"csrf": "forged", "token": tokens["person"], "next": "/forms/pulse"}
    )
    assert bad.status_code == 401 and "expired" in bad.text
    r = app_client.post(
        "/forms/sign-in",
        data={
            "csrf": _csrf(bad.text),
            "token": tokens["person"],
            "next": "/forms/pulse?anonymous=1",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/forms/pulse?anonymous=1"
    # Only the forms are destinations: anything else lands on the pulse.
    app_client.cookies.clear()
    page = app_client.get("/forms/audit")
    r = app_client.post(
        "/forms/sign-in",
        follow_redirects=False,
        data={"csrf": _csrf(page.text), "token": tokens["person"], "next": "https://evil.example/"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/forms/pulse"


def test_the_pulse_is_labelled_grouped_and_works_without_script(
    app_client: TestClient, tokens: dict[str, str]
) -> None:
    sign_in(app_client, tokens["person"])
    page = app_client.get("/forms/pulse")
    assert page.status_code == 200
    assert "<script" not in page.text
    parsed = _Labels()
    parsed.feed(page.text)
    unnamed = [
        c for c in parsed.controls if not c["_wrapped"] and c.get("id") not in parsed.label_for
    ]
    assert unnamed == []
    # Each scale or yes/no question is a fieldset with its question as the legend.
    assert parsed.fieldsets == parsed.legends >= 10
    assert "How likely are you to recommend" in page.text
    assert "I can say when AI is not helping my work." in page.text


def test_a_post_without_a_valid_csrf_token_is_refused_and_stores_nothing(
    app_client: TestClient, tokens: dict[str, str]
) -> None:
    sign_in(app_client, tokens["person"])
    before = _count(app_client)
    for data in (PULSE, {**PULSE, "csrf": "0" * 64}):
        r = app_client.post("/forms/pulse", data=data)
        assert r.status_code == 403
        assert "The form expired or did not come from this site" in r.text
    assert _count(app_client) == before


def test_an_oversize_body_is_refused_with_413(
    served: tuple[Path, dict[str, str]], tokens: dict[str, str]
) -> None:
    with TestClient(create_app(served[0], max_body_mb=0.002), raise_server_exceptions=False) as c:
        sign_in(c, tokens["person"])
        before = _count(c)
        csrf = _csrf(c.get("/forms/pulse").text)
        r = c.post("/forms/pulse", data={**PULSE, "csrf": csrf, "comment": "x" * 3000})
        assert r.status_code == 413 and "the form is over 2,000 bytes" in r.text
        assert _count(c) == before


def test_a_person_answers_for_themself_into_responses_and_feedback(
    app_client: TestClient, tokens: dict[str, str]
) -> None:
    sign_in(app_client, tokens["person"])
    r = _post(app_client, "/forms/pulse", PULSE)
    assert r.status_code == 200 and "Thank you" in r.text and 'role="status"' in r.text
    key = app_client.app.state.served.run(  # type: ignore[attr-defined]
        lambda ws: ws.pseudonymise(person_id(3))
    )
    got = dict(
        _rows(
            app_client,
            "SELECT item, score FROM responses WHERE person_key = ? AND instrument = 'pulse'",
            [key],
        )
    )
    assert got["confidence"] == 7 and got["nps"] == 9 and got["shadow_ai"] == 1
    assert got["trust"] == 2 and got["safe_to_say"] == 4
    assert got["used_last_week"] is None  # a text answer: its text is in the row
    channels = _rows(
        app_client, "SELECT channel, category, text FROM feedback WHERE person_key = ?", [key]
    )
    assert {(c, k) for c, k, _ in channels} == {
        ("pulse", "used_last_week"),
        ("pulse", "back_to_hand"),
    }


def test_an_invalid_answer_is_shown_again_with_its_error_and_nothing_stored(
    app_client: TestClient, tokens: dict[str, str]
) -> None:
    sign_in(app_client, tokens["person"])
    before = _count(app_client)
    r = _post(app_client, "/forms/pulse", {**PULSE, "confidence": "11"})
    assert r.status_code == 400
    assert 'role="alert"' in r.text and "<title>Error: Pulse survey" in r.text
    assert 'href="#field-confidence"' in r.text and 'aria-invalid="true"' in r.text
    assert "Drafting replies to customers" in r.text  # the other answers are kept
    assert _count(app_client) == before
    empty = _post(app_client, "/forms/pulse", {})
    assert empty.status_code == 400 and "The form is empty" in empty.text


def test_anonymous_answers_store_the_segment_and_no_person(
    app_client: TestClient, tokens: dict[str, str]
) -> None:
    sign_in(app_client, tokens["person"])
    page = app_client.get("/forms/pulse?anonymous=1")
    # Only groups of at least k roster people are offered (customer service: everyone left).
    assert '<option value="finance">' in page.text
    assert "customer service" not in page.text
    r = app_client.post(
        "/forms/pulse",
        data={**PULSE, "csrf": _csrf(page.text), "anonymous": "1", "segment_function": "finance"},
    )
    assert r.status_code == 200, r.text
    rows = _rows(
        app_client,
        "SELECT person_key, segment, ts FROM responses "
        "WHERE response_id LIKE 'pulse_%' AND segment IS NOT NULL",
    )
    assert rows and all(p is None for p, _, _ in rows)
    assert {json.loads(s)["function"] for _, s, _ in rows} == {"finance"}
    assert all((t.hour, t.minute, t.second) == (0, 0, 0) for _, _, t in rows)  # the day only
    fb = _rows(app_client, "SELECT count(*) FROM feedback WHERE person_key IS NULL")
    assert fb[0][0] == 2
    # Nothing else names the respondent: the ingest log's source is the form, not the token.
    sources = [s for (s,) in _rows(app_client, "SELECT source FROM ingest_log")]
    assert "form:pulse:anonymous" in sources
    assert not any("token:" in s and "anonymous" in s for s in sources)


@pytest.mark.parametrize(
    "segment",
    [
        {"segment_function": "customer service"},  # nobody left on the roster
        {"segment_function": "finance", "segment_team": "team1"},  # 2 people share both
        {},
    ],
)
def test_anonymous_mode_refuses_a_segment_below_k(
    app_client: TestClient, tokens: dict[str, str], segment: dict[str, str]
) -> None:
    sign_in(app_client, tokens["person"])
    before = _count(app_client)
    page = app_client.get("/forms/pulse?anonymous=1")
    r = app_client.post(
        "/forms/pulse", data={**PULSE, "csrf": _csrf(page.text), "anonymous": "1", **segment}
    )
    assert r.status_code in (400, 403)
    assert 'role="alert"' in r.text and "Nothing was stored" in r.text
    if segment:
        assert r.status_code == 403 and "fewer than 5 people on the roster share" in r.text
    assert _count(app_client) == before


def test_the_setting_makes_every_form_anonymous(
    served: tuple[Path, dict[str, str]], tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPTAKE__PROGRAMME__ANONYMOUS_FORMS", "true")
    with TestClient(create_app(served[0]), raise_server_exceptions=False) as c:
        sign_in(c, tokens["person"])
        page = c.get("/forms/pulse")
        assert "Your groups" in page.text
        # Flipping the hidden field does not make a named answer.
        r = c.post(
            "/forms/pulse",
            data={
                "csrf": _csrf(page.text),
                "anonymous": "0",
                "confidence": "3",
                "segment_role": "analyst",
            },
        )
        assert r.status_code == 200, r.text
        got = _rows(
            c,
            "SELECT person_key, segment FROM responses WHERE score = 3 "
            "AND segment LIKE '%analyst%'",
        )
        assert got and got[0][0] is None


def test_the_admin_fills_the_audit_interview_in_about_an_interviewee(
    app_client: TestClient, tokens: dict[str, str]
) -> None:
    sign_in(app_client, tokens["admin"])
    pulse = app_client.get("/forms/pulse")
    assert pulse.status_code == 403 and "each person for themself" in pulse.text
    page = app_client.get("/forms/audit")
    assert page.status_code == 200 and "Interviewee" in page.text
    assert "What did you actually use AI for last week?" in page.text
    data = {
        "csrf": _csrf(page.text),
        "audit_used_for": "Summarising call notes for Ana",
        "audit_confidence": "6",
    }
    nobody = app_client.post("/forms/audit", data={**data, "interviewee": "nobody@example.org"})
    assert nobody.status_code == 400 and "no one with that identifier is on" in nobody.text
    r = app_client.post("/forms/audit", data={**data, "interviewee": person_id(5)})
    assert r.status_code == 200, r.text
    key = app_client.app.state.served.run(  # type: ignore[attr-defined]
        lambda ws: ws.pseudonymise(person_id(5))
    )
    got = _rows(
        app_client,
        "SELECT instrument, item, score FROM responses WHERE person_key = ? ORDER BY item",
        [key],
    )
    assert got == [("audit", "audit_confidence", 6.0), ("audit", "audit_used_for", None)]
    fb = _rows(app_client, "SELECT channel, text FROM feedback WHERE person_key = ?", [key])
    assert fb and fb[0][0] == "interview"


def test_an_analyst_may_not_answer(app_client: TestClient, tokens: dict[str, str]) -> None:
    sign_in(app_client, tokens["analyst"])
    for form in ("pulse", "audit"):
        r = app_client.get(f"/forms/{form}")
        assert r.status_code == 403 and "person token" in r.text


def test_pulse_answers_show_up_in_the_confidence_metric(
    served: tuple[Path, dict[str, str]],
) -> None:
    # Five more people answer (k = 5): the confidence metric counts them, with their mean.
    with Workspace.open(served[0]) as ws:
        people = [person_id(i) for i in (0, 6, 9, 12, 15)]
        tokens = [ws.create_token("person", [f"person:{p}"])["token"] for p in people]
    scores = [2, 4, 6, 8, 10]
    with TestClient(create_app(served[0]), raise_server_exceptions=False) as c:
        for token, score in zip(tokens, scores, strict=True):
            c.cookies.clear()
            sign_in(c, token)
            assert _post(c, "/forms/pulse", {"confidence": str(score)}).status_code == 200
    today = datetime.now(UTC).date()
    with Workspace.open(served[0]) as ws:
        keys = [ws.pseudonymise(p) for p in people]
        report = ws.metrics(as_of=today).to_dict()
        answered = ws.con.execute(
            "SELECT count(DISTINCT person_key) FROM responses WHERE item = 'confidence' "
            "AND person_key IS NOT NULL"
        ).fetchone()
        latest = ws.con.execute(
            "SELECT avg(score) FROM (SELECT arg_max(score, ts) AS score FROM responses "
            "WHERE item = 'confidence' AND person_key IS NOT NULL GROUP BY person_key)"
        ).fetchone()
        mine = ws.con.execute(
            "SELECT avg(score) FROM responses WHERE item = 'confidence' AND person_key IN "
            "(SELECT unnest(?::VARCHAR[]))",
            [keys],
        ).fetchone()
    conf = report["metrics"]["confidence"]
    assert conf["n"] == answered[0] >= 5  # type: ignore[index]
    assert conf["value"] == pytest.approx(latest[0])  # type: ignore[index]
    assert mine[0] == pytest.approx(6.0)  # type: ignore[index]
