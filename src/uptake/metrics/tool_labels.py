"""Labels of the tool metrics' fields (`tool_usage`, `tool_mix`, `tool_cost`) and of the
fields other metrics gain `--by tool`."""

from __future__ import annotations

_HIDDEN = ("why the number is hidden", "text")

# metric → field → (label, unit[, column heading])
_SEGMENTS_BY_TOOL = {
    "daily_note": ("the tool's usage segments", "text", "segments"),
    **{
        f"{c}_suppressed": _HIDDEN
        for c in ("power", "habitual", "novice", "low", "non_user", "habitual_plus")
    },
}
TOOL_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "usage_rate": {
        "grain_note": ("how the tool's reports are counted", "text"),
        "active_suppressed": _HIDDEN,
        "rate_suppressed": _HIDDEN,
    },
    "usage_segments_12w": _SEGMENTS_BY_TOOL,
    "usage_segments_4w": _SEGMENTS_BY_TOOL,
    "tool_usage": {
        "tools": ("AI tools with people in the window", "number"),
        "grains": ("finest grain each tool reports at", "text"),
        "tool": ("tool", "text"),
        "grain": ("finest grain the tool reports at", "text", "grain"),
        "licensed": ("of the tool's people, with a seat in the window", "people", "licensed"),
        "weekly_active": ("active in the latest complete week", "people", "weekly active"),
        "weekly_active_rate": ("of the tool's people active in the latest week", "share"),
        "active_days_per_active": ("active days per active person", "number"),
        "every_week": ("used the tool in every 7-day block of the window", "people", "every week"),
        "some_weeks": ("used the tool in some 7-day blocks", "people", "some weeks"),
        "one_week": ("used the tool in one 7-day block", "people", "one week"),
        "daily_note": ("day-based figures", "text"),
        "weekly_note": ("weekly figures", "text"),
        "licence_note": ("licensed people", "text"),
        "licensed_suppressed": _HIDDEN,
        "active_suppressed": _HIDDEN,
        "weekly_active_suppressed": _HIDDEN,
        "every_week_suppressed": _HIDDEN,
        "some_weeks_suppressed": _HIDDEN,
        "one_week_suppressed": _HIDDEN,
    },
    "tool_mix": {
        "combination": ("tools used together", "text", "combination"),
        "combinations": ("people by the exact set of tools they used", "table"),
        "pairs": ("people using both tools of a pair (and maybe others)", "table"),
        "merged": ("combinations below the minimum group size are shown as", "text"),
        "people": ("people", "people"),
        "people_suppressed": _HIDDEN,
    },
    "tool_cost": {
        "cost_month": ("cost a month", "money", "cost month"),
        "cost_per_person_month": ("cost per person-month", "money"),
        "cost_per_active_person_month": ("cost per active person-month", "money"),
        "currency": ("reporting currency", "text"),
        "licence_currency": ("currency of seat prices", "text"),
        "rates": ("exchange rates into the reporting currency", "table"),
        "seat_cost_month": ("seat run rate a month", "money", "seat cost month"),
        "seat_cost_suppressed": _HIDDEN,
        "spend_window": ("spend reported in the window", "money", "spend window"),
        "sources": ("where the cost comes from", "text"),
        "missing": ("not available", "text"),
    },
}
