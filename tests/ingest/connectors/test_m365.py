"""Microsoft 365 Copilot usage reports: all six published samples, column order, bad input."""

from __future__ import annotations

import json

import pytest

from uptake.errors import InputError
from uptake.ingest.connectors import m365

APPS = ["copilot_chat", "teams", "word", "excel", "powerpoint", "outlook", "onenote", "loop"]


def test_user_detail_beta_json(samples):
    # Hand calculation: one user, report refresh date 2025-08-20, period 7 days.
    # Facts: licensed + last_activity (any app) + 8 apps = 10 rows. Days before refresh:
    #   any 2025-08-20 -> 0; chat 08-16 -> 4; teams 08-20 -> 0; word 08-06 -> 14;
    #   powerpoint 2025-03-26 -> 5 (to Mar 31) + 30 + 31 + 30 + 31 + 20 = 147;
    #   excel, outlook, onenote, loop "" -> no date.
    r = m365.read(samples / "m365_copilot_usage_user_detail_beta.json")
    assert r.rejects == []
    facts = r.frames["person_facts"]
    assert len(facts) == 10
    assert set(facts["person"]) == {"DC8C64D6EC3A3AA17481D7E5EB5B68A6"}
    assert set(facts["report_date"]) == {"2025-08-20"}
    by = facts.set_index("fact")
    assert list(by.index) == ["licensed", "last_activity"] + [f"last_activity.{a}" for a in APPS]
    assert by.loc["licensed", "value"] == 1.0
    assert by.loc["last_activity.copilot_chat", "value"] == 4.0
    assert by.loc["last_activity.word", "value_date"] == "2025-08-06"
    assert by.loc["last_activity.word", "value"] == 14.0
    assert by.loc["last_activity.powerpoint", "value"] == 147.0
    assert by.loc["last_activity.excel", "value_date"] is None
    assert json.loads(by.loc["licensed", "attrs"]) == {"report_period_days": 7}


def test_user_detail_v1_csv(samples):
    # One user with every activity column empty: licensed + 9 last-activity facts, no dates.
    r = m365.read(samples / "m365_copilot_usage_user_detail_v1.0.csv")
    assert r.rejects == []
    facts = r.frames["person_facts"]
    assert len(facts) == 10
    assert facts["value_date"].tolist() == ["2026-07-03"] + [None] * 9
    assert facts["__locator"].iloc[0] == "m365_copilot_usage_user_detail_v1.0.csv:line 2"


@pytest.mark.parametrize(
    ("name", "day", "any_enabled"),
    [
        ("m365_copilot_user_count_summary_beta.json", "2025-08-20", 359229.0),
        ("m365_copilot_user_count_summary_v1.0.csv", "2026-07-03", 25.0),
    ],
)
def test_user_count_summary(samples, name, day, any_enabled):
    # 9 apps (Teams, Word, PowerPoint, Outlook, Excel, OneNote, Loop, Any App, Copilot Chat)
    # x (enabled, active) = 18 facts over the 7-day period.
    r = m365.read(samples / name)
    assert r.rejects == []
    facts = r.frames["aggregate_facts"]
    assert len(facts) == 18
    assert set(facts["day"]) == {day}
    assert set(facts["metric"]) == {"period_enabled_users", "period_active_users"}
    key = facts.set_index(["metric", "dims"])["value"]
    assert key["period_enabled_users", '{"app":"any","period_days":"7"}'] == any_enabled


def test_summary_beta_values(samples):
    facts = m365.read(samples / "m365_copilot_user_count_summary_beta.json").frames[
        "aggregate_facts"
    ]
    key = facts.set_index(["metric", "dims"])["value"]
    assert key["period_active_users", '{"app":"copilot_chat","period_days":"7"}'] == 65480.0
    assert key["period_active_users", '{"app":"teams","period_days":"7"}'] == 123341.0


@pytest.mark.parametrize(
    ("name", "day", "word_active"),
    [
        ("m365_copilot_user_count_trend_beta.json", "2025-08-20", 6602.0),
        ("m365_copilot_user_count_trend_v1.0.csv", "2026-07-03", 0.0),
    ],
)
def test_user_count_trend(samples, name, day, word_active):
    # One report date x 9 apps x (enabled, active) = 18 facts.
    r = m365.read(samples / name)
    assert r.rejects == []
    facts = r.frames["aggregate_facts"]
    assert len(facts) == 18
    assert set(facts["day"]) == {day}
    key = facts.set_index(["metric", "dims"])["value"]
    assert key["active_users", '{"app":"word"}'] == word_active


def test_csv_is_read_by_header_name(samples, write):
    # The older reportRoot CSV order: Report Period 2nd, Copilot Chat last.
    lines = (samples / "m365_copilot_usage_user_detail_v1.0.csv").read_text().splitlines()
    header = lines[0].split(",")
    cells = ["2026-07-03", "ABC@contoso.com", "x", "2026-07-01", "2026-06-30"] + [""] * 7 + ["7"]
    order = [0, 12, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 4]
    text = ",".join(header[i] for i in order) + "\n" + ",".join(cells[i] for i in order) + "\n"
    facts = m365.read(write("old.csv", text)).frames["person_facts"].set_index("fact")
    assert facts.loc["last_activity", "value_date"] == "2026-07-01"
    assert facts.loc["last_activity.copilot_chat", "value_date"] == "2026-06-30"
    assert json.loads(facts.loc["licensed", "attrs"])["report_period_days"] == 7


def test_null_activity_and_v2_columns(write):
    # Older sample: null for "no activity"; v2 adds counts and new apps.
    doc = {
        "value": [
            {
                "reportRefreshDate": "2025-08-20",
                "userPrincipalName": "a@contoso.com",
                "lastActivityDate": None,
                "copilotChatWorkLastActivityDate": "2025-08-19",
                "promptsSubmittedForAllApps": 12,
                "activeUsageDaysForAllApps": "3",
                "copilotActivityUserDetailsByPeriod": [{"reportPeriod": 28}],
            }
        ]
    }
    facts = m365.read(write("v2.json", doc)).frames["person_facts"].set_index("fact")
    assert facts.loc["last_activity", "value_date"] is None
    assert facts.loc["last_activity.copilot_chat_work", "value"] == 1.0
    assert facts.loc["prompts_submitted_for_all_apps", "value"] == 12.0
    assert facts.loc["active_usage_days_for_all_apps", "value"] == 3.0


def test_bad_rows_are_rejected_with_field(samples, write):
    text = (samples / "m365_copilot_usage_user_detail_v1.0.csv").read_text()
    header, row = text.splitlines()
    bad_date = row.replace("2026-07-03", "03/07/2026", 1)
    no_upn = row.replace("E58EEF6A6BBD3D0293CB306D24A42057", "")
    short = ",".join(row.split(",")[:5])
    r = m365.read(write("d.csv", "\n".join([header, row, bad_date, no_upn, short]) + "\n"))
    assert len(r.frames["person_facts"]) == 10
    assert sorted((x.locator, x.reason, x.field) for x in r.rejects) == [
        ("d.csv:line 3", "bad_timestamp", "Report Refresh Date"),
        ("d.csv:line 4", "missing_required", "userPrincipalName"),
        ("d.csv:line 5", "malformed_record", None),
    ]


@pytest.mark.parametrize("cell", ["many", "NaN", "inf"])
def test_text_in_a_count_column_is_rejected(samples, write, cell):
    text = (samples / "m365_copilot_user_count_trend_v1.0.csv").read_text()
    header, row = text.splitlines()
    r = m365.read(write("t.csv", header + "\n" + row.replace(",25,", f",{cell},", 1) + "\n"))
    [rej] = r.rejects
    assert (rej.reason, rej.field) == ("bad_type", "Microsoft Teams Enabled Users")


def test_not_an_m365_report(write):
    with pytest.raises(InputError, match="User Principal Name"):
        m365.read(write("x.csv", "a,b\n1,2\n"))
    with pytest.raises(InputError, match=r"\{\"value\""):
        m365.read(write("y.json", [1, 2]))


def test_user_detail_gives_a_seat_and_one_event_per_active_app_day(samples):
    # The beta sample: refresh 2025-08-20, period 7 → seat from 2025-08-14. Dates: any
    # 08-20, chat 08-16, teams 08-20, word 08-06, powerpoint 2025-03-26 → four app-days
    # (the any-app date is teams' day, so it adds none).
    r = m365.read(samples / "m365_copilot_usage_user_detail_beta.json", {"monthly_cost": "30"})
    [seat] = r.frames["licenses"].to_dict("records")
    assert (seat["tool"], seat["assigned_at"], seat["monthly_cost"], seat["evidence"]) == (
        "m365-copilot",
        "2025-08-14T00:00:00Z",
        30.0,
        "m365 user detail",
    )
    ev = r.frames["events"].sort_values("ts")
    assert list(zip(ev["ts"].str[:10], ev["surface"], strict=True)) == [
        ("2025-03-26", "powerpoint"),
        ("2025-08-06", "word"),
        ("2025-08-16", "copilot_chat"),
        ("2025-08-20", "teams"),
    ]
    assert set(ev["quantity"]) == {1} and set(ev["action"]) == {"prompt"}


def test_the_same_app_day_in_two_reports_has_one_id(samples, tmp_path):
    src = (samples / "m365_copilot_usage_user_detail_v1.0.csv").read_text().splitlines()
    header = src[0]
    row = "{},ABC,Name,2025-08-20,2025-08-20,,,,,,,,{}"
    (tmp_path / "d1.csv").write_text(f"{header}\n{row.format('2025-08-20', 1)}\n")
    (tmp_path / "d2.csv").write_text(f"{header}\n{row.format('2025-08-21', 1)}\n")
    first = m365.read(tmp_path / "d1.csv").frames["events"]
    second = m365.read(tmp_path / "d2.csv").frames["events"]
    assert list(first["event_id"]) == list(second["event_id"]) and len(first) == 1
    assert first.iloc[0]["surface"] == "copilot_chat"


def test_a_bad_price_is_refused(samples):
    with pytest.raises(InputError, match="monthly_cost"):
        m365.read(samples / "m365_copilot_usage_user_detail_v1.0.csv", {"monthly_cost": "-3"})


BY_DATE_HEADER = (
    "Report Refresh Date,Report Date,User Principal Name,Display Name,Last Activity Date,"
    "Copilot Chat Last Activity Date,Microsoft Teams Copilot Last Activity Date,"
    "Word Copilot Last Activity Date,Excel Copilot Last Activity Date"
)


def test_by_date_report_gives_only_the_apps_used_on_its_date(write):
    # Report Date 2026-03-10. a: chat and word on the day, teams on 03-02 -> 2 events (the
    # 03-02 date is a last-activity date, not an observation of 03-10). b: nothing on the
    # day (last activity 03-01) -> no event, still a seat and facts.
    rows = [
        "2026-03-12,2026-03-10,a@x.example,A,2026-03-10,2026-03-10,2026-03-02,2026-03-10,",
        "2026-03-12,2026-03-10,b@x.example,B,2026-03-01,,,,",
    ]
    r = m365.read(write("d.csv", "\n".join([BY_DATE_HEADER, *rows]) + "\n"))
    assert r.rejects == [] and r.notes == []
    ev = r.frames["events"]
    assert sorted(zip(ev["person"], ev["surface"], ev["ts"], strict=True)) == [
        ("a@x.example", "copilot_chat", "2026-03-10T00:00:00Z"),
        ("a@x.example", "word", "2026-03-10T00:00:00Z"),
    ]
    assert {json.loads(a)["basis"] for a in ev["attrs"]} == {"by-date report"}
    seats = r.frames["licenses"]
    assert set(seats["assigned_at"]) == {"2026-03-10T00:00:00Z"}
    facts = r.frames["person_facts"]
    assert json.loads(facts["attrs"].iloc[0]) == {"report_date": "2026-03-10"}
    # Facts still keep every last-activity date (teams 03-02 is 10 days before refresh).
    teams = facts[(facts["person"] == "a@x.example") & (facts["fact"] == "last_activity.teams")]
    assert teams["value"].tolist() == [10.0]


def test_by_date_json_pages_follow_next_links_and_share_ids_with_the_period_report(write):
    # Two Graph pages (the second reached via @odata.nextLink) saved as an array; the same
    # app-day in the period report has the same event id, so it is stored once.
    def user(upn: str, chat: str) -> dict[str, object]:
        return {
            "reportRefreshDate": "2026-03-12",
            "reportDate": "2026-03-11",
            "userPrincipalName": upn,
            "displayName": upn.split("@")[0],
            "lastActivityDate": chat,
            "copilotChatLastActivityDate": chat,
            "wordCopilotLastActivityDate": None,
        }

    pages = [
        {
            "@odata.nextLink": "https://graph.example/next",
            "value": [user("a@x.example", "2026-03-11")],
        },
        {"value": [user("b@x.example", "2026-03-11"), user("c@x.example", "2026-03-09")]},
    ]
    by_date = m365.read(write("p.json", pages)).frames["events"]
    assert sorted(by_date["person"]) == ["a@x.example", "b@x.example"]
    period = {"value": [{**user("a@x.example", "2026-03-11"), "reportDate": None}]}
    period["value"][0]["copilotActivityUserDetailsByPeriod"] = [{"reportPeriod": 7}]
    from_period = m365.read(write("period.json", period)).frames["events"]
    assert set(from_period["event_id"]) < set(by_date["event_id"])


def test_date_option_marks_a_file_without_report_date_as_by_date(write):
    header = BY_DATE_HEADER.replace(",Report Date,", ",", 1)
    row = "2026-03-12,a@x.example,A,2026-03-10,2026-03-10,2026-03-11,,"
    path = write("d.csv", f"{header}\n{row}\n")
    assert len(m365.read(path).frames["events"]) == 2  # period-style: both dates
    ev = m365.read(path, {"date": "2026-03-11"}).frames["events"]
    assert ev["surface"].tolist() == ["teams"]
    with pytest.raises(InputError, match="date"):
        m365.read(path, {"date": "11/03/2026"})


def test_bad_report_date_is_rejected_with_its_field(write):
    row = "2026-03-12,yesterday,a@x.example,A,2026-03-10,,,,"
    r = m365.read(write("d.csv", f"{BY_DATE_HEADER}\n{row}\n"))
    assert [(x.reason, x.field) for x in r.rejects] == [("bad_timestamp", "Report Date")]


def test_concealed_names_are_kept_and_said(samples):
    # Both published samples come from a tenant that conceals names.
    for name in (
        "m365_copilot_usage_user_detail_v1.0.csv",
        "m365_copilot_usage_user_detail_beta.json",
    ):
        r = m365.read(samples / name)
        [note] = r.notes
        assert note.startswith("names are concealed in this tenant: 1 of 1 users")
        assert "turn on display of concealed names in the Microsoft 365 admin centre" in note
        assert "ingest a mapping" in note
        assert len(r.frames["person_facts"]) == 10  # the rows are still kept


def test_some_concealed_rows_are_counted_and_real_names_are_not(write):
    rows = [
        "2026-03-12,2026-03-10,a@x.example,A,,,,,",
        "2026-03-12,2026-03-10,0123456789ABCDEF0123456789abcdef,FEDCBA98765432100123456789ABCDEF,,,,,",
        "2026-03-12,2026-03-10,0123456789abcdef0123456789abcdef,Real Name,,,,,",
    ]
    r = m365.read(write("d.csv", "\n".join([BY_DATE_HEADER, *rows]) + "\n"))
    [note] = r.notes
    assert "1 of 3 users" in note
    assert m365.read(write("e.csv", f"{BY_DATE_HEADER}\n{rows[0]}\n")).notes == []
