"""`uptake signals`: what to do first — teams that need help, friction, risk, champions."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from uptake.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, parse_day, print_json
from uptake.metrics.labels import signed
from uptake.signals.names import signal_name

TOP_TEAMS = 10
TOP_PEOPLE = 10


def signals_command(
    workspace: WorkspaceOpt = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Day to evaluate, YYYY-MM-DD (default: last active day)."),
    ] = None,
    reveal: Annotated[
        bool,
        typer.Option("--reveal", help="Show the roster's identifiers instead of keys (audited)."),
    ] = False,
    retrain: Annotated[
        bool,
        typer.Option(
            "--retrain",
            help="Train the abandonment early-warning model on this workspace's history first.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Signals: teams to help first, friction, abandonment risk, typology, champions, managers.

    Individual data: person keys are pseudonymous unless --reveal; every read is audited.
    """
    day = parse_day(as_of)
    ws = open_workspace(workspace, as_of=day)
    try:
        if retrain:
            card = ws.train_early_warning(as_of=day)
            if not as_json:
                _card(card)
        report = ws.signals(as_of=day, reveal=reveal)
    finally:
        ws.close()
    doc = report.to_dict()
    if as_json:
        print_json(doc)
        return
    _render(doc, console)


def _card(card: dict[str, Any]) -> None:
    scores = card.get("scores") or {}
    model, rules = scores.get("model") or {}, scores.get("rules") or {}

    def auc(part: dict[str, Any]) -> str:
        value = part.get("roc_auc")
        return "—" if value is None else f"{value:.3f}"

    console.print(
        f"Early-warning model trained (cutoff {card.get('cutoff')}): ROC AUC {auc(model)} "
        f"against the rules' {auc(rules)} on the weeks after the cutoff.",
        highlight=False,
    )


def _render(doc: dict[str, Any], out: Console) -> None:
    people = doc["people"]
    ladder = doc["status"].get("ladder") or {}
    if ladder.get("status") == "not_available":
        # Nothing else is built without the levels: say why once (it had printed "0 licensed
        # people" and an empty table).
        out.print(f"Signals as of {doc['as_of']}: the adoption ladder is not available (needs "
                  f"{_needs(ladder)}), so no team, friction or champion can be judged.",
                  highlight=False)  # fmt: skip
        return
    out.print(
        f"Signals as of {doc['as_of']} · {len(people):,} licensed people · individual data "
        "(audited); people appear as keys unless --reveal",
        highlight=False,
    )
    teams = doc["teams"]
    t = Table(title="Teams that need help first", title_justify="left", show_edge=False)
    ladder_basis = str(ladder.get("basis") or "")
    l3 = "L3+ (proxy)" if ladder_basis.startswith("proxy") else "L3+"
    for col in ("#", "team", "n", "need", l3, "change", "friction", "resistance"):
        t.add_column(col, overflow="fold")
    shown = teams[:TOP_TEAMS]
    for i, row in enumerate(shown, start=1):
        t.add_row(
            str(i),
            row["team"],
            str(row["n"]),
            f"{row['need']:.2f}",
            f"{100 * row['l3_plus_share']:.0f} %",
            f"{signed(100 * row['l3_plus_change'])} pts",
            # As the teams page says them: a rule's words, and "no resistance" for a team
            # whose resistance kind is "none" ("none" read as "nothing known").
            signal_name(row["dominant_friction"]) if row["dominant_friction"] else "—",
            _typology(row["dominant_typology"]),
        )
    out.print(t)
    for i, row in enumerate(shown, start=1):
        out.print(f"  {i}. {row['team']}: {row['intervention']}", highlight=False)
    if teams:
        basis = teams[0]["pressure_basis"]
        out.print(
            f"need = 0.5 × {basis} + 0.3 × (1 − L3+ share) + 0.2 × decline; teams under the "
            "minimum group size or hidden by the metrics' release plan are not shown.",
            highlight=False,
        )
        if ladder_basis.startswith("proxy"):
            out.print("L3+ is a proxy: without task data the ladder's levels come from "
                      "activity.", highlight=False)  # fmt: skip
        if (doc.get("privacy") or {}).get("noise"):
            out.print(
                f"n, the pressure, the shares and the change: {doc['privacy']['statement']}.",
                highlight=False,
            )
    _status(doc["status"], out)
    at_risk = [p for p in people if p["flags"]][:TOP_PEOPLE]
    if at_risk:
        pt = Table(title="People with flags (most at risk first)", title_justify="left",
                   show_edge=False)  # fmt: skip
        for col in ("person", "ladder", "risk", "flags", "resistance"):
            # A key is copied whole, never split; names read as words, which wrap between
            # them ("manager_passive_re|sistance" had been split).
            pt.add_column(col, overflow="fold", no_wrap=col == "person")
        for p in at_risk:
            risk = "—" if p["risk"] is None else f"{p['risk']:.2f}"
            names = ", ".join(sorted({signal_name(f["signal"]) for f in p["flags"]}))
            kind = (p["typology"] or "—").replace("_", " ")
            pt.add_row(p["person"], p["ladder"], risk, names, kind)
        out.print(pt)
    champs = doc.get("champions") or {}
    if champs:
        cov = champs.get("coverage")
        out.print(
            f"Champions: {len(champs.get('champions', []))} selected; their teams hold "
            f"{'—' if cov is None else f'{100 * cov:.0f} %'} of people.",
            highlight=False,
        )
    themes = [t for t in doc.get("voice") or [] if t.get("people")]
    if themes:
        out.print("Feedback themes (last 90 days, people at or above k):", highlight=False)
        for t in themes[:3]:
            quote = t["quotes"][0] if t.get("quotes") else ""
            out.print(f"  {t['label']} — {t['people']} people · “{quote}”", highlight=False)
    flagged = (doc.get("managers") or {}).get("flags") or []
    if doc.get("managers"):
        out.print(f"Managers at passive-resistance risk: {len(flagged)}.", highlight=False)


def _typology(kind: str | None) -> str:
    """A team's dominant typology in words ("—" when fewer than k share one)."""
    if not kind:
        return "—"
    return "no resistance" if kind == "none" else kind.replace("_", " ")


def _needs(st: dict[str, Any]) -> str:
    return ", ".join(str(n) for n in st.get("needs", []))


def _status(status: dict[str, Any], out: Console) -> None:
    lines = []
    for rule, st in (status.get("friction") or {}).items():
        name = signal_name(rule)  # as the flags column names it
        state = st.get("status")
        if state == "not_available":
            lines.append(f"  {name}: not available: needs {_needs(st)}")
        elif state == "partial":
            # As the dashboard says it: for how many it could not look, when known.
            without, people = st.get("people_without"), st.get("people")
            where = (
                f"not looked for in {without:,} of {people:,} people"
                if without and people
                else "not looked for everywhere"
            )
            lines.append(
                f"  {name}: {st.get('flags', 0)} new since {st.get('since')}; {where}: "
                f"needs {_needs(st)}"
            )
        else:
            lines.append(f"  {name}: {st.get('flags', 0)} new since {st.get('since')}")
    for key in ("early_warning", "typology", "champions", "managers", "silence"):
        st = status.get(key) or {}
        if st.get("status") == "not_available":
            lines.append(f"  {signal_name(key)}: not available: needs {_needs(st)}")
    if lines:
        out.print("Detectors:", highlight=False)
        for line in lines:
            out.print(line, highlight=False)
