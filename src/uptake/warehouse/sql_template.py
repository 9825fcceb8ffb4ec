"""SQL templates: a query compiled for one date serves the same query asked for any other date.

Every metric and friction rule reads windows that end at the as-of day, so each new day
turns every query into one the engine has not seen, and Ibis compiles them all again (about
a third of a second for the live friction update at 10,000 people, most of a second for the
metrics). A query's date and timestamp constants are therefore lifted out of its
fingerprint: the first time a structure is seen it is compiled once, with a stand-in for each
constant, and the SQL becomes a template with a slot where each stand-in was written. Every
use fills the slots with the query's own constants, written by the compiler's own code for a
constant; a structure seen again with other dates costs that filling: no compile.

Ibis writes a date or timestamp constant as a function call of its fields (`MAKE_DATE(2026, 6,
30)`), and nothing in compiling looks at its value, so the SQL around it does not depend on
it. The test suite holds that to account: with `VERIFY` on (as the tests run), each template's
first filling in a process (with dates other than the stand-ins it was compiled with) is
compared with the SQL compiled from the query itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import ibis
import ibis.expr.operations as ops

# Marks a slot in a template's text (SQL never holds a NUL).
MARK = "\x00"
# Stand-ins are dates in the years from this one: distinct per slot, and still inside the
# range pandas timestamps can hold.
FIRST_YEAR = 1700
MAX_SLOTS = 250
# Compare each template's first filling with the query compiled directly (the tests turn this
# on). Once per template: comparing every filling compiled every query twice, which made up
# about a twentieth of the test suite's time, and a filling that differs from the compiled
# SQL for one set of dates but not for another would need the SQL to depend on a date's value
# only sometimes, which the first filling (its dates differ from the stand-ins') already rules
# out for the structure.
VERIFY = False
_EXCLUDE = re.compile(r"EXCLUDE \(([^)]*)\)")

Render = Callable[[ops.Literal], str]


def liftable(node: ops.Literal) -> bool:
    """Whether a constant is lifted into a slot: a date or a timestamp, not null.

    Args:
        node: a literal of the query.

    Returns:
        True for a non-null date or timestamp.
    """
    return node.value is not None and (node.dtype.is_date() or node.dtype.is_timestamp())


class Slots:
    """The lifted constants of one query, numbered by first appearance in a fixed walk."""

    def __init__(self) -> None:
        self.literals: list[ops.Literal] = []
        self._index: dict[tuple[str, str], int] = {}

    def __call__(self, node: ops.Literal) -> str | None:
        """The text a lifted constant stands as in the fingerprint (None: not lifted)."""
        if not liftable(node):
            return None
        # Equal constants share a slot, so a query whose two dates happen to be equal has
        # another structure (and template) than one whose dates differ.
        key = (repr(node.dtype), repr(node.value))
        if key not in self._index:
            self._index[key] = len(self.literals)
            self.literals.append(node)
        return f"slot:{self._index[key]}:{node.dtype!r}"


def stand_in(node: ops.Literal, slot: int) -> ops.Literal:
    """A constant of the same type and shape as `node`, unique to its slot.

    Args:
        node: a lifted literal.
        slot: its slot number.

    Returns:
        The literal on the first day of the year `FIRST_YEAR + slot`.
    """
    value: date | datetime = node.value
    return ops.Literal(value.replace(year=FIRST_YEAR + slot, month=1, day=1), node.dtype)


def build(
    node: ops.Node,
    literals: list[ops.Literal],
    compile_sql: Callable[[ibis.Expr], str],
    render: Render,
) -> str | None:
    """A template of a query: its SQL with a slot where each lifted constant goes.

    Args:
        node: the query's operation.
        literals: its lifted constants, by slot.
        compile_sql: compiles an expression to SQL.
        render: the SQL of one constant.

    Returns:
        The template, or None when the query has too many constants.
    """
    if not literals or len(literals) > MAX_SLOTS:
        return None
    stand = {lit: stand_in(lit, i) for i, lit in enumerate(literals)}
    sql = compile_sql(node.replace(stand).to_expr())
    if MARK in sql:
        return None
    by_text = {render(s): i for i, s in enumerate(stand.values())}
    pattern = re.compile("|".join(re.escape(t) for t in sorted(by_text, key=len, reverse=True)))
    return pattern.sub(lambda m: f"{MARK}{by_text[m.group(0)]}{MARK}", sql)


def fill(template: str, literals: list[ops.Literal], render: Render) -> str:
    """The SQL of a template with each slot given its constant.

    Args:
        template: as `build` returns it.
        literals: the query's lifted constants, by slot.
        render: the SQL of one constant.

    Returns:
        The SQL.
    """
    parts = template.split(MARK)
    texts = [render(lit) for lit in literals]
    # Odd parts are slot numbers, between the SQL around them.
    return "".join(p if i % 2 == 0 else texts[int(p)] for i, p in enumerate(parts))


_checked: set[Any] = set()


def needs_check(key: Any) -> bool:
    """Whether a template's filling is to be compared with a compile (`VERIFY`, first time).

    Args:
        key: the template's key.

    Returns:
        True when `VERIFY` is on and this template has not been checked in this process.
    """
    if not VERIFY or key in _checked:
        return False
    _checked.add(key)
    return True


def check(filled: str, compiled: str) -> None:
    """Refuse a filled template that is not the SQL compiled from the query (`VERIFY`).

    Args:
        filled: the template filled with the query's constants.
        compiled: the query compiled directly.
    """
    if _sets_sorted(filled) != _sets_sorted(compiled):
        raise AssertionError(f"a filled SQL template differs:\n{filled}\n!=\n{compiled}")


def _sets_sorted(sql: str) -> str:
    """The SQL with each `EXCLUDE (...)` list sorted.

    Ibis writes the columns a `drop` removes in the order its set iterates, which differs
    between two equal sets built apart (the stand-ins' query is rebuilt), not in meaning.
    """
    return _EXCLUDE.sub(
        lambda m: "EXCLUDE (" + ", ".join(sorted(c.strip() for c in m.group(1).split(","))) + ")",
        sql,
    )


def renderer(backend: Any) -> Render:
    """How a backend's compiler writes a constant in SQL.

    Args:
        backend: an Ibis SQL backend.

    Returns:
        Literal → its SQL text in the backend's dialect.
    """
    compiler = backend.compiler

    def render(node: ops.Literal) -> str:
        got: str = compiler.visit_Literal(node, value=node.value, dtype=node.dtype).sql(
            compiler.dialect
        )
        return got

    return render
