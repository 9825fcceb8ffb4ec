"""What a connector hands to the ingestion pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

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
    """

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    source_rows: int = 0
