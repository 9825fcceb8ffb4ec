"""The independent truth: Microsoft's segment rules and the ladder classes on hand-made files."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from uptake.evaluate import truth

AS_OF = date(2026, 11, 30)


def _ts(days_back: int, hour: int = 10) -> datetime:
    return datetime.combine(AS_OF - timedelta(days=days_back), datetime.min.time()).replace(
        hour=hour
    )


@pytest.fixture
def sim(tmp_path: Path) -> Path:
    """Five licensed people (one by login only) and one unlicensed, with chosen activity."""
    people = ["power@x", "habit@x", "novice@x", "low@x", "none@x", "nolicence@x"]
    pd.DataFrame(
        {"person": people, "aliases": [[p, f"E{i}"] for i, p in enumerate(people)]}
    ).to_parquet(tmp_path / "people.parquet")
    pd.DataFrame(
        {
            "person": ["power@x", "habit@x", "novice@x", "E3", "none@x"],
            "tool": "office_copilot",
            "assigned_at": pd.Timestamp("2026-01-01", tz="UTC"),
            "removed_at": pd.NaT,
        }
    ).to_parquet(tmp_path / "licenses.parquet")
    rows = []
    # power: 20 actions in each of 10 weeks (200 / 12 ≥ 15 a week), plus sessions that never
    # count as actions.
    for w in range(10):
        rows += [("power@x", _ts(7 * w), "prompt")] * 20 + [
            ("power@x", _ts(7 * w), "session_start")
        ]
    # habitual: 1 action in each of 9 weeks.
    rows += [("habit@x", _ts(7 * w), "accept") for w in range(9)]
    # novice: 12 actions in one week (12 / 12 weeks = 1 a week), known by employee number.
    rows += [("E2", _ts(3), "prompt")] * 12
    # low: 5 actions in the window and many outside it (the 12 blocks end 83 days back).
    rows += [("low@x", _ts(20), "edit")] * 5 + [("low@x", _ts(84), "prompt")] * 50
    # non-user: sessions only.
    rows += [("none@x", _ts(1), "session_start"), ("none@x", _ts(1, 11), "session_end")]
    rows += [("nolicence@x", _ts(1), "prompt")] * 40
    ev = pd.DataFrame(rows, columns=["person", "ts", "action"])
    ev["ts"] = pd.to_datetime(ev["ts"]).dt.tz_localize("UTC")
    ev["tool"] = "office_copilot"
    ev.to_parquet(tmp_path / "events.parquet")
    return tmp_path


def test_microsoft_segments(sim: Path) -> None:
    seg = truth.segments(sim, AS_OF, weeks=12, habitual=9, power_actions=15)
    got = dict(zip(seg["person"], seg["segment"], strict=True))
    assert got == {
        "power@x": "power",
        "habit@x": "habitual",
        "novice@x": "novice",
        "low@x": "low",
        "none@x": "non_user",
    }
    row = seg.set_index("person").loc["power@x"]
    assert (row["weeks_used"], row["avg_actions"]) == (10, 20 * 10 / 12)


def test_sixteen_a_week_over_ten_of_twelve_weeks_is_not_power(sim: Path) -> None:
    # The average runs over all 12 blocks: 16 a week in 10 of them is 13.3, habitual only.
    ev = pd.read_parquet(sim / "events.parquet")
    ev = ev[~((ev["person"] == "power@x") & (ev.groupby("ts").cumcount() >= 16))]
    ev.to_parquet(sim / "events.parquet")
    seg = truth.segments(sim, AS_OF, weeks=12, habitual=9, power_actions=15)
    assert seg.set_index("person").loc["power@x", "segment"] == "habitual"


def test_four_week_variant_needs_every_week(sim: Path) -> None:
    seg = truth.segments(sim, AS_OF, weeks=4, habitual=4, power_actions=15)
    got = dict(zip(seg["person"], seg["segment"], strict=True))
    # power used all 4 blocks at 20 a week; habit used all 4 at 1 a week: habitual.
    assert got["power@x"] == "power" and got["habit@x"] == "habitual"
    # 12 actions over 4 weeks and 5 over 4 weeks are both ≥ 1 a week: novices.
    assert got["novice@x"] == "novice" and got["low@x"] == "novice"


def test_tool_usage_counts_seats_and_use_in_the_window(sim: Path) -> None:
    use = truth.tool_usage(sim, AS_OF, window_days=28)
    assert len(use) == 5
    # low@x's events 20 days back are inside 28 days; none@x had sessions (events) too.
    assert set(use.loc[use["used"], "person"]) == {
        "power@x", "habit@x", "novice@x", "low@x", "none@x"
    }  # fmt: skip
    use = truth.tool_usage(sim, AS_OF, window_days=2)
    assert set(use.loc[use["used"], "person"]) == {"power@x", "habit@x", "none@x"}


def test_ladder_classes(tmp_path: Path) -> None:
    d = pd.Timestamp(AS_OF).date()
    later = d + timedelta(days=1)
    before = d - timedelta(days=10)
    pd.DataFrame(
        {
            "person": ["never", "future", "trying", "pro", "pro_abandoned", "left", "pro_later"],
            "first_use_on": [None, later, before, before, before, before, before],
            "proficient_on": [None, None, None, before, before, None, later],
            "abandoned_on": [None, None, None, None, d, None, None],
            "left_on": [None, None, None, None, None, d, None],
        }
    ).to_parquet(tmp_path / "ground_truth.parquet")
    got = truth.ladder(tmp_path, AS_OF).set_index("person")["ladder"].to_dict()
    assert got == {
        "never": truth.NOT_USING,
        "future": truth.NOT_USING,
        "trying": truth.TRYING,
        "pro": truth.PROFICIENT,
        "pro_abandoned": truth.NOT_USING,
        "left": truth.NOT_USING,
        "pro_later": truth.TRYING,
    }
