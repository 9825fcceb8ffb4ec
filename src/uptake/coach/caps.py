"""Caps and consent: whether a person may be shown a card now, and if not, why.

Checked in this order, the first that holds wins: coaching off, opted out, snoozed, quiet
hours (the person's local time), the daily cap and the 7-day cap (cards delivered, counted
by the person's local day). The holdout arm is decided elsewhere: holdout people pass the
same gate so that their would-have-been cards are counted like real ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from uptake.config.coach import CoachSettings

OFF, OPTED_OUT, SNOOZED, QUIET, DAILY_CAP, WEEKLY_CAP = (
    "coaching_off",
    "opted_out",
    "snoozed",
    "quiet_hours",
    "daily_cap",
    "weekly_cap",
)


@dataclass(frozen=True)
class Prefs:
    """A person's own choices (None: never made)."""

    opted_out_at: datetime | None = None
    snoozed_until: datetime | None = None


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def local(now: datetime, zone: str) -> datetime:
    """A UTC instant (naive or aware) in the person's time zone.

    Args:
        now: the instant (naive means UTC).
        zone: an IANA zone name.

    Returns:
        The aware local time.
    """
    aware = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(zone))


def quiet(at: datetime, start: str, end: str) -> bool:
    """Whether a local time falls in quiet hours (a span that may wrap past midnight).

    Args:
        at: local time.
        start: quiet hours start (HH:MM).
        end: quiet hours end (HH:MM).

    Returns:
        True inside [start, end).
    """
    s, e, t = _clock(start), _clock(end), at.time().replace(tzinfo=None)
    if s == e:
        return False
    return s <= t < e if s < e else (t >= s or t < e)


def gate(
    settings: CoachSettings,
    prefs: Prefs,
    now: datetime,
    zone: str,
    delivered: Sequence[datetime],
) -> str | None:
    """Why no card may be shown now, or None when one may.

    Args:
        settings: the coach settings.
        prefs: the person's choices.
        now: the instant (naive UTC).
        zone: the person's time zone.
        delivered: when cards were delivered to the person (naive UTC), any order.

    Returns:
        One of the reasons of this module, or None.
    """
    if not settings.enabled:
        return OFF
    if prefs.opted_out_at is not None:
        return OPTED_OUT
    if prefs.snoozed_until is not None and prefs.snoozed_until > now:
        return SNOOZED
    here = local(now, zone)
    if quiet(here, settings.quiet_start, settings.quiet_end):
        return QUIET
    today = here.date()
    week = today - timedelta(days=6)
    days = [local(d, zone).date() for d in delivered]
    if sum(1 for d in days if d == today) >= settings.max_per_day:
        return DAILY_CAP
    if sum(1 for d in days if week <= d <= today) >= settings.max_per_week:
        return WEEKLY_CAP
    return None
