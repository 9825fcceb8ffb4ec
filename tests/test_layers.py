"""The import-linter contracts of `make check` hold, and fail when a layer reaches up."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run(
        [str(LINT), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package and its contracts that a test may break on purpose."""
    root = tmp_path_factory.mktemp("layers")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(
        ROOT / "src" / "uptake",
        root / "src" / "uptake",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return root


def test_the_real_tree_keeps_every_contract(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("metrics/_reach_up.py", "import uptake.workspace\n", "Layers flow one way"),
        ("warehouse/_reach_up.py", "from uptake import metrics\n", "Layers flow one way"),
        ("config/_reach_up.py", "import uptake.schema\n", "Layers flow one way"),
        ("metrics/_terminal.py", "import rich\n", "Engine packages import no CLI"),
        ("ingest/_terminal.py", "import typer\n", "Engine packages import no CLI"),
        ("simulate/_knows.py", "import uptake.metrics\n", "The simulator knows no metric"),
    ],
)
def test_a_forbidden_import_breaks_the_build(
    tree: Path, module: str, line: str, contract: str
) -> None:
    path = tree / "src" / "uptake" / module
    path.write_text(f'"""Reaches where it must not."""\n\n{line}', encoding="utf-8")
    try:
        result = _lint(tree)
    finally:
        path.unlink()
    assert result.returncode != 0
    assert f"{contract}" in result.stdout
    assert "BROKEN" in result.stdout
