"""GitHub Copilot usage-metrics reports: exact rows from the published samples, and bad input."""

from __future__ import annotations

import json

import pytest

from uptake.errors import InputError
from uptake.ingest.connectors import github_usage

USER = "github_copilot_usage_metrics_user_level_example.json"
ENTERPRISE = "github_copilot_usage_metrics_enterprise_level_example.json"


def test_user_sample_gives_three_events_and_sixteen_facts(samples):
    # Hand calculation from the sample's one record (login1, 2025-10-01):
    # totals_by_feature = [code_completion: prompts 0, generations 1, acceptances 1]
    #   -> suggestion quantity 1, accept quantity 1 (a zero count makes no event)      = 2 events
    # totals_by_cli.prompt_count 2 and no `copilot_cli` feature row -> prompt 2 = 1 event
    # person_facts: scalar fields code_acceptance 1, code_generation 1, loc_added 8,
    #   loc_deleted 0, loc_suggested_to_add 10, loc_suggested_to_delete 0, used_agent 0,
    #   used_chat 0, used_cli 1, user_initiated 0                                   = 10
    #   + totals_by_cli prompt_count 2, request_count 2, session_count 2,
    #     token_usage avg 4400, output 5000, prompt 3800                            =  6
    r = github_usage.read(samples / USER)
    assert r.rejects == []
    assert r.source_rows == 1
    assert set(r.frames) == {"events", "person_facts"}
    ev = r.frames["events"].set_index("action")
    assert sorted(ev.index) == ["accept", "prompt", "suggestion"]
    assert ev.loc["suggestion", "quantity"] == 1
    assert ev.loc["accept", "quantity"] == 1
    assert ev.loc["prompt", "quantity"] == 2
    assert ev.loc["prompt", "surface"] == "cli"
    assert ev.loc["accept", "surface"] == "vscode"
    assert set(ev["person"]) == {"login1"}
    assert set(ev["tool"]) == {"github-copilot"}
    assert set(ev["ts"]) == {"2025-10-01T00:00:00Z"}
    attrs = json.loads(ev.loc["accept", "attrs"])
    assert attrs["feature"] == "code_completion"
    assert attrs["by_language"] == {"unknown": 1.0}
    assert attrs["granularity"] == "day"
    facts = r.frames["person_facts"].set_index("fact")["value"]
    assert len(facts) == 16
    assert facts["loc_added_sum"] == 8.0
    assert facts["used_cli"] == 1.0
    assert facts["used_chat"] == 0.0
    assert facts["totals_by_cli.token_usage.prompt_tokens_sum"] == 3800.0
    assert set(r.frames["person_facts"]["report_date"]) == {"2025-10-01"}


def test_enterprise_sample_gives_96_aggregate_facts(samples):
    # Hand calculation. Record 1 (enterprise 1), its one day:
    #   day-level numbers: acceptance 2, generation 2, daily_active_cli 2, daily_active 2,
    #     loc x4, monthly_active_agent, monthly_active_chat, monthly_active, user_initiated,
    #     weekly_active                                                              = 13
    #   pull_requests: 14 numeric fields                                              = 14
    #   totals_by_cli: prompt, request, session + token_usage avg, output, prompt     =  6
    #   totals_by_feature[code_completion]: acc, gen, loc x4, user_initiated          =  7
    #   totals_by_ide[vscode]: the same 7                                             =  7
    #   totals_by_language_feature[code_completion, unknown]: acc, gen, loc x4        =  6
    #   totals_by_language_model / model_feature: empty                               =  0
    #                                                                           sum   = 53
    # Record 2 (enterprise 2): day-level 12 (no daily_active_cli_users), pull_requests 11
    #   (no median_* fields), no totals_by_cli, feature 7, ide 7, language_feature 6  = 43
    # Total 53 + 43 = 96.
    r = github_usage.read(samples / ENTERPRISE)
    assert r.rejects == []
    assert r.source_rows == 2
    facts = r.frames["aggregate_facts"]
    assert len(facts) == 96
    assert (facts["scope"] == "enterprise:1").sum() == 53
    assert (facts["scope"] == "enterprise:2").sum() == 43
    key = facts.set_index(["scope", "metric", "dims"])["value"]
    assert key["enterprise:1", "daily_active_users", "{}"] == 2.0
    assert key["enterprise:1", "pull_requests.median_minutes_to_merge", "{}"] == 2.5
    assert key["enterprise:2", "loc_added_sum", '{"feature":"code_completion"}'] == 38.0
    assert key["enterprise:1", "totals_by_cli.token_usage.output_tokens_sum", "{}"] == 7000.0
    assert set(facts["day"]) == {"2025-10-01"}
    assert "events" not in r.frames


def test_ndjson_form_gives_the_same_rows_and_ids(samples, write):
    [record] = json.loads((samples / USER).read_text())
    records = [record, {**record, "user_login": "login2"}]
    from_array = github_usage.read(write("users.json", records)).frames["events"]
    path = write("users.ndjson", "\n".join(json.dumps(r) for r in records) + "\n")
    from_ndjson = github_usage.read(path).frames["events"]
    assert len(from_ndjson) == 6
    assert list(from_ndjson["event_id"]) == list(from_array["event_id"])
    assert (
        list(from_ndjson["__locator"]) == ["users.ndjson:line 1"] * 3 + ["users.ndjson:line 2"] * 3
    )


def test_event_ids_are_deterministic(samples):
    first = github_usage.read(samples / USER).frames["events"]["event_id"].tolist()
    second = github_usage.read(samples / USER).frames["events"]["event_id"].tolist()
    assert first == second
    assert len(set(first)) == 3


def test_report_links_file_is_refused_with_a_hint(samples):
    with pytest.raises(InputError, match="download_links"):
        github_usage.read(samples / "github_copilot_usage_metrics_report_links_1day.json")


def test_truncated_document_names_file_and_position(samples, write):
    text = (samples / USER).read_text()
    path = write("cut.json", text[: len(text) // 2])
    with pytest.raises(InputError) as err:
        github_usage.read(path)
    assert "cut.json" in err.value.message
    assert "line" in err.value.message and "truncated" in err.value.message


def test_truncated_last_ndjson_line_is_quarantined_alone(samples, write):
    record = json.loads((samples / USER).read_text())[0]
    line = json.dumps(record)
    path = write("users.ndjson", line + "\n" + line.replace("login1", "login2")[:80])
    r = github_usage.read(path)
    assert len(r.frames["events"]) == 3
    assert [(x.locator, x.reason) for x in r.rejects] == [("users.ndjson:line 2", "bad_json")]


def test_wrong_type_counter_rejects_the_record_naming_the_field(samples, write):
    record = json.loads((samples / USER).read_text())[0]
    record["totals_by_feature"][0]["code_acceptance_activity_count"] = "one"
    r = github_usage.read(write("bad.json", [record]))
    assert r.frames["events"].empty
    [rej] = r.rejects
    assert rej.reason == "bad_type"
    assert rej.field == "totals_by_feature[0].code_acceptance_activity_count"
    assert rej.locator == "bad.json:record 1"


def test_missing_login_and_bad_day_are_rejected(samples, write):
    record = json.loads((samples / USER).read_text())[0]
    no_login = {k: v for k, v in record.items() if k != "user_login"}
    bad_day = {**record, "day": "2025-13-01"}
    r = github_usage.read(write("bad.json", [no_login, bad_day, record]))
    assert [(x.reason, x.field) for x in r.rejects] == [
        ("missing_required", "user_login"),
        ("bad_timestamp", "day"),
    ]
    assert len(r.frames["events"]) == 3


def test_extra_fields_are_read_and_only_allow_listed_ones_kept(samples, write):
    # The localized docs start the record with "ai_credits_used": 12.5; a new feature row
    # and an unknown nested object must not break parsing either.
    record = json.loads((samples / USER).read_text())[0]
    extra = {"future_object": {"x": "y"}, "plan_type": "business", "user_email": "a@b.example"}
    record = {"ai_credits_used": 12.5, **extra, **record}
    record["totals_by_feature"].append(
        {"feature": "chat_panel_agent_mode", "user_initiated_interaction_count": 4, "new": 1}
    )
    r = github_usage.read(write("extra.json", [record]))
    assert r.rejects == []
    ev = r.frames["events"]
    agent = ev[ev["action"] == "prompt"].set_index("surface")
    assert agent.loc["vscode", "quantity"] == 4
    attrs = json.loads(agent.loc["vscode", "attrs"])
    # Unknown numbers become person facts; other unknown fields ride along in attrs only when
    # allow-listed as non-identifying, the rest are named in a note.
    assert attrs["extra"] == {"plan_type": "business"}
    assert "user_id" not in attrs
    assert "a@b.example" not in json.dumps(r.frames["events"].to_dict("records"))
    assert any("future_object, user_email" in n for n in r.notes)
    assert attrs["feature_totals"]["new"] == 1.0
    facts = r.frames["person_facts"].set_index("fact")["value"]
    # Credits are their own fact and, at GitHub's documented 0.01 USD each, a cost.
    assert facts["credits"] == 12.5
    assert facts["cost"] == 0.125
    assert "ai_credits_used" not in facts
    assert "user_id" not in facts


def test_record_without_breakdowns_still_counts_its_totals(write):
    record = {"user_login": "a", "day": "2025-10-02", "user_initiated_interaction_count": 5}
    r = github_usage.read(write("bare.json", [record]))
    [row] = r.frames["events"].to_dict("records")
    assert (row["action"], row["quantity"], json.loads(row["attrs"])["feature"]) == (
        "prompt",
        5,
        "all",
    )


def test_org_scope_comes_from_organization_id(samples, write):
    report = json.loads((samples / ENTERPRISE).read_text())[0]
    report.pop("enterprise_id")
    for day in report["day_totals"]:
        day.pop("enterprise_id")
        day["organization_id"] = "42"
    r = github_usage.read(write("org.json", [report]))
    assert set(r.frames["aggregate_facts"]["scope"]) == {"organization:42"}


def test_unknown_record_shape_is_unsupported(write):
    r = github_usage.read(write("odd.json", [{"hello": "world"}, 3]))
    assert [x.reason for x in r.rejects] == ["unsupported_record", "bad_type"]


def test_not_json_at_all(write):
    with pytest.raises(InputError, match="not valid JSON"):
        github_usage.read(write("x.json", "day,user\n2025-10-01,a\n"))


def _record_2026(samples):
    """The sample user record with the 2026-03-10 fields added."""
    record = json.loads((samples / USER).read_text())[0]
    return {
        **record,
        "ai_adoption_phase": {"phase": "agent first", "phase_number": 2, "version": "v1"},
        "ai_credits_used": 40,
        "totals_by_copilot_app": {
            "session_count": 3,
            "request_count": 9,
            "prompt_count": 7,
            "token_usage": {"prompt_tokens_sum": 100, "output_tokens_sum": 50},
        },
        "totals_by_3rd_party_agent": [
            {
                "agent_id": "claude",
                "agent_name": "Claude (Anthropic)",
                "user_initiated_interaction_count": 5,
            },
            {"agent_id": "codex", "agent_name": "Codex", "user_initiated_interaction_count": 0},
        ],
        "used_copilot_cloud_agent": True,
        "used_copilot_coding_agent": False,
    }


def test_2026_fields_become_facts_and_prompt_events(samples, write):
    # Hand calculation on top of the sample's 3 events and 16 facts:
    #   copilot_app prompt_count 7, no copilot_app feature row -> 1 prompt event (7)
    #   3rd-party claude 5 -> 1 prompt event; codex 0 -> none                  = 5 events
    #   facts: copilot_app session/request/prompt + 2 token sums = 5; phase 1;
    #   credits + cost 2; used_copilot_cloud_agent, used_copilot_coding_agent 2 = 16 + 10
    r = github_usage.read(write("u.json", [_record_2026(samples)]))
    assert r.rejects == []
    ev = r.frames["events"]
    assert len(ev) == 5
    by_feature = {
        json.loads(a)["feature"]: row
        for a, row in zip(ev["attrs"], ev.to_dict("records"), strict=True)
    }
    app = by_feature["copilot_app"]
    assert (app["action"], app["quantity"], app["surface"]) == ("prompt", 7, "copilot_app")
    assert json.loads(app["attrs"])["copilot_app"]["session_count"] == 3
    cli = by_feature["copilot_cli"]
    assert json.loads(cli["attrs"])["cli"]["prompt_count"] == 2
    claude = by_feature["3rd_party_agent:claude"]
    assert (claude["action"], claude["quantity"], claude["surface"]) == ("prompt", 5, None)
    assert json.loads(claude["attrs"])["agent_name"] == "Claude (Anthropic)"
    assert "3rd_party_agent:codex" not in by_feature
    facts = r.frames["person_facts"].set_index("fact")
    assert len(facts) == 26
    assert facts.loc["ai_adoption_phase", "value"] == 2.0
    phase = json.loads(facts.loc["ai_adoption_phase", "attrs"])
    assert (phase["phase"], phase["version"]) == ("agent first", "v1")
    assert facts.loc["credits", "value"] == 40.0
    assert facts.loc["cost", "value"] == 0.4
    assert json.loads(facts.loc["cost", "attrs"])["currency"] == "USD"
    assert facts.loc["totals_by_copilot_app.prompt_count", "value"] == 7.0
    assert facts.loc["totals_by_copilot_app.token_usage.output_tokens_sum", "value"] == 50.0
    assert facts.loc["used_copilot_cloud_agent", "value"] == 1.0
    assert facts.loc["used_copilot_coding_agent", "value"] == 0.0
    assert facts.loc["used_cli", "value"] == 1.0
    # Acceptance stays on code completion: the new prompts are not suggestions or accepts.
    assert set(
        ev.loc[ev["action"] != "prompt", "attrs"].map(lambda a: json.loads(a)["feature"])
    ) == {"code_completion"}


def test_a_feature_row_for_the_app_or_agent_is_not_counted_twice(samples, write):
    record = _record_2026(samples)
    record["totals_by_feature"] += [
        {"feature": "copilot_app", "user_initiated_interaction_count": 7},
        {"feature": "3rd_party_agent:claude", "user_initiated_interaction_count": 5},
    ]
    ev = github_usage.read(write("u.json", [record])).frames["events"]
    prompts = ev[ev["action"] == "prompt"]
    features = sorted(json.loads(a)["feature"] for a in prompts["attrs"])
    assert features == ["3rd_party_agent:claude", "copilot_app", "copilot_cli"]


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        (
            {"ai_adoption_phase": {"phase": "x", "phase_number": 7}},
            "ai_adoption_phase.phase_number",
            "bad_enum",
        ),
        (
            {"ai_adoption_phase": {"phase": "x"}},
            "ai_adoption_phase.phase_number",
            "missing_required",
        ),
        ({"ai_adoption_phase": "agent first"}, "ai_adoption_phase", "bad_type"),
        ({"ai_credits_used": "12"}, "ai_credits_used", "bad_type"),
        (
            {"totals_by_3rd_party_agent": [{"agent_name": "x"}]},
            "totals_by_3rd_party_agent[0].agent_id",
            "missing_required",
        ),
        ({"totals_by_copilot_app": [1]}, "totals_by_copilot_app", "bad_type"),
        ({"used_copilot_cloud_agent": "yes"}, "used_copilot_cloud_agent", "bad_type"),
    ],
)
def test_bad_2026_fields_reject_the_record(samples, write, change, field, reason):
    r = github_usage.read(write("u.json", [{**_record_2026(samples), **change}]))
    [rej] = r.rejects
    assert (rej.reason, rej.field) == (reason, field)
    assert r.frames["events"].empty


TEAMS = [
    {
        "user_id": 1,
        "user_login": "Mona",
        "day": "2026-03-10",
        "organization_id": "9",
        "team_id": 20,
        "slug": "web",
    },
    {
        "user_id": 1,
        "user_login": "mona",
        "day": "2026-03-10",
        "organization_id": "9",
        "team_id": 10,
        "slug": "api",
    },
    {
        "user_id": 2,
        "user_login": "hubot",
        "day": "2026-03-10",
        "organization_id": "9",
        "team_id": 10,
        "slug": "api",
    },
    {
        "user_id": 2,
        "user_login": "hubot",
        "day": "2026-03-11",
        "organization_id": "9",
        "team_id": 10,
        "slug": "api",
    },
]


def test_user_teams_give_one_team_fact_per_person_day(write):
    # mona is in two teams on 03-10 -> one fact, value 2, primary team "api" (first slug);
    # hubot in api on two days -> two facts. 4 source rows, 3 facts.
    path = write("teams.ndjson", "\n".join(json.dumps(t) for t in TEAMS) + "\n")
    r = github_usage.read(path)
    assert r.rejects == [] and r.source_rows == 4
    assert set(r.frames) == {"person_facts"}
    facts = r.frames["person_facts"]
    assert len(facts) == 3 and set(facts["fact"]) == {"github_team"}
    mona = facts[facts["person"].str.lower() == "mona"].iloc[0]
    assert (mona["report_date"], mona["value"]) == ("2026-03-10", 2.0)
    attrs = json.loads(mona["attrs"])
    assert (attrs["slug"], attrs["team_id"], attrs["organization_id"]) == ("api", "10", "9")
    assert [t["slug"] for t in attrs["teams"]] == ["api", "web"]
    assert sorted(facts.loc[facts["person"] == "hubot", "report_date"]) == [
        "2026-03-10",
        "2026-03-11",
    ]
    # The order of the rows in the file does not change the primary team.
    again = github_usage.read(write("rev.json", TEAMS[::-1])).frames["person_facts"]
    assert sorted(json.loads(a)["slug"] for a in again["attrs"]) == ["api", "api", "api"]


def test_bad_team_rows_are_rejected_and_the_rest_kept(write):
    rows = [
        {"user_login": "a", "day": "2026-03-10", "team_id": 3},
        {"user_login": "b", "day": "2026-03-10", "slug": None, "team_id": None},
        {"user_login": "c", "day": "10/03/2026", "slug": "x"},
        {"user_login": "d", "day": "2026-03-10", "slug": ["x"]},
    ]
    r = github_usage.read(write("t.json", rows))
    assert [(x.reason, x.field) for x in r.rejects] == [
        ("missing_required", "slug"),
        ("bad_timestamp", "day"),
        ("bad_type", "slug"),
    ]
    [fact] = r.frames["person_facts"].to_dict("records")
    assert json.loads(fact["attrs"])["slug"] == "team-3"
