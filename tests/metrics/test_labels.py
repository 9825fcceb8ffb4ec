"""Field labels: a vendor's one-day counts are flagged, and say so in words."""

from __future__ import annotations

import pytest

from uptake.metrics import labels


def _every_label() -> list[tuple[str, labels.FieldLabel]]:
    scoped = [(f, lab) for fields in labels.METRIC_FIELDS.values() for f, lab in fields.items()]
    return [*labels.FIELDS.items(), *scoped]


def test_a_one_day_count_says_which_day_in_its_words() -> None:
    flagged = [f for f, lab in _every_label() if lab.one_day]
    # GitHub's user counts are all of one day; the vendor page names that day beside them.
    assert {"daily_active_users", "monthly_active_users", "engaged_users"} <= set(flagged)
    for field, lab in _every_label():
        # A table of one day (the apps per day) is not a count: its day is a field of its own.
        one_day_count = lab.label.endswith("on the latest day") and lab.unit != "table"
        assert lab.one_day == one_day_count, field


def test_a_window_s_number_is_not_flagged() -> None:
    vendor = labels.METRIC_FIELDS["vendor_github_copilot"]
    assert not vendor["mean_daily_active_users"].one_day
    assert not vendor["days_covered"].one_day
    # Fields outside the vendor metrics keep the plain label (the same name, another meaning).
    assert not labels.describe("monthly_active_users").one_day


def test_the_roi_s_seats_are_those_held_in_the_window() -> None:
    # Not "seats assigned" (the licences' count on the as-of date), which may differ by one.
    assert labels.describe("seats", "roi").label == "seats held in the window"
    assert labels.describe("seats", "licenses").label == "seats assigned"


@pytest.mark.parametrize(
    ("shown", "words", "expected"),
    [
        ("1", "people active", "person active"),
        ("1", "seats", "seat"),
        ("2", "seats used", "seats used"),
        ("1.5", "hours saved", "hours saved"),
        ("1 ±2", "seats used", "seats used"),
        ("1", "of seats used", "of seats used"),
    ],
)
def test_a_label_agrees_with_a_value_of_one(shown: str, words: str, expected: str) -> None:
    assert labels.agree(shown, words) == expected


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [(0.004, 0, "0"), (-0.4, 0, "0"), (-0.04, 1, "0.0"), (0.6, 0, "+1"), (-1.25, 1, "-1.2"),
     (12.34, 2, "+12.34"), (-1234.5, 0, "-1,234"), (0, 1, "0.0")],
)  # fmt: skip
def test_a_change_that_rounds_to_zero_carries_no_sign(
    value: float, digits: int, expected: str
) -> None:
    # "+0 points" claimed a rise its digits could not show; "-0" a fall.
    assert labels.signed(value, digits) == expected
