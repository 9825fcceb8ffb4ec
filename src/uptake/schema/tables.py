"""Canonical tables: input columns, stored columns, keys and merge rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColType = Literal["string", "timestamp", "date", "bool", "int", "float", "json", "list"]
Merge = Literal["immutable", "upsert", "upsert_fields", "set"]

ACTIONS = (
    "session_start",
    "session_end",
    "prompt",
    "suggestion",
    "accept",
    "reject",
    "edit",
    "task_complete",
    "task_abandon",
    "feedback",
)
MEANINGFUL_ACTIONS = ("accept", "task_complete")


@dataclass(frozen=True)
class Column:
    """One canonical column.

    `person` columns carry a raw identifier on input and a pseudonymous key in the warehouse
    (stored under `stored_name`); `text` columns are PII-redacted before storage.
    """

    name: str
    type: ColType
    required: bool = False
    enum: tuple[str, ...] | None = None
    person: bool = False
    text: bool = False
    help: str = ""

    @property
    def stored_name(self) -> str:
        if self.person:
            return "person_key" if self.name == "person" else f"{self.name}_key"
        return self.name


@dataclass(frozen=True)
class Table:
    """A canonical table: its columns, identity key and how repeated keys merge."""

    name: str
    grain: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    merge: Merge = "immutable"
    mutable: tuple[str, ...] = ()
    time_column: str | None = None
    fact: bool = True
    extra: tuple[tuple[str, str], ...] = field(default=())

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def stored_key(self) -> tuple[str, ...]:
        return tuple(self.column(k).stored_name for k in self.key)


def _c(name: str, type_: ColType, required: bool = False, **kw: object) -> Column:
    return Column(name, type_, required, **kw)  # type: ignore[arg-type]


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "people",
            "person in the roster",
            (
                _c("person", "string", True, person=True),
                _c("aliases", "list"),
                _c("role", "string"),
                _c("function", "string"),
                _c("team", "string"),
                _c("manager", "string", person=True),
                _c("location", "string"),
                _c("hire_date", "date"),
                _c("employment_status", "string", enum=("active", "leave", "left")),
                _c("attrs", "json"),
            ),
            key=("person",),
            merge="upsert",
            fact=False,
        ),
        Table(
            "licenses",
            "seat of a tool",
            (
                _c("person", "string", True, person=True),
                _c("tool", "string", True),
                _c("assigned_at", "timestamp", True),
                _c("removed_at", "timestamp"),
                _c("monthly_cost", "float"),
                _c(
                    "evidence",
                    "string",
                    help="how the seat is known when no licence data says so, e.g. "
                    "`m365 user detail` (listed in a usage report); empty for licence data, "
                    "which wins over inferred seats",
                ),
            ),
            key=("person", "tool", "assigned_at"),
            merge="upsert",
            time_column="assigned_at",
        ),
        Table(
            "events",
            "interaction with an AI tool",
            (
                _c("event_id", "string", True),
                _c("ts", "timestamp", True),
                _c("person", "string", True, person=True),
                _c("tool", "string", True),
                _c("action", "string", True, enum=ACTIONS),
                _c("surface", "string"),
                _c("workflow", "string"),
                _c("session_id", "string"),
                _c("duration_ms", "int"),
                _c("value", "float"),
                _c("attrs", "json"),
                _c(
                    "quantity",
                    "int",
                    help="how many of `action` the row stands for (a vendor's daily total, "
                    "such as 7 prompts); empty means 1",
                ),
            ),
            key=("event_id",),
            time_column="ts",
        ),
        Table(
            "tasks",
            "run of a catalogued workflow",
            (
                _c("task_id", "string", True),
                _c("person", "string", True, person=True),
                _c("workflow", "string", True),
                _c("started_at", "timestamp", True),
                _c("completed_at", "timestamp"),
                _c("status", "string", enum=("completed", "abandoned")),
                _c("ai_assisted", "bool", True),
                _c("minutes", "float"),
            ),
            key=("task_id",),
            time_column="started_at",
        ),
        Table(
            "decisions",
            "AI recommendation acted on by a person",
            (
                _c("decision_id", "string", True),
                _c("ts", "timestamp", True),
                _c("person", "string", True, person=True),
                _c("tool", "string", True),
                _c("workflow", "string"),
                _c("followed", "bool", True),
                _c("outcome", "float"),
                _c("outcome_ts", "timestamp"),
            ),
            key=("decision_id",),
            merge="upsert_fields",
            mutable=("outcome", "outcome_ts"),
            time_column="ts",
        ),
        Table(
            "responses",
            "survey answer",
            (
                _c("response_id", "string", True),
                _c("ts", "timestamp", True),
                _c("instrument", "string", True),
                _c("item", "string", True),
                _c("person", "string", person=True),
                _c("score", "float"),
                _c("text", "string", text=True),
                _c("segment", "json"),
            ),
            key=("response_id",),
            time_column="ts",
        ),
        Table(
            "feedback",
            "ticket, comment, in-app flag or interview note",
            (
                _c("feedback_id", "string", True),
                _c("ts", "timestamp", True),
                _c("channel", "string", True),
                _c("text", "string", True, text=True),
                _c("person", "string", person=True),
                _c("category", "string"),
                _c("status", "string"),
                _c("resolved_at", "timestamp"),
            ),
            key=("feedback_id",),
            merge="upsert_fields",
            mutable=("status", "resolved_at", "category"),
            time_column="ts",
        ),
        Table(
            "help_edges",
            "a colleague asking another for help with AI",
            (
                _c("ts", "timestamp", True),
                _c("asker", "string", True, person=True),
                _c("helper", "string", True, person=True),
                _c("channel", "string"),
                _c("topic", "string", text=True),
            ),
            key=("ts", "asker", "helper"),
            merge="set",
            time_column="ts",
        ),
        Table(
            "workflows",
            "catalogued workflow (config)",
            (
                _c("workflow", "string", True),
                _c("name", "string", True),
                _c("roles", "list"),
                _c("stakes", "string", True, enum=("high", "low")),
                _c("baseline_minutes", "float"),
                _c("steps_before", "int"),
                _c("steps_after", "int"),
                _c("ai_mode", "string", enum=("substitute", "augment", "create")),
            ),
            key=("workflow",),
            merge="upsert",
            fact=False,
        ),
        Table(
            "interventions",
            "guidance shown to a person",
            (
                _c("intervention_id", "string", True),
                _c("ts", "timestamp", True),
                _c("person", "string", True, person=True),
                _c("kind", "string", True),
                _c("ref", "string"),
                _c("arm", "string", enum=("treatment", "holdout")),
                _c("status", "string", enum=("delivered", "opened", "dismissed", "acted")),
            ),
            key=("intervention_id",),
            merge="upsert_fields",
            mutable=("status",),
            time_column="ts",
        ),
        # Aggregate-only vendor data: daily counts without people. Never feeds
        # person-level signals; metrics that use it say so.
        Table(
            "aggregate_facts",
            "aggregate daily number from a source without person detail",
            (
                _c("day", "date", True),
                _c("source", "string", True),
                _c("tool", "string", True),
                _c("metric", "string", True),
                _c("scope", "string"),
                _c("dims", "json"),
                _c("value", "float", True),
            ),
            key=("day", "source", "tool", "metric", "scope", "dims"),
            merge="upsert",
            time_column="day",
        ),
        # Per-person facts a source reports without individual events, such as M365's
        # "last activity date per app".
        Table(
            "person_facts",
            "per-person fact reported by a source as of a report date",
            (
                _c("person", "string", True, person=True),
                _c("source", "string", True),
                _c("tool", "string", True),
                _c("report_date", "date", True),
                _c("fact", "string", True),
                _c("value_date", "date"),
                _c("value", "float"),
                _c("attrs", "json"),
            ),
            key=("person", "source", "tool", "report_date", "fact"),
            merge="upsert",
            time_column="report_date",
        ),
        # Visits to AI tool domains from web-proxy logs (`--format proxy`); rows for any other
        # domain are never stored. `sanctioned` is the catalogue's mark at ingest time.
        Table(
            "ai_web_visits",
            "request to an AI tool domain seen in a web-proxy log",
            (
                _c("ts", "timestamp", True),
                _c("person", "string", True, person=True),
                _c("domain", "string", True, help="the host, lower-case, e.g. chat.openai.com"),
                _c("tool", "string", True, help="the AI tool the catalogue names for the domain"),
                _c("sanctioned", "bool", help="whether the catalogue marked the tool sanctioned"),
            ),
            key=("ts", "person", "domain"),
            merge="set",
            time_column="ts",
        ),
    )
}

# Columns every stored table carries besides its canonical ones.
BATCH_COLUMN = "batch_id"


def table(name: str) -> Table:
    """Look up a canonical table by name.

    Args:
        name: canonical table name (see `TABLES`).

    Returns:
        The table spec.
    """
    from uptake.errors import InputError

    try:
        return TABLES[name]
    except KeyError:
        raise InputError(
            f"unknown table {name!r}; expected one of: {', '.join(sorted(TABLES))}"
        ) from None
