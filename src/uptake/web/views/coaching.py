"""People to support: a coach's view of the people in its teams who have a signal.

One data function serves the page (`/coaching`), its JSON (`/v1/coaching`) and its CSV. It
reads only `Workspace.coaching`, which checks that the coach's scope covers each team (an
admin sees every team) and writes every read to the audit log: a page view, a JSON read and
a CSV download are each one audited read of individual data. People appear by pseudonymous
key only; these signals are for helping people and are not shown to their managers.
"""

from __future__ import annotations

from typing import Any

from uptake.web.views import Page, Params
from uptake.workspace import Actor, Workspace

# What each rule noticed, said about the person to the coach who will help them.
NOTICED = {
    "bounce_loop": "opened the tool and left again quickly, several times in a row",
    "no_meaningful_use_14d": "has held a licence for a while without a meaningful use yet",
    "week3_4_drop": "use dropped in their third and fourth weeks after starting",
    "surface_use": "uses AI on low-stakes tasks only, not on core work",
    "rejection_streak": "turned down several AI suggestions in a row",
    "override_spike": "overrode more AI recommendations than they usually do",
    "distress_language": "recent feedback sounded frustrated",
    "abandonment_risk": "may stop using the tool soon (the early-warning model's top 10 %)",
}
TYPOLOGY_NAMES = {
    "job_security_anxiety": "worried about what AI means for their job",
    "competence_anxiety": "unsure of their own skill with AI",
    "trust_deficit": "does not yet trust AI's recommendations",
    "workflow_disruption": "AI gets in the way of how they work",
    "value_misalignment": "doubts AI should do this work",
    "none": "no resistance pattern",
}
LEVEL_NAMES = {"L1": "aware", "L2": "trial", "L3": "active", "L4": "integrated", "L5": "advocate"}
PROXY_BASIS = "activity_proxy"
# A reader of more teams than this (an admin of a whole organisation) first sees each team's
# counts and picks a team: every team's people on one page was 957 people in 249 teams.
LIST_AT_MOST = 10


def coaching(ws: Workspace, actor: Actor, params: Params) -> dict[str, Any]:
    """The people of the coach's teams who have a signal, with what would help each first.

    Args:
        ws: the workspace.
        actor: who looks (a coach for its teams, an admin for every team; the Workspace
            refuses everyone else and audits the read).
        params: `as_of`, `team` (one of the reader's teams alone).

    Returns:
        `Workspace.coaching`'s document, with words added: per person `level_name`,
        `risk_text`, per flag `noticed`, per typology `label`; and `as_of_rule`,
        `recent_days`, `proxy` (the ladder worked out from activity alone), `needs` (the
        signals that could not be looked for, in words), `team` (the team asked for). With
        no team asked and more than `LIST_AT_MOST` teams, the people are not listed
        (`listed` false, no individual read) and the teams come most signals first.
    """
    doc = ws.coaching(params.as_of, actor=actor, team=params.team, list_at_most=LIST_AT_MOST)
    if not doc["listed"]:
        doc["teams"].sort(key=lambda t: (-t["shown"], t["team"]))
    doc["team"] = params.team
    proxy = doc.get("ladder_basis") == PROXY_BASIS
    for p in doc["people"]:
        p["level_name"] = LEVEL_NAMES.get(p["level"] or "", "no level")
        for f in p["flags"]:
            f["noticed"] = NOTICED.get(f["rule"], f["rule"].replace("_", " "))
        if p["typology"]:
            name = p["typology"]["name"]
            p["typology"]["label"] = TYPOLOGY_NAMES.get(name, name.replace("_", " "))
        p["risk_text"] = _risk_text(p["risk"])
    doc["as_of_rule"] = "given" if params.as_of else ws.default_as_of()[1]
    doc["recent_days"] = ws.settings.signals.recent_days
    doc["proxy"] = proxy
    doc["needs"] = _needs(doc["status"])
    return doc


def _risk_text(risk: dict[str, Any]) -> str:
    """Abandonment risk in words; a missing model is "not available", never a low risk."""
    if risk.get("status") != "available":
        return "not available: needs " + ", ".join(risk.get("needs") or ["a trained model"])
    score = risk.get("score")
    if risk.get("level") == "high":
        return f"high ({score:.2f}): among the model's top 10 %"
    if score is None:
        return "not scored (no seat held, or already stopped)"
    return f"not elevated ({score:.2f})"


def _needs(status: dict[str, Any]) -> list[str]:
    """Each signal that could not be looked for, and what it needs, in words."""
    out = []
    for rule, st in (status.get("friction") or {}).items():
        if st.get("status") != "available":
            out.append(need_line(NOTICED.get(rule, rule), st))
    for part, what in (("early_warning", "abandonment risk"), ("typology", "resistance typology")):
        st = status.get(part) or {}
        if st and st.get("status") != "available":
            out.append(f"{what}: not available: needs {_list(st)}")
    return out


def need_line(noticed: str, st: dict[str, Any]) -> str:
    """Why a friction rule could not be looked for, or not for everyone, in words.

    Args:
        noticed: the rule in words.
        st: its status (`status`, `needs`; a partial one `people_without` of `people`).

    Returns:
        One line for the page's list.
    """
    if st.get("status") != "partial":
        return f"{noticed}: not available: needs {_list(st)}"
    # A partial rule ran and may have flags on the page: "not available" beside them was a
    # contradiction. It could not look at some people (seen only in vendor daily counts).
    without, people = st.get("people_without"), st.get("people")
    if without and people:
        return f"{noticed}: not looked for in {without:,} of {people:,} people: needs {_list(st)}"
    return f"{noticed}: looked for, but not everywhere: needs {_list(st)}"


def _list(st: dict[str, Any]) -> str:
    return ", ".join(str(n) for n in st.get("needs") or ["more data"])


def _tables(d: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """One row per person: their flags joined, risk, typology and what would help first."""
    rows = []
    for p in d["people"]:
        flags = "; ".join(
            f"{f['rule']} since {f['since']}" + (f" ({f['times']} times)" if f["times"] > 1 else "")
            for f in p["flags"]
        )
        ty = p["typology"] or {}
        rows.append(
            {
                "person": p["person"],
                "team": p["team"],
                "level": p["level"],
                "level_basis": "proxy: activity" if d["proxy"] else "tasks",
                "flags": flags,
                "risk": p["risk_text"],
                "typology": ty.get("name") or "unknown",
                "typology_help": ty.get("help") or "",
                "help_first": p["help"] or "",
            }
        )
    teams = [{k: t[k] for k in ("team", "people", "licensed", "shown")} for t in d["teams"]]
    return {"people": rows, "teams": teams} if d["listed"] else {"teams": teams}


PAGE = Page(
    slug="coaching",
    title="People to support",
    summary="People to support (coach tokens: individual signals of their teams, audited)",
    data=coaching,
    order=95,
    roles=("coach", "admin"),
    charts=False,
    tables=_tables,
    takes_team=True,
    # People's rows never enter the organisation report.
    report=False,
)
