"""One human across every AI tool: each vendor's file for the same two people plus a roster.

Every connector's sample or fixture is rewritten so that its first person is Ada and its
second is Ben, each named the way that vendor names people (an e-mail for most, a GitHub
login, a Codex user id, a Microsoft 365 UPN in upper case). Other people in a file stay
themselves. After ingesting the roster and every file, Ada's and Ben's aliases must resolve
to exactly one `person_key` each, and every tool's rows must carry those keys.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from uptake.workspace import Workspace

HERE = Path(__file__).parent / "connectors"
SAMPLES = HERE / "samples"
FIXTURES = HERE / "fixtures"
NOW = datetime(2026, 12, 1, tzinfo=UTC)

ADA = {"email": "ada.lovelace@acme.example", "login": "ada-l", "codex": "user-AdaL0velace"}
BEN = {"email": "ben.okafor@acme.example", "login": "bokafor", "codex": "user-BenOkaf0r"}
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")

# (format, file, options, tool whose rows must name Ada)
FILES: list[tuple[str, Path, dict[str, str], str]] = [
    ("claude-code", SAMPLES / "anthropic_claude_code_usage_report.json", {}, "claude-code"),
    (
        "claude-enterprise",
        FIXTURES / "claude_enterprise_users.json",
        {"date": "2026-03-02"},
        "claude",
    ),
    ("cursor", SAMPLES / "cursor_daily_usage_data.json", {}, "cursor"),
    ("codex", FIXTURES / "codex_usage.json", {}, "codex"),
    ("chatgpt-enterprise", FIXTURES / "chatgpt_user_engagement.csv", {}, "chatgpt-enterprise"),
    ("gemini-workspace", FIXTURES / "gemini_activities.json", {}, "gemini-workspace"),
    ("otlp-logs", FIXTURES / "otlp_claude_code_logs.json", {}, "claude-code"),
    ("otlp-metrics", FIXTURES / "otlp_claude_code_metrics.json", {}, "claude-code"),
    (
        "github-copilot-usage",
        SAMPLES / "github_copilot_usage_metrics_user_level_example.json",
        {},
        "github-copilot",
    ),
    (
        "github-copilot-seats",
        SAMPLES / "github_copilot_billing_seats_org.json",
        {},
        "github-copilot",
    ),
]


def _as_ada_and_ben(text: str) -> str:
    """The first e-mail in the file becomes Ada's, the second Ben's; others stay."""
    seen: list[str] = []
    for match in EMAIL.finditer(text):
        if match.group(0) not in seen:
            seen.append(match.group(0))
    for old, new in zip(seen, (ADA["email"], BEN["email"]), strict=False):
        text = text.replace(old, new)
    return text


def _github(path: Path, out: Path) -> Path:
    doc = json.loads(path.read_text())
    logins = [r["assignee"]["login"] if "assignee" in r else r["user_login"] for r in _seats(doc)]
    text = path.read_text()
    for old, new in zip(dict.fromkeys(logins), (ADA["login"], BEN["login"]), strict=False):
        text = text.replace(f'"{old}"', f'"{new}"')
    out.write_text(text)
    return out


def _seats(doc: object) -> list[dict[str, object]]:
    if isinstance(doc, dict) and "seats" in doc:
        return list(doc["seats"])
    return list(doc) if isinstance(doc, list) else [doc]  # type: ignore[arg-type]


def _codex(path: Path, out: Path) -> Path:
    doc = json.loads(_as_ada_and_ben(path.read_text()))
    for row in doc["data"]:
        # Codex names Ada by user id only on her rows without an e-mail: drop the e-mail.
        if row.get("email") == ADA["email"]:
            row["user_id"] = ADA["codex"]
            row.pop("email")
        elif row.get("email") == BEN["email"]:
            row["user_id"] = BEN["codex"]
    out.write_text(json.dumps(doc))
    return out


def _m365(out: Path) -> Path:
    header = (
        "Report Refresh Date,User Principal Name,Display Name,Last Activity Date,"
        "Copilot Chat Last Activity Date,Microsoft Teams Copilot Last Activity Date,"
        "Word Copilot Last Activity Date,Excel Copilot Last Activity Date,"
        "PowerPoint Copilot Last Activity Date,Outlook Copilot Last Activity Date,"
        "OneNote Copilot Last Activity Date,Loop Copilot Last Activity Date,Report Period"
    )
    rows = [
        f"2026-11-30,{ADA['email'].upper()},Ada Lovelace,2026-11-28,2026-11-28,,2026-11-27,,,,,,7",
        f"2026-11-30,{BEN['email']},Ben Okafor,2026-11-29,,2026-11-29,,,,,,,7",
    ]
    out.write_text("\n".join([header, *rows]) + "\n")
    return out


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("mixed")
    with Workspace.init(tmp / "ws") as ws:
        roster = pd.DataFrame(
            {
                "person": [ADA["email"], BEN["email"]],
                "aliases": [[ADA["login"], ADA["codex"]], [BEN["login"], BEN["codex"]]],
                "team": ["platform", "finance"],
                "function": ["engineering", "finance"],
            }
        )
        ws.ingest_frame("people", roster, source="roster", now=NOW, refresh=False)
        for i, (fmt, path, options, _tool) in enumerate(FILES):
            out = tmp / f"{i}_{path.name}"
            if fmt.startswith("github"):
                _github(path, out)
            elif fmt == "codex":
                _codex(path, out)
            else:
                out.write_text(_as_ada_and_ben(path.read_text()))
            results = ws.ingest("events", [out], fmt=fmt, options=options, now=NOW, refresh=False)
            assert sum(r.quarantined for r in results) == 0, (fmt, results)
        results = ws.ingest("events", [_m365(tmp / "m365.csv")], fmt="m365-copilot-usage", now=NOW)
        assert sum(r.quarantined for r in results) == 0
    return tmp / "ws"


def _keys(con: duckdb.DuckDBPyConnection, human: dict[str, str]) -> set[str]:
    aliases = [a.lower() for a in human.values()]
    rows = con.execute(
        "SELECT DISTINCT person_key FROM identities WHERE lower(alias) IN (SELECT unnest(?))",
        [aliases],
    ).fetchall()
    return {r[0] for r in rows}


def test_each_human_has_exactly_one_person_key(mixed: Path) -> None:
    con = duckdb.connect(str(mixed / "uptake.duckdb"), read_only=True)
    ada, ben = _keys(con, ADA), _keys(con, BEN)
    assert len(ada) == 1
    assert len(ben) == 1
    assert ada != ben


def test_every_tool_names_ada_by_her_one_key(mixed: Path) -> None:
    con = duckdb.connect(str(mixed / "uptake.duckdb"), read_only=True)
    (ada,) = _keys(con, ADA)
    tools = {
        t
        for (t,) in con.execute(
            "SELECT tool FROM events WHERE person_key = ? UNION SELECT tool FROM person_facts "
            "WHERE person_key = ? UNION SELECT tool FROM licenses WHERE person_key = ?",
            [ada, ada, ada],
        ).fetchall()
    }
    expected = {tool for *_, tool in FILES} | {"m365-copilot"}
    assert expected <= tools, expected - tools


def test_ben_is_one_key_wherever_he_appears(mixed: Path) -> None:
    con = duckdb.connect(str(mixed / "uptake.duckdb"), read_only=True)
    (ben,) = _keys(con, BEN)
    tools = {
        t
        for (t,) in con.execute(
            "SELECT tool FROM events WHERE person_key = ? UNION SELECT tool FROM person_facts "
            "WHERE person_key = ?",
            [ben, ben],
        ).fetchall()
    }
    # Ben is the second person of every file that has two; at least these name him.
    assert {
        "codex",
        "chatgpt-enterprise",
        "claude-code",
        "gemini-workspace",
        "m365-copilot",
    } <= tools
