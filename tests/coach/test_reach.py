"""Whom imported use cases reach: roles matched without case, `any` always, ids exactly."""

from __future__ import annotations

from uptake.coach.library import UseCase
from uptake.coach.library.reach import Known, unmatched


def case(id_: str, role: str, workflow: str | None = None, surface: str | None = None) -> UseCase:
    return UseCase(
        id=id_, role=role, title="t", workflow=workflow, surface=surface,
        steps=["a", "b"], prompt="p", minutes_saved=5.0,
    )  # fmt: skip


def test_roles_match_without_case_and_ids_exactly() -> None:
    known = Known(frozenset({"Financial Analyst"}), frozenset({"fin.close"}), None)
    cases = [
        ("f.yaml", case("ca", "financial analyst", "fin.close", "excel")),
        ("f.yaml", case("cb", "any", "FIN.CLOSE")),
        ("f.yaml", case("cc", "sales")),
    ]
    doc = unmatched(cases, known)
    # The surface is not checked (no events name one), so "excel" is not warned of.
    assert doc["unchecked"] == ["surfaces not checked: needs the surfaces its events name"]
    assert [w.split(":")[1] for w in doc["warnings"]] == [" use case cb", " use case cc"]
    assert "workflow 'FIN.CLOSE'" in doc["warnings"][0]
    assert "(did you mean 'fin.close'?)" not in doc["warnings"][0]  # ids are not case-folded
    assert "role 'sales'" in doc["warnings"][1] and "did you mean" not in doc["warnings"][1]


def test_nothing_known_checks_nothing() -> None:
    doc = unmatched([("f.yaml", case("ca", "nobody", "x", "y"))], Known(None, None, None))
    assert doc["warnings"] == [] and len(doc["unchecked"]) == 3
