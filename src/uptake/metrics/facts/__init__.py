"""Materialised facts every metric derives from, refreshed incrementally per affected week.

Raw events are aggregated once, here, into small tables; no metric reads raw events:

* `fact_person_day` — per person and day: events, actions (not session start/end), meaningful
  events, feedback events; workflow runs: eligible high-stakes runs (`elig`: workflow
  `stakes = high` and the person's role among its roles, or the workflow names no roles),
  AI-assisted eligible runs, their completed share, low-stakes runs; decisions and
  overrides; feedback given; help given (as the helper).
* `fact_person_week` — the same per reporting week, plus active days.
* `fact_person_tool_day` — event counts per person, tool and day: the one scan of the events
  table, from which the person-day event counts are summed (licence use is per tool).
* `fact_segment_week` — per segment dimension (plus `all`), segment and week: licensed people
  at the week's end, how many were active, and sums of the activity and run counts.
* `dim_person` — see `uptake.metrics.segments`.

Incremental refresh: `ingest_log` says which batches arrived since the last refresh and the
min/max timestamp of each. Only the reporting weeks those spans touch are deleted and
rebuilt; a roster, workflow catalogue or re-keying batch changes eligibility or identities
everywhere and triggers a full rebuild; a licence batch rebuilds the (cheap) segment-week
facts. Every written row carries the `refresh_id` that wrote it, which is how tests prove
untouched weeks were not rewritten. Engines without in-place deletes (Spark) always rebuild.
"""

from uptake.metrics.facts.build import (
    COUNTS,
    DAY_SOURCES,
    GLOBAL_SOURCES,
    PERSON_DAY,
    PERSON_TOOL_DAY,
    PERSON_WEEK,
    SEGMENT_COUNTS,
    SEGMENT_PEOPLE,
    SEGMENT_WEEK,
    STATE,
    licensed_weeks,
    person_day_expr,
    person_tool_day_expr,
    person_week_expr,
    segment_week_expr,
)
from uptake.metrics.facts.materialise import RefreshReport, pending, refresh, storing

__all__ = [
    "COUNTS",
    "DAY_SOURCES",
    "GLOBAL_SOURCES",
    "PERSON_DAY",
    "PERSON_TOOL_DAY",
    "PERSON_WEEK",
    "SEGMENT_COUNTS",
    "SEGMENT_PEOPLE",
    "SEGMENT_WEEK",
    "STATE",
    "RefreshReport",
    "licensed_weeks",
    "pending",
    "person_day_expr",
    "person_tool_day_expr",
    "person_week_expr",
    "refresh",
    "segment_week_expr",
    "storing",
]
