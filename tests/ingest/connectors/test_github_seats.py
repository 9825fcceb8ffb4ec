"""GitHub Copilot seat assignments: licences and last-activity facts from the sample."""

from __future__ import annotations

import json

import pytest

from uptake.errors import InputError
from uptake.ingest.connectors import github_seats

SEATS = "github_copilot_billing_seats_org.json"


def test_sample_gives_two_licenses_and_four_facts(samples):
    # Hand calculation: two seats -> two licences.
    #   octocat:    created_at 2021-08-03T18:00:00-06:00 = 2021-08-04T00:00:00Z, no cancellation
    #   octokitten: created_at 2021-09-23T18:00:00-06:00 = 2021-09-24T00:00:00Z,
    #               pending_cancellation_date 2021-11-01 -> removed_at 2021-11-01T00:00:00Z
    # Facts: last_activity and last_authenticated per seat = 4. The snapshot date is the
    # latest time in the file: last_authenticated_at 2021-10-14T00:53:32-06:00
    # = 2021-10-14T06:53:32Z -> report_date 2021-10-14.
    #   octocat last activity 2021-10-14T06:53:32Z -> 0 days; octokitten 2021-10-13 -> 1 day.
    r = github_seats.read(samples / SEATS)
    assert r.rejects == []
    lic = r.frames["licenses"].set_index("person")
    assert list(lic.index) == ["octocat", "octokitten"]
    assert lic.loc["octocat", "assigned_at"] == "2021-08-04T00:00:00Z"
    assert lic.loc["octocat", "removed_at"] is None
    assert lic.loc["octokitten", "assigned_at"] == "2021-09-24T00:00:00Z"
    assert lic.loc["octokitten", "removed_at"] == "2021-11-01T00:00:00Z"
    assert set(lic["tool"]) == {"github-copilot"}
    facts = r.frames["person_facts"]
    assert len(facts) == 4
    assert set(facts["report_date"]) == {"2021-10-14"}
    act = facts[facts["fact"] == "last_activity"].set_index("person")
    assert act.loc["octocat", "value_date"] == "2021-10-14"
    assert act.loc["octocat", "value"] == 0.0
    assert act.loc["octokitten", "value_date"] == "2021-10-13"
    assert act.loc["octokitten", "value"] == 1.0
    attrs = json.loads(act.loc["octocat", "attrs"])
    assert attrs["editor_name"] == "vscode"
    assert attrs["plugin_version"] == "1.86.82"
    assert attrs["plan_type"] == "business"
    assert attrs["assigning_team"] == "justice-league"


def test_params_set_report_date_and_cost(samples):
    r = github_seats.read(
        samples / SEATS, {"params": {"report_date": "2021-10-31", "monthly_cost": "19"}}
    )
    assert set(r.frames["licenses"]["monthly_cost"]) == {19.0}
    facts = r.frames["person_facts"]
    assert set(facts["report_date"]) == {"2021-10-31"}
    act = facts[facts["fact"] == "last_activity"].set_index("person")
    assert act.loc["octokitten", "value"] == 18.0


def test_bad_cost_param_is_a_clear_error(samples):
    with pytest.raises(InputError, match="monthly_cost"):
        github_seats.read(samples / SEATS, {"monthly_cost": "nineteen"})


def test_bad_seats_are_rejected_one_by_one(samples, write):
    doc = json.loads((samples / SEATS).read_text())
    good = doc["seats"][0]
    doc["seats"] = [
        good,
        {**good, "assignee": None},
        {**good, "plan_type": "gold"},
        {**good, "created_at": "yesterday"},
        {**good, "assignee": {"login": 7.5}},
        "not a seat",
    ]
    r = github_seats.read(write("seats.json", doc))
    assert len(r.frames["licenses"]) == 1
    assert [(x.locator, x.reason, x.field) for x in r.rejects] == [
        ("seats.json:seat 2", "missing_required", "assignee"),
        ("seats.json:seat 3", "bad_enum", "plan_type"),
        ("seats.json:seat 4", "bad_timestamp", "created_at"),
        ("seats.json:seat 5", "bad_type", "assignee.login"),
        ("seats.json:seat 6", "bad_type", "seat"),
    ]


def test_several_pages_as_ndjson(samples, write):
    doc = json.loads((samples / SEATS).read_text())
    first, second = dict(doc, seats=doc["seats"][:1]), dict(doc, seats=doc["seats"][1:])
    path = write("pages.ndjson", json.dumps(first) + "\n" + json.dumps(second) + "\n")
    r = github_seats.read(path)
    assert list(r.frames["licenses"]["__locator"]) == [
        "pages.ndjson:line 1:seat 1",
        "pages.ndjson:line 2:seat 1",
    ]


def test_wrong_shapes_are_clear_errors(samples, write):
    with pytest.raises(InputError, match="field seats"):
        github_seats.read(write("a.json", {"total_seats": 1, "seats": {"login": "x"}}))
    with pytest.raises(InputError, match="expected the seats response"):
        github_seats.read(write("b.json", "42"))
    text = (samples / SEATS).read_text()
    with pytest.raises(InputError, match="truncated"):
        github_seats.read(write("c.json", text[:-40]))


def test_extra_fields_are_tolerated(samples, write):
    doc = json.loads((samples / SEATS).read_text())
    doc["new_top_level"] = True
    for seat in doc["seats"]:
        seat["future_field"] = {"a": 1}
        seat["assignee"]["email"] = None
    r = github_seats.read(write("extra.json", doc))
    assert r.rejects == []
    assert len(r.frames["licenses"]) == 2
