"""ChatGPT Enterprise User/GPT Engagement CSV exports: period facts, grains, bad input."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uptake.errors import InputError
from uptake.ingest.connectors import CONNECTORS, chatgpt
from uptake.ingest.connectors.base import LOCATOR
from uptake.ingest.connectors.collect import INTERNAL
from uptake.schema.tables import TABLES
from uptake.workspace import Workspace

HERE = Path(__file__).parent
USERS = HERE / "fixtures" / "chatgpt_user_engagement.csv"
GPTS = HERE / "fixtures" / "chatgpt_gpt_engagement.csv"
GLOSSARIES = [
    HERE / "samples" / "openai_chatgpt_glossary_user_engagement.csv",
    HERE / "samples" / "openai_chatgpt_glossary_gpt_engagement.csv",
]
NOW = datetime(2026, 12, 1, tzinfo=UTC)
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _rows(path: Path = USERS) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def _csv(rows: list[dict[str, str]], header: list[str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header or list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _facts(result: Any) -> pd.DataFrame:
    return result.frames["person_facts"].set_index(["person", "fact"])


def test_fixture_gives_43_period_facts_and_5_aggregates_and_no_events():
    # Hand calculation, week 2026-11-02..08 (cadence weekly):
    #   ana, ben, dev: is_active, messages, messages_rank, gpt_messages, gpts_messaged,
    #     tool_messages, tools_messaged (7 numbers) + first/last active in period and
    #     last_day_active (3 dates) = 10 each                                     = 30
    #   chloe: inactive, messages_rank and in-period days blank: 6 numbers + last_day_active = 7
    #   eva (pending): 6 numbers, no dates                                       =  6
    #   -> 43 person facts. The deleted user has no e-mail: users 1, active_users 0,
    #   messages 0, gpt_messages 0, tool_messages 0 -> 5 aggregate facts.
    r = chatgpt.read(USERS)
    assert r.rejects == []
    assert r.source_rows == 6
    assert set(r.frames) == {"person_facts", "aggregate_facts"}
    pf = r.frames["person_facts"]
    assert len(pf) == 43
    assert pf.groupby("person").size().to_dict() == {
        "ana.silva@corp.example": 10,
        "ben.okafor@corp.example": 10,
        "chloe.martin@corp.example": 7,
        "dev.patel@corp.example": 10,
        "eva.novak@corp.example": 6,
    }
    assert set(pf["report_date"]) == {"2026-11-02"}
    assert set(pf["source"]) == set(pf["tool"]) == {"chatgpt-enterprise"}
    assert all(f.startswith("week.") for f in pf["fact"])
    facts = _facts(r)
    ana = "ana.silva@corp.example"
    assert facts.loc[(ana, "week.messages"), "value"] == 142.0
    assert facts.loc[(ana, "week.gpt_messages"), "value"] == 37.0
    assert facts.loc[(ana, "week.tool_messages"), "value"] == 21.0
    assert facts.loc[(ana, "week.is_active"), "value"] == 1.0
    assert facts.loc[(ana, "week.first_active_day"), "value_date"] == "2026-11-02"
    assert facts.loc[(ana, "week.last_active_day"), "value_date"] == "2026-11-06"
    assert facts.loc[(ana, "week.last_active_day"), "value"] is None
    chloe = "chloe.martin@corp.example"
    assert facts.loc[(chloe, "week.is_active"), "value"] == 0.0
    assert facts.loc[(chloe, "week.last_active_day_any_period"), "value_date"] == "2026-10-21"
    assert (chloe, "week.messages_rank") not in facts.index
    attrs = json.loads(str(facts.loc[("ben.okafor@corp.example", "week.messages"), "attrs"]))
    assert attrs["granularity"] == "week"
    assert (attrs["period_start"], attrs["period_end"]) == ("2026-11-02", "2026-11-08")
    assert attrs["department"] == ["Engineering"]
    assert attrs["user_role"] == "admin"
    assert "name" not in attrs and "public_id" not in attrs
    agg = r.frames["aggregate_facts"].set_index("metric")
    assert agg["value"].to_dict() == {
        "week.users": 1.0,
        "week.active_users": 0.0,
        "week.messages": 0.0,
        "week.gpt_messages": 0.0,
        "week.tool_messages": 0.0,
    }
    assert set(agg["scope"]) == {"account:3f6c1e2a-8b7d-4c55-9a10-2d4e6f8a0b1c"}
    assert json.loads(agg["dims"].iloc[0]) == {
        "period_end": "2026-11-08",
        "subset": "users without e-mail",
    }
    text = pf.to_csv() + r.frames["aggregate_facts"].to_csv()
    for identifier in ("Ana Silva", "user-Qm4sT9vXk2LpA7wZ", "user-Pw9eJ4bUz7KmY2sD"):
        assert identifier not in text


@pytest.mark.parametrize("path", GLOSSARIES, ids=lambda p: p.name)
def test_the_glossary_itself_is_refused(path):
    with pytest.raises(InputError, match="glossary") as err:
        chatgpt.read(path)
    assert path.name in err.value.message


def test_weekly_and_monthly_exports_starting_the_same_day_keep_both(write):
    # 2026-06-01 is a Monday: the week and the month both start that day.
    week = [{**r, "period_start": "2026-06-01", "period_end": "2026-06-07"} for r in _rows()[:2]]
    month = [
        {**r, "cadence": "monthly", "period_start": "2026-06-01", "period_end": "2026-06-30"}
        for r in _rows()[:2]
    ]
    weekly = chatgpt.read(write("w.csv", _csv(week))).frames["person_facts"]
    monthly = chatgpt.read(write("m.csv", _csv(month))).frames["person_facts"]
    both = pd.concat([weekly, monthly])
    key = list(TABLES["person_facts"].key)
    assert not both.duplicated(key).any()
    assert len(both) == 40
    assert set(monthly["fact"]) == {f.replace("week.", "month.") for f in weekly["fact"]}
    assert {json.loads(a)["granularity"] for a in monthly["attrs"]} == {"month"}


@pytest.mark.parametrize(
    ("start", "end", "option", "grain"),
    [
        ("2026-11-02", "2026-11-08", None, "week"),
        ("2026-11-02", "2026-11-09", None, "week"),
        ("2026-10-01", "2026-10-31", None, "month"),
        ("2026-02-01", "2026-03-01", None, "month"),
        ("2026-10-01", "2026-10-10", "month", "month"),
        ("2026-10-05", "", "week", "week"),
    ],
)
def test_grain_without_cadence_comes_from_dates_or_option(write, start, end, option, grain):
    rows = [{k: v for k, v in r.items() if k != "cadence"} for r in _rows()[:1]]
    rows[0].update(period_start=start, period_end=end)
    opts = {"period": option} if option else {}
    r = CONNECTORS["chatgpt-enterprise"].read(write("x.csv", _csv(rows)), opts)
    assert r.rejects == []
    pf = r.frames["person_facts"]
    assert {f.split(".")[0] for f in pf["fact"]} == {grain}
    attrs = json.loads(pf["attrs"].iloc[0])
    assert attrs["period_end"] == (end or "2026-10-11")


def test_period_problems_are_rejected_per_row(write):
    base = _rows()[0]
    no_cadence = {**base, "cadence": "", "period_end": "2026-11-12"}
    odd_cadence = {**base, "cadence": "daily"}
    backwards = {**base, "period_end": "2026-10-01"}
    bad_day = {**base, "period_start": "2026-11-31"}
    r = chatgpt.read(write("p.csv", _csv([no_cadence, odd_cadence, backwards, bad_day, base])))
    assert [(x.reason, x.field) for x in r.rejects] == [
        ("missing_required", "cadence"),
        ("bad_enum", "cadence"),
        ("bad_timestamp", "period_end"),
        ("bad_timestamp", "period_start"),
    ]
    assert "--option period=week" in (r.rejects[0].detail or "")
    assert [x.locator for x in r.rejects] == [f"p.csv:line {i}" for i in (2, 3, 4, 5)]
    assert len(r.frames["person_facts"]) == 10


def test_option_period_contradicting_cadence_and_a_bad_option(write):
    path = write("c.csv", _csv(_rows()[:1]))
    r = CONNECTORS["chatgpt-enterprise"].read(path, {"period": "month"})
    assert [(x.reason, x.field) for x in r.rejects] == [("bad_enum", "cadence")]
    with pytest.raises(InputError, match="period='daily'"):
        CONNECTORS["chatgpt-enterprise"].read(path, {"period": "daily"})
    with pytest.raises(InputError, match="no option 'grain'"):
        CONNECTORS["chatgpt-enterprise"].read(path, {"grain": "week"})


def test_wrong_types_reject_the_whole_row_naming_the_field(write):
    base = _rows()[0]
    bad = [
        {**base, "messages": "lots"},
        {**base, "is_active": "maybe"},
        {**base, "gpt_messages": "-3"},
        {**base, "first_day_active_in_period": "Nov 3"},
    ]
    r = chatgpt.read(write("t.csv", _csv([*bad, base])))
    assert [(x.reason, x.field) for x in r.rejects] == [
        ("bad_type", "messages"),
        ("bad_type", "is_active"),
        ("bad_type", "gpt_messages"),
        ("bad_timestamp", "first_day_active_in_period"),
    ]
    # Rejected rows leave nothing behind: only the good row's 10 facts.
    assert len(r.frames["person_facts"]) == 10
    assert set(r.frames["person_facts"]["__locator"]) == {"t.csv:line 6"}


def test_truncated_file_quarantines_the_cut_row(write):
    text = USERS.read_text()
    cut = text[: text.index("dev.patel") + 5]
    r = chatgpt.read(write("cut.csv", cut))
    assert [(x.locator, x.reason) for x in r.rejects] == [("cut.csv:line 5", "malformed_record")]
    assert set(r.frames["person_facts"]["person"]) == {
        "ana.silva@corp.example",
        "ben.okafor@corp.example",
        "chloe.martin@corp.example",
    }


@pytest.mark.parametrize(
    "content",
    [
        '{"items": [1, 2]}',
        "\x00\x01garbage\x02",
        "messages,email\n3,a@b.example\n",
        "period_start,messages\n2026-11-02,3\n",
    ],
)
def test_not_an_engagement_export_is_refused(write, content):
    with pytest.raises(InputError) as err:
        chatgpt.read(write("odd.csv", content))
    assert "odd.csv" in err.value.message


def test_project_engagement_export_is_named_as_unsupported(write):
    text = "cadence,period_start,period_end,project_id,project_creator_email\n"
    with pytest.raises(InputError, match="Project Engagement export is not supported"):
        chatgpt.read(write("projects.csv", text + "weekly,2026-11-02,2026-11-08,p1,a@b.c\n"))


def test_extra_columns_numbers_kept_text_allow_listed_identifiers_dropped(write):
    rows = _rows()[:1]
    rows[0].update(
        {
            "project_messages": "6",
            "days_active": "4",
            "credits_used": "12.5",
            "seat_type": "enterprise",
            "favourite_colour": "green",
            "manager_email": "boss@corp.example",
            "model_to_messages": '{"gpt-5": 120, "gpt-5-thinking": 22}',
            "tool_to_messages": "search:12;python:9",
        }
    )
    r = chatgpt.read(write("extra.csv", _csv(rows)))
    assert r.rejects == []
    facts = r.frames["person_facts"].set_index("fact")
    assert facts.loc["week.project_messages", "value"] == 6.0
    assert facts.loc["week.active_days", "value"] == 4.0
    assert facts.loc["week.credits_used", "value"] == 12.5
    assert len(facts) == 13
    messages = json.loads(str(facts.loc["week.messages", "attrs"]))
    assert messages["by_model"] == {"gpt-5": 120.0, "gpt-5-thinking": 22.0}
    assert messages["extra"] == {"seat_type": "enterprise"}
    assert "by_model" not in json.loads(str(facts.loc["week.gpt_messages", "attrs"]))
    assert any("favourite_colour, manager_email" in n for n in r.notes)
    assert any("tool_to_messages" in n for n in r.notes)
    assert "boss@corp.example" not in r.frames["person_facts"].to_csv()


def test_rows_without_email_are_summed_per_period(write):
    rows = _rows()
    anon = [{**rows[0], "email": "", "name": "", "public_id": f"user-{i}"} for i in range(3)]
    anon[2]["is_active"] = "False"
    r = chatgpt.read(write("anon.csv", _csv([*anon, rows[1]])))
    agg = r.frames["aggregate_facts"].set_index("metric")["value"].to_dict()
    assert agg["week.users"] == 3.0
    assert agg["week.active_users"] == 2.0
    assert agg["week.messages"] == 3 * 142.0
    assert "week.messages_rank" not in agg and "week.gpts_messaged" not in agg
    assert set(r.frames["aggregate_facts"]["__locator"]) == {"anon.csv:line 2"}
    assert len(r.frames["person_facts"]) == 10
    assert any("3 row(s) without an e-mail" in n for n in r.notes)


def test_gpt_engagement_export_gives_aggregate_facts_per_gpt():
    # 3 GPTs x (is_active, messages_workspace, unique_messagers_workspace) = 9 facts.
    r = chatgpt.read(GPTS)
    assert r.rejects == []
    assert set(r.frames) == {"aggregate_facts"}
    agg = r.frames["aggregate_facts"]
    assert len(agg) == 9
    assert set(agg["day"]) == {"2026-10-01"}
    key = agg.set_index(["metric", "dims"])["value"]
    dims = '{"gpt_id":"g-7xK2mQp9R","period_end":"2026-10-31"}'
    assert key["month.gpt.messages_workspace", dims] == 412.0
    assert key["month.gpt.unique_messagers_workspace", dims] == 9.0
    text = agg.to_csv()
    assert "chloe.martin" not in text and "Contract Reviewer" not in text


def _check(result: Any, name: str) -> None:
    for table, frame in result.frames.items():
        spec = TABLES[table]
        assert list(frame.columns) == [*spec.names, LOCATOR]
        for column in spec.required:
            assert frame[column].notna().all(), (table, column)
        for value in frame["attrs" if table == "person_facts" else "dims"].dropna():
            json.loads(value)
    for rej in result.rejects:
        assert not (rej.detail or "").startswith(INTERNAL), rej
        assert rej.locator.startswith(name), rej


def _read_mutated(name: str, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            result = chatgpt.read(path)
        except InputError as exc:
            assert name in exc.message, exc.message
            return
        _check(result, name)


@FUZZ
@given(data=st.data())
def test_mutated_cells_and_truncation_never_traceback(data):
    source = data.draw(st.sampled_from([USERS, GPTS]))
    rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8"), newline="")))
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        r = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
        c = data.draw(st.integers(min_value=0, max_value=len(rows[r]) - 1))
        rows[r][c] = data.draw(
            st.one_of(
                st.text(max_size=12),
                st.sampled_from(["", "1e400", "NaN", "-1", "2026-02-30", "True", "{}", "[1"]),
            )
        )
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    content = out.getvalue().encode()
    cut = data.draw(st.integers(min_value=len(content) // 2, max_value=len(content)))
    _read_mutated(source.name, content[:cut])


def test_workspace_ingest_lands_rows_and_reingest_adds_nothing(tmp_path):
    with Workspace.init(tmp_path / "ws") as ws:
        first = ws.ingest("events", [USERS], fmt="chatgpt-enterprise", now=NOW)
        assert sum(r.quarantined for r in first) == 0
        accepted: dict[str, int] = {}
        for res in first:
            accepted[res.table] = accepted.get(res.table, 0) + res.accepted
        assert accepted == {"person_facts": 43, "aggregate_facts": 5}
        again = ws.ingest("events", [USERS], fmt="chatgpt-enterprise", now=NOW)
        assert sum(r.accepted for r in again) == 0
        assert sum(r.duplicates for r in again) == 43 + 5
