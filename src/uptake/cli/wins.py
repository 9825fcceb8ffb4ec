"""The `uptake wins` and `uptake redesign` commands: wins, case studies, redesigns, roles."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from uptake.cli.common import (
    AsOfOpt,
    JsonOpt,
    WorkspaceOpt,
    check_out_folder,
    console,
    err_console,
    open_workspace,
    parse_day,
    print_json,
    read_document,
)
from uptake.cli.edge import UptakeGroup
from uptake.errors import InputError
from uptake.metrics.labels import signed

CASE_SUFFIXES = (".html", ".md")
SECTIONS = (
    ("wins", "Wins: measured improvements"),
    ("mixed", "Mixed: better on one measure, worse on another"),
    ("promising", "Promising, not yet significant"),
)

_SHORT = {"manual": "no AI", "baseline": "baseline"}
# A table's single comparison, in its title.
_AGAINST = {"no AI": "runs without AI", "baseline": "the catalogue's baseline minutes"}

redesign_app = typer.Typer(
    cls=UptakeGroup,
    help="Workflow redesigns: record a new standard procedure, see what changed after it.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def wins_command(
    workspace: WorkspaceOpt = None,
    as_of: AsOfOpt = None,
    case: Annotated[
        str | None,
        typer.Option("--case", help="Export one workflow's one-page case study (its id)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where the case study goes: a .html or .md file."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Workflows where AI already delivers a measured improvement, with intervals (k-safe)."""
    day = parse_day(as_of)
    if out is not None and case is None:
        raise InputError("--out writes a case study: name its workflow with --case")
    if out is not None and out.suffix.lower() not in CASE_SUFFIXES:
        raise InputError(f"--out {out}: expected a .html or .md file")
    if out is not None and out.is_dir():
        raise InputError(f"--out {out}: is a folder; expected a .html or .md file")
    if out is not None:
        check_out_folder(out, create=False)
    if case is not None and not case.strip():
        raise InputError("--case: name a workflow id")
    doc = read_document(
        workspace, lambda ws: ws.case_study(case.strip(), as_of=day) if case else ws.wins(as_of=day)
    )
    if case is not None:
        _case(doc, out, as_json)
        return
    if as_json:
        print_json(doc)
        return
    render(doc, Console())


def _case(doc: dict[str, Any], out: Path | None, as_json: bool) -> None:
    from uptake.programme.case_study import chart_svg, to_html, to_markdown

    if out is None:
        if as_json:
            print_json(doc)
        else:
            Console().print(to_markdown(doc), markup=False, highlight=False, soft_wrap=True)
        return
    try:
        if out.suffix.lower() == ".html":
            out.write_text(to_html(doc), encoding="utf-8")
        else:
            svg = out.with_suffix(".svg")
            svg.write_text(chart_svg(doc["chart"]) + "\n", encoding="utf-8")
            out.write_text(to_markdown(doc, svg.name), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--out {out}: cannot write: {exc.strerror or exc}") from None
    if as_json:
        print_json({"out": str(out), "case": doc})
    else:
        console.print(
            f"case study of {doc['workflow']} ({doc['verdict']}) written to {out}",
            markup=False,
            soft_wrap=True,
        )


def render(doc: Mapping[str, Any], con: Console) -> None:
    """Print the wins document: the head line, one table per verdict, hidden workflows.

    Args:
        doc: `Workspace.wins`'s document.
        con: where to print.
    """
    con.print(_head(doc), soft_wrap=True, markup=False)
    if doc.get("status") != "ok":
        con.print(str(doc.get("message")), markup=False)
        return
    level = f"{100 * float(doc.get('confidence') or 0.95):.0f} %"
    for key, title in SECTIONS:
        rows = doc.get(key) or []
        if not rows:
            con.print(f"{title}: none", markup=False)
            continue
        # One known comparison for every row (the usual case) is said once, in the title:
        # the column is room the intervals need on a narrow terminal.
        refs = {_SHORT.get(str(r.get("reference")), "—") for r in rows}
        against = _AGAINST.get(refs.pop()) if len(refs) == 1 else None
        t = Table(title=f"{title} ({level} intervals{f'; against {against}' if against else ''})")
        # Headers on two lines, so that they do not widen their columns past the values:
        # at one line they took the width a workflow's id needed, which was then folded.
        columns: list[tuple[str, Any]] = [
            ("workflow", lambda r: r["workflow"]),
            ("compared\nwith", lambda r: _SHORT.get(str(r.get("reference")), "—")),
            ("AI runs\n/ people", lambda r: f"{r['runs_ai']:,} / {r['people_ai']:,}"),
            ("other runs\n/ people", _runs),
            ("min saved per\nrun [CI]", lambda r: _ci(r, "saving_per_run", 1)),
            ("completion\ndiff [CI]", lambda r: _ci(r, "completion_diff", 1, 100.0)),
            ("min saved\nin window", lambda r: _num(r.get("minutes_saved"), 0)),
        ]
        if against:
            del columns[1]
        for c, _cell in columns:
            # A workflow's id is what `--case` takes: kept on one line while the table fits
            # (the other columns wrap first), folded when it cannot, never cut short.
            t.add_column(c, overflow="fold", no_wrap=c == "workflow")
        for r in rows:
            t.add_row(*(cell(r) for _c, cell in columns))
        con.print(t)
    others = doc.get("others") or []
    if others:
        con.print(
            f"no measured improvement: {', '.join(r['workflow'] for r in others)}",
            markup=False,
            soft_wrap=True,
        )
    _hidden(con, doc.get("hidden") or [], "workflow")


def _hidden(con: Console, hidden: list[Mapping[str, Any]], key: str) -> None:
    """The hidden rows by reason, one line per reason naming them all."""
    # One line per row listed dozens of them, each with the same reason.
    by: dict[str, list[str]] = {}
    for h in hidden:
        by.setdefault(str(h["reason"]), []).append(str(h[key]))
    for reason, names in by.items():
        con.print(f"{reason}: {', '.join(names)}", markup=False, soft_wrap=True)


def _head(doc: Mapping[str, Any]) -> str:
    privacy = doc.get("privacy") or {}
    noise = (
        f"counts ±{privacy.get('error_bar')} (noise, ε = {privacy.get('epsilon')})"
        if privacy.get("noise")
        else "exact counts"
    )
    return (
        f"as of {doc.get('as_of')} ({doc.get('as_of_rule')}) · {doc.get('window_days')}-day "
        f"window · groups below k = {doc.get('min_group_size')} hidden · {noise}"
    )


def _runs(r: Mapping[str, Any]) -> str:
    if r.get("runs_other") is None:
        return f"baseline {_num(r.get('baseline_minutes'), 1)} min"
    return f"{r['runs_other']:,} / {r['people_other']:,}"


def _ci(r: Mapping[str, Any], name: str, digits: int, scale: float = 1.0) -> str:
    v = r.get(name)
    if v is None:
        return "—"
    low, high = r.get(f"{name}_low"), r.get(f"{name}_high")
    text = signed(scale * v, digits)
    if low is not None and high is not None:
        text += f" [{signed(scale * low, digits)}, {signed(scale * high, digits)}]"
    return text


def _num(v: Any, digits: int) -> str:
    return "—" if v is None else f"{float(v):,.{digits}f}"


# -- uptake redesign -------------------------------------------------------------------------


@redesign_app.callback()
def _redesign() -> None:
    """Workflow redesigns: record a new standard procedure, see what changed after it."""


@redesign_app.command("record")
def record_command(
    workflow: Annotated[str, typer.Argument(help="The catalogued workflow's id.")],
    on: Annotated[str, typer.Option("--on", help="The day the new procedure started.")],
    steps: Annotated[
        Path,
        typer.Option(
            "--steps",
            help="YAML: `before:` the old steps; `after:` the new ones, each `step:` with "
            "`ai:` substitute, augment, create or none; optional `note:`.",
        ),
    ],
    note: Annotated[
        str | None, typer.Option("--note", help="A note (default: the file's `note:`).")
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a workflow's redesigned standard procedure (admins; replaces an earlier one)."""
    from uptake.programme.redesign import StepsError

    day = _day(on)
    if not workflow.strip() or any(c.isspace() for c in workflow.strip()):
        raise InputError(f"workflow {workflow!r}: expected a workflow id (no spaces)")
    workflow = workflow.strip()
    if note is not None and len(note) > 500:
        raise InputError("--note: at most 500 characters")
    ws = open_workspace(workspace)
    try:
        doc = ws.record_redesign(workflow, day, steps, note=note)
    except StepsError as exc:
        _problems(exc.problems)
        raise typer.Exit(2) from None
    finally:
        ws.close()
    if as_json:
        print_json(doc)
        return
    console.print(
        f"recorded: {workflow} redesigned on {doc['redesigned_on']}: {doc['steps_before']} "
        f"steps before, {doc['steps_after']} after (AI substitutes {doc['substitute']}, "
        f"augments {doc['augment']}, creates {doc['create']})",
        markup=False,
        soft_wrap=True,
    )


@redesign_app.command("list")
def list_command(
    workspace: WorkspaceOpt = None, as_of: AsOfOpt = None, as_json: JsonOpt = False
) -> None:
    """Recorded redesigns and the measured change after each (k-safe aggregates)."""
    day = parse_day(as_of)
    doc = read_document(workspace, lambda ws: ws.redesigns(as_of=day))
    if as_json:
        print_json(doc)
        return
    con = Console()
    con.print(_head(doc), soft_wrap=True, markup=False)
    if doc.get("status") != "ok":
        con.print(str(doc.get("message")), markup=False, soft_wrap=True)
        return
    if not doc["redesigns"]:
        con.print(
            "no redesign recorded yet: uptake redesign record WORKFLOW --on DATE --steps FILE.yaml",
            markup=False,
            soft_wrap=True,
        )
    for r in doc["redesigns"]:
        con.print(
            f"\n{r['name']} ({r['workflow']}): redesigned on {r['redesigned_on']} by {r['who']}"
            f" · {r['steps_before']} steps before, {r['steps_after']} after (AI substitutes "
            f"{r['substitute']}, augments {r['augment']}, creates {r['create']})",
            markup=False,
            soft_wrap=True,
        )
        for i, s in enumerate(r["after"], start=1):
            con.print(f"  {i}. {s['step']} [{s['ai']}]", markup=False, soft_wrap=True)
        c = r["change"]
        for period in ("before", "after"):
            p = c.get(period)
            if p:
                con.print(
                    f"  {period} ({p['start']} to {p['end']}): {_period(p)}",
                    markup=False,
                    soft_wrap=True,
                )
        if c.get("status") == "ok":
            con.print(
                f"  minutes saved per run {_ci(c, 'minutes_saved', 1)} · completion "
                f"{_ci(c, 'completion_diff', 1, 100.0)} pts",
                markup=False,
                soft_wrap=True,
            )
        con.print(f"  {c['verdict']}", markup=False, soft_wrap=True)


def _period(p: Mapping[str, Any]) -> str:
    text = f"{p['runs']:,} runs ({p['completed']:,} completed)"
    if p.get("people") is None:
        return f"{text}, {p.get('hidden')}"
    med = "—" if p.get("median_minutes") is None else f"{p['median_minutes']:.1f}"
    return (
        f"{text} by {p['people']:,} people · median {med} min · completion "
        f"{_pct(p.get('completion'))} · AI-assisted {_pct(p.get('ai_share'))}"
    )


@redesign_app.command("roles")
def roles_command(
    workspace: WorkspaceOpt = None, as_of: AsOfOpt = None, as_json: JsonOpt = False
) -> None:
    """Role redesign evidence: tasks AI substitutes, augments or creates; override accuracy."""
    day = parse_day(as_of)
    doc = read_document(workspace, lambda ws: ws.role_redesign(as_of=day))
    if as_json:
        print_json(doc)
        return
    con = Console()
    con.print(_head(doc), soft_wrap=True, markup=False)
    if doc.get("status") != "ok":
        con.print(str(doc.get("message")), markup=False)
        return
    t = Table(
        title="Per role: AI-assisted runs by the workflow's AI mode (share of all runs, then runs)"
    )
    for c in (
        "role",
        "people",
        "runs",
        "AI-assisted",
        "substituted",
        "augmented",
        "created",
        "override rate",
        "override accuracy [CI]",
    ):
        # A long role's word is folded, not cut short ("representat…").
        t.add_column(c, overflow="fold" if c == "role" else "ellipsis")
    # A role's reason for no override figures is printed once under the table, each row
    # pointing to it: the same sentence in every row wrapped the table to a column of words.
    notes: dict[str, int] = {}
    for r in doc["roles"]:
        acc: str | Text = "—"
        if r.get("override_note"):
            n = notes.setdefault(str(r["override_note"]), len(notes) + 1)
            acc = Text(f"— [{n}]")
        if r.get("override_accuracy") is not None:
            # Folded on a narrow terminal, never cut short ("[40.…").
            ci = _ci(r, "override_accuracy", 1, 100.0).replace("+", "") + " %"
            acc = Text(ci, overflow="fold")
        t.add_row(
            r["role"],
            f"{r['n']:,}",
            f"{r['runs']:,}",
            _pct(r["ai_share"]),
            # The share over its count, not beside it: a narrow column wraps neither.
            *(
                f"{_pct(r[f'{m}_share'])}\n{r[f'{m}_runs']:,}"
                for m in ("substitute", "augment", "create")
            ),
            _pct(r.get("override_rate")),
            acc,
        )
    con.print(t)
    for note, n in notes.items():
        con.print(f"[{n}] {note}", markup=False, soft_wrap=True)
    _hidden(con, doc.get("hidden") or [], "role")
    for n in doc.get("notes") or []:
        con.print(f"note: {n}", markup=False, soft_wrap=True)


def _pct(v: Any) -> str:
    return "—" if v is None else f"{100 * float(v):.1f} %"


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--on {text!r}: expected a date as YYYY-MM-DD") from None


def _problems(problems: list[str]) -> None:
    """Each problem of a steps file on its own line of stderr (one problem: one line)."""
    if len(problems) == 1:
        err_console.print(f"error: {problems[0]}", markup=False, highlight=False, soft_wrap=True)
        return
    err_console.print(
        f"error: {len(problems)} problems in the steps file:", markup=False, soft_wrap=True
    )
    for p in problems:
        err_console.print(p, markup=False, highlight=False, soft_wrap=True)
