"""Caps and consent: opt-out, snooze, quiet hours in local time, daily and weekly caps."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from uptake.coach.caps import (
    DAILY_CAP,
    OFF,
    OPTED_OUT,
    QUIET,
    SNOOZED,
    WEEKLY_CAP,
    Prefs,
    gate,
    quiet,
)
from uptake.config.coach import CoachSettings

S = CoachSettings()
NOON = datetime(2026, 6, 3, 12, 0)  # a Wednesday, UTC


def test_quiet_hours_wrap_midnight() -> None:
    def at(h: int, m: int = 0) -> datetime:
        return datetime(2026, 6, 3, h, m)

    assert quiet(at(19), "19:00", "08:00") and quiet(at(2), "19:00", "08:00")
    assert not quiet(at(8), "19:00", "08:00") and not quiet(at(18, 59), "19:00", "08:00")
    assert quiet(at(13), "12:00", "14:00") and not quiet(at(14), "12:00", "14:00")
    assert not quiet(at(3), "00:00", "00:00")


def test_order_of_reasons() -> None:
    assert gate(CoachSettings(enabled=False), Prefs(), NOON, "UTC", []) == OFF
    assert gate(S, Prefs(opted_out_at=NOON), NOON, "UTC", []) == OPTED_OUT
    assert gate(S, Prefs(snoozed_until=NOON + timedelta(hours=1)), NOON, "UTC", []) == SNOOZED
    assert gate(S, Prefs(snoozed_until=NOON - timedelta(hours=1)), NOON, "UTC", []) is None
    assert gate(S, Prefs(), NOON, "UTC", [NOON - timedelta(hours=2)]) == DAILY_CAP
    three = [NOON - timedelta(days=d) for d in (1, 2, 3)]
    assert gate(S, Prefs(), NOON, "UTC", three) == WEEKLY_CAP
    # Seven days back is outside the 7-day window (today and the six days before).
    old = [NOON - timedelta(days=d) for d in (7, 8, 9)]
    assert gate(S, Prefs(), NOON, "UTC", old) is None


def test_quiet_hours_are_the_persons_local_time() -> None:
    # 12:00 UTC is 21:00 in Tokyo: quiet there, working hours in London.
    assert gate(S, Prefs(), NOON, "Asia/Tokyo", []) == QUIET
    assert gate(S, Prefs(), NOON, "Europe/London", []) is None


def test_the_day_is_the_persons_local_day() -> None:
    # Delivered at 23:30 UTC on the 2nd: already the 3rd in Tokyo, still the 2nd in New York.
    late = datetime(2026, 6, 2, 23, 30)
    morning = datetime(2026, 6, 3, 1, 0)  # 10:00 in Tokyo
    assert gate(S, Prefs(), morning, "Asia/Tokyo", [late]) == DAILY_CAP
    ny_noon = datetime(2026, 6, 3, 16, 0)  # 12:00 in New York, on the 3rd
    assert gate(S, Prefs(), ny_noon, "America/New_York", [late]) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("quiet_start", "25:00"), ("timezone", "Mars/Olympus"), ("rules", ["recovery", "nope"]),
     ("location_timezones", ["Paris"]), ("holdout", 0.9), ("max_per_day", 5)],
)  # fmt: skip
def test_unsafe_settings_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        CoachSettings(**{field: value, **({"max_per_week": 3} if field == "max_per_day" else {})})


def test_location_time_zones() -> None:
    s = CoachSettings(location_timezones=["Paris=Europe/Paris", "Tokyo = Asia/Tokyo"])
    assert s.zone_of("Paris") == "Europe/Paris" and s.zone_of("Tokyo ") == "UTC"
    assert s.zone_of("Tokyo") == "Asia/Tokyo" and s.zone_of(None) == "UTC"
