"""Calendar of a run: day boundaries in UTC, weekdays, office time zones and working hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from uptake.simulate.catalog import LOCATIONS

MS_DAY = 86_400_000
MS_MIN = 60_000


@dataclass(frozen=True)
class Timeline:
    """Days 0..days-1 starting at `start` (UTC midnight); the period ends at `end_ms`."""

    start: date
    days: int
    day_ms: np.ndarray  # epoch ms of each day's UTC midnight
    weekday: np.ndarray  # True on Monday-Friday
    offset_ms: np.ndarray  # (locations, days): local time minus UTC at local noon

    @property
    def start_ms(self) -> int:
        return int(self.day_ms[0])

    @property
    def end_ms(self) -> int:
        return int(self.day_ms[0]) + self.days * MS_DAY

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days)

    def day_of(self, ms: np.ndarray) -> np.ndarray:
        """Day index (UTC) of epoch-ms timestamps."""
        return (np.asarray(ms) - self.start_ms) // MS_DAY


def make_timeline(start: date, days: int) -> Timeline:
    """Build the calendar.

    Args:
        start: first day of the period.
        days: number of days.

    Returns:
        The timeline.
    """
    t0 = datetime(start.year, start.month, start.day, tzinfo=UTC)
    day_ms = int(t0.timestamp() * 1000) + np.arange(days, dtype=np.int64) * MS_DAY
    weekday = ((start.weekday() + np.arange(days)) % 7) < 5
    offsets = np.zeros((len(LOCATIONS), days), dtype=np.int64)
    for li, loc in enumerate(LOCATIONS):
        zone = ZoneInfo(loc.zone)
        for d in range(days):
            noon = t0 + timedelta(days=d, hours=12)
            off = noon.astimezone(zone).utcoffset()
            offsets[li, d] = int(off.total_seconds() * 1000) if off else 0
    return Timeline(start, days, day_ms, weekday, offsets)


def work_time_ms(rng: np.random.Generator, n: int) -> np.ndarray:
    """Local time of day of work activity: a morning and an afternoon peak.

    Args:
        rng: generator.
        n: how many times to draw.

    Returns:
        Milliseconds after local midnight.
    """
    morning = rng.random(n) < 0.48
    minutes = np.where(morning, rng.normal(10.5 * 60, 70, n), rng.normal(14.75 * 60, 95, n)).clip(
        7.5 * 60, 19 * 60
    )
    return (minutes * MS_MIN).astype(np.int64) + rng.integers(0, MS_MIN, n)


def to_utc_ms(
    tl: Timeline, day: np.ndarray, location: np.ndarray, local_ms: np.ndarray
) -> np.ndarray:
    """Epoch ms (UTC) of a local time of day on a day index at a location.

    Args:
        tl: calendar.
        day: day index per item.
        location: office index per item.
        local_ms: local time of day per item.

    Returns:
        Epoch milliseconds.
    """
    return tl.day_ms[day] + local_ms - tl.offset_ms[location, day]
