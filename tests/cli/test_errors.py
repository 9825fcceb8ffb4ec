"""Every command with missing and with bad arguments: exit 2, one error line, no traceback.

The commands come from the app itself, and every option of every command must have a bad
value listed here, so a new command or option cannot slip past these tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import typer
from typer.testing import CliRunner, Result

from sync.loopback import Loopback, reply, serve
from uptake import errors
from uptake.cli import app
from uptake.cli.edge import translate
from uptake.workspace import Workspace


def _commands(cmd: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, sub in sorted(getattr(cmd, "commands", {}).items()):
        yield (*path, name)
        yield from _commands(sub, (*path, name))


ROOT = typer.main.get_command(app)
COMMANDS = list(_commands(ROOT))


def _command(path: tuple[str, ...]) -> click.Command:
    cmd = ROOT
    for name in path:
        cmd = cmd.commands[name]  # type: ignore[attr-defined]
    return cmd


@pytest.fixture(scope="module")
def vendor() -> Iterator[Loopback]:
    """A loopback GitHub whose reports are empty, so `uptake sync` has something to reach."""
    with serve() as lb:
        for report in ("users-1-day", "user-teams-1-day"):
            route = f"/orgs/acme/copilot/metrics/reports/{report}"
            lb.route("GET", route, lambda _r: reply(200, {"download_links": []}))
        yield lb


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory, vendor: Loopback) -> Path:
    """A folder holding an empty workspace, a plain file, a full folder and a CSV file."""
    root = tmp_path_factory.mktemp("errors")
    old = os.environ.pop("UPTAKE_WORKSPACE", None)
    Workspace.init(root / "ws").close()
    if old is not None:
        os.environ["UPTAKE_WORKSPACE"] = old
    # `uptake sync` reaches the loopback GitHub with a private secrets file.
    toml = root / "ws" / "uptake.toml"
    text = toml.read_text().replace(
        '# github = "https://api.github.com"', f'github = "{vendor.url}"'
    )
    toml.write_text(text.replace("# github_seats = true", "github_seats = false"))
    (root / "sync.env").write_text("GITHUB_COPILOT_TOKEN=ghp_test\nGITHUB_ORG=acme\n")
    (root / "sync.env").chmod(0o600)
    (root / "a-file").write_text("not a folder")
    (root / "full").mkdir()
    (root / "full" / "notes.txt").write_text("precious")
    (root / "events.csv").write_text("event_id,ts,person,tool,action\n")
    return root


def _valid(path: tuple[str, ...], root: Path) -> dict[str, list[str]]:
    """Arguments that make each command runnable, so only the bad one can fail."""
    ws = ["-w", str(root / "ws")]
    return {
        ("init",): [str(root / "new-ws")],
        ("status",): ws,
        ("quarantine",): ws,
        ("doctor",): ws,
        ("refresh",): ws,
        ("ingest",): ["events", str(root / "events.csv"), *ws],
        ("simulate",): ["--out", str(root / "sim")],
        ("export",): ["--parquet", str(root / "lake"), *ws],
        ("demo",): ["-w", str(root / "demo")],
        ("metrics",): ws,
        ("evaluate",): [],
        ("signals",): ws,
        ("token",): [],
        ("token", "create"): ["--role", "analyst", *ws],
        ("token", "list"): ws,
        ("token", "revoke"): ["abcd1234", *ws],
        ("audit",): ws,
        ("serve",): ws,
        ("report",): ["--out", str(root / "report.html"), *ws],
        ("sync",): ["--source", "github", "--secrets", str(root / "sync.env"), *ws],
        ("sync", "status"): ws,
        ("tools",): ws,
        ("shadow-ai",): ws,
        ("usecases",): [],
        ("usecases", "list"): ws,
        ("usecases", "validate"): [str(root / "events.csv")],
        ("usecases", "import"): [str(root / "events.csv"), *ws],
        ("usecases", "peers"): ws,
        ("coach",): [],
        ("coach", "effect"): ws,
        ("coach", "digest"): ws,
        ("wins",): ws,
        ("redesign",): [],
        ("redesign", "record"): [
            "wf.x",
            "--on",
            "2026-05-20",
            "--steps",
            str(root / "a-file"),
            *ws,
        ],
        ("redesign", "list"): ws,
        ("redesign", "roles"): ws,
        ("proposals",): [],
        ("proposals", "list"): ws,
        ("proposals", "add"): ["A use case", *ws],
        ("proposals", "link"): ["prop_0000", "wf1", *ws],
        ("readiness",): ws,
        ("readiness", "answer"): ["override_1=3", *ws],
        ("readiness", "questions"): [],
        ("sprint",): ws,
        ("sprint", "tick"): ["sponsor_goals", *ws],
        ("sprint", "untick"): ["sponsor_goals", *ws],
        ("audit-sample",): ws,
        ("backup",): [str(root / "backup.tar.gz"), *ws],
        ("restore",): [str(root / "a-file"), str(root / "restored")],
    }[path]


# A bad value for every option and argument that takes one: {command: {option: value}}.
# Arguments are named by their parameter name, options by their first flag; "{root}" is the
# fixture folder.
BAD: dict[tuple[str, ...], dict[str, str]] = {
    ("init",): {"path": "{root}/a-file"},
    ("status",): {"--workspace": "{root}/full"},
    ("quarantine",): {"--batch": "one", "--limit": "0", "--workspace": "{root}/full"},
    ("doctor",): {"--workspace": "{root}/full"},
    ("refresh",): {"--workspace": "{root}/full"},
    ("ingest",): {
        "table": "no_such_table",
        "files": "{root}/missing.csv",
        "--format": "no-such-format",
        "--map": "no-equals-sign",
        "--mapping": "{root}/missing.yaml",
        "--option": "scope=x",
        "--workspace": "{root}/full",
    },
    ("simulate",): {
        "--out": "{root}/a-file",
        "--people": "0",
        "--days": "1",
        "--seed": "forty-two",
        "--start": "2026-13-01",
        "--scenario": "no-such-scenario",
        "--format": "xlsx",
        "--emit": "xml",
    },
    ("export",): {"--parquet": "{root}/full", "--workspace": "{root}/full"},
    ("demo",): {
        "--people": "0",
        "--days": "1",
        "--seed": "forty-two",
        "--scenario": "no-such-scenario",
        "--data": "xml",
        "--workspace": "{root}/full",
    },
    ("metrics",): {
        "--workspace": "{root}/full",
        "--as-of": "2026-13-01",
        "--by": "no_such_segment",
        "--metric": "no_such_metric",
        "--sort": "no_such_field",
        "--top": "0",
        "--engine": "no-such-engine",
    },
    ("signals",): {"--workspace": "{root}/full", "--as-of": "2026-13-01"},
    ("token",): {},
    ("token", "create"): {
        "--role": "wizard",
        "--scope": "team:x",
        "--expires": "tomorrow",
        "--note": "x" * 201,
        "--workspace": "{root}/full",
    },
    ("token", "list"): {"--workspace": "{root}/full"},
    ("token", "revoke"): {"token_id": "no-such-token", "--workspace": "{root}/full"},
    ("audit",): {
        "--since": "2026-13-01",
        "--actor": "token:zz",
        "--limit": "0",
        "--workspace": "{root}/full",
    },
    ("report",): {
        "--out": "{root}/report.pdf",
        "--as-of": "2026-13-01",
        "--token": "not-a-token",
        "--workspace": "{root}/full",
    },
    ("serve",): {"--host": "not a host!", "--port": "0", "--workspace": "{root}/full"},
    ("shadow-ai",): {
        "--as-of": "2026-13-01",
        "--by": "no_such_segment",
        "--workspace": "{root}/full",
    },
    ("evaluate",): {
        "--people": "0",
        "--days": "1",
        "--seed": "forty-two",
        "--start": "2026-13-01",
        "--data": "xml",
    },
    ("sync",): {
        "--source": "no-such-source",
        "--since": "2026-13-01",
        "--every": "often",
        "--runs": "0",
        "--secrets": "{root}/a-file",
        "--workspace": "{root}/full",
    },
    ("sync", "status"): {"--workspace": "{root}/full"},
    ("tools",): {
        "--workspace": "{root}/full",
        "--as-of": "2026-13-01",
        "--by": "no_such_segment",
    },
    ("usecases",): {},
    ("usecases", "list"): {
        "--role": "",
        "--workflow": "not a workflow!",
        "--workspace": "{root}/full",
    },
    ("usecases", "validate"): {"paths": "{root}/missing.yaml"},
    ("usecases", "import"): {"paths": "{root}/missing.yaml", "--workspace": "{root}/full"},
    ("usecases", "peers"): {
        "--role": "",
        "--as-of": "2026-13-01",
        "--workspace": "{root}/full",
    },
    ("coach",): {},
    ("coach", "effect"): {
        "--as-of": "2026-13-01",
        "--by": "no_such_segment",
        "--workspace": "{root}/full",
    },
    ("coach", "digest"): {
        "--team": " ",
        "--as-of": "2026-13-01",
        "--out": "{root}/a-file",
        "--workspace": "{root}/full",
    },
    ("wins",): {
        "--as-of": "2026-13-01",
        "--case": " ",
        "--out": "{root}/report.pdf",
        "--workspace": "{root}/full",
    },
    ("redesign",): {},
    ("redesign", "record"): {
        "workflow": "not a workflow!",
        "--on": "2026-13-01",
        "--steps": "{root}/missing.yaml",
        "--note": "x" * 501,
        "--workspace": "{root}/full",
    },
    ("redesign", "list"): {"--as-of": "2026-13-01", "--workspace": "{root}/full"},
    ("redesign", "roles"): {"--as-of": "2026-13-01", "--workspace": "{root}/full"},
    ("proposals",): {},
    ("proposals", "list"): {"--as-of": "2026-13-01", "--workspace": "{root}/full"},
    ("proposals", "add"): {
        "title": " ",
        "--description": "x" * 2001,
        "--team": "x" * 65,
        "--workflow": "x" * 121,
        "--priority": "0",
        "--proposer": "nobody@example.org",
        "--workspace": "{root}/full",
    },
    ("proposals", "link"): {
        "proposal_id": "prop_nope",
        "workflow": " ",
        "--workspace": "{root}/full",
    },
    ("readiness",): {"--as-of": "2026-13-01", "--workspace": "{root}/full"},
    ("readiness", "answer"): {
        "answers": "shoe_size=3",
        "--person": " ",
        "--on": "2026-13-01",
        "--workspace": "{root}/full",
    },
    ("readiness", "questions"): {},
    ("sprint",): {"--workspace": "{root}/full", "--as-of": "2026-13-01"},
    ("sprint", "tick"): {
        "milestone": "no_such_milestone",
        "--on": "2026-13-01",
        "--note": "x" * 501,
        "--workspace": "{root}/full",
    },
    ("sprint", "untick"): {"milestone": "no_such_milestone", "--workspace": "{root}/full"},
    ("audit-sample",): {
        "--size": "0",
        "--seed": "-1",
        "--as-of": "2026-13-01",
        "--workspace": "{root}/full",
    },
    ("backup",): {"out": "{root}/a-file", "--workspace": "{root}/full"},
    ("restore",): {
        "archive": "{root}/a-file",
        "folder": "{root}/full",
        "--secret-file": "{root}/no-such-secret",
    },
}


def _value_params(path: tuple[str, ...]) -> list[click.Parameter]:
    """Parameters that take a value (flags and --help take none)."""
    return [
        p
        for p in _command(path).params
        if not getattr(p, "is_flag", False) and not getattr(p, "count", False)
    ]


def _key(p: click.Parameter) -> str:
    return p.opts[0] if p.param_type_name == "option" else str(p.name)


def _assert_one_line_error(r: Result, args: list[str]) -> None:
    assert r.exit_code == 2, (args, r.exit_code, r.stdout, r.stderr, r.exception)
    assert "Traceback" not in r.stdout + r.stderr, args
    assert r.stdout == "", (args, r.stdout)
    lines = r.stderr.strip().splitlines()
    assert lines and lines[0].startswith("error: "), (args, r.stderr)
    assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith("hint: ")), (args, lines)


def _invoke(args: list[str]) -> Result:
    return CliRunner().invoke(app, args, env={"COLUMNS": "300", "UPTAKE_WORKSPACE": None})


def test_every_command_and_option_has_a_bad_value() -> None:
    assert set(COMMANDS) == set(BAD), "add new commands to BAD (and _valid)"
    for path in COMMANDS:
        keys = {_key(p) for p in _value_params(path)}
        assert keys == set(BAD[path]), (path, keys ^ set(BAD[path]))


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_unknown_option(path: tuple[str, ...], place: Path) -> None:
    args = [*path, *_valid(path, place), "--no-such-option"]
    r = _invoke(args)
    _assert_one_line_error(r, args)
    assert "no such option --no-such-option" in r.stderr


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_missing_arguments(path: tuple[str, ...], place: Path) -> None:
    params = _value_params(path)
    required = [p for p in params if p.required]
    if required:
        r = _invoke(list(path))
        _assert_one_line_error(r, list(path))
        assert "missing" in r.stderr
    # An option given without its value, as the last word.
    for p in params:
        if p.param_type_name != "option":
            continue
        args = [*path, *_valid(path, place), p.opts[0]]
        r = _invoke(args)
        _assert_one_line_error(r, args)
        assert "requires an argument" in r.stderr, (args, r.stderr)


CASES = [(path, key) for path in BAD for key in BAD[path]]


@pytest.mark.parametrize(("path", "key"), CASES, ids=[f"{' '.join(p)} {k}" for p, k in CASES])
def test_bad_value(path: tuple[str, ...], key: str, place: Path) -> None:
    value = BAD[path][key].format(root=place)
    args = [*path]
    valid = _valid(path, place)
    if key.startswith("-"):
        # Drop the valid value the bad one replaces (-w and --workspace are the same option).
        flags = {"--workspace": ("-w", "--workspace")}.get(key, (key,))
        keep: list[str] = []
        skip = False
        for word in valid:
            if skip:
                skip = False
            elif word in flags:
                skip = True
            else:
                keep.append(word)
        args += [*keep, key, value]
    elif path == ("ingest",):
        table, files = (value, valid[1]) if key == "table" else (valid[0], value)
        args += [table, files, *valid[2:]]
    else:
        args += [value]
    r = _invoke(args)
    _assert_one_line_error(r, args)
    assert "internal error" not in r.stderr


def test_the_valid_sync_arguments_run(place: Path) -> None:
    # Otherwise every bad sync value would "fail" for the wrong reason.
    for path in (("sync",), ("sync", "status")):
        r = _invoke([*path, *_valid(path, place)])
        assert r.exit_code == 0, (path, r.stderr)


def test_misspelt_vendor_option_lists_the_known_ones(place: Path) -> None:
    args = ["ingest", "--format", "github-copilot-seats", str(place / "events.csv")]
    r = _invoke([*args, "--option", "montly_cost=19", "-w", str(place / "ws")])
    _assert_one_line_error(r, args)
    assert "'montly_cost'" in r.stderr and "monthly_cost, report_date" in r.stderr


@pytest.mark.parametrize(
    "cls",
    [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.UptakeError)],
)
def test_uptake_errors_exit_with_their_code(
    cls: type[errors.UptakeError], capsys: pytest.CaptureFixture[str]
) -> None:
    # A sync error names its vendor source first.
    if cls is errors.SyncError:
        exc: errors.UptakeError = errors.SyncError("github", "something is wrong")
    else:
        exc = cls("something is wrong")
    assert translate(exc) == cls.exit_code
    err = capsys.readouterr().err
    said = "github: something is wrong" if cls is errors.SyncError else "something is wrong"
    assert err == f"error: {said}\n"


def test_a_missing_optional_extra_says_how_to_install_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    exc = ModuleNotFoundError("No module named 'pyspark'", name="pyspark")
    assert translate(exc) == 3
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("error: ") and "pyspark" in err[0]
    assert err[1] == "hint: pip install 'uptake[spark]'"


def test_an_unexpected_error_is_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UPTAKE_DEBUG", raising=False)
    assert translate(KeyError("boom")) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("error: internal error: KeyError: 'boom'")
    assert "UPTAKE_DEBUG=1" in line
    monkeypatch.setenv("UPTAKE_DEBUG", "1")
    with pytest.raises(KeyError):
        translate(KeyError("boom"))


def test_a_path_the_file_system_refuses_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("UPTAKE_DEBUG", raising=False)
    for exc, said in (
        (FileNotFoundError(2, "No such file or directory", "/x/out"), "no such file or folder"),
        (PermissionError(13, "Permission denied", "/x/out"), "permission denied"),
        (OSError(28, "No space left on device", "/x/out"), "no space left on the device"),
        (NotADirectoryError(20, "Not a directory", "/x/out"), "is not a folder"),
    ):
        assert translate(exc) == 2
        [line] = capsys.readouterr().err.splitlines()
        assert line.startswith("error: /x/out: cannot read or write it: ") and said in line
    # A folder that exists already is said to; a file where a folder must be made is named so.
    assert translate(FileExistsError(17, "File exists", str(tmp_path))) == 2
    assert capsys.readouterr().err.strip().endswith(": already exists")
    (tmp_path / "f").write_text("x")
    assert translate(FileExistsError(17, "File exists", str(tmp_path / "f"))) == 2
    assert capsys.readouterr().err.strip().endswith(": already exists and is not a folder")
    # Without a path, or with another cause, it is not the user's path: still a bug.
    assert translate(FileNotFoundError(2, "No such file or directory")) == 1
    assert translate(OSError(5, "Input/output error", "/x/out")) == 1
    assert "internal error" in capsys.readouterr().err


# -- as a user runs it: a real process, real exit codes -----------------------------------------


def uptake(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("UPTAKE_")}
    full.update({"COLUMNS": "300", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "uptake", *args], capture_output=True, text=True, env=full
    )


def test_version() -> None:
    from uptake import __version__

    r = uptake("--version")
    assert (r.returncode, r.stdout, r.stderr) == (0, f"uptake {__version__}\n", "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["foo"], "error: no such command 'foo' (see uptake --help)"),
        (["ingest"], "error: missing argument 'TABLE' (see uptake ingest --help)"),
        (["simulate", "--people", "0", "--out", "x"], "error: --people 0: need at least 40"),
        (
            ["simulate", "--people", "many", "--out", "x"],
            "error: invalid value for '--people': expected a whole number (see",
        ),
        (["serve", "--port", "99999"], "error: invalid value for '--port': at most 65535 (see"),
        (["status", "--wrkspace", "x"], "error: no such option --wrkspace; did you mean"),
    ],
)
def test_a_real_process_exits_2_with_one_line(
    args: list[str], message: str, tmp_path: Path
) -> None:
    r = uptake(*[a.replace("x", str(tmp_path / "x")) if a == "x" else a for a in args])
    assert r.returncode == 2, r.stderr
    assert r.stdout == "" and "Traceback" not in r.stderr
    [line] = r.stderr.splitlines()
    assert line.startswith(message), line


def test_a_workspace_another_process_holds_is_named_with_that_process(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "ws").close()
    # A second process holds the warehouse, as `uptake serve` does while it runs.
    code = (
        "import sys; from uptake.workspace import Workspace; "
        "w = Workspace.open(sys.argv[1]); w.engine(); print('open', flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path / "ws")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        for args in (["status"], ["metrics"]):
            r = uptake(*args, "-w", str(tmp_path / "ws"))
            assert r.returncode == 2, (args, r.stderr)
            [line] = r.stderr.splitlines()
            assert f"in use by another process (PID {holder.pid}" in line, line
            assert "uptake serve" in line and "http" not in line, line
    finally:
        holder.communicate("", timeout=60)


def test_a_real_process_names_an_output_path_it_cannot_write(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "ws").close()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for args in (
        ["init", str(blocker / "ws")],
        ["report", "--out", str(blocker / "r.html"), "-w", str(tmp_path / "ws")],
    ):
        r = uptake(*args)
        assert r.returncode == 2, (args, r.stderr)
        [line] = r.stderr.splitlines()
        assert line.startswith(f"error: {blocker}") and "not a folder" in line, line


def _status_replaced(tmp_path: Path, body: str) -> str:
    """A program running `uptake status` on a new workspace whose `status` runs `body`."""
    Workspace.init(tmp_path / "ws").close()
    return (
        "import sys, time\n"
        "from uptake.workspace import Workspace\n"
        f"def replaced(self): {body}\n"
        "Workspace.status = replaced\n"
        "from uptake.cli import main\n"
        f"main(['status', '-w', {str(tmp_path / 'ws')!r}])\n"
    )


def test_a_real_process_reports_an_internal_error_in_one_line(tmp_path: Path) -> None:
    code = _status_replaced(tmp_path, "raise RuntimeError('the disk fell off')")
    env = {k: v for k, v in os.environ.items() if not k.startswith("UPTAKE_")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode == 1
    [line] = r.stderr.splitlines()
    assert line.startswith("error: internal error: RuntimeError: the disk fell off")
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**env, "UPTAKE_DEBUG": "1"},
    )
    assert r.returncode == 1 and "Traceback" in r.stderr


def test_an_interrupted_command_says_so_in_one_line(tmp_path: Path) -> None:
    # A command under way when Ctrl-C comes: Typer on its own exits 130 and says nothing.
    code = _status_replaced(tmp_path, "print('busy', flush=True); time.sleep(120)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("UPTAKE_")}
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "busy\n"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.splitlines() == ["error: interrupted (Ctrl-C)"]


def test_spark_without_pyspark_says_how_to_install_it(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "ws").close()
    code = (
        "import sys\n"
        "sys.modules['pyspark'] = None  # as if the extra were not installed\n"
        "from uptake.cli import main\n"
        f"main(['metrics', '-w', {str(tmp_path / 'ws')!r}, '--engine', 'spark'])\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("UPTAKE_")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode in (2, 3), r.stderr
    assert "Traceback" not in r.stderr
    error, hint = r.stderr.splitlines()
    assert error.startswith("error: ") and "PySpark" in error
    assert hint.startswith("hint: pip install 'uptake[spark]'")
