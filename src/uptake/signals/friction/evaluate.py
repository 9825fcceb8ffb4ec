"""Score friction flags against the simulator's episodes (precision and recall per rule)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.signals.friction.detect import detect
from uptake.signals.friction.rules import FrictionRules

# A flag matches an episode when its `since` lies in [start_on − 2, end_on + 2]: the rules
# count whole UTC days where the simulator's bounce rule measures 7 × 24 h from a session,
# so the two can disagree by a day at either edge.
TOLERANCE_DAYS = 2
EPISODE_KINDS = ("bounce_loop", "week3_4_drop")


def _rate(num: int, den: int) -> float | None:
    return None if den == 0 else round(num / den, 3)


def evaluate_friction(
    ctx: MetricContext,
    episodes: pd.DataFrame,
    email_to_key: Mapping[str, str] | Callable[[str], str],
    rules: FrictionRules | None = None,
    *,
    tolerance_days: int = TOLERANCE_DAYS,
) -> dict[str, Any]:
    """Precision and recall of bounce_loop and week3_4_drop against simulated episodes.

    Only episodes that ended by `ctx.as_of` are scored (a drop is decided on its last day).
    *Planted*: recall over planted episodes, precision = flags matching a planted episode.
    *Rule*: the same against every episode on which the simulator's literal rule holds
    (`rule_hit`, planted or incidental).

    Args:
        ctx: the metric context of the workspace holding the simulated data.
        episodes: ground_truth_episodes.parquet (person = e-mail, kind, start_on, end_on,
            planted, rule_hit).
        email_to_key: e-mail → person key (a mapping or `Workspace.pseudonymise`).
        rules: the thresholds (default `FrictionRules()`).
        tolerance_days: days a flag's `since` may fall outside an episode and still match.

    Returns:
        {kind: {"status", "flags", "planted": {...}, "rule": {...}}} with n, matched,
        precision and recall in each of planted and rule.
    """
    report = detect(ctx, rules, signals=EPISODE_KINDS)
    key = email_to_key if callable(email_to_key) else email_to_key.get
    ep = episodes.copy()
    ep["person_key"] = ep["person"].map(key)
    ep["start_on"] = pd.to_datetime(ep["start_on"]).dt.date
    ep["end_on"] = pd.to_datetime(ep["end_on"]).dt.date
    ep = ep[ep["end_on"] <= ctx.as_of].reset_index(drop=True)
    ep["ep_id"] = range(len(ep))
    flags = pd.DataFrame(
        [(f.person_key, f.signal, f.since) for f in report.flags],
        columns=["person_key", "kind", "since"],
    )
    flags["flag_id"] = range(len(flags))
    tol = pd.Timedelta(days=tolerance_days)
    m = flags.merge(ep, on=["person_key", "kind"])
    since = pd.to_datetime(m["since"])
    m = m[
        (since >= pd.to_datetime(m["start_on"]) - tol)
        & (since <= pd.to_datetime(m["end_on"]) + tol)
    ]
    out: dict[str, Any] = {"as_of": ctx.as_of.isoformat(), "tolerance_days": tolerance_days}
    for kind in EPISODE_KINDS:
        status = report.status.get(kind, {})
        row: dict[str, Any] = {"status": status.get("status")}
        if status.get("status") == "not_available":
            row["needs"] = status.get("needs", [])
            out[kind] = row
            continue
        fk = flags[flags["kind"] == kind]
        mk = m[m["kind"] == kind]
        row["flags"] = len(fk)
        for name, sel in (("planted", "planted"), ("rule", "rule_hit")):
            eps = ep[(ep["kind"] == kind) & ep[sel].astype(bool)]
            hit = mk[mk[sel].astype(bool)]
            found = int(eps["ep_id"].isin(hit["ep_id"]).sum())
            good = int(fk["flag_id"].isin(hit["flag_id"]).sum())
            row[name] = {
                "episodes": len(eps),
                "detected": found,
                "recall": _rate(found, len(eps)),
                "flags_matching": good,
                "precision": _rate(good, len(fk)),
            }
        out[kind] = row
    return out
