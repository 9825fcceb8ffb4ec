"""Saved mapping files: how a survey or service-desk export maps onto a canonical table.

A mapping is TOML (or JSON) with these sections (see the shipped examples in `mappings/`):

    table = "responses"                 # or "feedback"
    [source]                            # how to read the export
    format = "csv"                      # csv | json
    skip_rows = 2                       # rows to skip after the CSV header
    records_path = "records"            # JSON: dotted path to the record array
    timestamp_formats = ["%d/%b/%y %I:%M %p"]   # tried after ISO 8601
    timezone = "Europe/London"          # zone of timestamps without an offset
    [columns]                           # canonical column = source column (or list of them)
    [constants]                         # canonical column = fixed value
    [values.<column>]                   # source value = canonical value
    [items.<item>]                      # responses: one row per answered item
    column = "Q1"; kind = "score"       # score | text; optional scale = {label = number}
    [segment]                           # responses: segment name = source column
"""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from uptake.errors import InputError
from uptake.schema.tables import TABLES

MAPPING_TABLES = ("responses", "feedback")
# Canonical columns a mapping must fill (by column, constant or derivation) per table.
NEEDED = {
    "responses": ("ts", "instrument"),
    "feedback": ("feedback_id", "ts", "channel", "text"),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(_Strict):
    """How to read the export file."""

    format: Literal["csv", "json"] | None = None
    skip_rows: int = Field(0, ge=0)
    records_path: str | None = None
    timestamp_formats: list[str] = Field(default_factory=list)
    timezone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                ZoneInfo(v)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {v!r}") from None
        return v


class Item(_Strict):
    """One survey question: the column holding its answers and how to read them."""

    column: str
    kind: Literal["score", "text"] = "score"
    scale: dict[str, float] = Field(default_factory=dict)


class ExportMapping(_Strict):
    """A saved mapping of an export onto `responses` or `feedback`."""

    table: Literal["responses", "feedback"]
    description: str = ""
    source: Source = Field(default_factory=Source)  # type: ignore[arg-type]
    columns: dict[str, str | list[str]] = Field(default_factory=dict)
    constants: dict[str, str | float | bool] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    items: dict[str, Item] = Field(default_factory=dict)
    segment: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _complete(self) -> ExportMapping:
        names = set(TABLES[self.table].names)
        derived = {"response_id", "item", "score", "text", "segment"}
        for section in ("columns", "constants", "values"):
            for key in getattr(self, section):
                if key not in names or (
                    self.table == "responses" and key in derived - {"response_id"}
                ):
                    raise ValueError(
                        f"[{section}] {key!r} is not a column this mapping can set for {self.table}"
                    )
        for need in NEEDED[self.table]:
            if need not in self.columns and need not in self.constants:
                raise ValueError(f"{need!r} must be given in [columns] or [constants]")
        if self.table == "responses" and not self.items:
            raise ValueError("a responses mapping needs at least one [items.<name>] entry")
        if self.table == "feedback" and (self.items or self.segment):
            raise ValueError("[items] and [segment] apply to responses mappings only")
        return self

    def source_columns(self) -> list[str]:
        """Every source column the mapping reads.

        Returns:
            Column names, in mapping order.
        """
        cols: list[str] = []
        for value in self.columns.values():
            cols += [value] if isinstance(value, str) else value
        cols += [i.column for i in self.items.values()]
        cols += list(self.segment.values())
        return list(dict.fromkeys(cols))


def bundled() -> list[str]:
    """Names of the example mappings shipped with uptake.

    Returns:
        e.g. `["jira", "qualtrics", …]`.
    """
    folder = resources.files("uptake.ingest.connectors") / "mappings"
    return sorted(p.name.rsplit(".", 1)[0] for p in folder.iterdir() if p.name.endswith(".toml"))


def load_mapping(spec: Path | str | None, table: str) -> ExportMapping:
    """Load and check a mapping file (a path, or the name of a bundled example).

    Args:
        spec: `--mapping` value.
        table: the table the connector fills; the mapping must agree.

    Returns:
        The mapping.
    """
    if spec is None or str(spec).strip() == "":
        raise InputError(
            f"this format needs --mapping FILE (a saved mapping onto {table}); "
            f"examples shipped with uptake: {', '.join(bundled())}"
        )
    path = Path(spec)
    if path.is_file():
        name, data = str(path), path.read_bytes()
    else:
        stem = path.name.removesuffix(".toml")
        res = resources.files("uptake.ingest.connectors") / "mappings" / f"{stem}.toml"
        if path.parent != Path(".") or not res.is_file():
            raise InputError(
                f"mapping {spec}: no such file, and not one of the shipped examples "
                f"({', '.join(bundled())})"
            )
        name, data = f"mapping {stem}", res.read_bytes()
    try:
        text = data.decode("utf-8-sig")
        raw = json.loads(text) if name.endswith(".json") else tomllib.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{name}: cannot parse the mapping ({exc})") from None
    try:
        mapping = ExportMapping.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'mapping'}: {e['msg']}" for e in exc.errors()
        )
        raise InputError(f"{name}: invalid mapping: {problems}") from None
    if mapping.table != table:
        raise InputError(
            f"{name}: this mapping fills {mapping.table}, but the format fills {table}; "
            f"use --format {'survey' if mapping.table == 'responses' else 'tickets'}"
        )
    return mapping
