"""Vendor aggregates shown as aggregates: GitHub's and Microsoft's numbers beside uptake's.

Hand-built warehouses with known answers: the acceptance rate counts code completion only,
the per-user report wins over the aggregate, the aggregate is the fallback, M365 enabled
against active users per app, people counts below k hidden, and the not-available cases.
The last tests ingest the vendors' published samples through a Workspace.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from uptake.config import MetricsSettings
from uptake.metrics import compute_all
from uptake.metrics.facts import refresh
from uptake.metrics.result import MetricResult
from uptake.metrics.tool_mix import shared_plan
from uptake.workspace import Workspace

AS_OF = date(2024, 3, 31)  # window of 28 days: 2024-03-04 … 2024-03-31
K = 3
GH, M365 = "github-copilot", "m365-copilot"
SAMPLES = Path(__file__).resolve().parents[1] / "ingest" / "connectors" / "samples"


def _agg(
    wh: Any,
    day: str,
    metric: str,
    value: float,
    *,
    dims: dict[str, str] | None = None,
    scope: str | None = "enterprise:1",
    source: str = "github-copilot-usage",
    tool: str = GH,
) -> None:
    wh.insert(
        "aggregate_facts",
        day=date.fromisoformat(day),
        source=source,
        tool=tool,
        metric=metric,
        scope=scope,
        dims=json.dumps(dims or {}, sort_keys=True, separators=(",", ":")),
        value=value,
    )


def _gh_event(wh: Any, person: str, day: str, action: str, feature: str, quantity: int) -> None:
    """One row of the GitHub per-user report as the connector stores it."""
    wh.insert(
        "events",
        event_id=f"{person}-{day}-{action}-{feature}",
        ts=date.fromisoformat(day),
        person_key=person,
        tool=GH,
        action=action,
        quantity=quantity,
        attrs=json.dumps({"feature": feature, "granularity": "day"}, separators=(",", ":")),
    )


def _fact(wh: Any, person: str, day: str, fact: str, value: float) -> None:
    wh.insert(
        "person_facts",
        person_key=person,
        source="github-copilot-usage",
        tool=GH,
        report_date=date.fromisoformat(day),
        fact=fact,
        value=value,
    )


def _run(wh: Any, as_of: date = AS_OF, k: int = K) -> dict[str, MetricResult]:
    refresh(wh.engine, MetricsSettings())
    report = compute_all(wh.engine, as_of, MetricsSettings(), k, families=["vendor"])
    return report.results


def _doc(res: MetricResult) -> dict[str, Any]:
    return res.to_dict()


# -- GitHub: the acceptance rate ---------------------------------------------------------------


def test_acceptance_rate_counts_code_completion_only_and_prefers_the_per_user_report(
    wh: Any,
) -> None:
    for i, p in enumerate(("p1", "p2", "p3")):
        wh.person(p)
        wh.license(p, "2024-01-01", tool=GH)
        _gh_event(wh, p, "2024-03-20", "suggestion", "code_completion", 10)
        _gh_event(wh, p, "2024-03-20", "accept", "code_completion", 4 + i)  # 4, 5, 6
        # Agent edits are not suggestions: huge counts that must not move the rate.
        _gh_event(wh, p, "2024-03-20", "suggestion", "agent_edit", 100_000)
        _gh_event(wh, p, "2024-03-20", "accept", "agent_edit", 99_999)
        _gh_event(wh, p, "2024-03-21", "prompt", "chat_panel_ask_mode", 7)
    # Outside the window: not counted.
    _gh_event(wh, "p1", "2024-02-01", "suggestion", "code_completion", 1_000)
    # The aggregate says something else; the per-user report wins.
    _agg(
        wh, "2024-03-20", "code_generation_activity_count", 100, dims={"feature": "code_completion"}
    )
    _agg(
        wh, "2024-03-20", "code_acceptance_activity_count", 90, dims={"feature": "code_completion"}
    )
    doc = _doc(_run(wh)["vendor_github_copilot"])
    assert doc["acceptance_source"] == "per-user report"
    assert doc["acceptances"] == 15 and doc["generations"] == 30
    assert doc["acceptance_rate"] == pytest.approx(0.5)
    assert doc["value"] == pytest.approx(0.5)
    assert doc["acceptance_people"] == 3
    assert doc["uptake"]["licensed_people"] == 3
    assert doc["uptake"]["active_people"] == 3


def test_aggregate_fallback_reads_the_code_completion_breakdown_of_the_widest_scope(
    wh: Any,
) -> None:
    cc = {"feature": "code_completion"}
    for day, gen, acc in (("2024-03-10", 100, 30), ("2024-03-31", 100, 50)):
        _agg(wh, day, "code_generation_activity_count", gen, dims=cc)
        _agg(wh, day, "code_acceptance_activity_count", acc, dims=cc)
        # Totals over every feature, agent edits, and a finer breakdown: none counted.
        _agg(wh, day, "code_generation_activity_count", 5_000)
        _agg(wh, day, "code_acceptance_activity_count", 4_900)
        _agg(wh, day, "code_generation_activity_count", 9_999, dims={"feature": "agent_edit"})
        _agg(wh, day, "code_acceptance_activity_count", 9_998, dims={"feature": "agent_edit"})
        lang = {**cc, "language": "python"}
        _agg(wh, day, "code_generation_activity_count", gen, dims=lang)
        _agg(wh, day, "code_acceptance_activity_count", acc, dims=lang)
        # An organisation inside the enterprise: its numbers are already in the enterprise's.
        org = "organization:acme"
        _agg(wh, day, "code_generation_activity_count", 10, dims=cc, scope=org)
        _agg(wh, day, "code_acceptance_activity_count", 10, dims=cc, scope=org)
    # Before the window.
    _agg(wh, "2024-03-03", "code_generation_activity_count", 1_000, dims=cc)
    _agg(wh, "2024-03-03", "code_acceptance_activity_count", 0, dims=cc)
    doc = _doc(_run(wh)["vendor_github_copilot"])
    assert doc["acceptance_source"] == "enterprise aggregate"
    assert (doc["acceptances"], doc["generations"]) == (80, 200)
    assert doc["acceptance_rate"] == pytest.approx(0.4)
    assert doc["basis"] == "vendor aggregate"
    assert doc["scope"] == "enterprise:1"
    assert doc["days_covered"] == 2
    assert (doc["first_day"], doc["latest_day"]) == ("2024-03-10", "2024-03-31")


def test_active_users_latest_day_mean_and_small_counts_hidden(wh: Any) -> None:
    for day, dau, wau, mau in (("2024-03-10", 10, 20, 30), ("2024-03-30", 14, 22, 31)):
        _agg(wh, day, "daily_active_users", dau)
        _agg(wh, day, "weekly_active_users", wau)
        _agg(wh, day, "monthly_active_users", mau)
    _agg(wh, "2024-03-30", "daily_active_cli_users", 2)  # below k: hidden
    _agg(wh, "2024-03-30", "monthly_active_agent_users", 0)  # a true zero: shown
    _agg(wh, "2024-03-30", "pull_requests.total_created", 5)
    _agg(wh, "2024-03-10", "pull_requests.total_created", 7)
    _agg(wh, "2024-03-30", "pull_requests.median_minutes_to_merge", 42.5)
    doc = _doc(_run(wh)["vendor_github_copilot"])
    assert (doc["daily_active_users"], doc["weekly_active_users"]) == (14, 22)
    assert doc["monthly_active_users"] == 31
    assert doc["mean_daily_active_users"] == 12
    assert doc["daily_active_cli_users"] is None
    assert doc["hidden"]["daily_active_cli_users"] == "small"
    assert doc["monthly_active_agent_users"] == 0
    assert doc["pull_requests"]["total_created"] == 12
    assert doc["pull_requests"]["median_minutes_to_merge_latest_day"] == 42.5
    # No code-completion numbers anywhere: no rate, said so, never 0.
    assert doc["acceptance_rate"] is None and doc["value"] is None
    assert any("no code-completion" in n for n in doc["notes"])
    # uptake has no seats and no events of the tool: it says what it needs.
    assert any("needs licenses" in n for n in doc["notes"])


def test_several_scopes_add_up_and_a_small_one_is_hidden_with_a_cover(wh: Any) -> None:
    _agg(wh, "2024-03-30", "monthly_active_users", 2, scope="enterprise:1")
    _agg(wh, "2024-03-30", "monthly_active_users", 40, scope="enterprise:2")
    _agg(wh, "2024-03-30", "monthly_active_users", 500, scope="organization:x")
    doc = _doc(_run(wh)["vendor_github_copilot"])
    assert doc["scope"] == "enterprise:1, enterprise:2"
    assert doc["monthly_active_users"] == 42
    one, two = doc["by_scope"]["enterprise:1"], doc["by_scope"]["enterprise:2"]
    assert one["monthly_active_users"] is None and one["hidden"]["monthly_active_users"] == "small"
    # Otherwise 42 − 40 gives the hidden scope back.
    assert two["monthly_active_users"] is None
    assert two["hidden"]["monthly_active_users"] == "complementary"


def test_small_populations_are_hidden_and_the_aggregate_is_no_way_around_it(wh: Any) -> None:
    for p in ("p1", "p2"):
        wh.person(p)
        wh.license(p, "2024-01-01", tool=GH)
        _gh_event(wh, p, "2024-03-20", "suggestion", "code_completion", 10)
        _gh_event(wh, p, "2024-03-20", "accept", "code_completion", 5)
        _fact(wh, p, "2024-03-20", "used_chat", 1)
        _fact(wh, p, "2024-03-20", "used_cli", 0)
    cc = {"feature": "code_completion"}
    _agg(wh, "2024-03-20", "code_generation_activity_count", 20, dims=cc)
    _agg(wh, "2024-03-20", "code_acceptance_activity_count", 10, dims=cc)
    res = _run(wh)["vendor_github_copilot"]
    doc = _doc(res)
    assert doc["acceptance_source"] == "per-user report"
    assert doc["acceptance_rate"] is None and doc["hidden"]["acceptance_rate"] == "small"
    assert doc["acceptances"] is None and doc["generations"] is None
    side = doc["uptake"]
    assert side["licensed_people"] is None and side["hidden"]["licensed_people"] == "small"
    assert side["chat_users"] is None and side["hidden"]["chat_users"] == "small"
    assert side["cli_users"] == 0  # nobody: a true zero describes no one
    assert res.value is None


def test_uptakes_counts_hide_what_the_per_tool_views_hide(wh: Any) -> None:
    # Seven seat holders, six of them active, and one person active without a seat: each
    # per-tool group is 1 apart from another, so the per-tool release hides some of them.
    for i in range(8):
        p = f"p{i}"
        wh.person(p)
        if i < 7:
            wh.license(p, "2024-01-01", tool=GH)
        if i != 0:
            _gh_event(wh, p, "2024-03-20", "suggestion", "code_completion", 10)
            _fact(wh, p, "2024-03-20", "used_chat", 1 if i != 1 else 0)
    refresh(wh.engine, MetricsSettings())
    results = compute_all(wh.engine, AS_OF, MetricsSettings(), K, families=["vendor"])
    side = _doc(results["vendor_github_copilot"])["uptake"]
    plan = shared_plan(wh.ctx(AS_OF, k=K))
    assert plan is not None
    planned = {"licensed_people": f"seats:{GH}", "active_people": f"active:{GH}"}
    assert any(group in plan.hidden for group in planned.values())  # the case is a real one
    # What the per-tool release hides of a group, the vendor's page hides too, and why.
    for field, group in planned.items():
        assert (side[field] is None) == (group in plan.hidden), field
        if side[field] is None:
            assert side["hidden"][field] == plan.hidden[group]


def test_a_count_just_short_of_the_active_people_is_hidden(wh: Any) -> None:
    for i in range(6):
        p = f"p{i}"
        wh.person(p)
        wh.license(p, "2024-01-01", tool=GH)
        _gh_event(wh, p, "2024-03-20", "suggestion", "code_completion", 10)
        _fact(wh, p, "2024-03-20", "used_chat", 1 if i else 0)
        _fact(wh, p, "2024-03-20", "used_cli", 0)
    side = _doc(_run(wh)["vendor_github_copilot"])["uptake"]
    assert (side["licensed_people"], side["active_people"]) == (6, 6)
    # Chat users are the active people but one: their difference would name that one person.
    assert side["chat_users"] is None and side["hidden"]["chat_users"] == "complementary"
    assert side["cli_users"] == 0  # nobody: shown, it describes no one


# -- Microsoft 365 ------------------------------------------------------------------------------


def test_m365_enabled_against_active_per_app(wh: Any) -> None:
    def trend(day: str, app: str, enabled: float, active: float) -> None:
        for metric, v in (("enabled_users", enabled), ("active_users", active)):
            _agg(wh, day, metric, v, dims={"app": app}, scope="tenant", tool=M365,
                 source="m365-copilot-usage")  # fmt: skip

    trend("2024-03-20", "any", 50, 45)
    trend("2024-03-29", "any", 50, 20)
    trend("2024-03-29", "word", 50, 2)
    trend("2024-03-29", "teams", 50, 0)
    for period, active in (("7", 11), ("30", 33), ("90", 44)):
        for metric, v in (("period_enabled_users", 50), ("period_active_users", active)):
            _agg(wh, "2024-03-29", metric, v, dims={"app": "any", "period_days": period},
                 scope="tenant", tool=M365, source="m365-copilot-usage")  # fmt: skip
    for i, p in enumerate(("a", "b", "c", "d")):
        wh.person(p)
        wh.license(p, "2024-01-01", tool=M365)
        if i < 3:
            wh.event(p, "2024-03-25T10:00", "prompt", tool=M365)
    doc = _doc(_run(wh)["vendor_m365_copilot"])
    # The headline is the summary's 30-day period (the window's span), not the trend's
    # latest day alone (a quiet day: 20 active).
    assert doc["report"] == "user count summary" and doc["apps_day"] == "2024-03-29"
    assert (doc["enabled_users"], doc["active_users"]) == (50, 33)
    assert doc["value"] == pytest.approx(0.66)
    assert doc["apps"]["teams"] == {"enabled_users": 50, "active_users": 0, "active_share": 0.0}
    word = doc["apps"]["word"]
    assert word["active_users"] is None and word["active_share"] is None
    assert word["hidden"] == {"active_users": "small", "active_share": "small"}
    # The summary period nearest the 28-day window.
    assert doc["period"]["period_days"] == 30
    assert doc["period"]["apps"]["any"]["active_users"] == 33
    # 3 of the 4 seat holders active: the per-tool views hide the active (4 − 3 would name
    # the one who is not), and so does this page.
    assert doc["uptake"] == {
        "licensed_people": 4,
        "active_people": None,
        "hidden": {"active_people": "complementary"},
    }
    assert doc["scope"] == "tenant" and doc["basis"] == "vendor aggregate"


# -- not available ------------------------------------------------------------------------------


def test_no_vendor_data_is_not_available_naming_the_reports(wh: Any) -> None:
    wh.person("p1")
    wh.license("p1", "2024-01-01")
    out = _run(wh)
    gh, ms = _doc(out["vendor_github_copilot"]), _doc(out["vendor_m365_copilot"])
    assert gh["status"] == ms["status"] == "not_available"
    assert any("github-copilot-usage" in n for n in gh["needs"])
    assert ms["needs"] == ["aggregate_facts (m365-copilot-usage user count trend or summary)"]


def test_a_window_without_aggregate_days_says_so(wh: Any) -> None:
    _agg(wh, "2024-01-15", "monthly_active_users", 30)
    _agg(wh, "2024-01-15", "enabled_users", 9, dims={"app": "any"}, scope="tenant", tool=M365,
         source="m365-copilot-usage")  # fmt: skip
    out = _run(wh)
    gh, ms = _doc(out["vendor_github_copilot"]), _doc(out["vendor_m365_copilot"])
    assert gh["status"] == "not_available"
    assert gh["needs"] == ["aggregate_facts (github-copilot days in the window)"]
    assert "2024-01-15 to 2024-01-15" in gh["notes"][0]
    assert ms["status"] == "not_available" and "outside the window" in ms["notes"][0]


def test_m365_user_detail_without_counts_is_uptake_side_only(wh: Any) -> None:
    for p in ("a", "b", "c"):
        wh.person(p)
        wh.license(p, "2024-01-01", tool=M365, evidence="m365 user detail")
        wh.event(p, "2024-03-25T10:00", "prompt", tool=M365)
    doc = _doc(_run(wh)["vendor_m365_copilot"])
    assert doc["days_covered"] == 0 and doc["value"] is None
    assert doc["basis"] == "vendor per-user report"
    assert "no day in the window" in doc["notes"][0]
    assert doc["uptake"] == {"licensed_people": 3, "active_people": 3}


def test_aggregates_never_change_person_level_metrics(make_warehouse: Any) -> None:
    def org(wh: Any) -> None:
        for i in range(6):
            p = f"p{i}"
            wh.person(p, team="t1" if i < 3 else "t2")
            wh.license(p, "2024-01-01", tool=GH)
            if i % 2:
                _gh_event(wh, p, "2024-03-20", "suggestion", "code_completion", 10)

    plain, with_aggs = make_warehouse(), make_warehouse()
    org(plain)
    org(with_aggs)
    for day in ("2024-03-20", "2024-03-25"):
        _agg(with_aggs, day, "daily_active_users", 5_000)
        _agg(
            with_aggs,
            day,
            "code_generation_activity_count",
            1e6,
            dims={"feature": "code_completion"},
        )
        _agg(with_aggs, day, "enabled_users", 9_000, dims={"app": "any"}, scope="tenant",
             tool=M365, source="m365-copilot-usage")  # fmt: skip
    docs = []
    for wh in (plain, with_aggs):
        refresh(wh.engine, MetricsSettings())
        docs.append(compute_all(wh.engine, AS_OF, MetricsSettings(), K).to_dict()["metrics"])
    for name in docs[0]:
        if not name.startswith("vendor_"):
            assert docs[0][name] == docs[1][name], name


# -- the vendors' published samples, through a Workspace ----------------------------------------


@pytest.fixture
def sample_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("UPTAKE_SECRET", "vendor-sample-test-secret-2c7e9a1f4b6d8035")
    monkeypatch.setenv("UPTAKE__PRIVACY__MIN_GROUP_SIZE", "3")
    monkeypatch.delenv("UPTAKE_WORKSPACE", raising=False)
    ws = Workspace.init(tmp_path / "ws")
    return ws


def _ingest(ws: Workspace, *files: tuple[str, str]) -> None:
    for fmt, name in files:
        ws.ingest("events", [SAMPLES / name], fmt=fmt, refresh=False)
    ws.refresh()


def test_published_samples_give_the_vendors_numbers(sample_ws: Workspace) -> None:
    ws = sample_ws
    try:
        _ingest(
            ws,
            ("github-copilot-usage", "github_copilot_usage_metrics_enterprise_level_example.json"),
            ("github-copilot-metrics", "github_copilot_metrics_org.json"),
            ("m365-copilot-usage", "m365_copilot_user_count_trend_beta.json"),
        )
        gh = ws.metrics(as_of=date(2025, 10, 1))["vendor_github_copilot"].to_dict()
        # Two enterprises: code completion 2 of 2 and 1 of 2.
        assert gh["acceptance_source"] == "enterprise aggregate"
        assert (gh["acceptances"], gh["generations"]) == (3, 4)
        assert gh["acceptance_rate"] == pytest.approx(0.75)
        assert gh["scope"] == "enterprise:1, enterprise:2" and gh["days_covered"] == 1
        # 2 + 2 users: each enterprise below k = 3 is hidden, their sum of 4 is not.
        assert gh["daily_active_users"] == 4 and gh["monthly_active_users"] == 4
        for scope in ("enterprise:1", "enterprise:2"):
            assert gh["by_scope"][scope]["hidden"]["daily_active_users"] == "small"
        assert gh["pull_requests"]["total_created"] == 3
        assert gh["pull_requests"]["total_merged"] == 2

        legacy = ws.metrics(as_of=date(2024, 6, 24))["vendor_github_copilot"].to_dict()
        assert legacy["source"] == "github-copilot-metrics"
        assert legacy["acceptance_source"] == "legacy metrics aggregate"
        assert (legacy["acceptances"], legacy["generations"]) == (499, 989)
        assert legacy["daily_active_users"] == 24

        ms = ws.metrics(as_of=date(2025, 8, 20))["vendor_m365_copilot"].to_dict()
        assert (ms["enabled_users"], ms["active_users"]) == (357584, 94745)
        assert ms["value"] == pytest.approx(94745 / 357584, abs=1e-6)
        assert (ms["apps"]["word"]["enabled_users"], ms["apps"]["word"]["active_users"]) == (
            357451,
            6602,
        )
    finally:
        ws.close()


def test_the_published_user_report_wins_but_one_person_is_hidden(sample_ws: Workspace) -> None:
    ws = sample_ws
    try:
        _ingest(
            ws,
            ("github-copilot-usage", "github_copilot_usage_metrics_enterprise_level_example.json"),
            ("github-copilot-usage", "github_copilot_usage_metrics_user_level_example.json"),
        )
        gh = ws.metrics(as_of=date(2025, 10, 1))["vendor_github_copilot"].to_dict()
        assert gh["acceptance_source"] == "per-user report"
        assert gh["acceptance_rate"] is None and gh["hidden"]["acceptance_rate"] == "small"
        assert gh["uptake"]["hidden"]["active_people"] == "small"
    finally:
        ws.close()
