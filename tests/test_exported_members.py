"""The public API is exactly what `uptake.__all__` lists, and every member is uptake's own."""

from __future__ import annotations

import types

import uptake

EXPECTED = {
    "IngestResult",
    "MetricResult",
    "MetricSpec",
    "MetricsReport",
    "Settings",
    "UptakeError",
    "Workspace",
    "__version__",
}


def test_all_is_the_agreed_list() -> None:
    assert set(uptake.__all__) == EXPECTED
    assert len(uptake.__all__) == len(set(uptake.__all__))


def test_every_member_exists_and_is_uptakes_own() -> None:
    for name in uptake.__all__:
        member = getattr(uptake, name)
        if name == "__version__":
            assert isinstance(member, str) and member
            continue
        assert member.__module__.startswith("uptake."), name
        assert member.__doc__, f"{name} has no docstring"


def test_no_other_public_names_leak() -> None:
    public = {
        n
        for n, v in vars(uptake).items()
        if not n.startswith("_") and not isinstance(v, types.ModuleType)
    }
    assert public <= set(uptake.__all__), public - set(uptake.__all__)


def test_the_readme_entry_point_is_there() -> None:
    # The README's Python example opens a workspace this way.
    assert callable(uptake.Workspace.open)
    assert callable(uptake.Workspace.init)
