"""Lazy exports: `uptake` and its command line load heavy libraries only when work needs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import uptake
from uptake.lazy import exports

# What a command's help and its option checks do without (each costs a tenth of a second to
# most of a second to import; `uptake --help` took two seconds when they all loaded).
HEAVY = (
    "pandas",
    "ibis",
    "pyarrow",
    "scipy",
    "sklearn",
    "plotly",
    "fastapi",
    "networkx",
    "opendp",
    "pyspark",
)


def _loaded_after(statement: str) -> set[str]:
    """The top-level packages a fresh interpreter has loaded after running `statement`."""
    report = "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    code = f"import sys, json\n{statement}\n{report}"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_importing_uptake_loads_no_heavy_library() -> None:
    loaded = _loaded_after("import uptake")
    assert not loaded & {*HEAVY, "duckdb", "pydantic", "numpy"}, loaded


# What the command line's help does without as well: the warehouse, settings, the HTTP client,
# the redaction detectors and the simulator's arrays (`uptake --help` took 0.56-0.62 s with
# them, 0.24-0.26 s without, on 6 December).
HELP_FREE = ("numpy", "duckdb", "pydantic", "httpx", "detect_secrets", "phonenumbers", "yaml")


def test_the_command_line_loads_no_heavy_library_until_a_command_runs() -> None:
    loaded = _loaded_after("import uptake.cli")
    assert not loaded & {*HEAVY, *HELP_FREE}, loaded & {*HEAVY, *HELP_FREE}
    # A command that works does load them: the check above can fail.
    assert "pandas" in _loaded_after("import uptake.cli\nfrom uptake import Workspace")


# The redaction detectors' libraries: loaded at the first text to redact, not with the
# workspace (about 0.3 s of every `uptake status` or `uptake metrics` until 7 December).
DETECTORS = ("detect_secrets", "phonenumbers", "schwifty")


def test_the_workspace_loads_the_redaction_detectors_only_to_redact() -> None:
    loaded = _loaded_after("from uptake.workspace import Workspace")
    assert "pandas" in loaded and not loaded & set(DETECTORS), loaded & set(DETECTORS)
    redacting = "from uptake.ingest.redact import redact\nassert redact('a@b.io') == '[email]'"
    assert set(DETECTORS) <= _loaded_after(redacting)


def test_public_names_load_on_first_use_and_stay() -> None:
    from uptake.workspace.core import Workspace

    assert uptake.Workspace is Workspace
    assert vars(uptake)["Workspace"] is Workspace  # kept: the next read is a plain read
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        _ = uptake.Nothing  # type: ignore[attr-defined]
    assert set(uptake.__all__) <= set(dir(uptake))


def test_a_name_missing_from_its_home_module_is_an_attribute_error() -> None:
    load = exports("uptake", {"Mystery": "uptake.errors"})
    with pytest.raises(AttributeError):
        load("Mystery")
    with pytest.raises(AttributeError):
        load("Other")
