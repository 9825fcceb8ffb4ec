"""The agreement function on tables small enough to check by hand."""

from __future__ import annotations

import pytest

from uptake.evaluate import agreement


def test_accuracy_kappa_and_confusion_by_hand() -> None:
    ref = ["a", "a", "b", "b", "c", "c"]
    got = ["a", "b", "b", "b", "c", "a"]
    out = agreement(ref, got, ["a", "b", "c"])
    # Rows are the reference, columns the measurement.
    assert out["confusion"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert out["n"] == 6
    assert out["accuracy"] == pytest.approx(4 / 6, abs=1e-4)
    # p_o = 4/6; reference margins 2,2,2 and measured 2,3,1 give p_e = (4 + 6 + 2) / 36 = 1/3;
    # kappa = (2/3 - 1/3) / (1 - 1/3) = 0.5.
    assert out["kappa"] == pytest.approx(0.5, abs=1e-4)


def test_perfect_and_chance_agreement() -> None:
    assert agreement(["x", "y", "y"], ["x", "y", "y"], ["x", "y"])["kappa"] == 1.0
    # Measured says the opposite of the reference every time: kappa below zero.
    assert agreement(["x", "y"], ["y", "x"], ["x", "y"])["kappa"] == pytest.approx(-1.0)


def test_labels_fix_the_table_even_for_empty_classes() -> None:
    out = agreement(["x"], ["x"], ["x", "y", "z"])
    assert out["confusion"] == [[1, 0, 0], [0, 0, 0], [0, 0, 0]]
    # Everyone in one class on both sides: chance agreement is total, kappa is undefined.
    assert out["kappa"] is None and out["accuracy"] == 1.0


def test_nobody_to_compare() -> None:
    out = agreement([], [], ["x", "y"])
    assert (out["n"], out["accuracy"], out["kappa"]) == (0, None, None)


def test_misaligned_or_unknown_classes_are_refused() -> None:
    with pytest.raises(ValueError, match="reference has 2 people, measured 1"):
        agreement(["x", "y"], ["x"], ["x", "y"])
    with pytest.raises(ValueError, match="not in labels"):
        agreement(["x"], ["q"], ["x", "y"])
