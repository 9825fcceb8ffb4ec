"""GitHub Copilot as GitHub reports it: active users, acceptance rate, pull requests.

Aggregates come from the usage-metrics enterprise/organisation reports (`github-copilot-usage`,
`day_totals[]`) or, for history, the legacy metrics API (`github-copilot-metrics`); the legacy
numbers are used only when the window holds no day of the newer reports. Scopes of the widest
kind present are added up (enterprises, else organisations, else teams).

The acceptance rate is GitHub's: `code_completion` acceptances ÷ generations. Agent edits,
chat and every other feature are left out. It is read from the per-user report (events of
`github-copilot` whose `attrs.feature` is `code_completion`) when that holds generations in the
window, else from the aggregate's `{"feature": "code_completion"}` breakdown (legacy: the code
completions of every editor, model and language).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import ibis
import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.metrics.families.vendor.common import (
    HIDDEN,
    VENDOR_AGGREGATE,
    aggregate_rows,
    coverage,
    last_hidden,
    merge,
    scope_kind,
    scoped_people,
    uptake_people,
    uptake_side,
    widest_scopes,
    window,
)
from uptake.metrics.result import MetricResult, MetricSpec, not_available

TOOL = "github-copilot"
# Connector names (`uptake.ingest.connectors`): the usage reports and the legacy API.
USAGE = "github-copilot-usage"
LEGACY = "github-copilot-metrics"
FEATURE = "code_completion"
GENERATED, ACCEPTED = "code_generation_activity_count", "code_acceptance_activity_count"
LEGACY_GENERATED = "copilot_ide_code_completions.total_code_suggestions"
LEGACY_ACCEPTED = "copilot_ide_code_completions.total_code_acceptances"
# Legacy top-level counts under the names the newer reports use.
LEGACY_USERS = {"total_active_users": "daily_active_users", "total_engaged_users": "engaged_users"}
PR = "pull_requests."
PER_USER = "per-user report"
# Per-user flags of the user report counted as people (fact → field).
FLAGS = {"used_chat": "chat_users", "used_agent": "agent_users", "used_cli": "cli_users"}
# The feature of an event, read from its canonical JSON attrs (a string column on every engine).
_FEATURE_RE = r'"feature"\s*:\s*"([^"]*)"'

SPEC = MetricSpec(
    name="vendor_github_copilot",
    family="vendor",
    label="of code-completion suggestions accepted, as GitHub defines it",
    unit="share",
    headline="acceptance_rate",
    needs=("aggregate_facts", "events"),
    definition=(
        "GitHub's own numbers for the window, as reported: daily, weekly and monthly active "
        "users on the latest reported day, mean daily active users, pull requests; acceptance "
        "rate = code_completion acceptances ÷ generations (per-user report, else the "
        "enterprise/organisation aggregate); beside them uptake's licensed and active people "
        "for github-copilot"
    ),
)
NEEDS = (
    "aggregate_facts (github-copilot-usage enterprise or organization report)",
    "events (github-copilot-usage users report)",
)


def compute(ctx: MetricContext) -> MetricResult:
    """The `vendor_github_copilot` result.

    Args:
        ctx: metric context (facts refreshed).

    Returns:
        GitHub's aggregates and the acceptance rate beside uptake's numbers, or not
        available naming the reports to ingest.
    """
    k = ctx.min_group_size
    keep = _aggregate_filter(ctx)
    rows = aggregate_rows(ctx, TOOL, keep)
    per_user = _per_user(ctx)
    ever = coverage(ctx, TOOL)
    if rows.empty and not _has_user_report(ctx, ctx):
        if ever is None and not _has_user_report(ctx):
            return not_available(SPEC, *NEEDS)
        note = "GitHub's reports hold no day in the window"
        if ever is not None:
            note += f" (its aggregates cover {ever['start']} to {ever['end']})"
        return not_available(SPEC, "aggregate_facts (github-copilot days in the window)", note=note)
    values: dict[str, Any] = {"window": window(ctx)}
    notes: list[str] = []
    agg = _aggregates(rows, k)
    if agg is None:
        values["days_covered"] = 0
        gone = "GitHub's enterprise/organization aggregates hold no day in the window"
        notes.append(gone + (f" (they cover {ever['start']} to {ever['end']})" if ever else ""))
    else:
        merge(values, agg)
    merge(values, _rate(ctx, per_user, rows, values.get("source")))
    flags = _flag_people(ctx)
    side, missing = uptake_side(ctx, TOOL, SPEC.name, flags)
    values["uptake"] = side
    notes += missing
    if not flags:
        notes.append("no per-user report: uptake cannot count chat, agent and CLI users itself")
    if values.get("acceptance_rate") is None and "acceptance_rate" not in values.get(HIDDEN, {}):
        notes.insert(0, "no code-completion suggestions in the window: no acceptance rate")
    if "acceptance_rate" in values.get(HIDDEN, {}):
        notes.insert(0, f"acceptance rate hidden: fewer than {k} people in the per-user report")
    basis = VENDOR_AGGREGATE if agg is not None else "vendor per-user report"
    return MetricResult(
        SPEC, last_hidden(values), basis=basis, notes=tuple(notes), noisy=ctx.noise.enabled
    )


def _aggregate_filter(ctx: MetricContext) -> ibis.Value | None:
    if not ctx.has("aggregate_facts"):
        return None
    t = ctx.engine.table("aggregate_facts")
    whole = t.dims.isnull() | (t.dims == "{}")
    feature = t.dims == '{"feature":"' + FEATURE + '"}'
    legacy = (t.source == LEGACY) & t.metric.isin([LEGACY_GENERATED, LEGACY_ACCEPTED])
    return whole | (feature & t.metric.isin([GENERATED, ACCEPTED])) | legacy


def _aggregates(rows: pd.DataFrame, k: int) -> dict[str, Any] | None:
    """Active users, pull requests and coverage from the window's aggregate rows."""
    if rows.empty:
        return None
    source = USAGE if (rows["source"] == USAGE).any() else LEGACY
    rows = rows[rows["source"] == source]
    if source == LEGACY:
        rows = rows.assign(metric=[_legacy_name(m) for m in rows["metric"]])
    scopes = widest_scopes(rows["scope"])
    rows = rows[rows["scope"].isin(scopes)]
    whole = rows[[not d for d in rows["dims"]]]
    days = sorted(set(rows["day"]))
    raw = {s: _scope_values(whole[whole["scope"] == s]) for s in scopes}
    out: dict[str, Any] = {
        "source": source,
        "scope": ", ".join(scopes),
        "days_covered": len(days),
        "first_day": days[0].isoformat(),
        "latest_day": days[-1].isoformat(),
    }
    totals, shown = scoped_people(raw, _user_fields(raw), k)
    merge(out, totals)
    prs = _pull_requests(whole)
    if prs:
        out["pull_requests"] = prs
    if len(scopes) > 1:
        out["by_scope"] = {s: {"latest_day": raw[s].get("latest_day"), **shown[s]} for s in scopes}
    return out


def _legacy_name(metric: str) -> str:
    """Legacy user counts under the newer reports' names (`ide_chat_engaged_users` …)."""
    if metric in LEGACY_USERS:
        return LEGACY_USERS[metric]
    section, _, counter = metric.partition(".")
    if counter == "total_engaged_users":
        return section.removeprefix("copilot_") + "_engaged_users"
    return metric


def _user_fields(raw: dict[str, dict[str, Any]]) -> list[str]:
    order = ["daily_active_users", "weekly_active_users", "monthly_active_users"]
    seen = {f for v in raw.values() for f in v if f != "latest_day"}
    mean = ["mean_daily_active_users"] if "mean_daily_active_users" in seen else []
    extra = sorted(seen - set(order) - set(mean))
    return [f for f in order if f in seen] + mean + extra


def _scope_values(whole: pd.DataFrame) -> dict[str, Any]:
    """One scope's user counts on its latest day in the window and its mean DAU, as reported."""
    users = whole[whole["metric"].str.endswith("_users")]
    if users.empty:
        return {}
    latest: date = max(users["day"])
    out: dict[str, Any] = {"latest_day": latest.isoformat()}
    today = users[users["day"] == latest].groupby("metric")["value"].sum()
    out.update({str(m): float(v) for m, v in today.items()})
    dau = users[users["metric"] == "daily_active_users"]
    if not dau.empty:
        out["mean_daily_active_users"] = float(dau.groupby("day")["value"].sum().mean())
    return out


def _pull_requests(whole: pd.DataFrame) -> dict[str, Any]:
    """Pull-request counts summed over the window; medians of the latest day (one scope only)."""
    prs = whole[whole["metric"].str.startswith(PR)]
    if prs.empty:
        return {}
    names = prs["metric"].str.removeprefix(PR)
    counts = prs[~names.str.startswith("median_")]
    out: dict[str, Any] = {
        str(m).removeprefix(PR): int(v) if float(v).is_integer() else round(float(v), 2)
        for m, v in counts.groupby("metric")["value"].sum().items()
    }
    medians = prs[names.str.startswith("median_")]
    if not medians.empty and medians["scope"].nunique() == 1:
        last = medians[medians["day"] == max(medians["day"])]
        for m, v in zip(last["metric"], last["value"], strict=True):
            out[m.removeprefix(PR) + "_latest_day"] = round(float(v), 2)
    return out


def _per_user(ctx: MetricContext) -> dict[str, int] | None:
    """People, generations and acceptances of code completion in the window (user report)."""
    if not ctx.has("events"):
        return None
    e = ctx.engine.table("events")
    e = e.filter(
        (e.tool == TOOL)
        & e.action.isin(["suggestion", "accept"])
        & (e.ts >= ctx.start_ts)
        & (e.ts < ctx.end_ts)
    )
    e = e.filter(e.attrs.re_extract(_FEATURE_RE, 1) == FEATURE)
    qty = e.quantity.cast("int64").fill_null(1)
    zero = ibis.literal(0, type="int64")
    generated = e.action == "suggestion"
    got = ctx.engine.execute(
        e.aggregate(
            people=e.person_key.nunique(where=generated),
            generations=generated.ifelse(qty, zero).sum(),
            acceptances=(e.action == "accept").ifelse(qty, zero).sum(),
        )
    ).iloc[0]
    generations = int(got["generations"] or 0) if pd.notna(got["generations"]) else 0
    if generations <= 0:
        return None
    return {
        "people": int(got["people"]),
        "generations": generations,
        "acceptances": int(got["acceptances"] or 0) if pd.notna(got["acceptances"]) else 0,
    }


def _has_user_report(ctx: MetricContext, within: MetricContext | None = None) -> bool:
    """Whether events of the tool exist (in `within`'s window when given)."""
    if not ctx.has("events"):
        return False
    e = ctx.engine.table("events")
    e = e.filter(e.tool == TOOL)
    if within is not None:
        e = e.filter((e.ts >= within.start_ts) & (e.ts < within.end_ts))
    return bool(ctx.engine.execute(e.limit(1).count()).iloc[0, 0])


def _rate(
    ctx: MetricContext, per_user: dict[str, int] | None, rows: pd.DataFrame, source: Any
) -> dict[str, Any]:
    """The acceptance rate: per-user report first, else the aggregate the window holds."""
    if per_user is not None:
        # A rate over the activity of fewer than k people describes them: hidden like a group.
        shown, hidden = uptake_people(ctx, {"n": per_user["people"]}, SPEC.name)
        out: dict[str, Any] = {"acceptance_source": PER_USER}
        if hidden:
            fields = ("acceptance_rate", "acceptances", "generations")
            out.update(dict.fromkeys(fields))
            out[HIDDEN] = dict.fromkeys(fields, hidden["n"])
            return out
        return {
            **out,
            "acceptance_rate": round(per_user["acceptances"] / per_user["generations"], 6),
            "acceptances": per_user["acceptances"],
            "generations": per_user["generations"],
            "acceptance_people": shown["n"],
        }
    if rows.empty or source is None:
        return {"acceptance_rate": None}
    rows = rows[rows["source"] == source]
    if source == USAGE:
        done = rows[[d == {"feature": FEATURE} for d in rows["dims"]]]
        acc, gen = ACCEPTED, GENERATED
    else:
        # Legacy counts sit on the leaves (editor × model × language); upper levels count users.
        done = rows[[{"editor", "model", "language"} <= set(d) for d in rows["dims"]]]
        acc, gen = LEGACY_ACCEPTED, LEGACY_GENERATED
    done = done[done["scope"].isin(widest_scopes(rows["scope"]))]
    total = done.groupby("metric")["value"].sum()
    generated = float(total.get(gen, 0.0))
    if generated <= 0:
        return {"acceptance_rate": None}
    accepted = float(total.get(acc, 0.0))
    kinds = {scope_kind(s) for s in done["scope"]}
    what = "legacy metrics" if source == LEGACY else " and ".join(sorted(kinds))
    return {
        "acceptance_source": f"{what} aggregate",
        "acceptance_rate": round(accepted / generated, 6),
        "acceptances": int(accepted),
        "generations": int(generated),
    }


def _flag_people(ctx: MetricContext) -> dict[str, int]:
    """Exact people with a used_chat / used_agent / used_cli day in the window (user report)."""
    if not ctx.has("person_facts"):
        return {}
    f = ctx.engine.table("person_facts")
    f = f.filter(
        (f.tool == TOOL)
        & f.fact.isin(list(FLAGS))
        & (f.report_date >= ctx.window_start)
        & (f.report_date <= ctx.as_of)
    )
    got = ctx.engine.execute(
        f.group_by("fact").aggregate(n=f.person_key.nunique(where=f.value > 0), rows=f.count())
    )
    return {
        FLAGS[str(fact)]: int(n) if pd.notna(n) else 0
        for fact, n, rows in zip(got["fact"], got["n"], got["rows"], strict=True)
        if rows
    }
