"""The 2026 GitHub and M365 shapes: fuzzed (never a traceback) and through a Workspace.

Covers the GitHub users report with the API-2026-03-10 fields, the `user-teams-1-day`
report, and the M365 by-date user detail (CSV and Graph JSON pages): each is truncated,
has values flipped to other types and gets extra fields; whatever happens the reader returns
canonical rows and located rejects, or an InputError naming the file. Each file also goes
through `Workspace.ingest`: nothing quarantined, and a second ingest adds nothing.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uptake.errors import InputError
from uptake.ingest.connectors import CONNECTORS
from uptake.ingest.connectors.base import LOCATOR
from uptake.ingest.connectors.collect import INTERNAL
from uptake.schema.tables import ACTIONS, TABLES
from uptake.workspace import Workspace

SAMPLES = Path(__file__).parent / "samples"
NOW = datetime(2026, 11, 1, tzinfo=UTC)
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=10),
    st.sampled_from(["", "2026-03-10", "NaN", "-1", "0", "0123456789abcdef0123456789abcdef"]),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=2),
    st.dictionaries(st.text(max_size=5), SCALARS, max_size=2),
)


def _user_2026() -> dict[str, Any]:
    [record] = json.loads(
        (SAMPLES / "github_copilot_usage_metrics_user_level_example.json").read_text()
    )
    return {
        **record,
        "ai_adoption_phase": {"phase": "multi-agent", "phase_number": 3, "version": "v1"},
        "ai_credits_used": 12.5,
        "totals_by_copilot_app": {"session_count": 1, "request_count": 4, "prompt_count": 2},
        "totals_by_3rd_party_agent": [
            {
                "agent_id": "claude",
                "agent_name": "Claude (Anthropic)",
                "user_initiated_interaction_count": 3,
            }
        ],
        "used_copilot_cloud_agent": True,
        "used_copilot_coding_agent": False,
    }


TEAMS = [
    {
        "user_id": 1,
        "user_login": "login1",
        "day": "2025-10-01",
        "organization_id": "9",
        "team_id": 4,
        "slug": "web",
    },
    {
        "user_id": 1,
        "user_login": "login1",
        "day": "2025-10-01",
        "organization_id": "9",
        "team_id": 3,
        "slug": "api",
    },
    {
        "user_id": 2,
        "user_login": "login2",
        "day": "2025-10-01",
        "organization_id": "9",
        "team_id": 3,
        "slug": "api",
    },
]
BY_DATE_CSV = (
    "Report Refresh Date,Report Date,User Principal Name,Display Name,Last Activity Date,"
    "Copilot Chat Last Activity Date,Microsoft Teams Copilot Last Activity Date,"
    "Word Copilot Last Activity Date\n"
    "2026-03-12,2026-03-10,a@x.example,A,2026-03-10,2026-03-10,2026-03-02,2026-03-10\n"
    "2026-03-12,2026-03-10,b@x.example,B,2026-03-09,2026-03-09,,\n"
    "2026-03-12,2026-03-10,0123456789ABCDEF0123456789ABCDEF,FEDCBA98765432100123456789ABCDEF,"
    "2026-03-10,,2026-03-10,\n"
)
BY_DATE_PAGES = [
    {
        "@odata.nextLink": "https://graph.microsoft.com/beta/copilot/reports/next",
        "value": [
            {
                "reportRefreshDate": "2026-03-12",
                "reportDate": "2026-03-10",
                "userPrincipalName": "a@x.example",
                "displayName": "A",
                "lastActivityDate": "2026-03-10",
                "copilotChatLastActivityDate": "2026-03-10",
                "wordCopilotLastActivityDate": None,
            }
        ],
    },
    {
        "value": [
            {
                "reportRefreshDate": "2026-03-12",
                "reportDate": "2026-03-10",
                "userPrincipalName": "0123456789abcdef0123456789abcdef",
                "displayName": "0123456789abcdef0123456789abcdef",
                "lastActivityDate": "2026-03-10",
                "microsoftTeamsCopilotLastActivityDate": "2026-03-10",
            }
        ]
    },
]
# (format, file name, content, {table: rows}) — rows: hand counts in the connector tests'
# manner. User: 3 sample events + app 1 + claude 1 = 5; 16 facts + app 3 + phase 1 +
# credits/cost 2 + 2 flags = 24. Teams: login1 one fact (2 teams), login2 one = 2.
# By date CSV: a chat+word on the day (2), b none, the hash teams (1) = 3 events; 3 seats;
# 3 x (licensed + any + 3 apps) = 15 facts. JSON: a chat (1), hash teams (1); 2 seats;
# facts a: licensed, any, chat, word = 4; hash: licensed, any, teams = 3.
FILES: list[tuple[str, str, str, dict[str, int]]] = [
    (
        "github-copilot-usage",
        "users.json",
        json.dumps([_user_2026()]),
        {"events": 5, "person_facts": 24},
    ),
    (
        "github-copilot-usage",
        "teams.ndjson",
        "".join(json.dumps(t) + "\n" for t in TEAMS),
        {"person_facts": 2},
    ),
    (
        "m365-copilot-usage",
        "by_date.csv",
        BY_DATE_CSV,
        {"events": 3, "licenses": 3, "person_facts": 15},
    ),
    (
        "m365-copilot-usage",
        "by_date.json",
        json.dumps(BY_DATE_PAGES),
        {"events": 2, "licenses": 2, "person_facts": 7},
    ),
]
IDS = [name for _, name, _, _ in FILES]


def _check(r: Any, name: str) -> None:
    for table, frame in r.frames.items():
        spec = TABLES[table]
        assert list(frame.columns) == [*spec.names, LOCATOR]
        for col in spec.required:
            assert frame[col].notna().all(), f"{table}.{col} left empty"
        assert frame[LOCATOR].map(lambda s: s.startswith(name)).all()
        if table == "events":
            assert set(frame["action"]) <= set(ACTIONS)
        for col in (c.name for c in spec.columns if c.type == "json"):
            for value in frame[col].dropna():
                json.loads(value)
    for rej in r.rejects:
        assert not (rej.detail or "").startswith(INTERNAL), rej
        assert rej.locator.startswith(name), rej


def _read(fmt: str, name: str, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            result = CONNECTORS[fmt].read(path)
        except InputError as exc:
            assert name in exc.message, exc.message
            return
        _check(result, name)


@pytest.mark.parametrize(("fmt", "name", "content", "expected"), FILES, ids=IDS)
def test_each_file_reads_cleanly_into_the_expected_rows(fmt, name, content, expected, tmp_path):
    path = tmp_path / name
    path.write_text(content)
    r = CONNECTORS[fmt].read(path)
    assert r.rejects == []
    assert {t: len(f) for t, f in r.frames.items()} == expected
    _check(r, name)
    concealed = [n for n in r.notes if n.startswith("names are concealed")]
    assert len(concealed) == (1 if fmt.startswith("m365") else 0)


@pytest.mark.parametrize(("fmt", "name", "content", "expected"), FILES, ids=IDS)
@FUZZ
@given(data=st.data())
def test_truncated_files_never_traceback(fmt, name, content, expected, data):
    raw = content.encode()
    _read(fmt, name, raw[: data.draw(st.integers(min_value=0, max_value=len(raw) - 1))])


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    node = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


JSON_FILES = [f for f in FILES if not f[1].endswith(".csv")]


@pytest.mark.parametrize(
    ("fmt", "name", "content", "expected"), JSON_FILES, ids=[f[1] for f in JSON_FILES]
)
@FUZZ
@given(data=st.data())
def test_type_flips_and_extra_fields_never_traceback(fmt, name, content, expected, data):
    ndjson = name.endswith(".ndjson")
    doc = [json.loads(x) for x in content.splitlines()] if ndjson else json.loads(content)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(doc)
        target = data.draw(st.sampled_from(paths))
        if data.draw(st.booleans()):
            _set(doc, target, data.draw(VALUES))
        else:
            node: Any = doc
            for step in target[:-1]:
                node = node[step]
            if isinstance(node, dict):
                node[data.draw(st.text(min_size=1, max_size=8))] = data.draw(VALUES)
    text = "".join(json.dumps(x) + "\n" for x in doc) if ndjson else json.dumps(doc)
    _read(fmt, name, text.encode())


@FUZZ
@given(data=st.data())
def test_csv_cell_flips_never_traceback(data):
    lines = BY_DATE_CSV.splitlines()
    cells = [line.split(",") for line in lines]
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        row = data.draw(st.integers(min_value=0, max_value=len(cells) - 1))
        col = data.draw(st.integers(min_value=0, max_value=len(cells[row]) - 1))
        cells[row][col] = data.draw(st.text(alphabet='ab0129-:"\n ,', max_size=12))
    text = "\n".join(",".join(c) for c in cells) + "\n"
    _read("m365-copilot-usage", "by_date.csv", text.encode())


def test_files_land_in_a_workspace_and_reingest_adds_nothing(tmp_path):
    with Workspace.init(tmp_path / "ws") as ws:
        for fmt, name, content, expected in FILES:
            path = tmp_path / name
            path.write_text(content)
            first = ws.ingest("events", [path], fmt=fmt, now=NOW, refresh=False)
            assert sum(r.quarantined for r in first) == 0, name
            # The JSON names the CSV's people again: some of its rows are duplicates.
            got: dict[str, int] = {}
            for r in first:
                got[r.table] = got.get(r.table, 0) + r.accepted + r.duplicates
            assert got == expected, name
            again = ws.ingest("events", [path], fmt=fmt, now=NOW, refresh=False)
            assert sum(r.accepted for r in again) == 0, name
            assert sum(r.duplicates for r in again) == sum(expected.values()), name
        # The by-date JSON's app-days (a@ chat, the hash's teams) are the CSV's too: the same
        # event ids, stored once; the hash in lower case is the same person.
        n = ws.con.execute("SELECT count(*) FROM events WHERE tool = 'm365-copilot'").fetchone()
        assert n == (3,)
