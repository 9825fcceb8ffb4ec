"""Legacy GitHub Copilot metrics API: aggregate facts from the sample."""

from __future__ import annotations

import json

import pytest

from uptake.errors import InputError
from uptake.ingest.connectors import github_metrics

METRICS = "github_copilot_metrics_org.json"


def test_sample_gives_48_aggregate_facts(samples):
    # Hand calculation for the one day, 2024-06-24:
    #   top level: total_active_users, total_engaged_users                          =  2
    #   copilot_ide_code_completions: total 1; languages python, ruby 2; editor vscode 1;
    #     vscode/default 1; vscode/default/python 5 counters, /ruby 5; editor neovim 1;
    #     neovim/a-custom-model 0 (no total_engaged_users); /typescript 5, /go 5     = 26
    #   copilot_ide_chat: total 1; vscode 1; default model 4 counters; custom 4     = 10
    #   copilot_dotcom_chat: total 1; default model engaged + chats 2               =  3
    #   copilot_dotcom_pull_requests: total 1; repo1 1, repo1/default 2;
    #     repo2 1, repo2/a-custom-model 2                                           =  7
    # Total 2 + 26 + 10 + 3 + 7 = 48.
    r = github_metrics.read(samples / METRICS)
    assert r.rejects == []
    facts = r.frames["aggregate_facts"]
    assert len(facts) == 48
    assert set(facts["day"]) == {"2024-06-24"}
    assert set(facts["scope"]) == {"organization"}
    key = facts.set_index(["metric", "dims"])["value"]
    assert key["total_active_users", "{}"] == 24.0
    dims = '{"editor":"vscode","language":"python","model":"default"}'
    assert key["copilot_ide_code_completions.total_code_suggestions", dims] == 249.0
    assert key["copilot_ide_code_completions.total_code_acceptances", dims] == 123.0
    assert key["copilot_dotcom_chat.total_chats", '{"model":"default"}'] == 38.0
    repo2 = '{"model":"a-custom-model","repository":"demo/repo2"}'
    assert key["copilot_dotcom_pull_requests.total_pr_summaries_created", repo2] == 10.0
    # Suggestions summed over every editor/model/language cell = 249 + 496 + 112 + 132.
    sugg = facts[facts["metric"] == "copilot_ide_code_completions.total_code_suggestions"]
    assert sugg["value"].sum() == 989.0


def test_scope_param(samples):
    r = github_metrics.read(samples / METRICS, {"scope": "team:acme/platform"})
    assert set(r.frames["aggregate_facts"]["scope"]) == {"team:acme/platform"}


def test_missing_sections_are_tolerated(write):
    # Real responses omit whole sections, e.g. copilot_dotcom_chat without models.
    day = {
        "date": "2024-06-25",
        "total_active_users": 3,
        "copilot_dotcom_chat": {"total_engaged_users": 0},
        "copilot_ide_chat": None,
        "brand_new_section": {"total_engaged_users": 2, "items": [{"name": "x", "n_count": 1}]},
    }
    r = github_metrics.read(write("m.json", [day]))
    assert r.rejects == []
    metrics = set(r.frames["aggregate_facts"]["metric"])
    assert metrics == {
        "total_active_users",
        "copilot_dotcom_chat.total_engaged_users",
        "brand_new_section.total_engaged_users",
        "brand_new_section.n_count",
    }


def test_bad_days_are_rejected(samples, write):
    [day] = json.loads((samples / METRICS).read_text())
    no_date = {k: v for k, v in day.items() if k != "date"}
    text_count = {**day, "total_active_users": "24"}
    nameless = json.loads(json.dumps(day))
    del nameless["copilot_ide_chat"]["editors"][0]["name"]
    r = github_metrics.read(write("m.json", [day, no_date, text_count, nameless]))
    assert len(r.frames["aggregate_facts"]) == 48
    assert [(x.locator, x.reason, x.field) for x in r.rejects] == [
        ("m.json:record 2", "missing_required", "date"),
        ("m.json:record 3", "bad_type", "total_active_users"),
        ("m.json:record 4", "missing_required", "editors[].name"),
    ]


def test_not_the_format(write):
    with pytest.raises(InputError, match="array of daily Copilot metrics"):
        github_metrics.read(write("x.json", {"seats": []}))


def test_every_read_says_the_api_is_history_only(samples):
    r = github_metrics.read(samples / METRICS)
    assert r.notes == [
        "the legacy /copilot/metrics API was shut down on 2026-04-02: history import only"
    ]


def test_registry_marks_the_legacy_connector_historical():
    from uptake.ingest.connectors import CONNECTORS

    description = CONNECTORS["github-copilot-metrics"].description
    assert description.startswith("historical:") and "2026-04-02" in description
