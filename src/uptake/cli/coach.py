"""The `uptake coach` commands: the coaching effect, treatment against holdout."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from uptake.cli.common import (
    AsOfOpt,
    JsonOpt,
    WorkspaceOpt,
    parse_day,
    parse_segment,
    print_document,
    read_document,
)
from uptake.cli.edge import UptakeGroup
from uptake.metrics.dimensions import SEGMENTS
from uptake.metrics.labels import signed

coach_app = typer.Typer(
    cls=UptakeGroup,
    help="The coach: in-context guidance, and the holdout that measures its effect.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
ARMS = ("treatment", "holdout")


@coach_app.callback()
def _coach() -> None:
    """The coach: in-context guidance, and the holdout that measures its effect."""


@coach_app.command("effect")
def effect_command(
    workspace: WorkspaceOpt = None,
    as_of: AsOfOpt = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help=f"Break the effect down by one of: {', '.join(SEGMENTS)}."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Effect of coaching between treatment and holdout: ladder, proficiency, abandonment."""
    day = parse_day(as_of)
    by = parse_segment(by)
    doc = read_document(workspace, lambda ws: ws.coach_effect(as_of=day, by=by))
    print_document(doc, as_json, render)


def render(doc: Mapping[str, Any], console: Console) -> None:
    """Print the effect document: the verdict line, one table per group, the methods.

    Args:
        doc: `Workspace.coach_effect`'s document.
        console: where to print.
    """
    privacy = doc.get("privacy") or {}
    noise = (
        f"counts ±{privacy.get('error_bar')} (noise, ε = {privacy.get('epsilon')})"
        if privacy.get("noise")
        else "exact counts"
    )
    # Nothing estimated (no arms yet): no week's outcomes were read, so none is named.
    week = f" · outcomes at the end of the week ending {doc['end']}" if doc.get("end") else ""
    console.print(
        f"as of {doc.get('as_of')} ({doc.get('as_of_rule')}){week} · groups below k = "
        f"{doc.get('min_group_size')} hidden · {noise}",
        soft_wrap=True,
    )
    if doc.get("basis_note"):
        console.print(f"basis: {doc.get('basis')} — {doc['basis_note']}", soft_wrap=True)
    console.print(f"verdict: {verdict_line(doc)}", soft_wrap=True)
    if doc.get("status") != "ok":
        return
    _table(console, "Overall", doc)
    for seg in doc.get("segments") or []:
        title = f"{doc.get('by')} {seg['segment']}"
        if seg.get("status") != "ok":
            console.print(f"{title}: {seg.get('reason')}", soft_wrap=True)
            continue
        _table(console, title, seg)
    for note in doc.get("notes") or []:
        console.print(f"note: {note}", soft_wrap=True)
    methods = doc.get("methods") or {}
    conf = doc.get("confidence")
    console.print(f"intervals at {_pct(conf, 0)} confidence; methods:", soft_wrap=True)
    for name, text in methods.items():
        console.print(f"  {name}: {text}", soft_wrap=True)


def verdict_line(doc: Mapping[str, Any]) -> str:
    """One line: the headline verdict, with the people needed when it is too early.

    Args:
        doc: the effect document (overall) or one of its segments.

    Returns:
        e.g. "too early to tell: needs about 120 people in the holdout and 1,080 in treatment".
    """
    verdict = str(doc.get("verdict"))
    needed = doc.get("needed")
    if needed:
        verdict += (
            f" (moved up a level): needs about {needed['holdout']:,} people in the holdout "
            f"and {needed['treatment']:,} in treatment to detect the difference"
        )
    elif doc.get("status") == "ok":
        verdict += " (moved up a level)"
    arms = doc.get("arms") or {}
    if arms:
        verdict += f" · treatment n = {arms['treatment']:,}, holdout n = {arms['holdout']:,}"
    return verdict


def _table(console: Console, title: str, group: Mapping[str, Any]) -> None:
    t = Table(title=f"{title}: treatment against holdout (differences in points or levels)")
    for c in ("outcome", "treatment", "holdout", "diff [CI]", "p", "DiD [CI]", "verdict"):
        t.add_column(c)
    for o in (group.get("outcomes") or {}).values():
        if o.get("status") != "ok":
            t.add_row(o["short"], "", "", "", "", "", str(o.get("verdict")))
            continue
        share = o.get("unit") == "share"
        d, did = o.get("difference") or {}, o.get("did") or {}
        verdict = str(o["verdict"])
        if o.get("needed_per_arm"):
            need = o["needed_per_arm"]
            verdict += f": needs {need['holdout']:,} in holdout, {need['treatment']:,} treated"
        t.add_row(
            o["short"],
            *(f"{_v(o[a]['value'], share)}\nn = {o[a]['n']:,}" for a in ARMS),
            _ci(d, share) if d else "—",
            "—" if d.get("p_value") is None else f"{d['p_value']:.3f}",
            _ci(did, share) if did.get("status") == "ok" else "needs a pre-period",
            verdict,
        )
    console.print(t)
    med = ((group.get("outcomes") or {}).get("proficient") or {}).get("median_days")
    if med:
        parts = [f"{a} {_days(med[a]['median'])}" for a in ARMS]
        console.print(f"  median days from assignment to L3: {', '.join(parts)}", soft_wrap=True)


def _ci(d: Mapping[str, Any], share: bool) -> str:
    lo, hi = _v(d.get("ci_low"), share, sign=True), _v(d.get("ci_high"), share, sign=True)
    return f"{_v(d.get('value'), share, sign=True)}\n[{lo}, {hi}]"


def _v(x: Any, share: bool, *, sign: bool = False) -> str:
    if x is None:
        return "—"
    if share:
        return signed(x * 100, 1) if sign else f"{x * 100:.1f} %"
    return signed(x, 2) if sign else f"{x:.2f}"


def _pct(x: Any, digits: int = 1) -> str:
    return "—" if x is None else f"{x * 100:.{digits}f} %"


def _days(x: Any) -> str:
    return "not reached" if x is None else f"{x:.0f}"
