"""Which days a vendor's reports cover: a source that reports dates, not every day, says so.

Microsoft 365 Copilot's user detail gives each person's *last* activity date per app as of
each report. Polled daily (the by-date report), every active day is seen; from a monthly
period report only the last one is, so earlier active days in the window are unknown and
every day-based number (weekly activity, usage segments, the activity-proxy ladder, time to
proficiency) is too low for those people. `day_gaps` finds that and words a note.
"""

from __future__ import annotations

from uptake.metrics.context import MetricContext

# Tools whose activity days come from reports of last-activity dates.
DATED = {"m365-copilot": "Microsoft 365 Copilot"}
# Metrics whose numbers rest on active days.
DAY_BASED = (
    "weekly_active_rate",
    "adoption_ladder",
    "ladder_transitions",
    "usage_segments_12w",
    "usage_segments_4w",
    "time_to_proficiency",
)


def day_gaps(ctx: MetricContext) -> tuple[str, ...]:
    """Notes for tools whose reports cover fewer days of the window than it has.

    Args:
        ctx: metric context.

    Returns:
        One note per such tool (empty when every day is covered or no such tool is in use).
    """
    if not ctx.has("person_facts"):
        return ()
    pf = ctx.engine.table("person_facts")
    listed = pf.filter(
        (pf.fact == "licensed")
        & pf.tool.isin(list(DATED))
        & (pf.report_date >= ctx.window_start)
        & (pf.report_date <= ctx.as_of)
    )
    seen = ctx.engine.execute(listed.group_by("tool").aggregate(days=listed.report_date.nunique()))
    days = ctx.settings.window_days
    notes = []
    for tool, covered in zip(seen["tool"], seen["days"], strict=True):
        if int(covered) < days:
            notes.append(
                f"{DATED[str(tool)]} activity comes from {int(covered)} report date(s) in the "
                f"{days}-day window: days before each person's last activity are unknown, so "
                "day-based numbers are too low (ingest the daily user-detail-by-date report)"
            )
    return tuple(notes)
