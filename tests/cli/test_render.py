"""The human metrics output on hand-built reports: units, hidden cells, options, pivots."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from rich.console import Console

from uptake.cli.render import (
    COMPLEMENTARY_TEXT,
    RenderOptions,
    headline_value,
    hidden_text,
    render,
)
from uptake.metrics import labels
from uptake.metrics.result import (
    _TOKEN,
    MetricResult,
    MetricSpec,
    MetricsReport,
    PublicRows,
    not_available,
)


def rows(*items: dict[str, Any]) -> PublicRows:
    """Group rows as the privacy module hands them out (hand-built reasons)."""
    return PublicRows(items, k=5, _token=_TOKEN)


def spec(name: str, unit: str = "share", headline: str | None = "depth", **kw: Any) -> MetricSpec:
    return MetricSpec(
        name=name,
        family="test",
        label=kw.pop("label", f"{name} label"),
        unit=unit,  # type: ignore[arg-type]
        headline=headline,
        needs=(),
        definition=kw.pop("definition", f"{name} definition"),
        **kw,
    )


def report(*results: MetricResult, by: str | None = None, currency: str = "USD") -> MetricsReport:
    return MetricsReport(
        as_of=date(2026, 11, 24),
        window_days=28,
        min_group_size=5,
        results={r.name: r for r in results},
        by=by,
        as_of_rule="the last day with activity",
        currency=currency,
    )


def text(rep: MetricsReport, width: int = 100, **options: Any) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, force_terminal=False)
    render(rep, console, RenderOptions(**options))
    return out.getvalue()


DEPTH = MetricResult(
    spec("depth_of_use"),
    values={"elig": 1518, "ai_elig": 227, "ai_elig_done": 211, "depth": 0.38},
    n=103,
)


# -- units --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (0.38, "share", "38 %"),
        (0.004, "share", "0.4 %"),
        (0.0, "share", "0 %"),
        (12400.0, "money", "EUR 12,400"),
        (38.5, "money", "EUR 38.50"),
        (6.0, "ratio", "6.0×"),
        (1518, "runs", "1,518"),
        (2184.0, "count", "2,184"),
        (0.916667, "count", "0.92"),
        (41.232, "hours", "41.2 hours"),
        (1, "days", "1 day"),
        (5.55, "minutes", "5.5 min"),
        (74.11, "points", "74 pts"),
        (-53.125, "score", "-53.1"),
        (0.0004, "p", "< 0.001"),
        (0.0312, "p", "0.031"),
        (True, "flag", "yes"),
        (None, "share", "—"),
        ({"start": "2026-10-28", "end": "2026-11-24"}, "period", "2026-10-28 to 2026-11-24"),
    ],
)
def test_each_unit_prints_as_a_reader_expects(value: Any, unit: str, expected: str) -> None:
    assert labels.format_value(value, unit, "EUR") == expected


@pytest.mark.parametrize(
    ("first", "last", "unit", "expected"),
    [
        (0.19, 0.78, "share", "+59 pts"),
        (0.30, 0.25, "share", "-5.0 pts"),
        (100.0, 300.0, "money", "+USD 200"),
        (7, 87, "people", "+80"),
        (5, 5, "people", "0"),
        (None, 5, "people", "—"),
    ],
)
def test_changes_are_signed_and_shares_change_in_points(
    first: Any, last: Any, unit: str, expected: str
) -> None:
    assert labels.format_change(first, last, unit, "USD") == expected


def test_labels_scope_fallback_and_interval_ends() -> None:
    assert labels.describe("rate").label == "of licensed people active in the window"
    assert labels.describe("rate", "weekly_active_rate").label.endswith("in the week")
    assert labels.describe("brand_new_field") == labels.FieldLabel("brand new field", "number")
    assert not labels.known("brand_new_field")
    assert labels.interval_of("hours_per_week_low") == ("hours_per_week", "low")
    assert labels.interval_of("ci_high", "time_to_proficiency") == ("median_days", "high")
    assert labels.known("value_per_week_high") and labels.describe("value_per_week_high").unit == (
        "money"
    )


# -- the whole output ------------------------------------------------------------------------


def test_header_states_as_of_rule_window_and_currency() -> None:
    out = text(report(DEPTH, currency="GBP"))
    assert "Metrics as of 2026-11-24, the last day with activity" in out
    assert "Window: the 28 days 2026-10-28 to 2026-11-24 · money in GBP" in out


def test_values_are_labelled_with_units_and_never_raw_field_names() -> None:
    out = text(report(DEPTH))
    assert "38 % of eligible high-stakes runs AI-assisted and completed" in out
    assert "1,518  eligible high-stakes runs" in out
    assert "211  AI-assisted eligible runs completed" in out
    assert "n = 103 people" in out
    for raw in ("elig ", "ai_elig", "ai_elig_done", "0.38"):
        assert raw not in out


def test_every_value_field_is_shown() -> None:
    values = {f"field_{i}": i * 1000 for i in range(12)}
    many = MetricResult(spec("many", unit="count", headline="field_0"), values=values, n=50)
    out = text(report(many))
    # An unlabelled headline reads with its spec's label; every other field is humanised.
    assert "0  many label" in out
    for i in range(1, 12):
        assert f"{i * 1000:,}  field {i}" in out


def test_nothing_to_say_prints_no_empty_line() -> None:
    mix = MetricResult(
        spec("tool_mix", unit="people", headline="people"),
        values={"people": 361, "people_suppressed": None, "pairs": [], "rates": {}},
        n=361,
    )
    out = text(report(mix)).split("tool_mix —")[1]
    # Not hidden: no "why hidden" line; no rates needed: no line; no pair: "none shown".
    assert "hidden" not in out.lower() and "rates" not in out
    assert "both tools of a pair (and maybe others): none shown" in out
    assert not [line for line in out.splitlines() if line.rstrip().endswith(":")]
    hidden = MetricResult(
        spec("tool_mix", unit="people", headline="people"),
        values={"people": 361, "people_suppressed": "complementary"},
        n=361,
    )
    assert "hidden" in text(report(hidden)).split("tool_mix —")[1].lower()


def test_money_uses_the_configured_currency() -> None:
    lic = MetricResult(
        spec("licences", unit="money", headline="monthly_saving"),
        values={"monthly_saving": 12400.0, "seats": 145},
        n=112,
    )
    out = text(report(lic, currency="EUR"))
    assert "EUR 12,400 a month from reclaiming seats" in out


def test_not_available_says_what_is_needed() -> None:
    out = text(report(not_available(spec("depth_of_use"), "tasks", "workflows.stakes")))
    assert "not available: needs tasks, workflows.stakes" in out


def test_a_hidden_value_beside_others_says_why_in_its_place() -> None:
    res = MetricResult(
        spec("vanity_vs_value", unit="points", headline="gap_points"),
        values={
            "gap_points": 40.0,
            "depth": None,
            "hours_saved_per_week": None,
            "not_available": {"hours_saved_per_week": ["tasks.minutes"]},
            "hidden": {"depth": "small"},
        },
        n=40,
    )
    out = text(report(res))
    depth_line = next(line for line in out.splitlines() if "high-stakes runs" in line)
    assert "hidden: < 5 people" in depth_line
    assert "Not available: saved a week: needs tasks.minutes" in out
    # The reasons are shown in place, not again as a list of their own.
    assert "Hidden:" not in out and "needs small" not in out


def test_a_long_label_is_shown_whole_on_a_narrow_terminal() -> None:
    label = (
        "eligible high-stakes runs completed with AI, latest complete week against the one before"
    )
    res = MetricResult(spec("weekly_depth", label=label), values={"depth": 0.35}, n=40)
    out = text(report(res), width=80)
    assert "…" not in out
    assert label in " ".join(line.strip() for line in out.splitlines())


def test_a_value_that_does_not_exist_yet_says_why_not_a_dash() -> None:
    res = MetricResult(
        spec("time_to_proficiency", unit="days", headline="median_days"),
        values={"median_days": None, "reached": 13},
        n=108,
        notes=("median not reached: fewer than half have reached L3 so far",),
    )
    headline = text(report(res)).split("time_to_proficiency", 2)[1]
    assert headline.split("\n")[0].strip().startswith("median not reached")


def test_a_hidden_metric_says_why() -> None:
    small = MetricResult(spec("override_outcomes"), suppressed="small")
    comp = MetricResult(spec("override_accuracy"), suppressed="complementary")
    out = text(report(small, comp))
    assert "hidden: < 5 people" in out
    assert f"hidden: {COMPLEMENTARY_TEXT}" in out


def test_hidden_text_for_both_reasons() -> None:
    assert hidden_text("small", 7) == "< 7 people"
    assert hidden_text("complementary", 5) == COMPLEMENTARY_TEXT
    assert hidden_text("complementary", 5, short=True) == "hidden ‡"


def _by_team(segments: PublicRows) -> MetricsReport:
    usage = MetricResult(
        spec("usage_rate", headline="rate"),
        values={"active": 60, "rate": 0.6},
        n=100,
        by="team",
        segments=segments,
    )
    return report(usage, by="team")


TEAMS = rows(
    {"segment": "alpha", "n": 40, "active": 20, "rate": 0.5, "suppressed": False},
    {"segment": "beta", "n": 30, "active": 27, "rate": 0.9, "suppressed": False},
    {"segment": "gamma", "suppressed": "complementary"},
    {"segment": "delta", "suppressed": "small"},
    {"segment": "epsilon", "n": 10, "active": 7, "rate": 0.7, "suppressed": False},
)


def _line(out: str, start: str) -> str:
    return next(line for line in out.splitlines() if line.strip().startswith(start))


def test_hidden_segments_say_why_with_a_legend_for_the_short_form() -> None:
    out = text(_by_team(TEAMS))
    assert "< 5 people" in _line(out, "delta")
    assert "hidden ‡" in _line(out, "gamma")
    assert f"‡ {COMPLEMENTARY_TEXT}" in out
    assert _line(out, "beta").split() == ["beta", "30", "90", "%", "27"]


def test_no_legend_without_complementary_cells() -> None:
    out = text(_by_team(rows(*[r for r in TEAMS if r["suppressed"] != "complementary"])))
    assert "‡" not in out


def test_a_hidden_value_in_a_shown_row_says_why_in_its_cell() -> None:
    usage = MetricResult(
        spec("usage_rate", headline="rate"),
        values={"active": 60, "rate": 0.6},
        n=100,
        by="tool",
        segments=rows(
            {
                "segment": "copilot",
                "n": 40,
                "active": None,
                "rate": None,
                "active_suppressed": "complementary",
                "rate_suppressed": "complementary",
                "suppressed": False,
            },
            {
                "segment": "cursor",
                "n": 12,
                "active": 9,
                "rate": 0.75,
                "active_suppressed": None,
                "rate_suppressed": None,
                "suppressed": False,
            },
        ),
    )
    out = text(report(usage, by="tool"))
    # The count and the share worked out from it both say why; no column of reasons.
    assert _line(out, "copilot").split() == ["copilot", "40", "hidden", "‡", "hidden", "‡"]
    assert _line(out, "cursor").split() == ["cursor", "12", "75", "%", "9"]
    assert f"‡ {COMPLEMENTARY_TEXT}" in out
    assert "why the number is hidden" not in out


def test_sort_and_top() -> None:
    out = text(_by_team(TEAMS), sort="rate", top=2)
    table = out[out.index("by team") :]
    assert table.index("beta") < table.index("epsilon")
    assert "alpha" not in table and "delta" not in table
    assert "3 more rows with --top 5" in table


def test_unknown_metric_and_sort_field_list_the_known_ones() -> None:
    rep = _by_team(TEAMS)
    with pytest.raises(ValueError, match="known metrics: usage_rate"):
        text(rep, metrics=("usage_rat",))
    with pytest.raises(ValueError, match="fields: active, n, rate"):
        text(rep, sort="shoe_size")
    # Without --by there are no group rows to sort: said so, with how to get them.
    with pytest.raises(ValueError, match=r"no group rows are shown \(group rows come with --by"):
        text(report(DEPTH), sort="depth")


def test_metric_option_shows_only_the_chosen_metrics() -> None:
    other = MetricResult(spec("other", unit="count", headline="items"), values={"items": 3}, n=9)
    out = text(report(DEPTH, other), metrics=("other",))
    assert "other" in out and "depth_of_use" not in out


def test_weekly_series_are_pivoted_with_a_change_column() -> None:
    weeks = rows(
        *[
            {"week": w, "n": 100, "rate": r, "suppressed": False}
            for w, r in (("2026-10-26", 0.19), ("2026-11-02", 0.5), ("2026-11-09", 0.78))
        ],
        {"week": "2026-11-16", "suppressed": "small"},
    )
    weekly = MetricResult(
        spec("weekly_active_rate", headline="rate"),
        values={"week": "2026-11-16", "rate": None},
        n=100,
        weeks=weeks,
    )
    out = text(report(weekly))
    head = _line(out, "26 Oct")
    assert head.split()[:8] == ["26", "Oct", "02", "Nov", "09", "Nov", "16", "Nov"]
    row = _line(out, "of licensed people active").split()
    # The change runs from the first shown week to the last; a hidden last week has none.
    assert row[-9:] == ["19", "%", "50", "%", "78", "%", "<", "5", "—"]
    assert "< 5: hidden, < 5 people in the group" in out
    assert "‡" not in out
    growing = MetricResult(weekly.spec, values={"rate": 0.78}, n=100, weeks=rows(*weeks[:3]))
    assert _line(text(report(growing)), "of licensed people active").split()[-2:] == [
        "+59",
        "pts",
    ]


def test_segments_by_week_pivot_one_row_per_segment() -> None:
    seg = rows(
        *[
            {"segment": s, "week": w, "n": 10, "rate": r, "suppressed": False}
            for w in ("2026-11-02", "2026-11-09")
            for s, r in (("alpha", 0.1 if w < "2026-11-09" else 0.4), ("beta", 0.5))
        ]
    )
    weekly = MetricResult(
        spec("weekly_active_rate", headline="rate"),
        values={"rate": 0.45},
        n=20,
        by="team",
        segments=seg,
    )
    out = text(report(weekly, by="team"))
    assert "Active share by team and week" in out
    alpha = _line(out, "alpha")
    assert alpha.split() == ["alpha", "10", "%", "40", "%", "+30", "pts"]
    assert sum(line.strip().startswith("alpha") for line in out.splitlines()) == 1
    assert "‡" not in out


def test_a_segment_that_starts_later_changes_from_its_first_week() -> None:
    seg = rows(
        {"segment": "alpha", "week": "2026-11-02", "n": 10, "rate": 0.1, "suppressed": False},
        {"segment": "alpha", "week": "2026-11-09", "n": 10, "rate": 0.2, "suppressed": False},
        {"segment": "alpha", "week": "2026-11-16", "n": 10, "rate": 0.3, "suppressed": False},
        {"segment": "late", "week": "2026-11-09", "n": 10, "rate": 0.5, "suppressed": False},
        {"segment": "late", "week": "2026-11-16", "n": 10, "rate": 0.6, "suppressed": False},
    )
    weekly = MetricResult(
        spec("weekly_active_rate", headline="rate"), values={"rate": 0.3}, n=20, segments=seg
    )
    out = text(report(weekly, by="team"))
    assert _line(out, "alpha").split()[-2:] == ["+20", "pts"]
    assert _line(out, "late").split() == ["late", "—", "50", "%", "60", "%", "+10", "pts"]


def test_a_complementary_cell_in_a_pivot_has_its_legend() -> None:
    seg = rows(
        {"segment": "alpha", "week": "2026-11-02", "n": 10, "rate": 0.1, "suppressed": False},
        {"segment": "beta", "week": "2026-11-02", "suppressed": "complementary"},
        {"segment": "gamma", "week": "2026-11-02", "suppressed": "small"},
    )
    weekly = MetricResult(
        spec("weekly_active_rate", headline="rate"), values={"rate": 0.1}, n=20, segments=seg
    )
    out = text(report(weekly, by="team"))
    assert _line(out, "beta").split()[:3] == ["beta", "hidden", "‡"]
    assert _line(out, "gamma").split()[:3] == ["gamma", "<", "5"]
    assert f"‡ {COMPLEMENTARY_TEXT}" in out
    assert "< 5: hidden, < 5 people in the group" in out


def test_a_wide_nested_table_names_what_it_left_to_json() -> None:
    wide = {f"col_{i}": 123456 + i for i in range(20)}
    result = MetricResult(
        spec("wins", unit="count", headline=None, label="workflows that save most"),
        values={"workflows": rows({"workflow": "a.b", "n": 9, **wide, "suppressed": False})},
        n=9,
    )
    out = text(report(result), width=80)
    assert "more columns with --json: col 5, col 6" in out
    assert "workflows that save most (table below)" in out


def _licences(saving: float | None, unpriced: int) -> MetricResult:
    return MetricResult(
        spec("licenses", unit="share", headline="utilisation"),
        values={
            "utilisation": 0.5,
            "reclaim_seats": 3,
            "reclaim_unpriced": unpriced,
            "monthly_saving": saving,
            "annual_saving": None if saving is None else 12 * saving,
        },
        n=10,
    )


def test_an_unknown_price_reads_unknown_never_zero() -> None:
    out = text(report(_licences(None, 3), currency="EUR"))
    assert "unknown (no price for 3 seats)  a month from reclaiming seats" in out
    assert "unknown (no price for 3 seats)  a year from reclaiming seats" in out
    assert "EUR 0" not in out


def test_a_partly_priced_saving_says_what_it_leaves_out() -> None:
    out = text(report(_licences(55.0, 1), currency="EUR"))
    assert "EUR 55 (no price for 1 seat)  a month from reclaiming seats" in out


def test_roi_without_prices_reads_unknown() -> None:
    roi = MetricResult(
        spec("roi", unit="ratio", headline="roi"),
        values={"roi": None, "license_cost": None, "unpriced_seats": 4, "value_saved": 55.0},
        n=10,
        notes=("ROI unknown: no price for 4 of 10 seats held in the window",),
    )
    out = text(report(roi))
    assert "ROI unknown: no price for 4 of 10 seats" in out.split("Headlines", 1)[1]
    assert "unknown (no price for 4 seats)  licence cost in the window" in out


def test_a_variant_that_is_not_recommended_says_why() -> None:
    why = "8 weeks of history: use the 4-week segments"
    seg = MetricResult(
        spec("usage_segments_12w", headline="habitual_plus_share"),
        values={"habitual_plus_share": 0.1, "recommended": False, "recommended_reason": why},
        n=40,
    )
    rep = report(seg)
    assert headline_value(rep, seg) == (
        f"10 % of licensed people habitual or power users (not recommended: {why})"
    )
    out = text(rep)
    assert f"no  the recommended view ({why})" in out
    assert "Why (not) the recommended view" not in out  # once, beside the flag


def test_vanity_without_value_says_what_to_ingest() -> None:
    note = "value not measurable yet: ingest tasks (with minutes), workflows (with stakes)"
    vv = MetricResult(
        spec("vanity_vs_value", unit="points", headline="gap_points"),
        values={"gap_points": None, "active_rate": 0.8, "needs": ["tasks"]},
        n=10,
        notes=(note,),
    )
    headline = text(report(vv)).split("Headlines", 1)[1]
    assert note[:40] in headline and "pts" not in headline


def test_a_count_of_one_reads_in_the_singular() -> None:
    # A (noisy) count of 1 had printed as "1 seats used in the window".
    used = MetricResult(
        spec("licenses", unit="seats", headline="used"),
        values={"used": 1, "reclaim_seats": 1, "seats": 2},
        n=10,
    )
    rep = report(used)
    assert headline_value(rep, used) == "1 seat used in the window"
    out = text(rep)
    assert "1 seat used in the window" in out and "1 seats" not in out
    assert "2  seats assigned" in out


def test_a_metric_without_the_breakdown_asked_for_says_so() -> None:
    # --by team beside a metric that has no rows by team had printed its total alone.
    rep = report(DEPTH, by="team")
    assert "Not broken down by team: the organisation's value only." in text(rep)
    assert "Not broken down" not in text(report(DEPTH))
