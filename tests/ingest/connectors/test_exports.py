"""Survey and ticket exports through the shipped example mappings, and their failure modes."""

from __future__ import annotations

import json

import pytest

from uptake.errors import InputError
from uptake.ingest.connectors import exports


def test_qualtrics_example(fixtures):
    # Hand count: 3 respondents after the header and Qualtrics' 2 extra header rows.
    #   R_...0001 (alice): Q1 7, Q2 "Agree" -> 4, Q3 9, Q4 comment       = 4 rows
    #   R_...0002 (bob):   Q1 4, Q2 "Disagree" -> 2, Q3 6, Q4 empty       = 3 rows
    #   R_...0003 (carol): Q1 8, Q2 "Strongly agree" -> 5, Q3 10, Q4 text = 4 rows
    # Total 11. RecordedDate is America/Denver (UTC-6 in October).
    r = exports.read_survey(fixtures / "qualtrics_export.csv", {"mapping": "qualtrics"})
    assert r.rejects == []
    rows = r.frames["responses"]
    assert len(rows) == 11
    by = rows.set_index("response_id")
    assert by.loc["R_1aAbCdEfGh0001:useful_high_stakes", "score"] == 4.0
    assert by.loc["R_1aAbCdEfGh0002:confidence", "person"] == "bob@example.com"
    assert by.loc["R_1aAbCdEfGh0001:nps", "ts"] == "2025-10-06T08:04:53-06:00"
    assert "R_1aAbCdEfGh0002:blockers" not in by.index
    assert by.loc["R_1aAbCdEfGh0003:blockers", "text"].endswith("variance commentary.")
    assert set(rows["instrument"]) == {"ai-pulse"}
    assert rows["__locator"].iloc[0] == "qualtrics_export.csv:line 4"


def test_google_forms_example(fixtures):
    # Hand count: 4 anonymous respondents; confidence and frequency always answered,
    # comment on rows 2 and 4 -> 2 + 3 + 2 + 3 = 10 rows, no person, segments team/role.
    r = exports.read_survey(fixtures / "google_forms_export.csv", {"mapping": "google_forms"})
    assert r.rejects == []
    rows = r.frames["responses"]
    assert len(rows) == 10
    assert rows["person"].isna().all()
    freq = rows[rows["item"] == "frequency"]["score"].tolist()
    assert freq == [2.0, 0.0, 3.0, 1.0]
    assert json.loads(rows["segment"].iloc[0]) == {"team": "Finance", "role": "Analyst"}
    assert rows["ts"].iloc[0] == "2025-10-06T09:15:02+01:00"
    again = exports.read_survey(fixtures / "google_forms_export.csv", {"mapping": "google_forms"})
    assert again.frames["responses"]["response_id"].tolist() == rows["response_id"].tolist()


def test_jira_example(fixtures):
    # 3 issues; the first spans two physical lines (multi-line Description).
    r = exports.read_tickets(fixtures / "jira_export.csv", {"mapping": "jira"})
    assert r.rejects == []
    rows = r.frames["feedback"].set_index("feedback_id")
    assert list(rows.index) == ["AIS-101", "AIS-102", "AIS-103"]
    assert rows.loc["AIS-101", "status"] == "resolved"
    assert rows.loc["AIS-101", "resolved_at"] == "2025-10-07T15:40:00+02:00"
    assert rows.loc["AIS-102", "category"] == "question"
    assert rows.loc["AIS-102", "resolved_at"] is None
    assert rows.loc["AIS-103", "status"] == "open"
    assert rows.loc["AIS-101", "text"].startswith("Copilot suggestions time out")
    assert "\n\nCompletions stop" in rows.loc["AIS-101", "text"]
    assert list(rows["__locator"]) == [
        "jira_export.csv:line 2",
        "jira_export.csv:line 4",
        "jira_export.csv:line 5",
    ]
    assert set(rows["channel"]) == {"jira"}


def test_servicenow_example(fixtures):
    r = exports.read_tickets(fixtures / "servicenow_export.json", {"mapping": "servicenow"})
    assert r.rejects == []
    rows = r.frames["feedback"].set_index("feedback_id")
    assert list(rows["status"]) == ["resolved", "in_progress", "closed"]
    assert rows.loc["INC0010002", "person"] == "bob@example.com"
    assert rows.loc["INC0010003", "text"] == "Request: Copilot licence for new starter"
    assert rows.loc["INC0010001", "ts"] == "2025-10-06T08:30:00+00:00"


def test_bad_rows_are_rejected(fixtures, write):
    text = (fixtures / "jira_export.csv").read_text()
    lines = text.splitlines()
    bad_date = lines[4].replace("08/Oct/25 4:45 PM", "sometime", 1)
    no_text = (
        lines[4]
        .replace("Add prompt templates for month-end close", "")
        .replace("Peers in Finance keep asking for the same prompts.", "")
    )
    r = exports.read_tickets(
        write("j.csv", "\n".join([lines[0], bad_date, no_text])), {"mapping": "jira"}
    )
    assert [(x.locator, x.reason, x.field) for x in r.rejects] == [
        ("j.csv:line 2", "bad_timestamp", "Created"),
        ("j.csv:line 3", "missing_required", "Summary + Description"),
    ]


def test_unscorable_answer_and_empty_respondent(fixtures, write):
    lines = (fixtures / "google_forms_export.csv").read_text().splitlines()
    unscorable = lines[1].replace("Several times", "Sometimes")
    empty = "10/08/2025 10:00:00,Sales,Analyst,,,"
    r = exports.read_survey(
        write("g.csv", "\n".join([lines[0], unscorable, empty, lines[2]])),
        {"mapping": "google_forms"},
    )
    assert len(r.frames["responses"]) == 3
    assert [(x.reason, x.field) for x in r.rejects] == [
        ("bad_type", "How often did you use the AI assistant last week?"),
        ("missing_required", "items"),
    ]


def test_missing_column_is_a_file_error(fixtures, write):
    text = (fixtures / "jira_export.csv").read_text().replace("Issue key", "Key", 1)
    with pytest.raises(InputError, match=r"'Issue key'.*not in the header"):
        exports.read_tickets(write("j.csv", text), {"mapping": "jira"})


def test_mapping_required_and_table_checked(fixtures):
    with pytest.raises(InputError, match="needs --mapping"):
        exports.read_survey(fixtures / "qualtrics_export.csv", {})
    with pytest.raises(InputError, match="use --format tickets"):
        exports.read_survey(fixtures / "jira_export.csv", {"mapping": "jira"})


def test_json_records_path_errors(fixtures, write):
    with pytest.raises(InputError, match="records_path 'records'"):
        exports.read_tickets(write("s.json", {"result": []}), {"mapping": "servicenow"})
    doc = json.loads((fixtures / "servicenow_export.json").read_text())
    doc["records"][1]["description"] = {"nested": True}
    r = exports.read_tickets(write("s.json", doc), {"mapping": "servicenow"})
    assert [(x.locator, x.reason) for x in r.rejects] == [("s.json:record 2", "bad_type")]
