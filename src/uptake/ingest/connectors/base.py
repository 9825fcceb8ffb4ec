"""What a connector hands to the ingestion pipeline, and how the pipeline calls it."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from uptake.errors import InputError
from uptake.ingest.spill import Spilled

LOCATOR = "__locator"


@dataclass
class Reject:
    """A source record the connector could not turn into canonical rows."""

    locator: str
    reason: str
    field: str | None = None
    detail: str | None = None
    record: Any = None


@dataclass
class ConnectorResult:
    """Canonical rows parsed from one vendor file.

    `frames` maps a canonical table name to rows with canonical *input* column names (raw
    person identifiers, not keys) and a `__locator` column (e.g. `file.json:record 3`).
    `source_rows` is how many source records were read, so totals can be checked.
    `notes` are human-readable remarks about records that were read but deliberately
    produce no rows (e.g. OTLP spans without `gen_ai.*` attributes), so nothing vanishes
    without a word.
    """

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    source_rows: int = 0
    notes: list[str] = field(default_factory=list)
    # Tables whose rows were written to Parquet while reading (see `spill`): their frame is
    # then empty, with every column, and the rows are in these files.
    spilled: dict[str, Spilled] = field(default_factory=dict)


@dataclass(frozen=True)
class ConnectorOptions:
    """What the user passed besides the file.

    `mapping` is the saved column-mapping file (`--mapping`) that the survey and ticket
    connectors need; `params` are connector-specific knobs (documented per connector in
    `Connector.params`), e.g. `scope` for aggregate reports or `alias_paths` for SCIM.
    """

    mapping: Path | str | None = None
    params: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def coerce(cls, options: ConnectorOptions | Mapping[str, Any] | None) -> ConnectorOptions:
        """Accept the options object, a plain dict (`mapping` plus params) or nothing.

        Args:
            options: what the caller passed.

        Returns:
            A ConnectorOptions.
        """
        if options is None:
            return cls()
        if isinstance(options, ConnectorOptions):
            return options
        opts = dict(options)
        mapping = opts.pop("mapping", None)
        params = opts.pop("params", None) or {}
        merged = {**{k: str(v) for k, v in opts.items() if v is not None}, **dict(params)}
        return cls(mapping=mapping, params=merged)

    def param(self, name: str, default: str | None = None) -> str | None:
        """One connector parameter, or `default` when it was not given.

        Args:
            name: parameter name.
            default: value when absent.

        Returns:
            The parameter value as text.
        """
        value = self.params.get(name)
        return default if value is None or value == "" else str(value)


class ReadFn(Protocol):
    """Signature of every connector's reader."""

    def __call__(
        self, path: Path, options: ConnectorOptions | Mapping[str, Any] | None = None
    ) -> ConnectorResult: ...


@dataclass(frozen=True)
class Connector:
    """A named vendor format: its reader, what it produces and the option keys it accepts.

    `params` is the complete list of keys `--option KEY=VALUE` may name; anything else is
    refused, because a misspelt key would otherwise be ignored and its default used.
    `keep` is the allow-list of non-identifying unknown fields the connector stores in
    `attrs` (any other unknown field is dropped and named in a note); `identifiers` are the
    fields naming a person, pseudonymised wherever a record is kept (the quarantine).
    """

    name: str
    reader: ReadFn
    description: str
    tables: tuple[str, ...]
    needs_mapping: bool = False
    params: Mapping[str, str] = field(default_factory=dict)
    keep: frozenset[str] = frozenset()
    identifiers: frozenset[str] = frozenset()

    def check(self, options: ConnectorOptions | Mapping[str, Any] | None) -> ConnectorOptions:
        """Refuse option keys this format does not know, and a mapping it does not use.

        Args:
            options: what the caller passed (options object, plain dict or nothing).

        Returns:
            The options, coerced.

        Raises:
            InputError: naming the unknown key and listing the known ones.
        """
        opts = ConnectorOptions.coerce(options)
        unknown = sorted(set(opts.params) - set(self.params))
        if unknown:
            known = ", ".join(sorted(self.params))
            close = difflib.get_close_matches(unknown[0], list(self.params), n=1)
            raise InputError(
                f"--format {self.name} has no option {unknown[0]!r}"
                + (f" (did you mean {close[0]!r}?)" if close else "")
                + (f"; known options: {known}" if known else "; it takes no --option"),
                hint="nothing was ingested",
            )
        if opts.mapping is not None and not self.needs_mapping:
            raise InputError(
                f"--format {self.name} takes no --mapping (only survey and ticket exports do)",
                hint="nothing was ingested",
            )
        return opts

    def read(
        self, path: Path, options: ConnectorOptions | Mapping[str, Any] | None = None
    ) -> ConnectorResult:
        """Check the options, then read one vendor file.

        Args:
            path: the file.
            options: mapping file and `--option` parameters.

        Returns:
            Canonical frames and rejects.
        """
        return self.reader(path, self.check(options))
