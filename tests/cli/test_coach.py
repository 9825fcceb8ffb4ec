"""`uptake coach effect`: the coaching effect as a table with a verdict line, or JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from uptake.cli.coach import coach_app
from uptake.workspace import Workspace
from workspace.test_coach_effect import AS_OF, _fill


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Six treated people (five move up the ladder) and six in the holdout."""
    mp = pytest.MonkeyPatch()
    mp.delenv("UPTAKE_SECRET", raising=False)
    mp.delenv("UPTAKE_WORKSPACE", raising=False)
    folder = tmp_path_factory.mktemp("coach") / "ws"
    with Workspace.init(folder) as ws:
        _fill(ws)
    yield folder
    mp.undo()


def _run(*args: str) -> tuple[int, str]:
    out = CliRunner().invoke(coach_app, list(args))
    return out.exit_code, out.output


def test_table_with_verdict_line(filled: Path) -> None:
    code, text = _run("effect", "-w", str(filled), "--as-of", AS_OF.isoformat())
    assert code == 0, text
    assert "verdict: " in text and "treatment n = 6, holdout n = 6" in text
    assert "moved up" in text and "+83.3" in text and "[+27.7," in text
    assert "proxy" in text  # the ladder on the activity proxy says so
    assert "Newcombe" in text


def test_before_any_arm_the_header_names_no_week(workspace: Workspace) -> None:
    workspace.close()  # the command opens the workspace itself
    code, text = _run("effect", "-w", str(workspace.path))
    assert code == 0, text
    assert "verdict: not available: needs people assigned" in text
    # No week's outcomes were read: the header says nothing of one (it printed "None").
    assert "None" not in text and "week ending" not in text


def test_json_document(filled: Path) -> None:
    code, text = _run("effect", "-w", str(filled), "--as-of", AS_OF.isoformat(), "--json")
    assert code == 0, text
    doc = json.loads(text)
    assert doc["status"] == "ok" and doc["arms"] == {"treatment": 6, "holdout": 6}
    assert doc["outcomes"]["moved_up"]["difference"]["ci_low"] > 0


def test_segments_below_k_say_why(filled: Path) -> None:
    code, text = _run("effect", "-w", str(filled), "--as-of", AS_OF.isoformat(), "--by", "team")
    assert code == 0, text
    assert "team a: not available: needs ≥ 5 people in each arm" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--by", "shoe_size"], "--by 'shoe_size'"), (["--as-of", "soon"], "--as-of 'soon'")],
)
def test_bad_input_exits_2(filled: Path, args: list[str], message: str) -> None:
    out = CliRunner().invoke(coach_app, ["effect", "-w", str(filled), *args])
    assert out.exit_code == 2 and message in out.output
