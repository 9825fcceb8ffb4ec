"""The data components of the organisation's human network: champions and feedback channels.

Champion coverage comes from the signals' champion selection; feedback channels from the
feedback-health resolution metric (`feedback_weeks` reporting weeks) and the signals' silence
judgement of each team.
"""

from __future__ import annotations

from typing import Any

from uptake.metrics.context import MetricContext
from uptake.metrics.families import feedback_health
from uptake.programme.readiness.evidence import Rules
from uptake.programme.readiness.model import Component, hidden, missing, noisy_n, share

# -- champion network -------------------------------------------------------------------------


def champion_network(ctx: MetricContext, signals: dict[str, Any]) -> list[Component]:
    """Champion coverage of people (through their team) and of roles.

    Args:
        ctx: metric context.
        signals: the signals document (its `champions` selection and `status`).

    Returns:
        `people_covered` (people whose team has a champion ÷ roster people) and
        `roles_covered` (roles with a champion ÷ roles).
    """
    k = ctx.min_group_size
    st = (signals.get("status") or {}).get("champions") or {}
    ch = signals.get("champions") or {}
    l1, l2 = "people whose team has a champion", "roles with a champion"
    if st.get("status") == "not_available" or not ch:
        need = list(st.get("needs") or ["help_edges"])
        return [missing("people_covered", l1, need), missing("roles_covered", l2, need)]
    people = int(ch.get("people") or 0)
    if people == 0:
        return [
            missing("people_covered", l1, ["people (roster)"]),
            missing("roles_covered", l2, ["people (roster)"]),
        ]
    chosen = len(ch.get("champions") or [])
    info = {
        "champions": noisy_n(ctx.noise, chosen, k, "champions")
        if chosen >= k
        else f"fewer than {k}",
        "teams_covered": ch.get("teams_covered"),
        "teams": ch.get("teams"),
    }
    out = [
        share(
            "people_covered",
            l1,
            int(ch.get("covered_people") or 0),
            people,
            people,
            k,
            detail=info,
            noise=ctx.noise,
            counts_people=True,
        )
    ]
    roles = int(ch.get("roles") or 0)
    if roles:
        out.append(
            share(
                "roles_covered",
                l2,
                int(ch.get("roles_covered") or 0),
                roles,
                people,
                k,
                detail={"counts": "roles"},
                noise=ctx.noise,
            )
        )
    else:
        out.append(missing("roles_covered", l2, ["people.role"]))
    return out


# -- feedback channels ------------------------------------------------------------------------


def feedback_channels(ctx: MetricContext, signals: dict[str, Any], rules: Rules) -> list[Component]:
    """Share of feedback resolved, time to resolution against a target, and silent teams.

    Args:
        ctx: metric context.
        signals: the signals document (its silence status lists the judged teams).
        rules: readiness thresholds.

    Returns:
        `resolved` (share resolved), `resolution_time` (100 at or under the target median
        days, 0 at four times it, linear between; 0 when the Kaplan–Meier median is not
        reached: more than half is still open) and `teams_not_silent` (judged teams that are
        not silent ÷ judged teams shown).
    """
    k = ctx.min_group_size
    l1, l2, l3 = (
        "feedback items resolved",
        "median days to resolution (Kaplan–Meier) against "
        f"a {rules.resolution_target_days}-day target",
        "teams that are not silent",
    )
    if ctx.missing("feedback"):
        return [
            missing(n, lab, ["feedback"])
            for n, lab in (("resolved", l1), ("resolution_time", l2), ("teams_not_silent", l3))
        ]
    out: list[Component] = []
    res = feedback_health.resolution(ctx)
    if not res.available:
        out += [
            missing("resolved", l1, list(res.needs)),
            missing("resolution_time", l2, list(res.needs)),
        ]
    elif res.suppressed or res.n is None:
        out += [hidden("resolved", l1, k), hidden("resolution_time", l2, k)]
    else:
        v = res.values
        items, done = int(v["items"]), int(v["resolved"])
        weeks = ctx.settings.feedback_weeks
        info = {
            "items": items,
            "resolved": done,
            "weeks": weeks,
            "interval": [v.get("share_resolved_low"), v.get("share_resolved_high")],
        }
        out.append(
            share(
                "resolved",
                l1,
                done,
                items,
                int(res.n),
                k,
                n_what="people",
                detail=info,
                noise=ctx.noise,
            )
        )
        med = v.get("median_days")
        target = float(rules.resolution_target_days)
        worst = 4 * target
        value = 0.0 if med is None else min(1.0, max(0.0, (worst - med) / (worst - target)))
        note = (
            "median not reached: more than half is still open"
            if med is None
            else f"median {med:.1f} days"
        )
        out.append(
            Component(
                "resolution_time",
                l2,
                value=value,
                score=100 * value,
                n=noisy_n(ctx.noise, int(res.n), k, "resolution_time"),
                detail={
                    "median_days": med,
                    "target_days": target,
                    "zero_at_days": worst,
                    "note": note,
                    "weeks": weeks,
                },
            )
        )
    st = (signals.get("status") or {}).get("silence") or {}
    if st.get("status") != "available":
        out.append(missing("teams_not_silent", l3, list(st.get("needs") or ["feedback"])))
        return out
    teams = [
        t
        for t in st.get("teams") or []
        if not t.get("suppressed") and t.get("team") not in ("(all)", "(none)")
    ]
    if not teams:
        out.append(hidden("teams_not_silent", l3, k, "people in each team"))
        return out
    silent = sum(1 for t in teams if t.get("silent"))
    people = sum(int(t.get("n") or 0) for t in teams)
    info = {
        "silent_teams": silent,
        "counts": "teams of at least k people",
        "depth_below": st.get("depth_below"),
        "feedback_per_person_below": st.get("feedback_per_person_below"),
    }
    out.append(
        share(
            "teams_not_silent",
            l3,
            len(teams) - silent,
            len(teams),
            people,
            k,
            detail=info,
            noise=ctx.noise,
        )
    )
    return out
