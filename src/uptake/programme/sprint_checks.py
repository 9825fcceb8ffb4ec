"""The data's evidence for the sprint's milestones: which day each first held, or why not.

Each check reads the data up to the end of the as-of day, from the sprint's day 1:

* `audit_sample` (`audit_sample_drawn`) — an audited `read audit_sample` in the audit log;
* `interviews` (`audit_interviewed`) — interview forms received (distinct submissions
  answering any interview question) for at least half the configured sample size;
* `decisions` (`override_tracking`) — decisions flow: the first decision row;
* `dashboard` (`weekly_dashboard`) — dashboard page views by people with organisation or
  team roles (`view /<page>` rows of the audit log) in `DASHBOARD_WEEKS` consecutive sprint
  weeks;
* `champions` (`champion_network`) — the champion selection (`signals.champions`) covers at
  least `programme.champion_coverage` of the roster's people (a selected champion in their
  own team), first met at a sprint week end (found by bisection over the week ends:
  coverage grows as help is asked and given);
* `feedback_1` / `feedback_2` (`feedback_cycle`, `second_feedback_cycle`) — at least half the
  feedback received in phase one (two) is resolved, as the feedback metrics count it (form
  answers and interview notes have nothing to resolve and are left out);
* `outcomes` (`outcomes_logged`) — at least k followed and k overridden decisions carry an
  outcome, so the two can be compared at the minimum group size;
* `proposals` (`proposals_backlog`) — the first use-case proposal;
* `redesign` (`production_workflow`) — the first workflow redesign recorded.

A check whose input table is empty is `not_available` and names it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import ibis
import pandas as pd

from uptake.errors import NotAvailableError
from uptake.metrics.context import Memo, MetricContext
from uptake.programme.interview import QUESTIONS
from uptake.programme.sprint import PHASES, Phase

DASHBOARD_WEEKS = 3
CHAMPION_COVERAGE = 0.5
# Roles whose dashboard page views are recorded (organisation or team readers).
VIEWER_ROLES = ("admin", "analyst", "manager")
VIEW_ACTION = "view /"
SAMPLE_ACTION = "read audit_sample"
# Feedback channels of form answers and interview notes: closed on arrival, nothing to resolve.
FORM_CHANNELS = ("pulse", "interview")


@dataclass(frozen=True)
class Evidence:
    """What the data says about one milestone.

    Attributes:
        status: `ok` (the data can tell) or `not_available` (it cannot: see `needs`).
        done_on: the first day the evidence held, or None.
        text: the evidence (or its absence) in words.
        needs: the inputs missing when not available.
    """

    status: str
    done_on: date | None
    text: str
    needs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"status": self.status, "done_on": _iso(self.done_on), "text": self.text,
                "needs": list(self.needs)}  # fmt: skip


def evidence(
    ctx: MetricContext,
    start: date,
    *,
    sample_size: int,
    champions: Callable[[MetricContext], float | None] | None = None,
    champion_coverage: float = CHAMPION_COVERAGE,
) -> dict[str, Evidence]:
    """The data's evidence for every milestone it can tick, up to the end of `ctx.as_of`.

    Args:
        ctx: metric context (as-of day and k).
        start: day 1 of the sprint.
        sample_size: the audit sample's configured size (half of it interviewed ticks).
        champions: the champion coverage on a context's as-of day (share of people whose
            team has a selected champion; None when it cannot be computed), or None to
            skip that check.
        champion_coverage: the coverage at which the champion network counts as selected.

    Returns:
        check name → evidence.
    """
    checks: dict[str, Callable[[], Evidence]] = {
        "audit_sample": lambda: _audit_sample(ctx, start),
        "interviews": lambda: _interviews(ctx, start, sample_size),
        "decisions": lambda: _decisions(ctx, start),
        "dashboard": lambda: _dashboard(ctx, start),
        "feedback_1": lambda: _feedback(ctx, start, PHASES[0]),
        "feedback_2": lambda: _feedback(ctx, start, PHASES[1]),
        "outcomes": lambda: _outcomes(ctx, start),
        "proposals": lambda: _first_row(ctx, start, "proposals", "ts", "proposal"),
        "redesign": lambda: _first_row(ctx, start, "workflow_redesigns", "redesigned_on",
                                       "workflow redesign"),
    }  # fmt: skip
    if champions is not None:
        check = champions
        checks["champions"] = lambda: _champions(ctx, start, check, champion_coverage)
    out: dict[str, Evidence] = {}
    for name, run in checks.items():
        if ctx.as_of < start:
            out[name] = Evidence("ok", None, "the sprint has not started")
            continue
        try:
            out[name] = run()
        except NotAvailableError as exc:
            text = str(exc) if str(exc).startswith("not available") else f"not available: {exc}"
            out[name] = Evidence("not_available", None, text, tuple(exc.needs))
    return out


def _span(ctx: MetricContext, start: date) -> tuple[ibis.Value, ibis.Value]:
    lo = ibis.literal(datetime.combine(start, time()))
    hi = ibis.literal(datetime.combine(ctx.as_of + timedelta(days=1), time()))
    return lo, hi


def _table(ctx: MetricContext, name: str, what: str) -> ibis.Table:
    """A table holding rows, or not available saying what would tick the milestone."""
    if not ctx.engine.has(name):
        raise NotAvailableError(f"not available: needs {what}", needs=[name])
    return ctx.engine.table(name)


def _audit_sample(ctx: MetricContext, start: date) -> Evidence:
    t = ctx.engine.table("audit_log")
    lo, hi = _span(ctx, start)
    t = t.filter((t.action == SAMPLE_ACTION) & (t.ts >= lo) & (t.ts < hi))
    first = _min_day(ctx, t.ts)
    if first is None:
        return Evidence("ok", None, "no audit sample drawn since the start")
    return Evidence("ok", first, f"audit sample drawn on {first} (audit log)")


def _interviews(ctx: MetricContext, start: date, sample_size: int) -> Evidence:
    """Interview forms received: distinct submissions answering any interview question."""
    t = _table(ctx, "responses", "interview forms (responses to the audit interview)")
    lo, hi = _span(ctx, start)
    ids = [q.id for q in QUESTIONS]
    t = t.filter(t.item.isin(ids) & (t.ts >= lo) & (t.ts < hi))
    got = ctx.engine.execute(t.select("ts", "person_key", seg=t.segment.cast("string")))
    # One submission stores one row per answered question, all with its time and respondent.
    forms = got.astype(str).drop_duplicates().sort_values("ts")
    need = math.ceil(sample_size / 2)
    if len(forms) < need:
        return Evidence("ok", None, f"{len(forms)} interview forms received of the {need} needed")
    day = pd.Timestamp(forms["ts"].iloc[need - 1]).date()
    return Evidence("ok", day, f"{len(forms)} interview forms received ({need} by {day})")


def _decisions(ctx: MetricContext, start: date) -> Evidence:
    t = _table(ctx, "decisions", "decisions (the decision log: followed or overridden)")
    lo, hi = _span(ctx, start)
    first = _min_day(ctx, t.filter((t.ts >= lo) & (t.ts < hi)).ts)
    if first is None:
        return Evidence("ok", None, "no decision logged since the start")
    return Evidence("ok", first, f"decisions flow: the first logged on {first}")


def _dashboard(ctx: MetricContext, start: date) -> Evidence:
    t = ctx.engine.table("audit_log")
    lo, hi = _span(ctx, start)
    t = t.filter(
        t.action.startswith(VIEW_ACTION) & t.role.isin(VIEWER_ROLES) & (t.ts >= lo) & (t.ts < hi)
    )
    views = ctx.engine.execute(t.select("ts"))
    if views.empty:
        return Evidence("ok", None, "no dashboard page viewed since the start")
    days = sorted({pd.Timestamp(v).date() for v in views["ts"]})
    weeks: dict[int, date] = {}
    for d in days:
        weeks.setdefault((d - start).days // 7, d)
    run = 0
    for w in range(min(weeks), max(weeks) + 1):
        run = run + 1 if w in weeks else 0
        if run >= DASHBOARD_WEEKS:
            first = weeks[w]
            text = f"dashboard viewed in {DASHBOARD_WEEKS} consecutive weeks (sprint weeks "
            return Evidence("ok", first, f"{text}{w - 1}–{w + 1}) by {first}")
    seen = ", ".join(str(w + 1) for w in sorted(weeks))
    return Evidence("ok", None, f"dashboard viewed in sprint weeks {seen}; needs "
                                f"{DASHBOARD_WEEKS} consecutive weeks")  # fmt: skip


def _feedback(ctx: MetricContext, start: date, phase: Phase) -> Evidence:
    """Half the feedback received in a phase resolved (form answers have nothing to resolve).

    Resolved as the feedback metrics count it: `resolved_at` by the as-of day, or a resolved
    status without a date (`feedback_resolved_statuses`), which dates the cycle no earlier
    than the as-of day.
    """
    t = _table(ctx, "feedback", "feedback (tickets, comments) with their resolution")
    lo = ibis.literal(datetime.combine(start + timedelta(days=phase.first_day - 1), time()))
    hi_day = min(start + timedelta(days=phase.last_day), ctx.as_of + timedelta(days=1))
    hi = ibis.literal(datetime.combine(hi_day, time()))
    t = t.filter((t.ts >= lo) & (t.ts < hi) & ~t.channel.isin(FORM_CHANNELS))
    got = ctx.engine.execute(t.select("status", "resolved_at"))
    span = f"days {phase.first_day}–{phase.last_day}"
    if got.empty:
        return Evidence("ok", None, f"no feedback received in {span}: open a channel people use")
    end = pd.Timestamp(datetime.combine(ctx.as_of + timedelta(days=1), time()))
    at = pd.to_datetime(got["resolved_at"])
    dated = sorted(d.date() for d in at[at.notna() & (at < end)])
    statuses = {s.lower() for s in ctx.settings.feedback_resolved_statuses}
    undated = int((at.isna() & got["status"].astype(str).str.lower().isin(statuses)).sum())
    need = math.ceil(len(got) / 2)
    share = f"{len(dated) + undated} of {len(got)} items received in {span} resolved"
    if len(dated) + undated < need:
        return Evidence("ok", None, f"{share}; needs half")
    day = dated[need - 1] if len(dated) >= need else ctx.as_of
    return Evidence("ok", day, f"{share} (half by {day}); communicating it back is yours to note")


def _outcomes(ctx: MetricContext, start: date) -> Evidence:
    t = _table(ctx, "decisions", "decisions with outcomes (followed and overridden)")
    lo, hi = _span(ctx, start)
    t = t.filter((t.ts >= lo) & (t.ts < hi) & t.outcome.notnull())
    got = ctx.engine.execute(t.select("followed", at=t.outcome_ts.fill_null(t.ts)))
    k = ctx.min_group_size
    if got.empty:
        return Evidence("ok", None, "no decision outcome logged since the start")
    got = got.sort_values("at")
    days: list[date] = []
    for followed in (True, False):
        part = got[got["followed"].astype(bool) == followed]
        if len(part) < k:
            which = "followed" if followed else "overridden"
            return Evidence("ok", None, f"fewer than k = {k} {which} decisions have an outcome")
        days.append(pd.Timestamp(part["at"].iloc[k - 1]).date())
    day = min(max(days), ctx.as_of)
    return Evidence("ok", day, f"at least k = {k} followed and k overridden decisions have "
                               f"an outcome by {day}")  # fmt: skip


def _first_row(ctx: MetricContext, start: date, name: str, column: str, what: str) -> Evidence:
    t = _table(ctx, name, f"a {what} recorded in uptake")
    lo, hi = _span(ctx, start)
    col = t[column].cast("timestamp")
    first = _min_day(ctx, t.filter((col >= lo) & (col < hi))[column].cast("timestamp"))
    if first is None:
        return Evidence("ok", None, f"no {what} since the start")
    return Evidence("ok", first, f"first {what} on {first}")


def _champions(
    ctx: MetricContext,
    start: date,
    coverage: Callable[[MetricContext], float | None],
    target: float,
) -> Evidence:
    now = coverage(ctx)
    if now is None or now < target:
        shown, need = _shares(now or 0.0, target)
        have = "no champion selected" if not now else f"champions cover {shown} of people"
        return Evidence("ok", None, f"{have}; needs {need} (a champion in "
                                    "their team)")  # fmt: skip
    # The first week end it held, by bisection (coverage grows as help is asked and given).
    ends = _week_ends(start, ctx.as_of)
    lo, hi = 0, len(ends)
    while lo < hi:
        mid = (lo + hi) // 2
        try:
            then = coverage(_at(ctx, ends[mid]))
        except NotAvailableError:
            then = None
        if then is not None and then >= target:
            hi = mid
        else:
            lo = mid + 1
    day = ends[lo] if lo < len(ends) else ctx.as_of
    text = f"champions selected: they cover {now:.0%} of people (a champion in their team)"
    return Evidence("ok", day, f"{text}; first met by {day} (checked weekly)")


def _shares(now: float, target: float) -> tuple[str, str]:
    """A share and its target as percentages, with the decimals that keep them in order.

    49.6 % short of a 50 % target read "cover 50 % …; needs 50 %" at whole percents.
    """
    for digits in range(4):
        a, b = f"{now:.{digits}%}", f"{target:.{digits}%}"
        if (float(a[:-1]) < float(b[:-1])) == (now < target):
            break
    return a, b


def champion_coverage(ctx: MetricContext, rank_kwargs: Mapping[str, Any]) -> float | None:
    """Share of roster people whose team has a selected champion on `ctx.as_of`.

    Args:
        ctx: metric context.
        rank_kwargs: `SignalSettings.champions.rank_kwargs()`.

    Returns:
        The coverage (0 when no one is selected), None without roster people.

    Raises:
        NotAvailableError: the champion ranking lacks its inputs (help edges, the ladder).
    """
    from uptake.signals import champions

    chosen = champions.select(ctx, champions.rank(ctx, **rank_kwargs))
    if not chosen.champions:
        return 0.0 if chosen.people else None
    return chosen.coverage


def _week_ends(start: date, as_of: date) -> list[date]:
    """Sprint week ends (day 7, 14, …) before `as_of`, then `as_of` itself."""
    ends = []
    d = start + timedelta(days=6)
    while d < as_of:
        ends.append(d)
        d += timedelta(days=7)
    return [*ends, as_of]


def _at(ctx: MetricContext, day: date) -> MetricContext:
    """The same context on another day (fresh caches)."""
    return replace(ctx, as_of=day, results={}, memo=Memo())


def _min_day(ctx: MetricContext, col: ibis.Value) -> date | None:
    value: Any = ctx.engine.execute(col.min()).iloc[0, 0]
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None
