"""The manager digest: a team's week in aggregates, and the one action the data suggests.

Only the team's own aggregates appear, each over at least k people (the team's metrics come
already suppressed; friction is counted here and said only when at least k people of the
team share it). Nothing names or singles out a member, and nothing organisation-wide is
shown (a manager may read their own team only). The action is the first that holds:

1. at least k people of the team hit the same friction → what helps with it, and a champion
   in the team's roles when there is one;
2. a use case that works for peers in the team's most common role (k-anonymous peers) and
   under a third of the team at L3+ → make it the team's one workflow to try this week;
3. at least k people at L4+ → ask them to show one workflow at the next team meeting;
4. otherwise → keep the basics: one use case per role, shown where people work.

The HTML is an e-mail body: inline styles only, no script, no remote images. Sending it is
the host's job.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable
from typing import Any

from uptake.metrics.labels import signed

# What a shared friction means, said to the manager of the people it was raised on.
NOTICED = {
    "bounce_loop": "open the assistant and leave again quickly",
    "no_meaningful_use_14d": "have had a licence for a while without a meaningful use",
    "week3_4_drop": "used it less after their first two weeks",
    "surface_use": "use AI on small tasks only, not on the team's core work",
    "rejection_streak": "turn down many suggestions in a row",
    "override_spike": "override more AI recommendations than usual",
    "distress_language": "sounded frustrated in recent feedback",
}
HELP = {
    "bounce_loop": "book 30 minutes to walk through one real task together, start to finish",
    "no_meaningful_use_14d": "give everyone one concrete task to try with AI this week",
    "week3_4_drop": "check in now, in week three: what did they stop using it for, and why",
    "surface_use": "pick one high-stakes workflow and do it with AI together, checking each step",
    "rejection_streak": "ask what the suggestions get wrong: the tool may not fit the task",
    "override_spike": "review recent recommendations as a team: are they wrong, or is trust lost?",
    "distress_language": "answer the feedback openly at the next team meeting",
}


def _value(team: dict[str, Any], metric: str) -> dict[str, Any] | None:
    row = (team.get("metrics") or {}).get(metric, {}).get("team_value")
    if not isinstance(row, dict) or row.get("suppressed") or row.get("status"):
        return None
    return row


def shared_friction(
    flags: Iterable[tuple[str, str]], k: int, team_size: int
) -> list[tuple[str, int]]:
    """Friction signals at least k people share, most people first.

    Args:
        flags: (person key, signal) of the team's members' recent friction flags.
        k: the minimum group size.
        team_size: people in the team (those without the flag must be k or more too,
            or the count would say who has it).

    Returns:
        (signal, people) for each signal shared by k or more and not by all but a few.
    """
    people: dict[str, set[str]] = {}
    for key, signal in flags:
        if signal in NOTICED:
            people.setdefault(signal, set()).add(key)
    counts = Counter({s: len(p) for s, p in people.items()})
    return [(s, n) for s, n in counts.most_common() if n >= k and team_size - n >= k]


def build_digest(
    team_doc: dict[str, Any],
    friction: list[tuple[str, int]],
    peer: dict[str, Any] | None,
    champion_in_roles: bool,
) -> dict[str, Any]:
    """One team's digest.

    Args:
        team_doc: `Workspace.team_metrics` for the team (suppressed per group already).
        friction: `shared_friction` of the team (only signals of at least k people).
        peer: the best peer use case for the team's most common role ({role, workflow,
            name, people, completion_rate, minutes_saved}), or None.
        champion_in_roles: whether a champion works in one of the team's roles.

    Returns:
        {team, as_of, week, k, numbers: [{label, value, unit, n}], action: {text, why},
        notes}.
    """
    k = int(team_doc.get("min_group_size") or 5)
    ladder = _value(team_doc, "adoption_ladder")
    usage = _value(team_doc, "usage_rate")
    weekly = _value(team_doc, "weekly_active_rate")
    segs = _value(team_doc, "usage_segments_4w")
    numbers: list[dict[str, Any]] = []
    notes: list[str] = []

    def add(label: str, value: Any, unit: str, n: Any) -> None:
        numbers.append({"label": label, "value": value, "unit": unit, "n": n})

    basis = str((team_doc.get("metrics", {}).get("adoption_ladder") or {}).get("basis") or "")
    proxy = basis.startswith("proxy")
    if ladder is not None:
        # Without task data the levels come from activity: "AI on real work" is not measured.
        what = f"({basis})" if proxy else "(AI on real work)"
        add(f"at L3+ on the adoption ladder {what}", ladder.get("l3_plus_share"), "share",
            ladder.get("n"))  # fmt: skip
    else:
        notes.append("adoption ladder: not shown (fewer than k people, or not available)")
    if weekly is not None:
        add(f"active in the week from {weekly.get('week')}", weekly.get("rate"), "share",
            weekly.get("n"))  # fmt: skip
        weeks = [w for w in weekly.get("weeks") or [] if not w.get("suppressed")]
        if len(weeks) >= 2 and weeks[-2].get("rate") is not None:
            change = (weekly.get("rate") or 0.0) - (weeks[-2].get("rate") or 0.0)
            add("change in weekly activity on the week before", round(change, 6), "points",
                weekly.get("n"))  # fmt: skip
    if usage is not None:
        add("licensed people active in the last 28 days", usage.get("rate"), "share",
            usage.get("n"))  # fmt: skip
    if segs is not None:
        plus = (segs.get("power_share") or 0.0) + (segs.get("habitual_share") or 0.0)
        add("habitual or power users (4 weeks)", round(plus, 6), "share", segs.get("n"))
    action = _action(ladder, friction, peer, champion_in_roles, k, basis if proxy else None)
    privacy = team_doc.get("privacy") or {}
    if privacy.get("noise") and numbers:
        # Each line is its own noisy count of the team: n = 8 beside n = 11 for one team of 9
        # had read as a mistake.
        notes.append(
            f"each line's people count carries its own random noise (±{privacy.get('error_bar')}"
            " people at 95 %), so the same team's n differs by a few from line to line"
        )
    return {
        "team": team_doc.get("team"),
        "as_of": team_doc.get("as_of"),
        "week": None if weekly is None else weekly.get("week"),
        "k": k,
        "numbers": numbers,
        "friction": [{"signal": s, "people": n, "noticed": NOTICED[s]} for s, n in friction],
        "action": action,
        "notes": notes,
    }


def _action(
    ladder: dict[str, Any] | None,
    friction: list[tuple[str, int]],
    peer: dict[str, Any] | None,
    champion: bool,
    k: int,
    proxy: str | None = None,
) -> dict[str, str]:
    if friction:
        signal, n = friction[0]
        text = f"{n} people in your team {NOTICED[signal]}: {HELP[signal]}."
        if champion:
            text += " A champion who works in your team's roles can help: ask the AI programme."
        return {"text": text, "why": f"friction {signal}, shared by {n} people (k = {k})"}
    share = None if ladder is None else ladder.get("l3_plus_share")
    if peer is not None and (share is None or share < 1 / 3):
        rate = round(100 * float(peer["completion_rate"]))
        text = (
            f"Pick one workflow for the team to try with AI this week, "
            f"“{peer['name'] or peer['workflow']}”: {peer['people']} {peer['role']}s "
            f"elsewhere complete {rate} % of their AI-assisted runs of it."
        )
        return {"text": text, "why": "few at L3+; what works for peers in the team's main role"}
    top = 0 if ladder is None else int(ladder.get("L4") or 0) + int(ladder.get("L5") or 0)
    if top >= k and proxy:
        # From vendor activity alone L4 means regular use, not use on core work: the data
        # cannot say what the work was.
        return {
            "text": "Ask the people who use AI most regularly to show one task they use it for "
            "at your next team meeting.",
            "why": f"{top} people at L4+ ({proxy})",
        }
    if top >= k:
        return {
            "text": "Ask the people who use AI on core work every week to show one workflow "
            "at your next team meeting.",
            "why": f"{top} people at L4+",
        }
    return {
        "text": "Keep the basics going: one use case per role, shown where people work, and "
        "ten minutes at the team meeting on what worked.",
        "why": "no shared friction and no stronger signal this week",
    }


def _fmt(value: Any, unit: str) -> str:
    if value is None:
        return "not available"
    if unit == "share":
        return f"{100 * float(value):.0f} %"
    if unit == "points":
        return f"{signed(100 * float(value))} points"
    return str(value)


def render_html(digest: dict[str, Any]) -> str:
    """The digest as an e-mail body (inline styles, no script, every value escaped).

    Args:
        digest: `build_digest`'s result.

    Returns:
        HTML text.
    """
    e = html.escape
    rows = "".join(
        f'<tr><td style="padding:4px 12px 4px 0">{e(str(x["label"]))}</td>'
        f'<td style="padding:4px 12px 4px 0;font-weight:bold">{e(_fmt(x["value"], x["unit"]))}'
        f'</td><td style="padding:4px 0;color:#666">n = {e(str(x["n"]))}</td></tr>'
        for x in digest["numbers"]
    )
    notes = "".join(f"<li>{e(n)}</li>" for n in digest["notes"])
    return (
        '<div style="font-family:system-ui,Arial,sans-serif;max-width:560px;color:#222">'
        f'<h2 style="margin:0 0 4px">Your team this week: {e(str(digest["team"]))}</h2>'
        f'<p style="margin:0 0 12px;color:#666">As of {e(str(digest["as_of"]))} · groups of '
        f"fewer than {digest['k']} people are not shown · no one is named</p>"
        '<div style="background:#eef4fb;border-left:4px solid #2171b5;padding:10px 12px;'
        "margin:0 0 12px\"><strong>This week's one action</strong><br>"
        f'{e(digest["action"]["text"])}<br><span style="color:#666;font-size:90%">Why: '
        f"{e(digest['action']['why'])}</span></div>"
        f'<table style="border-collapse:collapse">{rows}</table>'
        + (f'<ul style="color:#666;font-size:90%">{notes}</ul>' if notes else "")
        + "</div>"
    )
