"""Vendor credentials: environment first, then a private secrets file outside the workspace."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uptake.errors import ConfigError
from uptake.sync.credentials import check_private, gather, read_file
from uptake.sync.sources.github import GitHubSource
from uptake.sync.sources.m365 import M365Source

TOKEN = "ghp_FileToken_0123456789abcdef"


def private(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o600)
    return path


def test_key_value_file_with_comments_quotes_and_export(tmp_path: Path) -> None:
    f = private(
        tmp_path / "sync.env",
        f"# GitHub\nexport GITHUB_COPILOT_TOKEN='{TOKEN}'\nGITHUB_ORG = \"acme\"\n\n",
    )
    got = gather([GitHubSource], env={}, secrets_file=f, workspace=tmp_path / "ws")
    assert got.for_source(GitHubSource) == {"GITHUB_COPILOT_TOKEN": TOKEN, "GITHUB_ORG": "acme"}
    assert GitHubSource.missing(got.for_source(GitHubSource)) == []


def test_toml_file(tmp_path: Path) -> None:
    f = private(tmp_path / "sync.toml", f'GITHUB_COPILOT_TOKEN = "{TOKEN}"\nGITHUB_ORG = "acme"\n')
    assert read_file(f) == {"GITHUB_COPILOT_TOKEN": TOKEN, "GITHUB_ORG": "acme"}


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    f = private(tmp_path / "sync.env", f"GITHUB_COPILOT_TOKEN={TOKEN}\n")
    got = gather([GitHubSource], env={"GITHUB_COPILOT_TOKEN": "from-env"}, secrets_file=f)
    assert got.for_source(GitHubSource)["GITHUB_COPILOT_TOKEN"] == "from-env"


def test_world_readable_file_is_refused(tmp_path: Path) -> None:
    f = private(tmp_path / "sync.env", f"GITHUB_COPILOT_TOKEN={TOKEN}\n")
    f.chmod(0o644)
    with pytest.raises(ConfigError, match="every user of this machine") as got:
        gather([GitHubSource], env={}, secrets_file=f)
    assert got.value.hint == f"chmod 600 {f}"
    assert TOKEN not in got.value.message


def test_file_inside_the_workspace_is_refused(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "conf").mkdir(parents=True)
    f = private(ws / "conf" / "sync.env", f"GITHUB_COPILOT_TOKEN={TOKEN}\n")
    with pytest.raises(ConfigError, match="inside the workspace folder"):
        check_private(f, ws)
    # The same file reached through a symlink outside is still inside.
    link = tmp_path / "outside.env"
    link.symlink_to(f)
    with pytest.raises(ConfigError, match="inside the workspace folder"):
        check_private(link, ws)


def test_a_broken_line_names_the_line_never_the_value(tmp_path: Path) -> None:
    f = private(tmp_path / "sync.env", f"GITHUB_ORG=acme\n{TOKEN}\n")
    with pytest.raises(ConfigError, match="line 2: expected KEY=VALUE") as got:
        read_file(f)
    assert TOKEN not in got.value.message
    bad = private(tmp_path / "s.toml", f'GITHUB_COPILOT_TOKEN = "{TOKEN}\n')
    with pytest.raises(ConfigError, match="not valid TOML") as got:
        read_file(bad)
    assert TOKEN not in got.value.message


def test_scrub_removes_every_secret_but_not_settings() -> None:
    env = {
        "M365_TENANT_ID": "contoso",
        "M365_CLIENT_ID": "app-1",
        "M365_CLIENT_SECRET": "s3cr3t-value",
        "UNRELATED": "x",
    }
    got = gather([M365Source], env=env)
    assert got.scrub("a s3cr3t-value b contoso") == "a *** b contoso"
    # A short value would mangle words ("token expired or wrong"): real keys are long.
    short = gather([M365Source], env={**env, "M365_CLIENT_SECRET": "wrong"})
    assert short.scrub("token expired or wrong") == "token expired or wrong"
    assert "s3cr3t" not in repr(got)
    assert "UNRELATED" not in got.for_source(M365Source)


def test_which_credentials_each_source_still_needs() -> None:
    assert GitHubSource.missing({}) == ["GITHUB_COPILOT_TOKEN", "GITHUB_ORG or GITHUB_ENTERPRISE"]
    assert GitHubSource.missing({"GITHUB_COPILOT_TOKEN": "t", "GITHUB_ENTERPRISE": "e"}) == []
    assert M365Source.missing({"M365_ACCESS_TOKEN": "t"}) == []
    assert M365Source.missing({"M365_TENANT_ID": "t"}) == ["M365_CLIENT_ID", "M365_CLIENT_SECRET"]


@settings(derandomize=True, deadline=None, max_examples=40)
@given(st.text(max_size=200))
def test_any_file_text_parses_or_names_a_line(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        f = private(Path(d) / "sync.env", text)
        try:
            got = read_file(f)
        except ConfigError as exc:
            assert "line" in exc.message or "cannot read" in exc.message
        else:
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in got.items())
