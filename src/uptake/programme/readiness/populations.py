"""The dominant resistance typology of each population, with the intervention it calls for.

Reuses the signals' per-person typologies (from the signals document) and
`signals.typology.dominant_by_segment` over the people who show a resistance (typology other
than `none`: most people show none, which would hide the resistance a population has). A
population is shown only when at least k of its people show a resistance, and its dominant
typology only when at least k share it; `n` counts the people showing a resistance and
`share` the dominant typology's share of them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.metrics.segments import DIM_PERSON
from uptake.programme.readiness.model import noisy_n
from uptake.signals import typology

# Populations a programme lead plans interventions for (teams: `uptake signals`).
DIMENSIONS = ("function", "role")


def dominant(ctx: MetricContext, signals: dict[str, Any]) -> dict[str, Any]:
    """The dominant typology per population of each dimension.

    Args:
        ctx: metric context (for the roster's segments and k).
        signals: the signals document (its `people` carry each person's typology).

    Returns:
        {status, needs, dimensions: {dimension: [rows of `dominant_by_segment`]}}.
    """
    st = (signals.get("status") or {}).get("typology") or {}
    if st.get("status") == "not_available":
        return {"status": "not_available", "needs": list(st.get("needs") or []), "dimensions": {}}
    typed = [(p["person"], p["typology"]) for p in signals.get("people") or [] if p.get("typology")]
    if not typed:
        need = ["responses (pulse survey items)", "decisions", "tasks"]
        return {"status": "not_available", "needs": need, "dimensions": {}}
    people = [(p, t) for p, t in typed if t != typology.NONE]
    ty = typology.Typologies(pd.DataFrame(people, columns=["person_key", "typology"]))
    dim = ctx.engine.execute(ctx.engine.table(DIM_PERSON).select("person_key", *DIMENSIONS))
    out: dict[str, list[dict[str, Any]]] = {}
    for d in DIMENSIONS:
        members = dim[["person_key", d]].rename(columns={d: "segment"})
        members = members[members["segment"].notna() & (members["segment"] != "(none)")]
        rows = typology.dominant_by_segment(ty, members, ctx.min_group_size)
        for r in rows:
            # Every row names its dominant resistance, None where none is shown.
            r.setdefault("dominant", None)
            if r.get("suppressed"):
                r["reason"] = f"hidden: fewer than {ctx.min_group_size} people showing a resistance"
            else:
                r["n"] = noisy_n(
                    ctx.noise, int(r["n"]), ctx.min_group_size, f"typology:{d}:{r['segment']}"
                )
            if not r.get("suppressed") and r.get("dominant") is None:
                r["reason"] = f"no resistance shared by {ctx.min_group_size} or more people"
        out[d] = rows
    return {"status": "ok", "needs": [], "dimensions": out, "counts": "people showing a resistance"}
