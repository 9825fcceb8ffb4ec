"""Words and units for every metric field, and how to print a value in its unit.

Every surface (the CLI today, the web dashboard later) prints a field as its value followed by
its label, so labels are written to read after the number: "38 %" + "of eligible high-stakes
runs AI-assisted". `describe` looks a field up for one metric first (the same name can mean
different things in two metrics), then for all metrics, and falls back to a humanised name.
An interval's ends (`x_low`, `x_high`, `ci_low`, `ci_high`) take their label from `x`.

Plain data and functions only: no rich, typer or web imports.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from uptake.metrics.tool_labels import TOOL_FIELDS

# Display units: the metric units of `uptake.metrics.result.UNITS` plus a few for fields that
# are not quantities (dates, text, yes/no, a {start, end} period, a p-value, a plain number).
DISPLAY_UNITS = (
    "share", "people", "count", "seats", "runs", "hours", "days", "weeks",
    "money", "ratio", "points", "score", "level",
    "minutes", "table", "date", "text", "flag", "period", "p", "number",
)  # fmt: skip


# Units counted in whole things.
_WHOLE = {"people", "count", "seats", "runs", "number"}


class FieldLabel(NamedTuple):
    """How one field reads: the words after its value, its unit and a short column header."""

    label: str
    unit: str
    column: str = ""
    # A vendor's count of one day (its latest reported), which a page names beside it.
    one_day: bool = False

    @property
    def header(self) -> str:
        """The column header: the short form when there is one, else the label."""
        return self.column or self.label


def _f(label: str, unit: str, column: str = "") -> FieldLabel:
    return FieldLabel(label, unit, column)


def _day(label: str, unit: str, column: str = "") -> FieldLabel:
    """A vendor's count of its latest reported day (the label says so; `one_day` is set)."""
    return FieldLabel(f"{label} on the latest day", unit, column, one_day=True)


# Fields with one meaning wherever they appear.
FIELDS: dict[str, FieldLabel] = {
    # keys of group rows
    "segment": _f("segment", "text"),
    "group": _f("group", "text"),
    "week": _f("week starting", "date", "week"),
    "month": _f("month", "text"),
    "cohort": _f("cohort", "text"),
    "workflow": _f("workflow", "text"),
    "name": _f("workflow name", "text", "name"),
    "category": _f("category", "text"),
    "from": _f("level at the start", "level", "from"),
    "day": _f("days since first licence", "number", "day"),
    # population and window
    "n": _f("people counted", "people", "people"),
    "window": _f("window", "period"),
    "start": _f("first day", "date"),
    "end": _f("last day", "date"),
    "window_days": _f("days in the window", "days", "window days"),
    "weeks_counted": _f("weeks counted", "weeks", "weeks counted"),
    "weeks_searched": _f("weeks searched", "weeks"),
    "basis": _f("what the levels rest on", "text", "basis"),
    "definition": _f("in detail", "text"),
    "rules": _f("rules", "text"),
    "method": _f("method", "text"),
    "unit": _f("unit", "text"),
    # tables nested in a metric's values
    "rows": _f("level changes between the two weeks", "table"),
    "curve": _f("share not yet at L3, by days since first licence", "table"),
    "by_role": _f("by role", "table"),
    "by_cohort": _f("by cohort (month of first licence)", "table"),
    "by_tool": _f("by tool", "table"),
    "workflows": _f("by workflow", "table"),
    "groups": _f("by segment", "table"),
    "months": _f("by month and cohort", "table"),
    "categories": _f("by category", "table"),
    "peaks": _f("weeks with a peak of feedback", "table"),
    # usage
    "active": _f("licensed people active in the window", "people", "active"),
    "rate": _f("of licensed people active in the window", "share", "active share"),
    # depth of use
    "elig": _f("eligible high-stakes runs", "runs", "eligible runs"),
    "ai_elig": _f("eligible runs AI-assisted", "runs", "AI-assisted"),
    "ai_elig_done": _f("AI-assisted eligible runs completed", "runs", "AI-assisted done"),
    "elig_done": _f("eligible runs completed", "runs", "completed"),
    "depth": _f("of eligible high-stakes runs AI-assisted and completed", "share", "depth"),
    "completion_share": _f(
        "of completed eligible runs AI-assisted", "share", "AI share of completed"
    ),
    "ai_completion_rate": _f(
        "of AI-assisted eligible runs completed", "share", "AI runs completed"
    ),
    # adoption ladder
    # Names only: the rules behind each level depend on the basis and are stated beside it.
    "L1": _f("people at L1 (aware)", "people", "L1"),
    "L2": _f("people at L2 (trial)", "people", "L2"),
    "L3": _f("people at L3 (active)", "people", "L3"),
    "L4": _f("people at L4 (integrated)", "people", "L4"),
    "L5": _f("people at L5 (advocate)", "people", "L5"),
    "l3_plus_share": _f("of people at L3 or above", "share", "L3+"),
    "from_week": _f("first week compared", "date"),
    "to_week": _f("second week compared", "date"),
    "up": _f("people who moved up a level", "people", "up"),
    "down": _f("people who moved down a level", "people", "down"),
    "same": _f("people who stayed at their level", "people", "same"),
    "to_L1": _f("now at L1", "people", "→ L1"),
    "to_L2": _f("now at L2", "people", "→ L2"),
    "to_L3": _f("now at L3", "people", "→ L3"),
    "to_L4": _f("now at L4", "people", "→ L4"),
    "to_L5": _f("now at L5", "people", "→ L5"),
    # usage segments (Microsoft Copilot)
    "power": _f("power users", "people", "power"),
    "habitual": _f("habitual users", "people", "habitual"),
    "novice": _f("novice users", "people", "novice"),
    "low": _f("low users", "people", "low"),
    "non_user": _f("non-users", "people", "non-user"),
    "power_share": _f("of people power users", "share", "power %"),
    "habitual_share": _f("of people habitual users", "share", "habitual %"),
    "novice_share": _f("of people novice users", "share", "novice %"),
    "low_share": _f("of people low users", "share", "low %"),
    "non_user_share": _f("of people non-users", "share", "non-user %"),
    "habitual_plus_share": _f(
        "of licensed people habitual or power users", "share", "habitual or power %"
    ),
    "habitual_weeks": _f("weeks of use that make a user habitual", "weeks"),
    "recommended": _f("the recommended view", "flag", "recommended"),
    "recommended_reason": _f("why (not) the recommended view", "text"),
    "history_start": _f("first day with any event", "date", "data from"),
    "history_weeks": _f("whole weeks of history in the data", "weeks", "history"),
    # time to proficiency
    "reached": _f("people who reached L3", "people", "reached L3"),
    "censored": _f("people not at L3 yet", "people", "not yet"),
    "median_days": _f("median days to reach L3", "days", "median days"),
    "events": _f("people who reached L3", "people", "reached"),
    "not_proficient": _f("of people not yet at L3", "share", "not yet L3"),
    "data_start": _f("first day of data (earlier licence days are not counted as non-use)", "date"),
    "left_truncated": _f(
        "people licensed before the data starts (entering the estimate late)",
        "people",
        "late entry",
    ),
    # licences
    "seats": _f("seats assigned", "seats", "seats"),
    "used": _f("seats used in the window", "seats", "used"),
    "unused": _f("seats unused in the window", "seats", "unused"),
    "unknown": _f("seats with no usage data", "seats", "no data"),
    "reclaim_seats": _f("seats to reclaim", "seats", "to reclaim"),
    "reclaim_unpriced": _f("seats to reclaim with no price", "seats", "unpriced"),
    "monthly_saving": _f("a month from reclaiming seats", "money", "saving a month"),
    "annual_saving": _f("a year from reclaiming seats", "money", "saving a year"),
    "kept_new_starters": _f("unused seats kept for new starters", "seats", "kept: new"),
    "kept_on_leave": _f("unused seats kept for people on leave", "seats", "kept: leave"),
    "utilisation": _f("of seats used", "share", "used %"),
    "reclaim_rule": _f("reclaim rule", "text"),
    "licences": _f("licences assigned", "seats", "licences"),
    "licenses": _f("licenses assigned", "seats", "licenses"),
    # confidence and NPS
    "mean": _f("mean score (0–10)", "score", "mean"),
    "median": _f("median score (0–10)", "score", "median"),
    "inferred": _f("inferred from behaviour", "flag", "inferred"),
    "model": _f("model", "text"),
    "kind": _f("model", "text"),
    "features": _f("behaviour features", "text"),
    "coefficients": _f("weights (per standard deviation)", "number", "weights"),
    "active_week_share": _f("share of weeks active", "number"),
    "actions_per_week_log": _f("actions a week (log)", "number"),
    "meaningful_share": _f("share of meaningful actions", "number"),
    "bounce_share": _f("share of bounced sessions", "number"),
    "override_rate": _f("of AI recommendations overridden", "share", "overridden"),
    "high_stakes_ai_share": _f("share of high-stakes runs AI-assisted", "number"),
    "n_train": _f("people the model was fitted on", "people"),
    "n_test": _f("people it was tested on", "people"),
    "n_fitted": _f("people with a survey answer", "people"),
    "mae": _f("mean absolute error (points of 10)", "score"),
    "baseline_mae": _f("error of always guessing the mean", "score"),
    "skill": _f("of the baseline error removed", "share"),
    "seed": _f("random seed", "number"),
    "promoters": _f("of answers promoters (9–10)", "share", "promoters"),
    "detractors": _f("of answers detractors (0–6)", "share", "detractors"),
    "nps": _f("net promoter score (−100 to 100)", "score", "NPS"),
    # trust
    "decisions": _f("AI recommendations decided", "count", "decisions"),
    "slope": _f("change in the override share a week", "points", "trend a week"),
    "slope_p": _f("chance of a trend this steep with none (p)", "p", "trend p"),
    "higher_is_better": _f("higher outcomes are better", "flag"),
    "followed_decisions": _f("recommendations followed", "count", "followed"),
    "overridden_decisions": _f("recommendations overridden", "count", "overridden"),
    "followed_mean": _f("mean outcome when followed", "number", "followed"),
    "overridden_mean": _f("mean outcome when overridden", "number", "overridden"),
    "difference": _f("overridden minus followed", "number", "difference"),
    "welch_t": _f("Welch t", "number"),
    "welch_p": _f("Welch test p", "p"),
    "mannwhitney_u": _f("Mann–Whitney U", "number"),
    "mannwhitney_p": _f("Mann–Whitney p", "p"),
    "min_overrides": _f("overrides needed to judge a person", "count"),
    "individual": _f("per person", "text"),
    # outcomes and ROI
    "people_ai": _f("people with AI-assisted runs", "people", "people using AI"),
    "ai_runs": _f("AI-assisted runs", "runs", "AI runs"),
    "other_runs": _f("runs without AI", "runs", "other runs"),
    "hours_per_week": _f("saved a week", "hours", "hours saved a week"),
    "value_per_week": _f("of time saved a week", "money", "value a week"),
    "workflows_compared": _f("workflows compared", "count", "workflows"),
    "hourly_cost": _f("an hour (loaded cost)", "money", "hourly cost"),
    "median_ai": _f("median with AI", "minutes", "min with AI"),
    "median_other": _f("median without AI", "minutes", "min without AI"),
    "baseline_minutes": _f("documented manual time", "minutes", "manual min"),
    "saving_vs_other": _f("saved a run against runs without AI", "minutes", "min saved vs no AI"),
    "saving_vs_baseline": _f(
        "saved a run against the manual time", "minutes", "min saved vs manual"
    ),
    "saving_per_run": _f("saved a run", "minutes", "min saved a run"),
    "reference": _f("compared against", "text", "against"),
    "steps_retired_per_run": _f("steps retired a run", "number", "steps a run"),
    "steps_retired": _f("manual steps retired", "count", "steps retired"),
    "per_ai_run": _f("steps retired per AI-assisted run", "number", "per AI run"),
    "license_cost": _f("licence cost in the window", "money", "licence cost"),
    "value_saved": _f("value of time saved in the window", "money", "value saved"),
    "roi": _f("return on licence cost ((value − cost) ÷ cost)", "ratio", "ROI"),
    "unpriced_seats": _f("seats held in the window with no price", "seats", "unpriced"),
    # feedback
    "items": _f("feedback items", "count", "items"),
    "per_week": _f("feedback items a week", "number", "a week"),
    "resolved": _f("items resolved", "count", "resolved"),
    "share_resolved": _f("of items resolved", "share", "resolved %"),
    "median_days_resolved": _f(
        "median days to resolve (resolved items)", "days", "median days resolved"
    ),
    "channels": _f("channels", "text"),
    "prominence_min": _f("minimum peak prominence (items)", "number"),
    "second_peak": _f("a second peak", "flag"),
    "second_peak_week": _f("week of the second peak", "date"),
    # vanity against value
    "monthly_active_users": _f("monthly active users", "people", "MAU"),
    "active_rate": _f(
        "of licensed people active (what login dashboards show)", "share", "active (logins)"
    ),
    "ladder_basis": _f("what the ladder rests on", "text"),
    "gap_points": _f("between active share and L3+ share", "points", "gap"),
    "hours_saved_per_week": _f("saved a week", "hours", "hours saved a week"),
}

# Vendor aggregates (GitHub, Microsoft) as reported, and uptake's own people beside them.
_VENDOR: dict[str, FieldLabel] = {
    "source": _f("reports read", "text"),
    "scope": _f("whose numbers (scope)", "text", "scope"),
    "report": _f("report read", "text"),
    "days_covered": _f("days with vendor numbers in the window", "days", "days"),
    "first_day": _f("first day with vendor numbers", "date"),
    "latest_day": _f("latest day with vendor numbers", "date"),
    "daily_active_users": _day("daily active users", "people", "DAU"),
    "weekly_active_users": _day("weekly active users", "people", "WAU"),
    "monthly_active_users": _day("monthly active users", "people", "MAU"),
    "mean_daily_active_users": _f("mean daily active users over the days reported", "people"),
    "daily_active_cli_users": _day("daily active CLI users", "people", "CLI DAU"),
    "monthly_active_chat_users": _day("monthly active chat users", "people", "chat MAU"),
    "monthly_active_agent_users": _day("monthly active agent users", "people", "agent MAU"),
    "engaged_users": _day("engaged users", "people", "engaged"),
    # The retired metrics API's engaged users per feature (history imported from it).
    "ide_code_completions_engaged_users": _day(
        "IDE code-completion engaged users", "people", "IDE completion"
    ),
    "ide_chat_engaged_users": _day("IDE chat engaged users", "people", "IDE chat"),
    "dotcom_chat_engaged_users": _day("github.com chat engaged users", "people", "github.com chat"),
    "dotcom_pull_requests_engaged_users": _day(
        "pull-request summary engaged users", "people", "PR summaries"
    ),
    "acceptance_rate": _f("of code-completion suggestions accepted (GitHub's definition)", "share"),
    "acceptances": _f("code-completion suggestions accepted", "count", "accepted"),
    "generations": _f("code-completion suggestions shown", "count", "shown"),
    "acceptance_source": _f("acceptance rate read from", "text"),
    "acceptance_people": _f("people with code completions in the per-user report", "people"),
    "pull_requests": _f("pull requests in the window", "table"),
    "enabled_users": _f("users enabled for Copilot", "people", "enabled"),
    "active_users": _f("users active", "people", "active"),
    "active_share": _f("of enabled users active in any app", "share", "active %"),
    "apps": _f("per app on the latest day", "table"),
    "apps_day": _f("day of the per-app numbers", "date"),
    "period": _f("per app over the summary's period", "table"),
    "period_days": _f("days in the summary's period", "days"),
    "uptake": _f("what uptake sees for the same tool and window", "table"),
    "licensed_people": _f("people holding a seat of the tool on the as-of date", "people"),
    "active_people": _f("people with activity of the tool in the window", "people"),
    "chat_users": _f("people who used chat in the window (per-user report)", "people"),
    "agent_users": _f("people who used agent mode in the window (per-user report)", "people"),
    "cli_users": _f("people who used the CLI in the window (per-user report)", "people"),
}

# Fields whose meaning depends on the metric.
METRIC_FIELDS: dict[str, dict[str, FieldLabel]] = {
    "weekly_active_rate": {
        "active": _f("licensed people active in the week", "people", "active"),
        "rate": _f("of licensed people active in the week", "share", "active share"),
        "week": _f("latest complete week, starting", "date", "week"),
    },
    "weekly_depth": {"week": _f("latest complete week, starting", "date", "week")},
    "usage_segments_12w": {
        "weeks": _f("weeks looked back", "weeks"),
        "weeks_counted": _f("weeks looked back", "weeks"),
    },
    "usage_segments_4w": {
        "weeks": _f("weeks looked back", "weeks"),
        "weeks_counted": _f("weeks looked back", "weeks"),
    },
    "time_to_proficiency": {
        "median_days": _f("median days from first licence to L3", "days", "median days"),
    },
    "confidence_inferred": {
        "mean": _f("mean inferred score (0–10)", "score", "mean"),
        "median": _f("median inferred score (0–10)", "score", "median"),
    },
    "override_accuracy": {
        "mean": _f("of judged overrides beat following (mean a person)", "share", "mean"),
        "median": _f("of judged overrides beat following (median)", "share", "median"),
    },
    "feedback_resolution": {
        "median_days": _f("median days to resolve (open items counted)", "days", "median days"),
    },
    "feedback_volume": {"n": _f("people who gave feedback", "people", "people")},
    # The ROI's cost counts every seat held at some point in the window, not only those held
    # on the as-of date (the licences' "seats assigned"): the two counts may differ.
    "roi": {
        "n": _f("licensed people", "people", "people"),
        "seats": _f("seats held in the window", "seats", "seats"),
    },
    "vendor_github_copilot": _VENDOR,
    "vendor_m365_copilot": _VENDOR,
}

for _metric, _fields in TOOL_FIELDS.items():
    METRIC_FIELDS.setdefault(_metric, {}).update({k: _f(*v) for k, v in _fields.items()})

# Money (and what is worked out from money) that rests on seat prices: the field counting the
# seats without a price. A missing value there is "unknown", never 0.
PRICED_BY = {
    "monthly_saving": "reclaim_unpriced",
    "annual_saving": "reclaim_unpriced",
    "license_cost": "unpriced_seats",
    "roi": "unpriced_seats",
}

# Suffixes of the ends of an interval around the field named by the rest.
_INTERVAL = {"_low": "low", "_high": "high"}
_CI = {"ci_low": "low", "ci_high": "high"}
# Metrics whose `ci_low`/`ci_high` bound a field other than the headline.
_CI_OF = {"time_to_proficiency": "median_days"}


def interval_of(field: str, metric: str | None = None) -> tuple[str, str] | None:
    """The field an interval end belongs to, and which end.

    Args:
        field: a field name such as `hours_per_week_low` or `ci_high`.
        metric: the metric it belongs to (for `ci_low`/`ci_high`).

    Returns:
        `(base field, "low" | "high")`, or None when the field is not an interval end.
    """
    if field in _CI:
        return _CI_OF.get(metric or "", "median_days"), _CI[field]
    for suffix, end in _INTERVAL.items():
        if field.endswith(suffix) and field != suffix.lstrip("_"):
            base = field[: -len(suffix)]
            if base:
                return base, end
    return None


def known(field: str, metric: str | None = None) -> bool:
    """Whether a field has a written label (an interval end counts when its field does).

    Args:
        field: the field name.
        metric: the metric it belongs to.

    Returns:
        True when `describe` does not fall back to a humanised name.
    """
    if field in METRIC_FIELDS.get(metric or "", {}) or field in FIELDS:
        return True
    end = interval_of(field, metric)
    return end is not None and known(end[0], metric)


def describe(field: str, metric: str | None = None) -> FieldLabel:
    """The label and unit of a field.

    Args:
        field: the field name as in `--json`.
        metric: the metric it belongs to; its own wording wins.

    Returns:
        The label; unknown fields get a humanised name and the unit `number`.
    """
    scoped = METRIC_FIELDS.get(metric or "", {})
    if field in scoped:
        return scoped[field]
    if field in FIELDS:
        return FIELDS[field]
    end = interval_of(field, metric)
    if end is not None and known(end[0], metric):
        base = describe(end[0], metric)
        return FieldLabel(f"{base.label} ({end[1]} end)", base.unit, f"{base.header} {end[1]}")
    return FieldLabel(humanise(field), "number")


# Plural nouns labels start with, and their singular after a value of exactly 1.
_SINGULAR = {
    "people": "person",
    "seats": "seat",
    "runs": "run",
    "hours": "hour",
    "days": "day",
    "weeks": "week",
    "workflows": "workflow",
    "teams": "team",
    "licences": "licence",
    "events": "event",
    "tools": "tool",
    "decisions": "decision",
    "overrides": "override",
    "steps": "step",
    "responses": "response",
}


def agree(shown: str, words: str) -> str:
    """A label's first noun made to agree with the value it follows ("1 seat used").

    Args:
        shown: the value as printed ("1", "1.5", "1 ±2").
        words: the label read after it.

    Returns:
        The label, its first word singular when the value reads exactly 1.
    """
    first, _, rest = words.partition(" ")
    if shown.strip() != "1" or first not in _SINGULAR:
        return words
    return f"{_SINGULAR[first]} {rest}" if rest else _SINGULAR[first]


def humanise(name: str) -> str:
    """A readable form of a field or metric name.

    Args:
        name: e.g. `ai_elig_done`.

    Returns:
        e.g. "ai elig done".
    """
    return name.replace("_", " ").strip()


def format_value(value: Any, unit: str, currency: str = "USD", *, bare: bool = False) -> str:
    """A value printed in its unit: "38 %", "USD 12,400", "6.0×", "1,518", "4.3 hours".

    Args:
        value: a JSON scalar, or a {start, end} dict for a period.
        unit: one of `DISPLAY_UNITS` (others print as a plain number).
        currency: ISO 4217 code for money.
        bare: leave out the unit words (for the ends of a range after the value).

    Returns:
        The text; "—" for a missing value.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        if unit == "period" and {"start", "end"} <= set(value):
            return f"{value['start']} to {value['end']}"
        return ", ".join(f"{humanise(str(k))} {v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(humanise(str(v)) for v in value)
    if isinstance(value, str) or not isinstance(value, int | float):
        return str(value)
    if unit == "share":
        return _pct(100 * value) + ("" if bare else " %")
    if unit == "points":
        return _pct(value) + ("" if bare else " pts")
    if unit == "score":
        return f"{value:,.1f}"
    if unit == "money":
        return _money(value) if bare else f"{currency} {_money(value)}"
    if unit == "ratio":
        return f"{value:.1f}" + ("" if bare else "×")
    if unit == "p":
        return "< 0.001" if value < 0.001 else f"{value:.3f}"
    if unit in ("hours", "days", "weeks", "minutes"):
        words = {"hours": "hours", "days": "days", "weeks": "weeks", "minutes": "min"}
        text = _num(value, whole=False)
        if bare:
            return text
        word = words[unit]
        return f"{text} {word[:-1] if text == '1' and word.endswith('s') else word}"
    return _num(value, whole=unit in _WHOLE)


def format_change(first: Any, last: Any, unit: str, currency: str = "USD") -> str:
    """The change from a first to a last value, signed: "+5 pts", "-12", "+USD 200".

    Args:
        first: the earlier value.
        last: the later value.
        unit: their unit; a change of shares is in percentage points.
        currency: ISO 4217 code for money.

    Returns:
        The text; "—" when either value is missing or not a number.
    """
    ok = (int, float)
    if not isinstance(first, ok) or not isinstance(last, ok) or isinstance(first, bool):
        return "—"
    # Rounded so float noise (0.6 - 0.5 = 0.0999…) does not change how the result prints.
    diff = round(last - first, 9)
    if unit == "share":
        return _sign(diff * 100, _pct(abs(diff * 100))) + " pts"
    if unit == "money":
        return _sign(diff, f"{currency} {_money(abs(diff))}")
    if unit == "ratio":
        return _sign(diff, f"{abs(diff):.1f}×")
    return _sign(diff, format_value(abs(diff), unit, currency))


def signed(value: float, digits: int = 0) -> str:
    """A change with its sign, or none when it rounds to zero: "+3", "-1.5", "0".

    Args:
        value: the change.
        digits: decimals shown.

    Returns:
        The text; "+0" would claim a rise that the shown digits cannot.
    """
    return _sign(float(value), f"{abs(float(value)):,.{digits}f}")


def _sign(diff: float, text: str) -> str:
    # A change that rounds to zero carries no sign.
    if diff == 0 or not any(c in "123456789" for c in text):
        return text
    return ("+" if diff > 0 else "-") + text


def _pct(x: float) -> str:
    # Whole percentages read best; small shares keep one decimal so 0.4 % is not "0 %".
    if x == 0 or round(abs(x), 1) >= 10:
        return f"{x:,.0f}"
    return f"{x:.1f}"


def _money(x: float) -> str:
    if float(x).is_integer() or abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:,.2f}"


def _num(x: float, *, whole: bool) -> str:
    # Counts stored as floats (2184.0) read as whole numbers; a measurement keeps its decimal
    # so the ends of an interval read alike ("4.4 to 7.0").
    if isinstance(x, int) or (whole and float(x).is_integer()):
        return f"{int(x):,}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:.1f}"
    return f"{x:.2f}"
