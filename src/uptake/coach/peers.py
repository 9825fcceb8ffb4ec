"""What works for people in your role: workflows where peers' AI-assisted runs succeed most.

Per (role, workflow), over the workflow runs (`tasks`) started in the days ending at the
as-of date: the completion rate of AI-assisted runs (completed ÷ started) and the minutes
they save — the median minutes of the role's completed runs without AI minus the median of
its completed AI-assisted runs when the runs without AI describe at least k people and
`outcomes_min_runs` runs (basis `peers without AI`), else the catalogued
`baseline_minutes` minus that median (basis `catalogue baseline`), else not available.

k-anonymous: a row exists only when at least k distinct people ran the workflow AI-assisted;
it carries counts of people and runs, never a person. Rows rank by completion rate, then
minutes saved, then workflow id. Roles come from `dim_person` (the roster's role).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pandas as pd

from uptake.coach.library import Library
from uptake.metrics.context import MetricContext
from uptake.metrics.segments import DIM_PERSON, NO_SEGMENT

PEERS = "peers without AI"
BASELINE = "catalogue baseline"
NAME = "peer_use_cases"


def peer_use_cases(
    ctx: MetricContext, role: str | None = None, days: int | None = None
) -> dict[str, Any]:
    """Per role, the workflows whose AI-assisted runs complete most often and save most time.

    Args:
        ctx: metric context (its as-of date, k, noise and `outcomes_min_runs`).
        role: one roster role (case-insensitive), or None for every role.
        days: days of runs counted, ending at the as-of date (default: the metric window).

    Returns:
        {status, as_of, start, days, min_group_size, role, basis_note, roles: [{role,
        workflows: [{rank, workflow, name, people, ai_runs, completed, completion_rate,
        median_minutes_ai, minutes_saved, basis}]}]}; status `not_available` with `needs`
        and `message` ("not available: needs tasks") when there are no workflow runs or no
        roster roles.
    """
    span = days or ctx.window_days
    start = ctx.days_back(span)
    doc: dict[str, Any] = {
        "status": "ok",
        "as_of": ctx.as_of.isoformat(),
        "start": start.isoformat(),
        "days": span,
        "min_group_size": ctx.min_group_size,
        "role": role,
        "basis_note": (
            f"minutes saved: median of the role's runs without AI minus the median of its "
            f"AI-assisted runs ({PEERS}), else the workflow's catalogued baseline minus that "
            f"median ({BASELINE})"
        ),
        "roles": [],
    }
    needs = ctx.missing("tasks")
    if needs:
        return _not_available(doc, needs)
    roles = _roles(ctx)
    if roles.empty:
        return _not_available(doc, ["people.role"])
    runs = _runs(ctx, start).merge(roles, on="person_key", how="inner")
    if role is not None:
        runs = runs[runs.role.str.casefold() == role.strip().casefold()]
    if runs.empty:
        return doc
    catalogue = _catalogue(ctx)
    rows = _rows(ctx, runs, catalogue)
    if rows.empty:
        return doc
    if ctx.noise.enabled:
        rows = ctx.noise.perturb(rows, ["people"], ["role", "workflow"], NAME, clip_to=None)
    for role_name, g in rows.groupby("role", sort=True):
        g = g.sort_values(
            ["completion_rate", "minutes_saved", "workflow"],
            ascending=[False, False, True],
            na_position="last",
        )
        items = []
        for rank, r in enumerate(g.to_dict("records"), start=1):
            basis = r["basis"]
            items.append(
                {
                    "rank": rank,
                    "workflow": r["workflow"],
                    "name": r["name"],
                    "people": int(r["people"]),
                    "ai_runs": int(r["ai_runs"]),
                    "completed": int(r["completed"]),
                    "completion_rate": round(float(r["completion_rate"]), 3),
                    "median_minutes_ai": _num(r["median_minutes_ai"]),
                    "minutes_saved": _num(r["minutes_saved"]),
                    "basis": basis if isinstance(basis, str) else None,
                }
            )
        doc["roles"].append({"role": str(role_name), "workflows": items})
    return doc


def ranked_use_cases(
    library: Library,
    peers: dict[str, Any],
    role: str,
    workflow: str | None = None,
    surface: str | None = None,
) -> list[dict[str, Any]]:
    """The library's use cases for a role, those on workflows that work for peers first.

    Use cases whose workflow has a peers' row for the role come first, in the peers' rank;
    the others follow in the library's order (`Library.for_role`).

    Args:
        library: the use-case library.
        peers: `peer_use_cases`'s document (not available: library order only).
        role: the person's roster role.
        workflow: the workflow in use, or None.
        surface: the surface in use, or None.

    Returns:
        Each use case as JSON with `peers`: its workflow's peers' row (counts only) or None.
    """
    rows: dict[str, dict[str, Any]] = {}
    for r in peers.get("roles") or []:
        if str(r["role"]).casefold() == role.strip().casefold():
            rows = {w["workflow"]: w for w in r["workflows"]}
    cases = library.for_role(role, workflow, surface)
    found = [rows.get(c.workflow or "") for c in cases]
    order = sorted(
        range(len(cases)),
        key=lambda i: (found[i] is None, (found[i] or {}).get("rank", 0), i),
    )
    return [{**cases[i].to_dict(), "peers": found[i]} for i in order]


def _not_available(doc: dict[str, Any], needs: list[str]) -> dict[str, Any]:
    doc.update(
        status="not_available", needs=needs, message=f"not available: needs {', '.join(needs)}"
    )
    return doc


def _roles(ctx: MetricContext) -> pd.DataFrame:
    """person_key → role, from dim_person (the roster's role), else from people."""
    table = DIM_PERSON if ctx.has(DIM_PERSON) else "people" if ctx.has("people") else None
    if table is None:
        return pd.DataFrame({"person_key": [], "role": []})
    t = ctx.engine.table(table)
    df = ctx.engine.execute(t.select("person_key", "role"))
    df = df[df.role.notna() & (df.role.astype(str) != NO_SEGMENT)]
    df = df.astype({"person_key": object, "role": str})
    return df[df.role.str.strip() != ""].drop_duplicates("person_key")


def _runs(ctx: MetricContext, start: date) -> pd.DataFrame:
    """Runs started in the span: person_key, workflow, ai_assisted, done, minutes."""
    t = ctx.engine.table("tasks")
    t = t.filter(
        t.started_at >= datetime.combine(start, time()),
        t.started_at < ctx.end_ts,
        t.ai_assisted.notnull(),
    )
    done = (t.status == "completed") | (t.status.isnull() & t.completed_at.notnull())
    df = ctx.engine.execute(t.select("person_key", "workflow", "ai_assisted", "minutes", done=done))
    df["ai_assisted"] = df.ai_assisted.astype(bool)
    df["done"] = df.done.fillna(False).astype(bool)
    df["person_key"] = df.person_key.astype(object)
    return df.sort_values(["workflow", "person_key"], ignore_index=True)


def _catalogue(ctx: MetricContext) -> pd.DataFrame:
    if not ctx.has("workflows"):
        return pd.DataFrame({"workflow": [], "name": [], "baseline_minutes": []})
    wf = ctx.engine.table("workflows")
    df = ctx.engine.execute(wf.select("workflow", "name", "baseline_minutes"))
    return df.drop_duplicates("workflow")


def _rows(ctx: MetricContext, runs: pd.DataFrame, catalogue: pd.DataFrame) -> pd.DataFrame:
    """One row per (role, workflow) whose AI-assisted runs come from at least k people."""
    k = ctx.min_group_size
    min_runs = ctx.settings.outcomes_min_runs
    cat = catalogue.set_index("workflow")
    out: list[dict[str, Any]] = []
    for (role, workflow), g in runs.groupby(["role", "workflow"], sort=True):
        ai = g[g.ai_assisted]
        people = ai.person_key.nunique()
        if people < k:
            continue
        ai_done = ai[ai.done & ai.minutes.notna() & (ai.minutes >= 0)]
        manual = g[~g.ai_assisted & g.done & g.minutes.notna() & (g.minutes >= 0)]
        median_ai = float(ai_done.minutes.median()) if len(ai_done) else None
        saved, basis = None, None
        if median_ai is not None:
            if manual.person_key.nunique() >= k and len(manual) >= min_runs:
                saved, basis = float(manual.minutes.median()) - median_ai, PEERS
            else:
                base = _value(cat, str(workflow), "baseline_minutes")
                if base is not None:
                    saved, basis = base - median_ai, BASELINE
        name = _value(cat, str(workflow), "name")
        out.append(
            {
                "role": role,
                "workflow": workflow,
                "name": name if name is not None else workflow,
                "people": people,
                "ai_runs": len(ai),
                "completed": int(ai.done.sum()),
                "completion_rate": float(ai.done.mean()),
                "median_minutes_ai": median_ai,
                "minutes_saved": saved,
                "basis": basis,
            }
        )
    return pd.DataFrame(out)


def _value(cat: pd.DataFrame, workflow: str, column: str) -> Any:
    if workflow not in cat.index:
        return None
    v: Any = cat.at[workflow, column]
    return None if pd.isna(v) else v.item() if hasattr(v, "item") else v


def _num(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else round(float(v), 1)
