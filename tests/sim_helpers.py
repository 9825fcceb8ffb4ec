"""Helpers for the simulator tests: run a small simulation, query its files with DuckDB."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from uptake.simulate import SimulationSummary, simulate

START = date(2026, 6, 1)
PEOPLE = 200
DAYS = 60
SEED = 11


def run(out: Path, **kw: object) -> SimulationSummary:
    """Simulate the default small tier into `out` (keyword arguments override)."""
    args: dict[str, object] = {
        "people": PEOPLE,
        "days": DAYS,
        "seed": SEED,
        "start": START,
        "out": out,
    }
    args.update(kw)
    return simulate(**args)  # type: ignore[arg-type]


def connect(summary: SimulationSummary) -> duckdb.DuckDBPyConnection:
    """DuckDB with one view per table and ground-truth file, plus `alias` (alias -> pid)."""
    con = duckdb.connect()
    out = summary.out
    for table, files in summary.files.items():
        main = out / files[0]
        reader = "read_parquet" if main.suffix == ".parquet" else "read_csv_auto"
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM {reader}('{main}')")
    for p in out.glob("ground_truth*.parquet"):
        con.execute(f"CREATE VIEW {p.stem} AS SELECT * FROM read_parquet('{p}')")
    csv = summary.fmt == "csv"
    aliases = "from_json(aliases, '[\"VARCHAR\"]')" if csv else "aliases"
    con.execute(f"CREATE TABLE alias AS SELECT unnest({aliases}) alias, person pid FROM people")
    return con
