"""`--format proxy`: AI tool visits are stored, every other row is counted and dropped."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from factories import FROZEN_NOW
from uptake.errors import InputError
from uptake.ingest.connectors import CONNECTORS
from uptake.schema.migrations import current_version
from uptake.workspace import Workspace

LOG = """timestamp,user,url
2026-05-02T10:00:00Z,ada@example.org,https://chat.openai.com/c/secret-chat
2026-05-02T10:01:00Z,ada@example.org,https://www.bank.example.com/account/42
2026-05-02T10:02:00Z,grace@example.org,HTTPS://A.B.Claude.AI:443/x
2026-05-02T10:03:00Z,,https://claude.ai/
2026-05-02T10:04:00Z,grace@example.org,not a host
only,two
2026-05-02T10:05:00Z,linus@example.org,https://health.example.net/results
yesterday,linus@example.org,poe.com
,,https://news.example.com/
"""


def _file(tmp_path: Path, text: str = LOG, name: str = "proxy.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _ingest(ws: Workspace, path: Path, **options: str):
    return ws.ingest("ai_web_visits", [path], fmt="proxy", options={"params": options},
                     now=FROZEN_NOW, refresh=False)  # fmt: skip


def test_only_ai_tool_visits_are_stored_the_rest_counted(
    workspace: Workspace, tmp_path: Path
) -> None:
    [result] = _ingest(workspace, _file(tmp_path))
    assert (result.accepted, result.quarantined) == (2, 4)
    assert result.notes == [
        "3 rows ignored: not an AI tool domain (neither stored nor quarantined)"
    ]
    rows = workspace.con.execute(
        "SELECT person_key, domain, tool, sanctioned FROM ai_web_visits ORDER BY ts"
    ).fetchall()
    assert rows == [
        (workspace.pseudonymise("ada@example.org"), "chat.openai.com", "ChatGPT", False),
        (workspace.pseudonymise("grace@example.org"), "a.b.claude.ai", "Claude", False),
    ]


def test_unreadable_rows_are_quarantined_with_line_field_and_reason(
    workspace: Workspace, tmp_path: Path
) -> None:
    _ingest(workspace, _file(tmp_path))
    got = workspace.con.execute(
        "SELECT locator, field, reason, record FROM quarantine ORDER BY locator"
    ).fetchall()
    assert [(loc, fld, why) for loc, fld, why, _ in got] == [
        ("proxy.csv:line 5", "user", "missing_required"),
        ("proxy.csv:line 6", "url", "bad_type"),
        ("proxy.csv:line 7", None, "malformed_record"),
        ("proxy.csv:line 9", "ts", "bad_timestamp"),
    ]
    stored = " ".join(str(r) for r in got)
    # Nothing of the browsing history, no URL path, no raw identifier reaches the quarantine.
    for secret in ("bank", "health", "news", "secret-chat", "@example.org"):
        assert secret not in stored
    record = json.loads(got[0][3])
    assert record["host"] == "claude.ai"


def test_re_ingesting_the_same_log_adds_nothing(workspace: Workspace, tmp_path: Path) -> None:
    path = _file(tmp_path)
    _ingest(workspace, path)
    [again] = _ingest(workspace, path)
    assert (again.accepted, again.duplicates) == (0, 2)


def test_common_header_names_epoch_and_log_format_times(
    workspace: Workspace, tmp_path: Path
) -> None:
    text = ("Time,cs-username,cs-host\n"
            "1777716000,ada@example.org,perplexity.ai\n"
            "02/May/2026:10:00:00 +0200,ada@example.org,gemini.google.com:443\n")  # fmt: skip
    [result] = _ingest(workspace, _file(tmp_path, text))
    assert result.accepted == 2, workspace.con.execute("SELECT * FROM quarantine").fetchall()
    got = workspace.con.execute(
        "SELECT strftime(ts, '%Y-%m-%d %H:%M'), tool FROM ai_web_visits ORDER BY ts"
    ).fetchall()
    assert got == [("2026-05-02 08:00", "Gemini"), ("2026-05-02 10:00", "Perplexity")]


def test_columns_named_with_options(workspace: Workspace, tmp_path: Path) -> None:
    text = "when,who,where\n2026-05-02T10:00:00Z,ada@example.org,poe.com\n"
    [result] = _ingest(workspace, _file(tmp_path, text), ts_column="when",
                       user_column="who", domain_column="where")  # fmt: skip
    assert result.accepted == 1


def test_a_log_without_the_needed_columns_is_refused(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no column for a user or a domain or URL") as err:
        _ingest(workspace, _file(tmp_path, "timestamp,bytes\n2026-05-02T10:00:00Z,1\n"))
    assert "user_column" in (err.value.hint or "")
    with pytest.raises(InputError, match="'nope'"):
        _ingest(workspace, _file(tmp_path), ts_column="nope")
    with pytest.raises(InputError, match="no option 'colour'"):
        CONNECTORS["proxy"].check({"params": {"colour": "red"}})


def test_the_workspace_catalogue_decides_what_is_kept(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    Workspace.init(folder).close()
    (folder / "ai.csv").write_text(
        "domain,tool,vendor,sanctioned\nchat.acme.ai,Acme Chat,Acme,true\n", encoding="utf-8"
    )
    with Workspace.open(folder, {"programme.shadow_catalogue": "ai.csv"}) as ws:
        text = ("timestamp,user,domain\n2026-05-02T10:00:00Z,ada@example.org,x.chat.acme.ai\n"
                "2026-05-02T10:00:00Z,ada@example.org,claude.ai\n")  # fmt: skip
        [result] = _ingest(ws, _file(tmp_path, text))
        assert result.accepted == 1
        assert ws.con.execute("SELECT tool, sanctioned FROM ai_web_visits").fetchall() == [
            ("Acme Chat", True)
        ]
        assert ws.shadow_catalogue().source == str(folder / "ai.csv")


def test_a_bad_workspace_catalogue_stops_the_ingest_naming_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    Workspace.init(folder).close()
    (folder / "ai.csv").write_text("domain,tool,vendor,sanctioned\nclaude.ai,,A,no\n")
    with Workspace.open(folder, {"programme.shadow_catalogue": "ai.csv"}) as ws:
        with pytest.raises(InputError, match=r"ai\.csv: line 2: tool is empty"):
            _ingest(ws, _file(tmp_path))
        assert ws.con.execute("SELECT count(*) FROM ai_web_visits").fetchone() == (0,)


def test_migration_8_adds_the_table_to_an_existing_workspace(tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    Workspace.init(folder).close()
    con = duckdb.connect(str(folder / "uptake.duckdb"))
    con.execute("DROP TABLE ai_web_visits")
    con.execute("DELETE FROM schema_version WHERE version >= 8")
    assert current_version(con) == 7
    con.close()
    with Workspace.open(folder) as ws:
        assert ws.schema_version() >= 8
        [result] = _ingest(ws, _file(tmp_path))
        assert result.accepted == 2
