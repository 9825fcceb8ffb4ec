"""Score friction flags against the simulator's episodes (precision and recall per rule)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from uptake.metrics.context import MetricContext
from uptake.signals.friction.detect import detect
from uptake.signals.friction.rules import SIGNALS, FrictionRules

# A flag matches an episode when its `since` lies in [start_on − before, end_on + after].
# The base slack is 2 days at either edge: the rules count whole UTC days where the
# simulator measures some windows in 24-hour steps from an event (bounce loops) or plants on
# a person's local working day, so the two can disagree by a day at either edge.
TOLERANCE_DAYS = 2
# Every friction rule has ground-truth episodes.
EPISODE_KINDS = SIGNALS


def tolerance(kind: str, rules: FrictionRules, days: int = TOLERANCE_DAYS) -> tuple[int, int]:
    """Days a flag's `since` may fall before an episode's start and after its end.

    Most rules flag on a day inside the episode (its first day, or the day it falls due), so
    the base slack suffices. Two are wider, for reasons of the rule, not of the data:

    - rejection_streak: a planted streak of rejects joins the person's own rejects just
      before it (no accept between), so the rule can reach its count up to `streak_days`
      before the first planted reject;
    - override_spike: the rule looks at the `spike_recent_days` ending each decision day, so
      a person who decides rarely first shows the spike up to that many days after the
      planted stretch ended (while the window still holds its overrides).

    Args:
        kind: an episode kind from `EPISODE_KINDS`.
        rules: the thresholds.
        days: the base slack.

    Returns:
        (before, after) in days.
    """
    if kind == "rejection_streak":
        return max(days, rules.streak_days), days
    if kind == "override_spike":
        return days, max(days, rules.spike_recent_days)
    return days, days


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
    """Precision and recall of every friction rule against simulated episodes.

    Only episodes that ended by `ctx.as_of` are scored (a drop is decided on its last day).
    A rule the view cannot run (no sessions, decisions, feedback or voice classifier) is
    `not_available` with what it needs.
    *Planted*: recall over planted episodes, precision = flags matching a planted episode.
    *Rule*: the same against every episode on which the simulator's literal rule holds
    (`rule_hit`, planted or incidental).

    Args:
        ctx: the metric context of the workspace holding the simulated data.
        episodes: ground_truth_episodes.parquet (person = e-mail, kind, start_on, end_on,
            planted, rule_hit).
        email_to_key: e-mail → person key (a mapping or `Workspace.pseudonymise`).
        rules: the thresholds (default `FrictionRules()`).
        tolerance_days: base days a flag's `since` may fall outside an episode and still
            match (see `tolerance` for the kinds allowed more).

    Returns:
        {kind: {"status", "flags", "tolerance_days": [before, after], "planted": {...},
        "rule": {...}}} with n, matched, precision and recall in each of planted and rule.
    """
    rules = rules or FrictionRules()
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
    tol = {k: tolerance(k, rules, tolerance_days) for k in EPISODE_KINDS}
    m = flags.merge(ep, on=["person_key", "kind"])
    since = pd.to_datetime(m["since"])
    before = pd.to_timedelta(m["kind"].map(lambda k: tol[k][0]), unit="D")
    after = pd.to_timedelta(m["kind"].map(lambda k: tol[k][1]), unit="D")
    m = m[
        (since >= pd.to_datetime(m["start_on"]) - before)
        & (since <= pd.to_datetime(m["end_on"]) + after)
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
        row["tolerance_days"] = list(tol[kind])
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
