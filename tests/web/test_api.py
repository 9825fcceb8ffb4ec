"""The API in process, every endpoint for every role: who may, who may not, what is audited."""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from factories import person_id, rows
from uptake.web import create_app
from uptake.web.state import Served


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _served(client: TestClient) -> Served:
    served: Served = client.app.state.served  # type: ignore[attr-defined]
    return served


ROLES = ("admin", "analyst", "manager", "coach", "person", "ingest")


def _events(n: int, start: int) -> list[dict[str, object]]:
    return rows("events", n, start=start)


def test_health_needs_no_token(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["ready"] is True


@pytest.mark.parametrize("path", ["/v1/metrics", "/v1/signals", "/v1/audit"])
def test_no_bad_or_revoked_token_gets_in(
    client: TestClient, tokens: dict[str, str], path: str
) -> None:
    r = client.get(path)
    assert r.status_code == 401 and r.json()["error"] == "AuthenticationError"
    assert "Bearer" in r.json()["message"]
    assert client.get(path, headers=auth("upt_00000000_" + "x" * 43)).status_code == 401
    r = client.get(path, headers=auth(tokens["revoked"]))
    assert r.status_code == 401 and "revoked" in r.json()["message"]


def test_a_token_revoked_while_serving_is_refused_at_once(client: TestClient) -> None:
    # The server remembers tokens it has accepted; revoking one must not leave it usable.
    made = _served(client).run(lambda ws: ws.create_token("analyst"))
    assert client.get("/v1/metrics", headers=auth(made["token"])).status_code == 200
    assert _served(client).run(lambda ws: ws.known_actor(made["token"])) is not None
    _served(client).run(lambda ws: ws.revoke_token(made["token_id"]))
    r = client.get("/v1/metrics", headers=auth(made["token"]))
    assert r.status_code == 401 and "revoked" in r.json()["message"]


def test_a_remembered_token_still_expires(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import datetime, timedelta

    from uptake.workspace import tokens as tokens_module

    made = _served(client).run(lambda ws: ws.create_token("analyst", expires="1h"))
    assert client.get("/v1/metrics", headers=auth(made["token"])).status_code == 200
    later = datetime.fromisoformat(made["expires_at"]) + timedelta(seconds=1)
    monkeypatch.setattr(tokens_module, "_now", lambda: later)
    r = client.get("/v1/metrics", headers=auth(made["token"]))
    assert r.status_code == 401 and "expired" in r.json()["message"]


@pytest.mark.parametrize("role", ROLES)
def test_metrics_are_organisation_aggregates(
    client: TestClient, tokens: dict[str, str], role: str
) -> None:
    r = client.get("/v1/metrics", params={"as_of": "2026-03-20"}, headers=auth(tokens[role]))
    if role in ("admin", "analyst"):
        assert r.status_code == 200, r.text
        doc = r.json()
        # The same document `uptake metrics --json` prints for that date.
        want = _served(client).run(lambda ws: ws.metrics(as_of=date(2026, 3, 20)).to_dict())
        assert doc == json.loads(json.dumps(want, default=str))
    else:
        assert r.status_code == 403 and r.json()["error"] == "PermissionDeniedError"


@pytest.mark.parametrize("role", ROLES)
def test_signals_are_individual_data(client: TestClient, tokens: dict[str, str], role: str) -> None:
    r = client.get("/v1/signals", headers=auth(tokens[role]))
    assert r.status_code == (200 if role == "admin" else 403), r.text
    if role == "admin":
        assert set(r.json()) >= {"as_of", "people", "teams", "champions", "managers"}


def test_only_individual_reads_are_audited(client: TestClient, tokens: dict[str, str]) -> None:
    before = client.get("/v1/audit", headers=auth(tokens["admin"])).json()
    client.get("/v1/metrics", headers=auth(tokens["analyst"]))
    client.get("/v1/signals", headers=auth(tokens["analyst"]))  # refused: nothing read
    assert client.get("/v1/audit", headers=auth(tokens["admin"])).json() == before
    client.get("/v1/signals", headers=auth(tokens["admin"]))
    after = client.get("/v1/audit", headers=auth(tokens["admin"])).json()
    new = after[: len(after) - len(before)]
    assert [e["action"] for e in new] == ["read signals"]
    assert new[0]["actor"].startswith("token:") and new[0]["role"] == "admin"
    for role in ROLES[1:]:
        assert client.get("/v1/audit", headers=auth(tokens[role])).status_code == 403


def test_intake_commits_before_replying_and_says_what_happened_to_each_row(
    client: TestClient, tokens: dict[str, str]
) -> None:
    batch = [*_events(2, start=1000), dict(_events(1, start=1002)[0], ts="yesterday")]
    r = client.post("/v1/events", json=batch, headers=auth(tokens["ingest"]))
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["rows"], got["accepted"], got["quarantined"]) == (3, 2, 1)
    assert got["rows_quarantined"][0]["locator"] == "row 3"
    assert got["rows_quarantined"][0]["field"] == "ts"
    assert "record" not in got["rows_quarantined"][0]
    # Acknowledged means stored: the rows are there for the next reader.
    sql = "SELECT event_id FROM events WHERE event_id IN ('ev1000', 'ev1001')"
    assert len(_served(client).run(lambda ws: ws.con.execute(sql).fetchall())) == 2
    # The same batch again: duplicates, not new rows.
    again = client.post("/v1/events", json={"rows": batch[:2]}, headers=auth(tokens["admin"]))
    assert again.json()["duplicates"] == 2
    # A row without `attrs` beside one with them stores no attributes (it had stored "NaN").
    bare = {k: v for k, v in _events(1, start=1011)[0].items() if k != "attrs"}
    mixed = [dict(_events(1, start=1010)[0], attrs={"feature": "chat"}), bare]
    assert client.post("/v1/events", json=mixed, headers=auth(tokens["ingest"])).status_code == 200
    sql = "SELECT event_id, attrs FROM events WHERE event_id IN ('ev1010', 'ev1011') ORDER BY 1"
    stored = _served(client).run(lambda ws: ws.con.execute(sql).fetchall())
    assert stored[1] == ("ev1011", None) and "chat" in str(stored[0][1])


def test_a_cell_of_the_wrong_json_kind_is_quarantined_not_stored_as_text(
    client: TestClient, tokens: dict[str, str]
) -> None:
    fine, listed, flagged = _events(3, start=1200)
    batch = [dict(fine, person=42), dict(listed, tool=["a"]), dict(flagged, value=True)]
    got = client.post("/v1/events", json=batch, headers=auth(tokens["ingest"])).json()
    assert (got["rows"], got["accepted"], got["quarantined"]) == (3, 1, 2)
    by_row = {q["locator"]: q for q in got["rows_quarantined"]}
    # A number where an identifier goes is an identifier (employee number 42): accepted.
    assert set(by_row) == {"row 2", "row 3"}
    assert (by_row["row 2"]["field"], by_row["row 3"]["field"]) == ("tool", "value")
    assert "got a JSON array" in by_row["row 2"]["detail"]
    sql = "SELECT count(*) FROM events WHERE event_id IN ('ev1201', 'ev1202')"
    assert _served(client).run(lambda ws: ws.con.execute(sql).fetchone()) == (0,)


@pytest.mark.parametrize("role", ["analyst", "manager", "coach", "person"])
def test_only_admin_and_ingest_tokens_write(
    client: TestClient, tokens: dict[str, str], role: str
) -> None:
    r = client.post("/v1/events", json=_events(1, 2000), headers=auth(tokens[role]))
    assert r.status_code == 403 and "may not write" in r.json()["message"]
    article = "an" if role == "analyst" else "a"
    assert f"{article} {role} may not write data" in r.json()["message"]


@pytest.mark.parametrize(
    ("path", "body", "status", "words"),
    [
        ("/v1/events", b"not json", 400, "not JSON"),
        ("/v1/events", b"[]", 400, "non-empty JSON array"),
        ("/v1/events", b'{"a": 1}', 400, "non-empty JSON array"),
        ("/v1/events", b"[1, 2]", 400, "row 1: each row must be a JSON object"),
        ("/v1/people", b"[{}]", 400, "rows are accepted for events, feedback, responses"),
        # The command line's --map is no advice to an API client: the canonical names are.
        ("/v1/events", b'[{"who": "a"}]', 400, "missing required column(s)"),
    ],
)
def test_bad_batches_get_one_clear_json_error(
    client: TestClient, tokens: dict[str, str], path: str, body: bytes, status: int, words: str
) -> None:
    r = client.post(path, content=body, headers=auth(tokens["ingest"]))
    assert r.status_code == status and words in r.json()["message"], r.text
    assert r.json()["error"] == "InputError" and "--map" not in r.text


def test_bodies_over_the_limit_are_refused_unread(
    served: tuple[Path, dict[str, str]], tokens: dict[str, str]
) -> None:
    with TestClient(create_app(served[0], max_body_mb=0.001)) as c:
        r = c.post("/v1/events", json=_events(50, 3000), headers=auth(tokens["ingest"]))
        assert r.status_code == 413 and r.json()["error"] == "PayloadTooLargeError"
        small = c.post("/v1/events", json=_events(1, 3000), headers=auth(tokens["ingest"]))
        assert small.status_code == 200


def test_bad_query_values_are_json_errors(client: TestClient, tokens: dict[str, str]) -> None:
    r = client.get("/v1/metrics", params={"as_of": "2026-13-01"}, headers=auth(tokens["admin"]))
    assert r.status_code == 422 and r.json()["error"] == "InputError" and "as_of" in r.text
    r = client.get("/v1/metrics", params={"by": "shoe_size"}, headers=auth(tokens["admin"]))
    assert r.status_code == 400 and "shoe_size" in r.json()["message"]
    # A metric the API does not know is refused (it had been ignored: the whole document).
    r = client.get("/v1/metrics", params={"metric": "bogus"}, headers=auth(tokens["admin"]))
    assert r.status_code == 400 and "unknown metric bogus" in r.json()["message"]
    r = client.get("/v1/metrics", params={"metric": ["usage_rate", "depth_of_use"]},
                   headers=auth(tokens["admin"]))  # fmt: skip
    assert r.status_code == 200 and list(r.json()["metrics"]) == ["usage_rate", "depth_of_use"]
    # A path that does not exist is not found (the intake's POST /v1/{table} had made any
    # GET of /v1/NAME a 405); a GET of an intake path says it takes rows.
    missing = client.get("/v1/nothing-here", headers=auth(tokens["admin"]))
    assert missing.status_code == 404 and missing.json()["error"] == "NotFoundError"
    wrong = client.get("/v1/events", headers=auth(tokens["admin"]))
    assert wrong.status_code == 405 and "POST a JSON array" in wrong.json()["message"]


def test_security_headers_and_the_openapi_schema(client: TestClient) -> None:
    r = client.get("/healthz")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/metrics", "/v1/signals", "/v1/audit", "/v1/{table}", "/healthz"} <= set(paths)
    page = client.get("/docs")
    assert page.status_code == 200 and "GET /v1/metrics" in page.text
    # Nothing is fetched from elsewhere: no script, no external link.
    assert "<script" not in page.text and "http" not in page.text.replace("/openapi.json", "")
    assert "default-src 'self'" in page.headers["content-security-policy"]


@pytest.mark.parametrize("role", ROLES)
def test_team_metrics_per_role(client: TestClient, tokens: dict[str, str], role: str) -> None:
    own = client.get("/v1/teams/team1/metrics", headers=auth(tokens[role]))
    other = client.get("/v1/teams/team2/metrics", headers=auth(tokens[role]))
    if role in ("admin", "analyst"):
        assert own.status_code == other.status_code == 200
        assert own.json()["metrics"]["usage_rate"]["team_value"]["segment"] == "team1"
    elif role == "manager":
        assert own.status_code == 200 and other.status_code == 403
        assert "value" not in own.json()["metrics"]["usage_rate"]
    else:
        assert own.status_code == other.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_my_adoption_per_role(client: TestClient, tokens: dict[str, str], role: str) -> None:
    r = client.get("/v1/me", headers=auth(tokens[role]))
    if role == "person":
        assert r.status_code == 200, r.text
        assert set(r.json()) >= {"ladder", "trend", "flags", "next_step"}
    elif role == "admin":
        assert r.status_code == 400 and "whose adoption" in r.json()["message"]
    else:
        assert r.status_code == 403


def test_a_person_cannot_read_a_colleague_and_a_coach_only_its_teams(
    client: TestClient, tokens: dict[str, str]
) -> None:
    keys = _served(client).run(
        lambda ws: {i: ws.pseudonymise(person_id(i)) for i in (2, 3)}
    )  # person 2 is in team2 (the coach's), person 3 in team3
    me = auth(tokens["person"])
    assert client.get(f"/v1/people/{keys[3]}/adoption", headers=me).status_code == 200
    assert client.get(f"/v1/people/{keys[2]}/adoption", headers=me).status_code == 403
    coach = auth(tokens["coach"])
    assert client.get(f"/v1/people/{keys[2]}/adoption", headers=coach).status_code == 200
    assert client.get(f"/v1/people/{keys[3]}/adoption", headers=coach).status_code == 403
    for role in ("analyst", "manager", "ingest"):
        r = client.get(f"/v1/people/{keys[2]}/adoption", headers=auth(tokens[role]))
        assert r.status_code == 403


def test_only_an_admin_asks_the_server_for_a_full_refresh(
    client: TestClient, tokens: dict[str, str]
) -> None:
    before = client.get("/v1/metrics", headers=auth(tokens["analyst"])).json()
    r = client.post("/v1/refresh", params={"full": "true"}, headers=auth(tokens["admin"]))
    assert r.status_code == 200, r.text
    assert r.json()["mode"] == "full"
    # Nothing new was ingested: the rebuild changes no number.
    assert client.get("/v1/metrics", headers=auth(tokens["analyst"])).json() == before
    # Not taken for a table by the intake's `POST /v1/{table}`; other tokens are refused.
    assert client.post("/v1/refresh", headers=auth(tokens["admin"])).json()["mode"] == "none"
    for role in ROLES[1:]:
        r = client.post("/v1/refresh", params={"full": "true"}, headers=auth(tokens[role]))
        assert r.status_code == 403, (role, r.text)


def test_a_failure_of_the_server_is_logged_a_callers_mistake_is_not(
    client: TestClient, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    from uptake.errors import WorkspaceError
    from uptake.workspace import Workspace

    def late(*_args: object, **_kwargs: object) -> None:
        raise WorkspaceError("the warehouse did not commit in time: try again")

    monkeypatch.setattr(Workspace, "signals", late)
    with caplog.at_level(logging.WARNING, logger="uptake"):
        r = client.get("/v1/signals", headers=auth(tokens["admin"]))
        assert r.status_code == 500 and r.json()["error"] == "WorkspaceError"
        assert [m.getMessage() for m in caplog.records] == [
            "GET /v1/signals: WorkspaceError: the warehouse did not commit in time: try again"
        ]
        caplog.clear()
        assert client.get("/v1/signals").status_code == 401
        assert client.get("/v1/nowhere/at-all").status_code == 404
        assert caplog.records == []
