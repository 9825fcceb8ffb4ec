"""`uptake readiness`: the eight organisational conditions scored, and the questionnaire."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from uptake.cli.common import (
    AsOfOpt,
    JsonOpt,
    WorkspaceOpt,
    open_workspace,
    parse_day,
    print_document,
    print_json,
    read_document,
)
from uptake.cli.tables import plural, word_width
from uptake.errors import InputError

readiness_app = typer.Typer(
    help="Readiness against the eight organisational conditions: scores from the data and a "
    "short questionnaire, the evidence behind each, gaps with their intervention, and the "
    "dominant resistance per population.",
)
STATUS = {"ok": "ok", "gap": "GAP", "not_available": "not available"}


@readiness_app.callback(invoke_without_command=True)
def readiness_command(
    ctx: typer.Context,
    workspace: WorkspaceOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Each condition's score 0-100, its evidence, the gaps and what to do about them."""
    if ctx.invoked_subcommand is not None:
        return
    day = parse_day(as_of)
    doc = read_document(workspace, lambda ws: ws.readiness_assessment(as_of=day))
    print_document(doc, as_json, render)


@readiness_app.command("questions")
def questions_command(as_json: JsonOpt = False) -> None:
    """The questionnaire's items: id, the condition it informs, the statement (1-5 agree)."""
    from uptake.programme.readiness import ITEMS

    rows = [{"item": i.item, "condition": i.condition, "text": i.text} for i in ITEMS]
    if as_json:
        print_json(rows)
        return
    t = Table(title="Readiness questionnaire: 1 strongly disagree … 5 strongly agree")
    for c in ("item", "condition", "statement"):
        t.add_column(c)
    for r in rows:
        t.add_row(r["item"], r["condition"], r["text"])
    Console().print(t)


@readiness_app.command("answer")
def answer_command(
    answers: Annotated[
        list[str],
        typer.Argument(
            help="ITEM=SCORE pairs, 1-5 (e.g. role_redesign_1=4); see `uptake readiness "
            "questions`.",
            show_default=False,
        ),
    ],
    person: Annotated[
        str | None,
        typer.Option(
            "--person",
            help="The respondent's roster identifier (pseudonymised at ingest); default: the "
            "programme lead's own assessment, stored without a person.",
        ),
    ] = None,
    on: Annotated[
        str | None,
        typer.Option("--on", help="Day the answers were given, YYYY-MM-DD (default: now)."),
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record questionnaire answers through ingestion (validated like any survey)."""
    from uptake.programme.readiness.questionnaire import parse_answers

    parsed = parse_answers(answers)
    if person is not None and not person.strip():
        raise InputError("--person: give a roster identifier, or leave it out")
    ts = None
    if on is not None:
        try:
            day = datetime.strptime(on, "%Y-%m-%d").date()
        except ValueError:
            raise InputError(f"--on {on!r}: expected a date as YYYY-MM-DD") from None
        if day > datetime.now(UTC).date():
            raise InputError(f"--on {on}: answers cannot be given in the future")
        ts = datetime.combine(day, time(12), tzinfo=UTC)
    ws = open_workspace(workspace)
    try:
        out = ws.record_readiness(parsed, person=person, ts=ts)
    finally:
        ws.close()
    if as_json:
        print_json(out)
        return
    who = "the respondent's" if person else "the programme lead's"
    reasons = ", ".join(f"{n} {why.replace('_', ' ')}" for why, n in out["by_reason"].items())
    if out["quarantined"] and not out["accepted"]:
        raise InputError(f"no answer recorded: every one was quarantined ({reasons}); "
                         "see `uptake quarantine`")  # fmt: skip
    Console().print(
        f"recorded {out['accepted']} of {plural(len(parsed), 'answer')} as {who} "
        f"({out['ts'][:10]})"
        + (f"; quarantined {out['quarantined']} ({reasons})" if out["quarantined"] else ""),
        soft_wrap=True,
    )


def render(doc: Mapping[str, Any], console: Console) -> None:
    """Print the readiness document: conditions, gaps, questionnaire and populations.

    Args:
        doc: `Workspace.readiness_assessment`'s document.
        console: where to print.
    """
    privacy = doc.get("privacy") or {}
    noise = (
        f"counts ±{privacy.get('error_bar')} (noise, ε = {privacy.get('epsilon')})"
        if privacy.get("noise")
        else "exact counts"
    )
    console.print(
        f"as of {doc.get('as_of')} ({doc.get('as_of_rule')}) · {doc.get('window_days')}-day "
        f"window · a gap is a score below {doc.get('gap_below')} · groups below k = "
        f"{doc.get('min_group_size')} hidden · {noise}",
        soft_wrap=True,
    )
    t = Table(title="Readiness against the eight conditions")
    conditions = doc.get("conditions") or []
    # The labels' words stay whole; the evidence takes what width is left (at 80 columns
    # its longest words, such as feedback_loops_1=1..5, would leave it none).
    cells = {
        "condition": [x["label"] for x in conditions],
        "basis": [x["basis"] for x in conditions],
    }
    for c in ("condition", "score", "status", "basis", "evidence"):
        t.add_column(c, overflow="fold", min_width=word_width(cells.get(c, []), 4, 24))
    for c in conditions:
        score = "—" if c["score"] is None else f"{c['score']:.1f}"
        evid = "\n".join(evidence_line(x) for x in c["components"])
        t.add_row(c["label"], score, STATUS.get(c["status"], c["status"]), c["basis"] or "—", evid)
    console.print(t)
    gaps = doc.get("gaps") or []
    if gaps:
        console.print("Gaps and what to do:", soft_wrap=True)
        for g in gaps:
            console.print(f"  {g['label']} ({g['score']:.1f}): {g['intervention']}", soft_wrap=True)
    missing = [c for c in doc.get("conditions") or [] if c["status"] == "not_available"]
    if missing:
        console.print("Not scored:", soft_wrap=True)
    for c in missing:
        console.print(f"  {c['label']}: {c['reason']}", soft_wrap=True)
    q = doc.get("questionnaire") or {}
    who = "answered by the programme lead" if q.get("lead_answered") else "no lead assessment"
    if q.get("respondents"):
        who += f"; {q['respondents']} other respondents"
    elif q.get("respondents_note"):
        who += f"; {q['respondents_note']}"
    console.print(
        f"Questionnaire ({q.get('scale')}): {who} (`uptake readiness questions`)", soft_wrap=True
    )
    pops = doc.get("populations") or {}
    if pops.get("status") != "ok":
        console.print(
            f"Resistance per population: not available: needs {', '.join(pops.get('needs') or [])}",
            soft_wrap=True,
        )
        return
    console.print(f"Dominant resistance per population ({pops.get('counts')}):", soft_wrap=True)
    for dim, rows in (pops.get("dimensions") or {}).items():
        for r in rows:
            if r.get("dominant"):
                console.print(
                    f"  {dim} {r['segment']}: {r['dominant'].replace('_', ' ')} "
                    f"({_pct(r['share'])} of {r['n']}) → {r['intervention']}",
                    soft_wrap=True,
                )
        hidden = sum(1 for r in rows if not r.get("dominant"))
        if hidden:
            console.print(
                f"  {dim}: {hidden} more without a dominant resistance of ≥ k people",
                soft_wrap=True,
            )


def evidence_line(c: Mapping[str, Any]) -> str:
    """One component of a condition's evidence, in words with its numbers and n.

    Args:
        c: a component of a condition.

    Returns:
        e.g. "decisions whose outcome is logged: 94 % (50 of 53; n = 13 deciders)".
    """
    if c["status"] != "ok":
        return f"{c['label']}: {c['reason']}"
    d = c.get("detail") or {}
    if c["kind"] == "questionnaire":
        items = ", ".join(f"{k} {v:g}" for k, v in (d.get("items") or {}).items())
        return (
            f"{c['label']}: mean {c['value']:.2f} of 5 ({items}; {d.get('source')}, n = {c['n']})"
        )
    if "numerator" in d:
        what = f" {d['counts']}" if d.get("counts") else ""
        return (
            f"{c['label']}: {_pct(c['value'])} ({d['numerator']:,} of "
            f"{d['denominator']:,}{what}; n = {c['n']:,} {c['n_what']}){proxy_note(d)}"
        )
    return (
        f"{c['label']}: score {c['score']:.0f} ({d.get('note', '')}; n = {c['n']:,} {c['n_what']})"
    )


def proxy_note(detail: Mapping[str, Any]) -> str:
    """ " · a proxy: …" when the evidence stands on a proxy (e.g. ladder levels from activity).

    Args:
        detail: a component's detail.

    Returns:
        The note, or "".
    """
    basis = str(detail.get("basis") or "")
    if not basis.startswith("proxy"):
        return ""
    return (
        f" · a proxy: levels from {basis.partition(':')[2].strip() or 'a proxy'}, not measured work"
    )


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.0f} %"
