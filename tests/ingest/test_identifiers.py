"""No raw identifier outside `identities`: every table, the lake and `uptake quarantine --json`.

Every connector's published sample and fixture is ingested, plus variants written here that
add identifying fields a vendor may send (e-mail, display name, numeric user id, a span name
holding an e-mail, M365's `Mail` column) and records that get quarantined (a wrong type next
to the login, a missing field next to an employee number, a broken CSV line). The identifiers
are collected from the inputs by the test's own reading of each format, independently of the
connectors' declarations, and searched in every string of every table, every exported Parquet
file and the quarantine listing. Only `identities` may hold them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from ingest.connectors.test_connectors import CASES
from uptake.cli import app
from uptake.ingest.connectors import CONNECTORS
from uptake.ingest.connectors.privacy import WITHHELD, Scrubber, allowed, looks_identifying
from uptake.workspace import Workspace

HERE = Path(__file__).parent / "connectors"
FIXTURES = HERE / "fixtures"
NOW = datetime(2026, 11, 1, tzinfo=UTC)

# Keys whose value names a person, as the vendors document them (read independently of the
# connectors' own lists so the test does not agree with the code by construction).
ID_KEYS = frozenset(
    {
        "userlogin", "login", "userid", "useremail", "email", "mail", "displayname", "username",
        "userprincipalname", "employeenumber", "externalid", "givenname", "familyname",
        "middlename", "formatted", "nickname", "enduserid", "enduserpseudoid", "recipientemail",
        "recipientfirstname", "recipientlastname", "reporter", "assignee", "creator",
        "calleridemail", "id",
    }
)  # fmt: skip


def _is_id_key(key: str) -> bool:
    return re.sub(r"[^a-z0-9]", "", key.lower()) in ID_KEYS


# Objects whose `login`/`id`/`name` is not a person (the seat's organisation or team).
NOT_A_PERSON = frozenset({"organization", "assigning_team", "enterprise", "addresses", "scope"})
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


def _variants(tmp: Path) -> list[tuple[str, Path, dict[str, Any]]]:
    """Inputs carrying extra identifying fields, and records that end up quarantined."""

    def put(name: str, content: Any) -> Path:
        path = tmp / name
        text = content if isinstance(content, str) else json.dumps(content)
        path.write_text(text, encoding="utf-8")
        return path

    usage = [
        {
            "user_login": "zed-quill",
            "user_id": 90817263,
            "user_email": "zed.quill@corp.example",
            "display_name": "Zed Quill",
            "day": "2025-10-02",
            "organization_id": "4242",
            "user_initiated_interaction_count": 3,
            "ai_credits_used": 2,
            "editor_theme": "dark",
        },
        {
            "user_login": "yara-broken",
            "user_id": 55501234,
            "day": "2025-10-02",
            "user_initiated_interaction_count": "many",
            "user_email": "yara.b@corp.example",
        },
        {"user_login": "xavier-noday", "display_name": "Xavier Noday", "day": "tomorrow"},
    ]
    seats = {
        "total_seats": 2,
        "seats": [
            {
                "created_at": "2025-08-03T18:00:00Z",
                "last_activity_at": "2025-10-14T00:53:32Z",
                "plan_type": "business",
                "assignee": {
                    "login": "wanda-seat",
                    "id": 71234567,
                    "name": "Wanda Seat",
                    "email": "wanda.seat@corp.example",
                },
            },
            {
                "assignee": {
                    "login": "victor-nodate",
                    "id": 61234567,
                    "email": "victor.n@corp.example",
                },
                "plan_type": "business",
            },
        ],
    }
    m365 = (
        "Report Refresh Date,User Principal Name,Display Name,Mail,Last Activity Date,"
        "Report Period\n"
        "2026-07-03,ursula.upn@corp.example,Ursula Upn,ursula.mail@corp.example,2026-07-01,7\n"
        "2026-07-03,tomas.upn@corp.example,Tomas Upn,tomas.mail@corp.example,2026-07-01,seven\n"
        '2026-07-03,"sara.broken@corp.example,Sara Broken\n'
    )
    otlp = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [
                        {"key": "service.name", "value": {"stringValue": "helpdesk-bot"}}
                    ]
                },
                "scopeSpans": [
                    {
                        "scope": {"name": "genai"},
                        "spans": [
                            {
                                "traceId": "5B8EFFF798038103D269B633813FC701",
                                "spanId": "CCCC000000000001",
                                "name": "summarise inbox of rita.span@corp.example",
                                "kind": 3,
                                "startTimeUnixNano": "1759312800000000000",
                                "endTimeUnixNano": "1759312801000000000",
                                "attributes": [
                                    {
                                        "key": "gen_ai.operation.name",
                                        "value": {"stringValue": "chat"},
                                    },
                                    {"key": "user.id", "value": {"stringValue": "rita-otel"}},
                                    {"key": "user.name", "value": {"stringValue": "Rita Otel"}},
                                ],
                            },
                            {
                                "traceId": "5B8EFFF798038103D269B633813FC702",
                                "spanId": "CCCC000000000002",
                                "name": "chat for quentin.q@corp.example",
                                "attributes": [
                                    {
                                        "key": "gen_ai.operation.name",
                                        "value": {"stringValue": "chat"},
                                    },
                                    {
                                        "key": "user.email",
                                        "value": {"stringValue": "quentin.q@corp.example"},
                                    },
                                ],
                            },
                        ],
                    }
                ],
            }
        ]
    }
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    core = "urn:ietf:params:scim:schemas:core:2.0:User"
    scim_list = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "Resources": [
            {
                "schemas": [core, enterprise],
                "id": "c0ffee00-1111-2222-3333-444455556666",
                "externalId": "ext-pia-9001",
                "userName": "pia.scim@corp.example",
                "displayName": "Pia Scim",
                "name": {"givenName": "Pia", "familyName": "Scimworth"},
                "emails": [{"value": "pia.scim@corp.example", "primary": True}],
                "active": True,
                enterprise: {"employeeNumber": "E-550011", "department": "Finance"},
            },
            {
                "schemas": [core, enterprise],
                "id": "deadbeef-1111-2222-3333-444455556666",
                "userName": "oscar.bad@corp.example",
                "displayName": "Oscar Badactive",
                "active": "yes",
                enterprise: {"employeeNumber": "E-660022"},
            },
        ],
    }
    survey = (FIXTURES / "qualtrics_export.csv").read_text(encoding="utf-8").rstrip("\n") + (
        "\n2025-10-09 09:00:00,2025-10-09 09:01:00,0,,100,60,1,2025-10-09 09:01:01,"
        "R_1aAbCdEfGh0099,Lindqvist,Nora,nora.survey@corp.example,,,,email,EN,"
        "not-a-score,Agree,9,\n"
    )
    tickets = (FIXTURES / "jira_export.csv").read_text(encoding="utf-8").rstrip("\n") + (
        "\nBroken date,AIS-199,10199,Bug,Done,AIS,AI Support,High,Done,,mona.ticket@corp.example,"
        "mona.ticket@corp.example,someday,,,,,text\n"
    )
    events = (
        "event_id,ts,person,tool,action,attrs\n"
        "ev-1,2025-10-01T09:00:00Z,lena.canon@corp.example,copilot,prompt,\n"
        'ev-2,not-a-time,kurt.canon@corp.example,copilot,prompt,"{""user_login"": ""kurt-k""}"\n'
    )
    jsonl = (
        '{"event_id": "ev-4", "ts": "2025-10-01T10:00:00Z", "person": "ivo.canon@corp.example",'
        ' "tool": "copilot", "action": "prompt"}\n'
        '["jana.canon@corp.example", "not an object"]\n'
        '{"event_id": "ev-5", "person": "jana-login", "ts": "2025-10-01T10:00:00Z"\n'
    )
    return [
        ("github-copilot-usage", put("usage_variant.json", usage), {}),
        ("github-copilot-seats", put("seats_variant.json", seats), {}),
        ("m365-copilot-usage", put("m365_variant.csv", m365), {}),
        ("otlp-genai", put("otlp_variant.json", otlp), {}),
        ("scim", put("scim_variant.json", scim_list), {}),
        ("survey", put("survey_variant.csv", survey), {"mapping": "qualtrics"}),
        ("tickets", put("tickets_variant.csv", tickets), {"mapping": "jira"}),
        ("csv", put("events_variant.csv", events), {}),
        ("jsonl", put("events_variant.jsonl", jsonl), {}),
    ]


# Every connector sample and fixture, the roster (SCIM) first so later files resolve to it.
INPUTS = sorted(CASES, key=lambda case: case[0] != "scim")


def _walk(node: Any, parent: str = "") -> Iterator[str]:
    """Identifier values in a parsed JSON document."""
    if isinstance(node, dict):
        key = node.get("key")
        if isinstance(key, str) and _is_id_key(key) and isinstance(node.get("value"), dict):
            # An OTLP KeyValue: the identifier sits inside the AnyValue.
            yield from (str(v) for v in node["value"].values() if isinstance(v, str | int))
        for k, v in node.items():
            if parent in NOT_A_PERSON:
                continue
            scalar = isinstance(v, str | int) and not isinstance(v, bool)
            # A numeric `id` names a person only at the top or on a seat's assignee.
            if (
                scalar
                and _is_id_key(k)
                and (k != "id" or parent in ("", "assignee") or isinstance(v, str))
            ):
                yield str(v)
            if k == "emails" and isinstance(v, list):
                yield from (str(e.get("value")) for e in v if isinstance(e, dict))
            yield from _walk(v, k if isinstance(v, dict) else parent)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item, parent)
    elif isinstance(node, str):
        yield from EMAIL.findall(node)


def _csv_identifiers(text: str) -> Iterator[str]:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0] if rows else []
    for row in rows[1:]:
        for name, cell in zip(header, row, strict=False):
            if _is_id_key(name) and cell.strip():
                yield cell.strip()
            elif cell.startswith("{"):
                yield from _walk(json.loads(cell))
    yield from EMAIL.findall(text)


def identifiers(files: list[Path]) -> set[str]:
    """Every identifier in the inputs, lower-cased; too-short values would match anything."""
    found: set[str] = set()
    for path in files:
        text = path.read_text(encoding="utf-8-sig")
        if path.suffix == ".csv":
            found.update(_csv_identifiers(text))
        elif path.suffix == ".jsonl":
            for line in text.splitlines():
                try:
                    found.update(_walk(json.loads(line)))
                except ValueError:
                    found.update(re.findall(r'"person": "([^"]+)"', line))
        else:
            found.update(_walk(json.loads(text)))
    return {
        i.strip().lower()
        for i in found
        if len(i.strip()) >= 4 and not (i.strip().isdigit() and len(i.strip()) < 5)
    }


def _pattern(ids: set[str]) -> re.Pattern[str]:
    alts = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])({alts})(?![a-z0-9])")


def _hits(text: str, pattern: re.Pattern[str]) -> set[str]:
    return set(pattern.findall(text.lower()))


def _cells(con: duckdb.DuckDBPyConnection, relation: str) -> Iterator[str]:
    cur = con.execute(f"SELECT * FROM {relation}")
    for row in cur.fetchall():
        for cell in row:
            if cell is not None:
                yield json.dumps(cell, default=str, ensure_ascii=False)


def leaks(
    ws_path: Path, lake: Path, quarantine_json: str, notes: list[str], ids: set[str]
) -> dict[str, set[str]]:
    """Identifiers found per place (table, lake file, CLI output), `identities` excluded."""
    pattern = _pattern(ids)
    found: dict[str, set[str]] = {}
    con = duckdb.connect(str(ws_path / "uptake.duckdb"), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        ]
        for name in tables:
            if name == "identities":
                continue
            for text in _cells(con, f'"{name}"'):
                found.setdefault(name, set()).update(_hits(text, pattern))
        for file in sorted(lake.rglob("*")):
            if not file.is_file():
                continue
            where = f"lake:{file.relative_to(lake).parts[0]}"
            raw = file.read_bytes().decode("latin-1")
            found.setdefault(where, set()).update(_hits(raw, pattern))
            if file.suffix == ".parquet" or "part-" in file.name:
                rel = "read_parquet('" + str(file).replace("'", "''") + "')"
                for text in _cells(con, rel):
                    found[where].update(_hits(text, pattern))
    finally:
        con.close()
    found["uptake quarantine --json"] = _hits(quarantine_json, pattern)
    found["ingest notes"] = _hits("\n".join(notes), pattern)
    return {k: v for k, v in found.items() if v}


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("identifiers")
    inputs = INPUTS + _variants(tmp)
    ws = Workspace.init(tmp / "ws")
    notes: list[str] = []
    try:
        for fmt, path, options in inputs:
            table = "events"
            results = ws.ingest(table, [path], fmt=fmt, options=options, now=NOW, refresh=False)
            notes += [n for r in results for n in r.notes]
        ws.refresh()
        ws.export(tmp / "lake")
        quarantined = ws.quarantine()
    finally:
        ws.close()
    run = CliRunner().invoke(app, ["quarantine", "-w", str(tmp / "ws"), "--json"])
    assert run.exit_code == 0, run.output
    return {
        "ws": tmp / "ws",
        "lake": tmp / "lake",
        "cli": run.output,
        "notes": notes,
        "quarantined": quarantined,
        "ids": identifiers([p for _, p, _ in inputs]),
    }


def test_the_inputs_hold_identifiers_and_the_variants_are_quarantined(
    ingested: dict[str, Any],
) -> None:
    ids = ingested["ids"]
    for expected in (
        "zed.quill@corp.example",
        "zed quill",
        "90817263",
        "rita.span@corp.example",
        "ursula.mail@corp.example",
        "e-660022",
        "kurt-k",
        "jana-login",
        "c0ffee00-1111-2222-3333-444455556666",
        "octocat",
        "login1",
        "bjensen@example.com",
        "701984",
    ):
        assert expected in ids
    sources = {Path(q["source"]).name for q in ingested["quarantined"]}
    assert {
        "usage_variant.json",
        "seats_variant.json",
        "m365_variant.csv",
        "otlp_variant.json",
        "scim_variant.json",
        "survey_variant.csv",
        "tickets_variant.csv",
        "events_variant.csv",
        "events_variant.jsonl",
    } <= sources


def test_identities_holds_the_identifiers(ingested: dict[str, Any]) -> None:
    con = duckdb.connect(str(ingested["ws"] / "uptake.duckdb"), read_only=True)
    try:
        aliases = {r[0] for r in con.execute("SELECT alias FROM identities").fetchall()}
    finally:
        con.close()
    assert {"zed-quill", "pia.scim@corp.example", "e-550011", "octocat"} <= aliases


def test_no_identifier_outside_identities(ingested: dict[str, Any]) -> None:
    found = leaks(
        ingested["ws"], ingested["lake"], ingested["cli"], ingested["notes"], ingested["ids"]
    )
    counts = Counter({k: len(v) for k, v in found.items()})
    shown = {k: sorted(v) for k, v in found.items()}
    assert not found, f"{counts.total()} identifiers outside identities: {shown}"


def test_the_search_finds_a_planted_identifier(ingested: dict[str, Any], tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    (lake / "planted.bin").write_bytes(b"PAR1 zed.quill@corp.example")
    found = leaks(ingested["ws"], lake, '{"record": "Zed Quill"}', [], ingested["ids"])
    assert found["lake:planted.bin"] == {"zed.quill@corp.example"}
    assert found["uptake quarantine --json"] == {"zed quill"}


def test_every_connector_naming_people_declares_its_identifiers() -> None:
    for connector in CONNECTORS.values():
        people = set(connector.tables) - {"aggregate_facts"}
        assert bool(connector.identifiers) == bool(people), connector.name
        assert not [k for k in connector.keep if looks_identifying(k)], connector.name


def test_an_identifying_name_is_dropped_even_when_allow_listed() -> None:
    kept, dropped = allowed({"mail": "a@b.example", "plan": "x", "other": 1}, {"mail", "plan"})
    assert (kept, sorted(dropped)) == ({"plan": "x"}, ["mail", "other"])


def test_a_quarantined_record_keeps_its_shape_with_identifiers_pseudonymised() -> None:
    scrub = Scrubber(lambda i: f"key({i.lower()})", {"handle"})
    record = {
        "handle": "Ann-K",
        "profile": "https://example.test/ann-k",
        "note": "call +44 20 7946 0958",
        "attributes": [{"key": "enduser.id", "value": {"stringValue": "E77"}}],
        "count": 3,
    }
    safe = json.loads(scrub.record(record))
    assert safe["handle"] == "key(ann-k)"
    assert safe["profile"] == "https://example.test/key(ann-k)"
    assert "7946" not in safe["note"]
    assert safe["attributes"][0] == {"key": "enduser.id", "value": {"stringValue": "key(e77)"}}
    assert safe["count"] == 3
    assert scrub.text("expected a number, got 'ann-k'") == "expected a number, got 'key(ann-k)'"
    assert scrub.record("raw line with ann-k") == WITHHELD
