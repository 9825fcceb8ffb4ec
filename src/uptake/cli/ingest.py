"""`uptake ingest`: files into the warehouse, one atomic batch per file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table as RichTable

from uptake.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, progress_bar
from uptake.cli.workspace import refresh_line
from uptake.errors import InputError
from uptake.schema.tables import TABLES

if TYPE_CHECKING:
    from uptake.ingest.pipeline import IngestResult


def _parse_pairs(items: list[str], flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            expected = "canonical=source" if flag == "--map" else "KEY=VALUE"
            raise InputError(f"{flag} {item!r}: expected {expected}")
        out[key.strip()] = value.strip()
    return out


def ingest(
    table: Annotated[
        str,
        typer.Argument(
            help="Canonical table (people, events, tasks, …); or, with a vendor --format that"
            " knows its table, the first file."
        ),
    ],
    files: Annotated[list[Path] | None, typer.Argument(help="Input files.")] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="csv, jsonl, parquet or a vendor format (default: from the file extension).",
        ),
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="Column rename canonical=source; repeatable."),
    ] = None,
    mapping_file: Annotated[
        Path | None,
        typer.Option("--mapping", help="Saved mapping file for survey/ticket exports."),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            help="Vendor connector setting KEY=VALUE (such as scope or monthly_cost); repeatable.",
        ),
    ] = None,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ingest files into the warehouse (each file commits atomically), then refresh the facts."""
    # Imported here: the readers and connectors bring pandas and the redaction detectors.
    from uptake.ingest.connectors import CONNECTORS
    from uptake.ingest.readers import FORMATS

    files = list(files or [])
    if fmt and fmt not in FORMATS and table not in TABLES:
        # Vendor formats know their tables: `uptake ingest --format scim users.json`.
        files.insert(0, Path(table))
    if not files:
        raise InputError("no input files given", hint="uptake ingest TABLE FILE… (see --help)")
    options: dict[str, Any] = {"params": _parse_pairs(option or [], "--option")}
    if mapping_file:
        options["mapping"] = mapping_file
    renames = _parse_pairs(mapping or [], "--map")
    if fmt in CONNECTORS:
        # Refuse a misspelt --option before the workspace is even opened.
        CONNECTORS[fmt].check(options)
    elif option or mapping_file:
        raise InputError(
            "--option and --mapping are settings of a vendor format, and no --format NAME "
            "names one",
            hint=f"vendor formats: {', '.join(sorted(CONNECTORS))}",
        )
    ws = open_workspace(workspace)
    results: list[IngestResult] = []
    try:
        after = ws.settings.ingest.progress_after_seconds
        what = fmt if fmt in CONNECTORS else table
        with progress_bar(f"ingest {what}", len(files), after=after) as bar:

            def committed(got: list[IngestResult]) -> None:
                results.extend(got)
                bar.advance()

            try:
                # One call for every file: a vendor format's next file is parsed meanwhile.
                ws.ingest(
                    table,
                    files,
                    fmt=fmt,
                    mapping=renames,
                    options=options,
                    progress=bar.stage,
                    refresh=False,
                    on_file=committed,
                )
            finally:
                # Files committed before a failure are in the warehouse; their facts too.
                refreshed = ws.refresh(progress=bar.stage) if results else None
    finally:
        ws.close()
    if as_json:
        for r in results:
            sys.stdout.write(json.dumps(r.to_dict()) + "\n")
        return
    first, last = results[0].batch, results[-1].batch
    batches = f"{first}–{last}" if last != first else str(first)
    seconds = sum(r.seconds for r in results)
    one_file = len({r.source for r in results}) == 1
    title = f"Ingested {Path(results[0].source).name}" if one_file else "Ingest summary"
    # The headers and box of `uptake status`'s table of ingests: with the full words and a
    # boxed grid, the counts took all of 80 columns and the file names none.
    t = RichTable(
        title=f"{title} · batch {batches} · {seconds:.1f} s", box=box.SIMPLE_HEAD, pad_edge=False
    )
    if not one_file:
        t.add_column("file", overflow="fold", ratio=2, min_width=14)
    t.add_column("table", no_wrap=True)
    for col in ("rows", "accepted", "unrostered", "dupl.", "quarant."):
        t.add_column(col, no_wrap=True, min_width=len(col), justify="right")
    for r in results:
        t.add_row(
            *([] if one_file else [Path(r.source).name]),
            r.table,
            f"{r.rows:,}",
            f"{r.accepted:,}",
            f"{r.unrostered:,}",
            f"{r.duplicates:,}",
            f"[red]{r.quarantined:,}[/]" if r.quarantined else "0",
        )
    console.print(t)
    for r in results:
        for note in r.notes:
            console.print(f"[yellow]note:[/] {Path(r.source).name}: {note}")
    reasons: dict[str, int] = {}
    for r in results:
        for k, v in r.by_reason.items():
            reasons[k] = reasons.get(k, 0) + v
    rows = sum(r.rekeyed for r in results)
    if rows:
        # Otherwise a roster that links earlier activity reads "accepted 0 · duplicates N",
        # as if nothing had happened.
        people = sum(r.rekeyed_identities for r in results)
        console.print(
            f"Roster linked earlier activity: re-keyed {rows:,} row{'s' if rows != 1 else ''} "
            f"of {people:,} identit{'ies' if people != 1 else 'y'} to roster people.",
            highlight=False,
        )
    if reasons:
        console.print(
            "Quarantined by reason: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(reasons.items()))
            + " — see `uptake quarantine`"
        )
    if refreshed is not None:
        console.print(refresh_line(refreshed), highlight=False)
