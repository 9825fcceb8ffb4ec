"""Charts read the typed report; a hidden bar says why it is hidden."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from metrics.test_init import AS_OF, K, _org
from uptake.config import MetricsSettings
from uptake.metrics import compute_all
from uptake.metrics.facts import refresh
from uptake.report import charts


@pytest.fixture(scope="module")
def report(module_warehouse: Any) -> Any:
    _org(module_warehouse)
    refresh(module_warehouse.engine, MetricsSettings())
    return compute_all(module_warehouse.engine, AS_OF, MetricsSettings(), K, "team")


def test_every_chart_from_the_report_or_its_json(report: Any, tmp_path: Path) -> None:
    typed = charts.write_all(report, tmp_path / "typed")
    as_json = charts.write_all(report.to_dict(), tmp_path / "json")
    assert [p.name for p in typed] == [p.name for p in as_json]
    assert "ladder_by_team.png" in [p.name for p in typed]
    assert all(p.stat().st_size > 0 for p in typed)


def test_hidden_bars_say_why(report: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[str] = []

    def keep_text(fig: Any, path: Path) -> Path:
        drawn.extend(t.get_text() for t in fig.axes[0].texts)
        return path

    monkeypatch.setattr(charts, "_save", keep_text)
    charts.ladder_by_segment(report, tmp_path / "ladder.png")
    rows = {r["segment"]: r["suppressed"] for r in report["adoption_ladder"].segments}
    # Team "small" has K − 1 people; one four-person team covers it.
    assert rows["small"] == "small" and sorted(rows.values(), key=str).count("complementary") == 1
    assert sorted(drawn) == [
        f"fewer than {K} people: not shown",
        "hidden so a smaller group cannot be worked out",
    ]


def test_hidden_reason_words() -> None:
    assert charts.hidden_reason({"suppressed": False}, 5) is None
    assert charts.hidden_reason({"suppressed": "small"}, 5) == "fewer than 5 people: not shown"
    assert charts.hidden_reason({"suppressed": "complementary"}, 5) == (
        "hidden so a smaller group cannot be worked out"
    )


def test_every_chart_states_as_of_window_and_n(
    report: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    captions: dict[str, str] = {}

    def keep_caption(fig: Any, path: Path) -> Path:
        captions[path.stem] = fig.axes[0].get_title(loc="left")
        return path

    monkeypatch.setattr(charts, "_save", keep_caption)
    charts.write_all(report, tmp_path)
    n = report["adoption_ladder"].n
    day = report.as_of.isoformat()
    assert set(captions) == {
        "vanity_vs_value",
        "ladder_by_team",
        "weekly_trend",
        "time_to_proficiency",
    }
    for name, text in captions.items():
        assert text.startswith(f"as of {day}"), (name, text)
        assert "n = " in text, (name, text)
    # Wrapped to the plot's width: compared as words.
    flat = {name: " ".join(text.split()) for name, text in captions.items()}
    assert f"28-day window · n = {n:,} licensed people" in flat["ladder_by_team"]
    assert "complete weeks" in flat["weekly_trend"]


def test_caption_words() -> None:
    doc = {"as_of": "2026-11-30", "as_of_rule": "the last day with activity", "window_days": 28}
    assert charts.caption(doc, 1843, what="licensed people") == (
        "as of 2026-11-30 (the last day with activity) · 28-day window · n = 1,843 licensed people"
    )
    given = {**doc, "as_of_rule": "given"}
    assert charts.caption(given, None, window=False) == "as of 2026-11-30"


def test_caption_states_the_noise_or_exact_counts() -> None:
    doc = {"as_of": "2026-11-30", "as_of_rule": "given", "window_days": 28}
    noisy = {**doc, "privacy": {"noise": True, "epsilon": 1.0, "error_bar": 3}}
    assert charts.caption(noisy, 40) == (
        "as of 2026-11-30 · 28-day window · n = 40 people · counts ±3 (noise, ε = 1.0)"
    )
    exact = {**doc, "privacy": {"noise": False, "epsilon": None, "error_bar": None}}
    assert charts.caption(exact, 40).endswith("n = 40 people · exact counts")


def test_a_proxy_says_so_and_a_missing_value_line_says_what_it_needs(
    report: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = report.to_dict()
    doc["metrics"]["adoption_ladder"]["basis"] = "proxy: activity"
    doc["metrics"]["weekly_depth"] = {
        "status": "not_available",
        "needs": ["tasks", "workflows.stakes"],
    }
    seen: dict[str, list[str]] = {}

    def keep(fig: Any, path: Path) -> Path:
        title = fig._suptitle.get_text() if fig._suptitle else ""
        seen[path.stem] = [" ".join(title.split()), *(t.get_text() for t in fig.axes[0].texts)]
        return path

    monkeypatch.setattr(charts, "_save", keep)
    charts.ladder_by_segment(doc, tmp_path / "ladder.png")
    charts.weekly_trend(doc, tmp_path / "trend.png")
    assert seen["ladder"][0] == "Adoption ladder by team (proxy: activity)"
    assert (
        "depth on high-stakes work: not available (needs tasks, workflows.stakes)"
        in (seen["trend"])
    )


def test_a_level_the_data_cannot_judge_is_left_out_of_the_ladder_charts() -> None:
    judged = {"L1": 3, "L2": 4, "L3": 5, "L4": 6, "L5": 0}
    assert [lv for lv, _ in charts.ladder_levels(judged)] == ["L1", "L2", "L3", "L4", "L5"]
    assert charts.not_judged(judged) == ""
    withheld = {**judged, "L5": None, "not_available": {"L5": ["help_edges or feedback"]}}
    assert [lv for lv, _ in charts.ladder_levels(withheld)] == ["L1", "L2", "L3", "L4"]
    assert charts.not_judged(withheld) == " · L5 not judged: needs help_edges or feedback"


def test_no_title_or_caption_runs_off_the_picture(
    report: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The caption had been wrapped to the figure's width although it starts where the plot
    # does, after the bar labels: "n = 1,845 licensed people" ran off the right edge.
    from matplotlib.text import Text

    outside: list[tuple[str, str]] = []
    save = charts._save

    def check(fig: Any, path: Path) -> Path:
        fig.tight_layout()
        fig.canvas.draw()
        edge = fig.bbox
        titles = {fig.get_suptitle()} | {
            ax.get_title(loc=side) for ax in fig.axes for side in ("left", "center", "right")
        }
        for t in fig.findobj(Text):
            if t.get_text() not in titles - {""}:
                continue
            box = t.get_window_extent()
            if box.x0 < edge.x0 - 1 or box.x1 > edge.x1 + 1:
                outside.append((path.stem, t.get_text()))
        return save(fig, path)

    monkeypatch.setattr(charts, "_save", check)
    written = charts.write_all(report, tmp_path)
    # As the demo's 2,000 people read it: an as-of rule, four-digit n, the noise named.
    doc = report.to_dict()
    doc["as_of_rule"] = "the last day with activity"
    doc["privacy"] = {"noise": True, "error_bar": 3, "epsilon": 1.0}
    doc["metrics"]["vanity_vs_value"]["n"] = 1845
    assert charts.vanity_vs_value(doc, tmp_path / "demo.png") is not None
    assert len(written) == 4 and outside == []


def test_a_caption_never_breaks_inside_a_name_and_its_value() -> None:
    text = "as of 2026-12-06 · n = 1,880 people · counts ±3 (noise, ε = 1.0) · 785 reached L3"
    for width in range(20, 60):
        lines = charts._fill(text, width).splitlines()
        assert " ".join(lines) == text
        assert not any(ln.endswith((" n", "=", " ε")) for ln in lines), (width, lines)
