"""Vectorised row validation: typed columns and the first problem of each row, in DuckDB SQL."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import date, datetime

import duckdb

from uptake.ingest.redact import redact_sql, register_sql
from uptake.ingest.staging import STAGE
from uptake.schema.tables import Column, Table
from uptake.warehouse.sql import quote_ident

TYPED = "_stage_typed"
# Rows that failed a check: `__row`, `__reason`, `__field`.
BAD = "_stage_bad"
# Every row's `__row`, `__reason`, `__field` and the typed columns later steps look up
# (keys and identifiers), from the one checking pass.
CHECKED = "_stage_checked"

# Timestamps that record something that has already happened; a planned `removed_at` may
# legitimately lie in the future.
_PAST_ONLY_EXCLUDED = {"removed_at"}

# Counts of time or effort and costs: a negative one is a broken export, not a correction.
NON_NEGATIVE = {
    "duration_ms",
    "quantity",
    "minutes",
    "baseline_minutes",
    "monthly_cost",
    "steps_before",
    "steps_after",
}

# Real offsets lie within ±14:00 and have no seconds; anything else written as an offset is
# refused rather than parsed into a wrong instant or dropped by the offset-blind cast.
_ANY_OFFSET = "[T ][0-9:.]+[+-][0-9:]+$"
_GOOD_OFFSET = "[T ][0-9:.]+[+-]((0[0-9]|1[0-3])(:?[0-5][0-9])?|14(:?00)?)$"

EARLIEST_DATE = date(1950, 1, 1)
LATEST_DATE = date(2100, 12, 31)

REASON_TEXT = {
    "missing_required": "required field is empty",
    "bad_type": "value has the wrong type",
    "bad_timestamp": "not an ISO 8601 timestamp",
    "bad_date": "not an ISO 8601 date (a timestamp's offset must lie within ±14:00)",
    "future_timestamp": "timestamp lies in the future beyond the allowed clock skew",
    "bad_enum": "value is not one of the allowed values",
    "bad_json": "not valid JSON",
    "bad_value": "value is negative where only zero or more makes sense",
    "out_of_range": "date lies outside the plausible range ([ingest] earliest_date, latest_date)",
    "malformed_record": "record could not be parsed",
    "conflict": "id already used with different content",
}


def _v(name: str) -> str:
    return quote_ident(f"__v_{name}")


def _utc(tz_expr: str) -> str:
    # Epoch arithmetic gives the UTC wall time without a per-row calendar conversion.
    return f"make_timestamp(epoch_us({tz_expr}))"


def _timestamp_expr(col: str, src_type: str, naive_tz: str) -> str:
    """Typed UTC value of a timestamp column, avoiding time-zone arithmetic where it is moot."""
    if src_type == "TIMESTAMP WITH TIME ZONE":
        return _utc(col)
    if src_type.startswith("TIMESTAMP") and naive_tz == "UTC":
        return f"TRY_CAST({col} AS TIMESTAMP)"
    full = _utc(f"TRY_CAST({col} AS TIMESTAMPTZ)")
    if src_type != "VARCHAR":
        return full
    if naive_tz != "UTC":
        return (
            f"CASE WHEN NOT regexp_matches({col}, '{_ANY_OFFSET}') "
            f"OR regexp_matches({col}, '{_GOOD_OFFSET}') THEN {full} END"
        )
    # A plain TIMESTAMP cast ignores an explicit offset, so only strings without one (or
    # with Z) take the fast path; the offset check runs only on the rare strings with one.
    return (
        f"CASE WHEN NOT regexp_matches({col}, '{_ANY_OFFSET}') THEN TRY_CAST({col} AS TIMESTAMP) "
        f"WHEN regexp_matches({col}, '{_GOOD_OFFSET}') THEN {full} END"
    )


def clean_sql(col: str) -> str:
    """Text with surrounding whitespace removed and '' as NULL.

    trim() is costly per row, so it only runs on values that start or end with whitespace.
    """
    return (
        f"CASE WHEN {col} = '' THEN NULL WHEN ascii({col}) IN (9, 10, 13, 32) "
        f"OR suffix({col}, ' ') OR suffix({col}, chr(9)) OR suffix({col}, chr(10)) "
        f"OR suffix({col}, chr(13)) THEN NULLIF(trim({col}), '') ELSE {col} END"
    )


def _typed_expr(c: Column, src_type: str, naive_tz: str) -> tuple[str, str | None, str | None]:
    """SQL for the typed value, and the reason and condition that flag a bad value.

    Conditions refer to the raw column by its name and to the typed value as `__v_<name>`.
    Person columns keep the identifier as given; it is normalised once per distinct value
    during identity resolution.
    """
    col, v = quote_ident(c.name), _v(c.name)
    is_text = src_type == "VARCHAR"
    if c.type == "string":
        text = col if is_text else f"CAST({col} AS VARCHAR)"
        value = clean_sql(text)
        if c.enum:
            allowed = ", ".join("'" + e + "'" for e in c.enum)
            value = f"CASE WHEN {text} IN ({allowed}) THEN {text} ELSE lower({value}) END"
            return value, "bad_enum", f"{v} IS NOT NULL AND {v} NOT IN ({allowed})"
        if c.text:
            value = redact_sql(value)
        return value, None, None
    if c.type == "timestamp":
        value = _timestamp_expr(col, src_type, naive_tz)
        return value, "bad_timestamp", f"{v} IS NULL AND {col} IS NOT NULL"
    if c.type == "date":
        if is_text:
            # A timestamp in a date column stands for the calendar day written in it (an
            # offset does not move `2024-03-01T00:30:00+02:00` to 29 February), but its offset
            # must be a real one, as in a timestamp column. Only strings longer than a date
            # pay for the offset check.
            value = (
                f"CASE WHEN length({col}) > 10 AND regexp_matches({col}, '{_ANY_OFFSET}') "
                f"AND NOT regexp_matches({col}, '{_GOOD_OFFSET}') THEN NULL "
                f"ELSE coalesce(TRY_CAST({col} AS DATE), "
                f"CAST({_utc(f'TRY_CAST({col} AS TIMESTAMPTZ)')} AS DATE)) END"
            )
        else:
            value = f"TRY_CAST({col} AS DATE)"
        return value, "bad_date", f"{v} IS NULL AND {col} IS NOT NULL"
    if c.type in ("bool", "int", "float"):
        sql_type = {"bool": "BOOLEAN", "int": "BIGINT", "float": "DOUBLE"}[c.type]
        src = clean_sql(col) if is_text else col
        value = f"TRY_CAST({src} AS {sql_type})"
        if c.type == "float":
            value = f"CASE WHEN isfinite({value}) THEN {value} END"
        return value, "bad_type", f"{v} IS NULL AND {src} IS NOT NULL"
    if c.type == "json":
        if is_text:
            value = f"CASE WHEN json_valid({col}) THEN {col} END"
            return value, "bad_json", f"{v} IS NULL AND {col} IS NOT NULL"
        return f"CAST(to_json({col}) AS VARCHAR)", None, None
    # list
    if is_text:
        value = (
            f"CASE WHEN {col} IS NULL OR trim({col}) = '' THEN NULL "
            f"WHEN starts_with(ltrim({col}), '[') THEN "
            f"CASE WHEN json_valid({col}) THEN from_json({col}, '[\"VARCHAR\"]') END "
            f"ELSE list_transform(string_split({col}, ';'), x -> trim(x)) END"
        )
        return value, "bad_json", f"{v} IS NULL AND {col} IS NOT NULL AND trim({col}) <> ''"
    return f"TRY_CAST({col} AS VARCHAR[])", "bad_type", f"{v} IS NULL AND {col} IS NOT NULL"


def _missing(c: Column, src_type: str) -> str:
    """The condition for an empty required value, testing the cheap typed value first.

    Every check runs on every row, so each leads with a test that is cheap and almost always
    false: an empty value always types to NULL, and only then is the raw value looked at.
    """
    raw, v = quote_ident(c.name), _v(c.name)
    if src_type != "VARCHAR":
        return f"{raw} IS NULL"
    if c.type == "string" and not c.text:
        # The typed value of plain text is the cleaned text: NULL exactly when empty.
        return f"{v} IS NULL"
    return f"{v} IS NULL AND ({raw} IS NULL OR {clean_sql(raw)} IS NULL)"


def validate(
    con: duckdb.DuckDBPyConnection,
    spec: Table,
    now: datetime,
    skew_minutes: int,
    naive_tz: str = "UTC",
    earliest: date = EARLIEST_DATE,
    latest: date = LATEST_DATE,
    *,
    materialise: bool = True,
    keep: Sequence[str] = (),
) -> None:
    """Create the typed staging relation with `__reason` and `__field` for rows that fail.

    Materialised, the typed relation is a table of every row that later steps may update.
    Otherwise one pass checks every row and stores only what later steps look up (`CHECKED`:
    the verdict and the `keep` columns), and the typed relation is a view of the valid rows:
    the single write then casts each value once on its way into the warehouse instead of
    copying every row into a typed table first.

    Args:
        con: warehouse connection holding the staging table.
        spec: canonical table.
        now: current time (UTC) for the future-timestamp check.
        skew_minutes: allowed clock skew.
        naive_tz: time zone of timestamps without an offset.
        earliest: dates and timestamps before this day are quarantined as out_of_range.
        latest: dates and timestamps after this day are quarantined as out_of_range.
        materialise: store the typed rows in a table (needed when cells are rewritten later).
        keep: columns `CHECKED` holds typed besides the verdict.
    """
    if any(c.text for c in spec.columns):
        register_sql(con)
    types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {STAGE})").fetchall())
    values: list[str] = []
    checks: list[tuple[str, str, str]] = []
    for c in spec.columns:
        if c.required:
            checks.append((_missing(c, types[c.name]), "missing_required", c.name))
    for c in spec.columns:
        value, reason, bad = _typed_expr(c, types[c.name], naive_tz)
        values.append(f"{value} AS {_v(c.name)}")
        if reason and bad:
            checks.append((bad, reason, c.name))
    # Year 0 or 10000 parses, but breaks every later reader of the warehouse.
    low, high = f"DATE '{earliest.isoformat()}'", f"DATE '{latest.isoformat()}'"
    for c in spec.columns:
        if c.type in ("date", "timestamp"):
            v = _v(c.name)
            checks.append(
                (f"({v} < {low} OR {v} >= {high} + INTERVAL 1 DAY)", "out_of_range", c.name)
            )
        elif c.name in NON_NEGATIVE and c.type in ("int", "float"):
            checks.append((f"{_v(c.name)} < 0", "bad_value", c.name))
    stamp = now.replace(tzinfo=None).isoformat(sep=" ")
    limit = f"TIMESTAMP '{stamp}' + INTERVAL {int(skew_minutes)} MINUTE"
    for c in spec.columns:
        if c.type == "timestamp" and c.name not in _PAST_ONLY_EXCLUDED:
            checks.append((f"{_v(c.name)} > {limit}", "future_timestamp", c.name))
    problem = (
        "CASE " + " ".join(f"WHEN {cond} THEN '{r}:{f}'" for cond, r, f in checks) + " END"
        if checks
        else "NULL"
    )
    typed = ", ".join(f"{_v(c.name)} AS {quote_ident(c.name)}" for c in spec.columns)
    drop_typed(con)
    source = f"(SELECT *, {', '.join(values)} FROM {STAGE})"
    split = "split_part(__problem, ':', 1) AS __reason, split_part(__problem, ':', 2) AS __field"
    if materialise:
        con.execute(
            f"CREATE TEMP TABLE {TYPED} AS SELECT __row, {typed}, {split} "
            f"FROM (SELECT *, {problem} AS __problem FROM {source})"
        )
        con.execute(f"CREATE TEMP VIEW {CHECKED} AS SELECT * FROM {TYPED}")
        con.execute(
            f"CREATE TEMP VIEW {BAD} AS SELECT __row, __reason, __field FROM {TYPED} "
            "WHERE __reason IS NOT NULL"
        )
        return
    kept = "".join(f", {_v(name)} AS {quote_ident(name)}" for name in keep)
    inner = "".join(f", {_v(name)}" for name in keep)
    # No filter on the verdict: pushed below the projection it would inline every typed
    # value into each check that reads it, computing the costly ones (timestamps) many times.
    con.execute(
        f"CREATE TEMP TABLE {CHECKED} AS SELECT __row, {split}{kept} "
        f"FROM (SELECT __row, {problem} AS __problem{inner} FROM {source})"
    )
    con.execute(
        f"CREATE TEMP VIEW {BAD} AS SELECT __row, __reason, __field FROM {CHECKED} "
        "WHERE __reason IS NOT NULL"
    )
    row = con.execute(f"SELECT count(*) FROM {BAD}").fetchone()
    valid = f" WHERE __row NOT IN (SELECT __row FROM {BAD})" if row and row[0] else ""
    con.execute(
        f"CREATE TEMP VIEW {TYPED} AS SELECT __row, {typed}, CAST(NULL AS VARCHAR) AS __reason, "
        f"CAST(NULL AS VARCHAR) AS __field FROM {source}{valid}"
    )


def drop_typed(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the typed, checked and failed-row relations, whichever kind `validate` made them."""
    for name in (TYPED, BAD, CHECKED):
        for kind in ("VIEW", "TABLE"):
            with contextlib.suppress(duckdb.CatalogException):
                con.execute(f"DROP {kind} IF EXISTS {name}")
