"""A build shared by the test workers is made once and each caller gets a copy of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shared_build import shared_build


def test_built_once_and_each_caller_writes_to_its_own_copy(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    calls: list[Path] = []

    def build(root: Path) -> dict[str, Any]:
        calls.append(root)
        (root / "ws").mkdir()
        (root / "ws" / "data.txt").write_text("built")
        return {"tokens": {"admin": "t"}, "n": len(calls)}

    first, about = shared_build(tmp_path_factory, "shared-build-test", build)
    second, again = shared_build(tmp_path_factory, "shared-build-test", build)
    assert len(calls) == 1
    assert about == again == {"tokens": {"admin": "t"}, "n": 1}
    assert first != second
    (first / "ws" / "data.txt").write_text("changed by its test")
    assert (second / "ws" / "data.txt").read_text() == "built"
    # The build's own record stays out of the copies.
    assert sorted(p.name for p in second.iterdir()) == ["ws"]


def test_a_build_that_failed_half_way_is_made_afresh(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    def broken(root: Path) -> dict[str, Any]:
        (root / "partial.txt").write_text("half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        shared_build(tmp_path_factory, "shared-build-retry", broken)

    def whole(root: Path) -> dict[str, Any]:
        (root / "whole.txt").write_text("whole")
        return {}

    copy, _ = shared_build(tmp_path_factory, "shared-build-retry", whole)
    assert sorted(p.name for p in copy.iterdir()) == ["whole.txt"]
