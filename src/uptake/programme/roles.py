"""Role redesign evidence: per role, the work AI substitutes, augments or creates, and overrides.

Per roster role (`dim_person.role`), over the workflow runs (`tasks`) its people started in the
current window: runs, AI-assisted runs, and the AI-assisted runs on workflows whose catalogued
`ai_mode` is substitute, augment or create (tasks substituted, augmented and created,
weighted by runs), each also as a share of the role's runs; and how many catalogued workflows
name the role (`workflows.roles`) in each mode. New measures of the redesigned role: the
override rate of its decisions in the window and its override accuracy — the mean over its
people of the trust family's per-person accuracy (`metrics.families.trust.override_accuracy`:
overrides whose outcome beat the workflow's followed-case average), with a t interval.

A role is shown only when at least k people ran workflows (with complementary suppression
against the total), its override figures only when at least k of its people decided, its
accuracy only when at least k of them have enough judged overrides.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from uptake.metrics import stats
from uptake.metrics.context import MetricContext
from uptake.metrics.families.trust import override_accuracy
from uptake.metrics.groups import noisy, suppressed_groups
from uptake.metrics.privacy import SUPPRESSED, TOTAL, jsonable
from uptake.metrics.segments import DIM_PERSON, NO_SEGMENT
from uptake.programme.wins import catalogue_frame, hidden_reason, not_available, task_needs

MODES = ("substitute", "augment", "create")
TASK_NEEDS = ("tasks",)


def role_redesign(ctx: MetricContext) -> dict[str, Any]:
    """Per role: tasks AI substitutes, augments or creates (by runs), overrides and accuracy.

    Args:
        ctx: metric context.

    Returns:
        {status, start, end, window_days, min_group_size, confidence, roles: [row], hidden:
        [{role, reason}], notes}; not available (with `needs`) without tasks or roles.
    """
    doc: dict[str, Any] = {
        "status": "ok",
        "start": ctx.window_start.isoformat(),
        "end": ctx.as_of.isoformat(),
        "window_days": ctx.window_days,
        "min_group_size": ctx.min_group_size,
        "confidence": ctx.settings.confidence_level,
        "roles": [],
        "hidden": [],
        "notes": [],
    }
    missing = ctx.missing(*TASK_NEEDS)
    if missing:
        return not_available(doc, task_needs(ctx, missing))
    roles = _roles(ctx)
    if roles.empty:
        return not_available(doc, ["people.role (the roster's roles)"])
    cat = catalogue_frame(ctx)
    if cat.empty:
        doc["notes"].append("no workflow catalogue: tasks by AI mode need workflows.ai_mode")
    runs = _runs(ctx).merge(roles, on="person_key", how="inner")
    if runs.empty:
        return not_available(doc, ["tasks (runs by people with a roster role in the window)"])
    modes = cat.set_index("workflow")["ai_mode"] if len(cat) else pd.Series(dtype=object)
    runs["mode"] = runs.workflow.map(modes)
    frame = _frame(runs)
    shown = suppressed_groups(ctx, frame, "role")
    shown = noisy(ctx, shown, ["n"], ["role"], "role_redesign")
    decisions = _decisions(ctx, roles)
    for rec in shown.to_dict("records"):
        role = str(rec["role"])
        if role == TOTAL:
            continue
        if rec[SUPPRESSED]:
            why = rec.get("suppressed_reason")
            reason = (
                hidden_reason(why, ctx.min_group_size)
                if why == "complementary"
                else f"hidden: fewer than {ctx.min_group_size} people ran workflows"
            )
            doc["hidden"].append({"role": role, "reason": reason})
            continue
        row = {c: jsonable(v) for c, v in rec.items() if c not in (SUPPRESSED, "suppressed_reason")}
        row["catalogued"] = _catalogued(cat, role)
        row.update(decisions.get(role) or _no_decisions(ctx, role in decisions))
        doc["roles"].append(row)
    doc["roles"].sort(key=lambda r: (-(r.get("ai_runs") or 0), r["role"]))
    return doc


def _frame(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per role and a total: people, runs, AI-assisted runs by mode and shares."""
    rows = []
    for role, g in [*runs.groupby("role", sort=True), (TOTAL, runs)]:
        ai = g[g.ai_assisted]
        row: dict[str, Any] = {
            "role": role,
            "n": g.person_key.nunique(),
            "runs": len(g),
            "ai_runs": len(ai),
            "ai_share": len(ai) / len(g) if len(g) else None,
        }
        for mode in MODES:
            m = int((ai["mode"] == mode).sum())
            row[f"{mode}_runs"] = m
            row[f"{mode}_share"] = m / len(g) if len(g) else None
        rows.append(row)
    return pd.DataFrame(rows)


def _catalogued(cat: pd.DataFrame, role: str) -> dict[str, int]:
    """How many catalogued workflows name the role, per AI mode."""
    out = dict.fromkeys(MODES, 0)
    for roles, mode in zip(cat.get("roles", []), cat.get("ai_mode", []), strict=False):
        names = [str(r).casefold() for r in (roles if isinstance(roles, list | np.ndarray) else [])]
        if role.casefold() in names and mode in out:
            out[str(mode)] += 1
    return out


def _no_decisions(ctx: MetricContext, some: bool) -> dict[str, Any]:
    """A role's override figures when none are shown, saying why (`some`: a few decided)."""
    if ctx.missing("decisions"):
        why = "not available: needs decisions"
    elif some:
        why = f"hidden: fewer than {ctx.min_group_size} people decided"
    else:
        why = "no decisions by this role in the window"
    return {
        "deciders": None,
        "decisions": None,
        "override_rate": None,
        "override_accuracy": None,
        "override_accuracy_low": None,
        "override_accuracy_high": None,
        "accuracy_people": None,
        "override_note": why,
    }


def _decisions(ctx: MetricContext, roles: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per role with at least k deciders: override rate, and accuracy at k judged people.

    A role where some, but fewer than k, people decided gets an empty entry.
    """
    if ctx.missing("decisions"):
        return {}
    k = ctx.min_group_size
    d = ctx.engine.table("decisions")
    d = d.filter(d.ts >= ctx.start_ts, d.ts < ctx.end_ts)
    df = ctx.engine.execute(d.select("person_key", "followed")).merge(roles, on="person_key")
    acc = pd.DataFrame(columns=["person_key", "accuracy"])
    if not ctx.missing("decisions.outcome"):
        acc = override_accuracy(ctx)[["person_key", "accuracy"]].merge(roles, on="person_key")
    out: dict[str, dict[str, Any]] = {}
    for role, g in df.groupby("role", sort=True):
        people = g.person_key.nunique()
        if people < k:
            out[str(role)] = {}  # some decided, too few to show
            continue
        judged = acc[(acc.role == role) & acc.accuracy.notna()]
        x = judged.accuracy.to_numpy(float)
        ci = stats.mean_ci(x, ctx.settings.confidence_level).clip(0, 1)
        shown = len(x) >= k
        note = None
        if ctx.missing("decisions.outcome"):
            note = "override accuracy not available: needs decisions.outcome"
        elif not shown:
            note = (
                f"override accuracy hidden: fewer than {k} people with at least "
                f"{ctx.settings.override_accuracy_min} judged overrides"
            )
        out[str(role)] = {
            # Shown counts carry the release noise, and are at least k (being shown says so).
            "deciders": max(
                k, ctx.noise.count(int(people), "role_redesign", "deciders", role) or 0
            ),
            "decisions": len(g),
            "override_rate": float(1 - g.followed.astype(bool).mean()),
            **(
                ci.as_dict("override_accuracy")
                if shown
                else {
                    "override_accuracy": None,
                    "override_accuracy_low": None,
                    "override_accuracy_high": None,
                }
            ),
            "accuracy_people": max(
                k, ctx.noise.count(len(x), "role_redesign", "accuracy", role) or 0
            )
            if shown
            else None,
            "override_note": note,
        }
    return out


def _roles(ctx: MetricContext) -> pd.DataFrame:
    """person_key → roster role (people without one are left out)."""
    table = DIM_PERSON if ctx.has(DIM_PERSON) else "people" if ctx.has("people") else None
    if table is None:
        return pd.DataFrame({"person_key": [], "role": []})
    t = ctx.engine.table(table)
    df = ctx.engine.execute(t.select("person_key", "role"))
    df = df[df.role.notna() & (df.role.astype(str) != NO_SEGMENT)]
    df = df.astype({"person_key": object, "role": str})
    return df[df.role.str.strip() != ""].drop_duplicates("person_key")


def _runs(ctx: MetricContext) -> pd.DataFrame:
    t = ctx.engine.table("tasks")
    t = t.filter(t.started_at >= ctx.start_ts, t.started_at < ctx.end_ts, t.ai_assisted.notnull())
    df = ctx.engine.execute(t.select("person_key", "workflow", "ai_assisted"))
    df["ai_assisted"] = df.ai_assisted.astype(bool)
    df["person_key"] = df.person_key.astype(object)
    return df.sort_values(["workflow", "person_key"], ignore_index=True)
