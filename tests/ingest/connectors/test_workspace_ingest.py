"""Connectors end to end through `Workspace.ingest(fmt=...)`: counts, idempotence, identity.

The mixed scenario builds a SCIM roster, GitHub usage and seats, M365 user detail, OTLP
spans, a survey and tickets for the same three people, each source naming them its own way
(GitHub login, upper-case UPN, employee number, e-mail) and ingests the roster *last*; the
warehouse must still hold exactly one person_key per human.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uptake.errors import InputError
from uptake.ingest.connectors import scim
from uptake.workspace import Workspace

HERE = Path(__file__).parent
SAMPLES = HERE / "samples"
FIXTURES = HERE / "fixtures"
NOW = datetime(2026, 11, 1, tzinfo=UTC)

# (format, file, options, {table: accepted rows}) — the row counts are the hand
# calculations written out in the per-connector tests.
CASES = [
    ("scim", SAMPLES / "scim_rfc7643_enterprise_user.json", {}, {"people": 1}),
    (
        "github-copilot-usage",
        SAMPLES / "github_copilot_usage_metrics_user_level_example.json",
        {},
        {"events": 3, "person_facts": 16},
    ),
    (
        "github-copilot-usage",
        SAMPLES / "github_copilot_usage_metrics_enterprise_level_example.json",
        {},
        {"aggregate_facts": 96},
    ),
    (
        "github-copilot-seats",
        SAMPLES / "github_copilot_billing_seats_org.json",
        {},
        {"licenses": 2, "person_facts": 4},
    ),
    (
        "github-copilot-metrics",
        SAMPLES / "github_copilot_metrics_org.json",
        {},
        {"aggregate_facts": 48},
    ),
    (
        "m365-copilot-usage",
        SAMPLES / "m365_copilot_usage_user_detail_v1.0.csv",
        {},
        {"person_facts": 10, "licenses": 1},
    ),
    (
        "m365-copilot-usage",
        SAMPLES / "m365_copilot_usage_user_detail_beta.json",
        {},
        {"person_facts": 10, "licenses": 1, "events": 4},
    ),
    *[
        ("m365-copilot-usage", SAMPLES / name, {}, {"aggregate_facts": 18})
        for name in (
            "m365_copilot_user_count_summary_v1.0.csv",
            "m365_copilot_user_count_summary_beta.json",
            "m365_copilot_user_count_trend_v1.0.csv",
            "m365_copilot_user_count_trend_beta.json",
        )
    ],
    ("otlp-genai", SAMPLES / "otlp_trace_export_request.json", {}, {"events": 0}),
    ("otlp-genai", FIXTURES / "otlp_genai_spans.json", {}, {"events": 3}),
    ("survey", FIXTURES / "qualtrics_export.csv", {"mapping": "qualtrics"}, {"responses": 11}),
    (
        "survey",
        FIXTURES / "google_forms_export.csv",
        {"mapping": "google_forms"},
        {"responses": 10},
    ),
    ("tickets", FIXTURES / "jira_export.csv", {"mapping": "jira"}, {"feedback": 3}),
    ("tickets", FIXTURES / "servicenow_export.json", {"mapping": "servicenow"}, {"feedback": 3}),
]


@pytest.fixture
def ws(tmp_path: Path):
    with Workspace.init(tmp_path / "ws") as w:
        yield w


def _accepted(results) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in results:
        out[r.table] = out.get(r.table, 0) + r.accepted
    return out


@pytest.mark.parametrize(("fmt", "path", "options", "expected"), CASES)
def test_sample_ingests_with_nothing_quarantined(ws, fmt, path, options, expected):
    results = ws.ingest("events", [path], fmt=fmt, options=options, now=NOW)
    assert sum(r.quarantined for r in results) == 0
    assert _accepted(results) == expected
    again = ws.ingest("events", [path], fmt=fmt, options=options, now=NOW)
    assert sum(r.accepted for r in again) == 0
    assert sum(r.duplicates for r in again) == sum(expected.values())


def test_rejects_become_located_quarantine_rows(ws, tmp_path):
    records = json.loads(
        (SAMPLES / "github_copilot_usage_metrics_user_level_example.json").read_text()
    )
    bad = {**records[0], "day": "yesterday"}
    path = tmp_path / "users.json"
    path.write_text(json.dumps([records[0], bad]))
    results = ws.ingest("events", [path], fmt="github-copilot-usage", now=NOW)
    assert sum(r.quarantined for r in results) == 1
    [q] = ws.quarantine()
    assert q["locator"] == "users.json:record 2"
    assert q["reason"] == "bad_timestamp"


def _mixed_files(tmp: Path) -> dict[str, Path]:
    """The same three people as each source names them."""
    people = [
        ("alice", "E1001", "alice-gh", None),
        ("bob", "E1002", "bob-gh", "id-alice"),
        ("carol", "E1003", "carolcodes", "id-alice"),
    ]
    gh_ext = "urn:example:scim:github:1.0:User"
    users = []
    for name, number, login, manager in people:
        user = {
            "schemas": [scim.USER_SCHEMA, scim.ENTERPRISE],
            "id": f"id-{name}",
            "userName": f"{name}@example.com",
            "emails": [{"value": f"{name}@example.com", "type": "work", "primary": True}],
            "title": "Analyst",
            "active": True,
            scim.ENTERPRISE: {"employeeNumber": number, "department": "Finance"},
            gh_ext: {"login": login},
        }
        if manager:
            user[scim.ENTERPRISE]["manager"] = {"value": manager}
        users.append(user)
    files: dict[str, Path] = {}
    files["scim"] = tmp / "users.json"
    files["scim"].write_text(
        json.dumps({"schemas": [scim.LIST_RESPONSE], "totalResults": 3, "Resources": users})
    )
    [record] = json.loads(
        (SAMPLES / "github_copilot_usage_metrics_user_level_example.json").read_text()
    )
    files["usage"] = tmp / "users-1-day.ndjson"
    files["usage"].write_text(
        "".join(json.dumps({**record, "user_login": login}) + "\n" for _, _, login, _ in people)
    )
    seats = json.loads((SAMPLES / "github_copilot_billing_seats_org.json").read_text())
    seat = seats["seats"][0]
    seats["seats"] = [
        {**seat, "assignee": {**seat["assignee"], "login": login.upper()}}
        for _, _, login, _ in people
    ]
    files["seats"] = tmp / "seats.json"
    files["seats"].write_text(json.dumps(seats))
    detail = (SAMPLES / "m365_copilot_usage_user_detail_v1.0.csv").read_text().splitlines()
    rows = [
        detail[1].replace("E58EEF6A6BBD3D0293CB306D24A42057", f"{n.upper()}@EXAMPLE.COM")
        for n, _, _, _ in people
    ]
    files["m365"] = tmp / "m365_detail.csv"
    files["m365"].write_text("\n".join([detail[0], *rows]) + "\n")
    return files


def test_mixed_scenario_gives_one_person_key_per_human(ws, tmp_path):
    files = _mixed_files(tmp_path)
    gh_alias = "urn:example:scim:github:1.0:User:login"
    steps = [
        ("github-copilot-usage", files["usage"], {}),
        ("github-copilot-seats", files["seats"], {}),
        ("m365-copilot-usage", files["m365"], {}),
        # Spans name alice by employee number E1001 (enduser.id), bob and carol by e-mail.
        ("otlp-genai", FIXTURES / "otlp_genai_spans.json", {}),
        ("survey", FIXTURES / "qualtrics_export.csv", {"mapping": "qualtrics"}),
        ("tickets", FIXTURES / "jira_export.csv", {"mapping": "jira"}),
        # The roster arrives last: earlier rows must be re-keyed onto its people.
        ("scim", files["scim"], {"alias_paths": gh_alias}),
    ]
    for fmt, path, options in steps:
        results = ws.ingest("events", [path], fmt=fmt, options=options, now=NOW)
        assert sum(r.quarantined for r in results) == 0, (fmt, results)
    expected = {ws.pseudonymise(f"{n}@example.com") for n in ("alice", "bob", "carol")}
    keys: set[str] = set()
    for table in ("people", "events", "licenses", "person_facts", "responses", "feedback"):
        found = {
            row[0] for row in ws.con.execute(f"SELECT DISTINCT person_key FROM {table}").fetchall()
        }
        assert found <= expected, table
        keys |= found
    assert keys == expected
    managers = ws.con.execute("SELECT DISTINCT manager_key FROM people").fetchall()
    assert {m[0] for m in managers} == {None, ws.pseudonymise("alice@example.com")}
    per_source = ws.con.execute(
        "SELECT tool, count(DISTINCT person_key) FROM events GROUP BY tool ORDER BY tool"
    ).fetchall()
    assert per_source == [("github-copilot", 3), ("loan-assistant", 2), ("notebook-helper", 1)]


FUZZED = [
    ("github-copilot-usage", SAMPLES / "github_copilot_usage_metrics_user_level_example.json"),
    ("github-copilot-seats", SAMPLES / "github_copilot_billing_seats_org.json"),
    ("otlp-genai", FIXTURES / "otlp_genai_spans.json"),
    ("scim", SAMPLES / "scim_rfc7643_enterprise_user.json"),
]
ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=10),
    st.sampled_from(["2999-01-01", "2025-10-01T00:00:00+14:00", "  ", "é@ü.example"]),
)


@pytest.mark.parametrize(("fmt", "path"), FUZZED, ids=[f for f, _ in FUZZED])
@settings(max_examples=8, deadline=None, derandomize=True)
@given(data=st.data())
def test_mutated_files_are_accounted_for_by_the_pipeline(fmt, path, data):
    # Whatever a connector lets through, the pipeline must accept, dedupe or quarantine it:
    # rows == accepted + duplicates + quarantined, and no exception but InputError.
    doc = json.loads(path.read_text())
    leaves = [p for p in _leaf_paths(doc)]
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        target = data.draw(st.sampled_from(leaves))
        node = doc
        for step in target[:-1]:
            node = node[step]
        node[target[-1]] = data.draw(ODD)
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / path.name
        file.write_text(json.dumps(doc))
        with Workspace.init(Path(folder) / "ws") as w:
            try:
                results = w.ingest("events", [file], fmt=fmt, now=NOW)
            except InputError:
                return
            for r in results:
                assert r.rows == r.accepted + r.duplicates + r.quarantined, r


def _leaf_paths(value, prefix=()):
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaf_paths(v, (*prefix, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaf_paths(v, (*prefix, i))]
    return [prefix]


def test_a_late_byte_that_is_not_utf8_stores_nothing_from_the_file(ws, tmp_path):
    # NDJSON is read as it is ingested, so the bad byte is met after two good records: the
    # file is still refused whole, with its line, and nothing of it is kept.
    [record] = json.loads(
        (SAMPLES / "github_copilot_usage_metrics_user_level_example.json").read_text()
    )
    lines = [json.dumps({**record, "user_login": f"user{i}"}).encode() + b"\n" for i in range(3)]
    lines[2] = lines[2].replace(b"user2", b"user\xff")
    path = tmp_path / "users-1-day.ndjson"
    path.write_bytes(b"".join(lines))
    with pytest.raises(InputError, match=r"users-1-day\.ndjson: line 3: byte \d+ is not UTF-8"):
        ws.ingest("events", [path], fmt="github-copilot-usage", now=NOW)
    status = ws.status()
    assert status["tables"]["events"] == status["tables"]["person_facts"] == 0
    assert status["last_ingests"] == [] and ws.quarantine() == []


def test_ndjson_bad_lines_and_bad_records_are_each_quarantined_at_their_line(ws, tmp_path):
    [record] = json.loads(
        (SAMPLES / "github_copilot_usage_metrics_user_level_example.json").read_text()
    )
    lines = [
        json.dumps(record),
        '{"user_login": "cut',
        json.dumps({**record, "day": "yesterday"}),
        "not json",
    ]
    path = tmp_path / "users-1-day.ndjson"
    path.write_text("\n".join(lines) + "\n")
    results = ws.ingest("events", [path], fmt="github-copilot-usage", now=NOW)
    assert sum(r.rows for r in results) == sum(r.accepted + r.quarantined for r in results)
    found = [(q["locator"], q["reason"]) for q in ws.quarantine()]
    assert sorted(found, key=lambda f: int(f[0].rsplit(" ", 1)[1])) == [
        ("users-1-day.ndjson:line 2", "bad_json"),
        ("users-1-day.ndjson:line 3", "bad_timestamp"),
        ("users-1-day.ndjson:line 4", "bad_json"),
    ]
