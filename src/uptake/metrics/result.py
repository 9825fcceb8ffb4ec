"""Typed metric results: what every metric family returns and every surface renders.

A family declares its metrics as `MetricSpec`s (name, label, unit, headline field, the inputs
it needs, its definition) and returns one `MetricResult` per spec. Group rows (per segment,
per week, per tool …) live in `PublicRows`, which only `uptake.metrics.privacy.public_rows`
creates; `check_public` walks a whole result and refuses any list of rows that did not come
from there, so a group view that skipped suppression is an error at run time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from uptake.errors import PrivacyError

# Units a renderer knows how to print. `share` is a fraction 0..1 (shown as a percentage);
# `money` is in the configured currency; `ratio` is a multiple (ROI 6.0×); `points` is a
# difference of percentages; `score` is on the scale the definition states.
Unit = Literal[
    "share", "people", "count", "seats", "runs", "hours", "days", "weeks",
    "money", "ratio", "points", "score", "level",
]  # fmt: skip
UNITS: tuple[str, ...] = Unit.__args__  # type: ignore[attr-defined]

# Why a group's numbers are hidden: below the minimum group size, or hidden so that a
# smaller group cannot be worked out by subtraction.
SuppressReason = Literal["small", "complementary"]
SMALL: SuppressReason = "small"
COMPLEMENTARY: SuppressReason = "complementary"

# What a number rests on: measured from the inputs, a labelled proxy, or a model's estimate.
Basis = Literal["measured", "proxy", "estimate"]


@dataclass(frozen=True)
class MetricSpec:
    """What a metric is, independent of any data.

    Attributes:
        name: the key in `--json` and `--metric NAME`.
        family: the family module that computes it.
        label: what the headline value means, in words ("licensed people active in the window").
        unit: the headline value's unit (one of `UNITS`).
        headline: the field holding the headline value, or None for a table-only metric.
        needs: inputs it reads, as "table" or "table.column".
        definition: how it is computed, one sentence.
        basis: measured, proxy or estimate (a result may say more precisely at run time).
    """

    name: str
    family: str
    label: str
    unit: Unit
    headline: str | None
    needs: tuple[str, ...]
    definition: str
    basis: Basis = "measured"

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"metric {self.name}: unknown unit {self.unit!r}")


class PublicRows(list[dict[str, Any]]):
    """Group rows that went through `privacy.suppress` (only `privacy.public_rows` makes one)."""

    __slots__ = ("k",)

    def __init__(self, rows: Iterable[dict[str, Any]], *, k: int, _token: object = None) -> None:
        if _token is not _TOKEN:
            raise PrivacyError("group rows must come from uptake.metrics.privacy.public_rows")
        super().__init__(rows)
        self.k = k

    def where(self, keep: Any) -> PublicRows:
        """A filtered copy that stays public (a subset of suppressed rows is still suppressed).

        Args:
            keep: predicate over one row.

        Returns:
            The rows for which `keep(row)` is true.
        """
        return PublicRows([r for r in self if keep(r)], k=self.k, _token=_TOKEN)

    def derive(self, make: Any) -> PublicRows:
        """A copy with each row replaced by `make(row)` (values derived from public rows).

        Args:
            make: maps one row to the row shown in its place; it must keep the row's
                `suppressed` flag and show nothing of a hidden row but its keys.

        Returns:
            The derived rows, one per row, in order.
        """
        return PublicRows([make(r) for r in self], k=self.k, _token=_TOKEN)


# Private capability: privacy.public_rows imports it; nothing else should.
_TOKEN = object()


@dataclass
class MetricResult:
    """One metric's value as of a date, with its population, unit, basis and group rows.

    Attributes:
        spec: what the metric is.
        values: the whole-population values (JSON-ready scalars, or nested dicts/`PublicRows`).
        n: people in the population counted (None when not available or hidden).
        suppressed: why the whole-population value is hidden, if it is.
        needs: missing inputs; non-empty means "not available: needs …".
        basis: measured, proxy or estimate, with detail (e.g. "proxy: activity days").
        by: the segment dimension of `segments`, if any.
        segments: one row per segment (suppressed where needed).
        weeks: one row per complete reporting week, whole population.
        notes: short caveats a reader must see next to the number.
        noisy: whether its people counts carry `uptake.metrics.noise` (set by whoever
            applies the noise; `compute_all` clears it when the noise is off).
        noise: the noise's epsilon, error_bar and confidence, stamped by `compute_all`.
    """

    spec: MetricSpec
    values: dict[str, Any] = field(default_factory=dict)
    n: int | None = None
    suppressed: SuppressReason | None = None
    needs: tuple[str, ...] = ()
    basis: str | None = None
    by: str | None = None
    segments: PublicRows | None = None
    weeks: PublicRows | None = None
    notes: tuple[str, ...] = ()
    noisy: bool = False
    noise: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def available(self) -> bool:
        """Whether the metric has values (False: a needed input is missing)."""
        return not self.needs

    @property
    def value(self) -> Any:
        """The headline value, or None when hidden, not available or table-only."""
        if not self.available or self.suppressed or self.spec.headline is None:
            return None
        return self.values.get(self.spec.headline)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: label, unit, value, n, basis, definition, every value and group rows.

        Returns:
            A JSON-ready dict; not-available results carry `status` and `needs` instead.
        """
        head: dict[str, Any] = {
            "label": self.spec.label,
            "unit": self.spec.unit,
            "definition": self.spec.definition,
            "basis": self.basis or self.spec.basis,
        }
        if not self.available:
            gone = {**head, "status": "not_available", "needs": sorted(self.needs)}
            if self.notes:
                gone["notes"] = list(self.notes)
            return gone
        out: dict[str, Any] = {**head, "value": self.value, "n": self.n}
        if self.suppressed:
            out["suppressed"] = self.suppressed
        else:
            out.update(self.values)
            out["suppressed"] = False
        if self.notes:
            out["notes"] = list(self.notes)
        if self.noisy:
            out["noise"] = {k: self.noise.get(k) for k in ("epsilon", "error_bar", "confidence")}
        if self.weeks is not None:
            out["weeks"] = list(self.weeks)
        if self.by is not None:
            out["by"] = self.by
            out["segments"] = list(self.segments or [])
        return out


def not_available(spec: MetricSpec, *needs: str, note: str | None = None) -> MetricResult:
    """A result saying which inputs are missing (never a zero).

    Args:
        spec: the metric.
        needs: the missing inputs as "table" or "table.column" (a detail in brackets may
            say what is missing in the window, e.g. "tasks (completed runs in the window)").
        note: what the reader should know about the gap, in words.

    Returns:
        A result whose `needs` lists them.
    """
    return MetricResult(
        spec,
        needs=tuple(sorted(set(needs))) or spec.needs,
        notes=(note,) if note else (),
    )


def check_public(result: MetricResult) -> None:
    """Refuse a result holding any list of rows that did not go through suppression.

    Args:
        result: a family's result.

    Raises:
        PrivacyError: naming the metric and where the rows were found.
    """
    for where, rows in (("segments", result.segments), ("weeks", result.weeks)):
        if rows is not None and not isinstance(rows, PublicRows):
            raise PrivacyError(f"metric {result.name}: {where} rows skipped privacy.suppress")
    _walk(result.name, result.values, "values")


def _walk(name: str, value: Any, path: str) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            _walk(name, v, f"{path}.{k}")
    elif isinstance(value, list | tuple):
        rows = bool(value) and all(isinstance(v, Mapping) for v in value)
        if rows and not isinstance(value, PublicRows):
            raise PrivacyError(f"metric {name}: rows at {path} skipped privacy.suppress")
        for i, v in enumerate(value):
            _walk(name, v, f"{path}[{i}]")


@dataclass
class MetricsReport:
    """Every metric as of one date: what `Workspace.metrics` returns.

    Attributes:
        as_of: last day included.
        as_of_rule: how `as_of` was chosen ("given", or "last day with activity").
        window_days: length of the current window ending at `as_of`.
        min_group_size: k used for suppression.
        by: the segment dimension, if any.
        currency: ISO 4217 code money values are in.
        results: one result per metric name, in family order.
        privacy: min_group_size and what the noise is (`Noise.describe()`), for every surface.
    """

    as_of: date
    window_days: int
    min_group_size: int
    results: dict[str, MetricResult]
    by: str | None = None
    as_of_rule: str = "given"
    currency: str = "USD"
    privacy: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> MetricResult:
        return self.results[name]

    def __iter__(self) -> Any:
        return iter(self.results.values())

    def to_dict(self) -> dict[str, Any]:
        """The `--json` document.

        Returns:
            `{"as_of", "as_of_rule", "window_days", "min_group_size", "by", "currency",
            "privacy", "metrics": {name: result}}`.
        """
        return {
            "as_of": self.as_of.isoformat(),
            "as_of_rule": self.as_of_rule,
            "window_days": self.window_days,
            "min_group_size": self.min_group_size,
            "by": self.by,
            "currency": self.currency,
            "privacy": dict(self.privacy),
            "metrics": {name: r.to_dict() for name, r in self.results.items()},
        }
