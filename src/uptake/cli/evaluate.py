"""`uptake evaluate`: how well each view of a simulated organisation recovers its truth."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from uptake.cli.common import JsonOpt, console, print_json, progress_bar
from uptake.errors import InputError
from uptake.simulate.choices import EMITS as DATA
from uptake.simulate.choices import MIN_PEOPLE

VIEW = {"truth": "truth", "canonical": "canonical", "vendor": "vendor"}
SHORT = {"office_copilot": "M365 Copilot", "code_assistant": "GitHub Copilot"}


def _pct(part: int, whole: int) -> str:
    return f"{part:,} ({part / whole:.0%})" if whole else f"{part:,}"


def _num(x: float | None, fmt: str) -> str:
    # Kappa is undefined when one side puts everyone in one class: say so, never 0.
    return "undefined" if x is None else format(x, fmt)


def agreement_table(doc: dict[str, Any]) -> Table:
    """Per-person agreement rows: segments and ladder, each view against its reference.

    Args:
        doc: the evaluation document.

    Returns:
        A table of at most 80 columns.
    """
    t = Table(
        title=f"Per-person agreement, as of {doc['as_of']} ({doc['as_of_rule']})",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    t.add_column("what")
    t.add_column("measured vs reference")
    t.add_column("n", justify="right")
    t.add_column("accuracy", justify="right")
    t.add_column("kappa", justify="right")
    basis = doc["ladder"]["basis"]
    for row in doc["segments"]["comparisons"]:
        t.add_row(f"usage segment {row['variant']}", _pair(row), *_scores(row))
    for row in doc["ladder"]["comparisons"]:
        what = "ladder L1–L5" if row.get("classes") == "L1..L5" else "ladder L1/L2/L3+"
        got = row["measured"]
        label = f"{got} ({'proxy' if basis.get(got) == 'activity_proxy' else 'tasks'})"
        t.add_row(what, f"{label} vs {row['reference']}", *_scores(row))
    return t


def _pair(row: dict[str, Any]) -> str:
    return f"{row['measured']} vs {row['reference']}"


def _scores(row: dict[str, Any]) -> tuple[str, str, str]:
    return f"{row['n']:,}", _num(row["accuracy"], ".1%"), _num(row["kappa"], ".2f")


def tools_table(doc: dict[str, Any]) -> Table:
    """Seats held on the day and seats used in the window, per tool and view.

    Args:
        doc: the evaluation document.

    Returns:
        A table of at most 80 columns.
    """
    t = Table(
        title=f"Seats per tool on {doc['as_of']}, used in the {doc['window_days']}-day window",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    views = [v for v in ("truth", "canonical", "vendor") if v in doc["tools"][0]]
    t.add_column("tool")
    t.add_column("count")
    for v in views:
        t.add_column(VIEW[v], justify="right")
    t.add_column("agree")
    for tool in doc["tools"]:
        agree = {True: "yes", False: "NO"}.get(tool.get("vendor_agrees"), "")
        t.add_row(
            SHORT.get(tool["canonical_tool"], tool["tool"]),
            "seats",
            *(f"{tool[v]['seats']:,}" for v in views),
            "",
        )
        t.add_row("", "used", *(_pct(tool[v]["active"], tool[v]["seats"]) for v in views),
                  "" if "truth_reported" in tool else agree)  # fmt: skip
        if "truth_reported" in tool:
            cells = [
                _pct(tool[f"{v}_reported"]["active"], tool[v]["seats"])
                if f"{v}_reported" in tool
                else _pct(tool[v]["active"], tool[v]["seats"])
                for v in views
            ]
            t.add_row("", "used, reported", *cells, agree)
    return t


def detectors_table(doc: dict[str, Any]) -> Table | None:
    """Each signal detector's score against the ground truth, per view.

    Args:
        doc: the evaluation document.

    Returns:
        A table of at most 80 columns, or None when detectors were not scored.
    """
    # Imported here: the friction package loads its rules, and with them Ibis and pandas.
    from uptake.signals.friction.rules import SIGNALS as FRICTION_KINDS

    det = doc.get("detectors")
    if not det:
        return None
    views = list(det)
    t = Table(title="Detectors against the ground truth", title_justify="left",
              box=box.SIMPLE_HEAD)  # fmt: skip
    t.add_column("detector")
    t.add_column("score")
    for v in views:
        t.add_column(VIEW.get(v, v), justify="right")
    for kind in FRICTION_KINDS:
        for measure in ("precision", "recall"):
            cells = []
            for v in views:
                row = det[v]["friction"].get(kind, {})
                got = (row.get("planted") or {}).get(measure)
                cells.append("n/a" if row.get("status") == "not_available" else _num(got, ".2f"))
            t.add_row(kind if measure == "precision" else "", measure, *cells)
    for label, part, field in (
        ("early warning", "model", "roc_auc"),
        ("", "rules", "roc_auc"),
        ("", "model", "median_lead_days"),
    ):
        cells = []
        for v in views:
            ew = det[v].get("early_warning") or {}
            fmt = ".2f" if field == "roc_auc" else ".0f"
            cells.append(_num((ew.get(part) or {}).get(field), fmt) if part in ew else "n/a")
        name = f"{part} {'ROC AUC' if field == 'roc_auc' else 'median lead (days)'}"
        t.add_row(label, name, *cells)
    for label, part, field in (("typology", "typology", "macro_f1"),
                               ("champions", "champions", "precision")):  # fmt: skip
        cells = [
            "n/a" if det[v][part].get("status") == "not_available"
            else _num(det[v][part].get(field), ".2f")
            for v in views
        ]  # fmt: skip
        t.add_row(label, "macro-F1" if part == "typology" else "precision", *cells)
    return t


def notes(doc: dict[str, Any]) -> list[str]:
    """What each number means, in words.

    Args:
        doc: the evaluation document.

    Returns:
        One line per note.
    """
    sim = doc["simulation"]
    out = [
        f"Simulated {sim['people']:,} people over {sim['days']} days ({sim['start']} → "
        f"{sim['last_day']}, scenario {sim['scenario']}, seed {sim['seed']}).",
        "n: licensed people both sides class on the day; accuracy: share classed alike; "
        "kappa: Cohen's kappa, agreement beyond chance (1 perfect, 0 chance).",
        "Usage segments: Microsoft's rules; the truth applies them with pandas to the "
        "simulator's complete event stream, independently of uptake's code.",
    ]
    for view, info in doc["segments"]["variants"].items():
        out.append(f"  {view}: {info['recommended']} variant recommended ({info['reason']}).")
    basis = doc["ladder"]["basis"]
    if basis.get("vendor") == "activity_proxy":
        out.append("Ladder on the vendor view: an activity proxy (no task data), not measured.")
    out.append(f"Ladder truth: {doc['ladder']['mapping']['truth']}.")
    out.append(
        "Seats: held at the end of the day; used: any activity on that tool in the window. "
        f"GitHub users with telemetry off: {doc['telemetry_off_users']} (never in the vendor "
        "reports; 'used, reported' leaves them out)."
    )
    if doc.get("detectors"):
        out.append(
            "Detectors: friction against planted episodes (±2 days; a rejection streak may "
            "begin up to a week early, an override spike show up to 14 days late); early "
            "warning trained on each view's weeks before a cutoff and scored on the weeks "
            "after; typology macro-F1 over people with one; champions: selected who are true "
            "champions. "
            "n/a: the view lacks the input (sessions, help edges, …)."
        )
    return out


def evaluate_command(
    people: Annotated[
        int, typer.Option("--people", min=MIN_PEOPLE, max=100_000, help="Headcount.")
    ] = 300,
    days: Annotated[int, typer.Option("--days", min=28, max=3 * 365, help="Simulated days.")] = 120,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 42,
    start: Annotated[
        datetime | None,
        typer.Option(
            "--start", formats=["%Y-%m-%d"], help="First day (YYYY-MM-DD); default today - days."
        ),
    ] = None,
    data: Annotated[
        str, typer.Option("--data", help=f"Views to evaluate: {', '.join(DATA)}.")
    ] = "both",
    as_json: JsonOpt = False,
) -> None:
    """Simulate an organisation and measure how well each view recovers its ground truth."""
    if data not in DATA:
        raise InputError(f"--data {data!r}: expected one of {', '.join(DATA)}")
    # Imported here: the evaluation loads the simulator, the warehouse and scikit-learn.
    from uptake.evaluate import evaluate

    with progress_bar("evaluate", after=0.0) as bar:
        doc = evaluate(
            people, days, seed, data, start=start.date() if start else None, progress=bar.update
        )
    if as_json:
        print_json(doc)
        return
    show(doc, console)


def show(doc: dict[str, Any], out: Console) -> None:
    """Print the evaluation: agreement, seats per tool and what the numbers mean.

    Args:
        doc: the evaluation document.
        out: where to print.
    """
    out.print(agreement_table(doc))
    out.print(tools_table(doc))
    det = detectors_table(doc)
    if det is not None:
        out.print(det)
    for line in notes(doc):
        out.print(line, highlight=False)
