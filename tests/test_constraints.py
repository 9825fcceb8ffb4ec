"""The pins in constraints.txt and build-constraints.txt cover pyproject.toml and are used."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _pins(text: str) -> dict[str, str]:
    """Package name (canonical) -> pinned version; raises ValueError on any other line."""
    pins: dict[str, str] = {}
    for no, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement as exc:
            raise ValueError(f"line {no}: {line!r} is not a requirement ({exc})") from None
        specs = list(req.specifier)
        if req.url or len(specs) != 1 or specs[0].operator != "==" or req.marker or req.extras:
            raise ValueError(f"line {no}: {line!r} is not a plain `name==version` pin")
        name = canonicalize_name(req.name)
        if name in pins:
            raise ValueError(f"line {no}: {req.name} is pinned twice")
        pins[name] = specs[0].version
    return pins


def _declared() -> list[Requirement]:
    """Every requirement pyproject.toml declares: the package's and each extra's."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in project.get("optional-dependencies", {}).values():
        reqs += [Requirement(r) for r in extra]
    return reqs


def _build_requires() -> list[Requirement]:
    """What pyproject.toml's [build-system] requires."""
    system = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]
    return [Requirement(r) for r in system["requires"]]


def _unmet(pins: dict[str, str], declared: list[Requirement]) -> list[str]:
    """The declared requirements the pins leave out or pin outside their range."""
    unmet = []
    for req in declared:
        if req.marker is not None and not req.marker.evaluate():
            continue
        pinned = pins.get(canonicalize_name(req.name))
        if pinned is None:
            unmet.append(f"{req.name}: not pinned")
        elif not req.specifier.contains(pinned, prereleases=True):
            unmet.append(f"{req.name}: pinned {pinned}, outside {req.specifier}")
    return unmet


def test_every_line_is_a_plain_pin() -> None:
    pins = _pins((ROOT / "constraints.txt").read_text())
    assert len(pins) > 50


def test_the_parser_refuses_what_is_not_a_pin() -> None:
    for bad in ("pandas>=2", "httpx2 @ file:///tmp/x.whl", "numpy", "a==1\na==2", "pip install"):
        with pytest.raises(ValueError):
            _pins(bad)


def test_every_declared_requirement_is_pinned_within_its_range() -> None:
    pins = _pins((ROOT / "constraints.txt").read_text())
    assert _unmet(pins, _declared()) == []
    # The check itself: a missing pin and one outside its range are both found.
    assert _unmet({"duckdb": "2.0.0"}, [Requirement("duckdb>=1.4,<2"), Requirement("rich")]) == [
        "duckdb: pinned 2.0.0, outside <2,>=1.4",
        "rich: not pinned",
    ]


def test_the_tests_run_on_the_pinned_versions() -> None:
    # `make` installs with the constraints; a version that differs means this environment
    # was installed some other way (or the pins changed and `make` has not reinstalled yet).
    pins = _pins((ROOT / "constraints.txt").read_text())
    differ = []
    for name, version in pins.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            differ.append(f"{name}: pinned {version}, not installed")
            continue
        if installed != version:
            differ.append(f"{name}: pinned {version}, installed {installed}")
    assert differ == [], "reinstall with `make` (it installs with -c constraints.txt)"


def test_the_build_backend_is_pinned_within_its_range() -> None:
    pins = _pins((ROOT / "build-constraints.txt").read_text())
    assert _unmet(pins, _build_requires()) == []
    assert "setuptools" in pins


def test_the_editable_install_was_built_with_the_pinned_backend() -> None:
    # The build runs in pip's isolated environment, gone once installed; the wheel it wrote
    # names its generator. Another version means `make` did not pass --build-constraint.
    pins = _pins((ROOT / "build-constraints.txt").read_text())
    wheel = metadata.distribution("uptake").read_text("WHEEL") or ""
    generator = next(ln for ln in wheel.splitlines() if ln.startswith("Generator:"))
    assert generator == f"Generator: setuptools ({pins['setuptools']})"
