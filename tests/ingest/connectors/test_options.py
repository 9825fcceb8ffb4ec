"""Each connector declares the `--option` keys it accepts; any other key is refused up front."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from uptake.errors import InputError
from uptake.ingest.connectors import CONNECTORS
from uptake.workspace import Workspace

SEATS = Path(__file__).parent / "samples" / "github_copilot_billing_seats_org.json"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize("name", sorted(CONNECTORS))
def test_an_unknown_key_is_refused_with_the_known_ones(name: str, tmp_path: Path) -> None:
    connector = CONNECTORS[name]
    never_read = tmp_path / "never-read.json"  # the check comes before the file is opened
    with pytest.raises(InputError) as caught:
        connector.read(never_read, {"params": {"no_such_key": "1"}})
    err = caught.value
    assert err.exit_code == 2 and "'no_such_key'" in err.message
    if connector.params:
        assert f"known options: {', '.join(sorted(connector.params))}" in err.message
    else:
        assert "takes no --option" in err.message


def test_every_declared_key_is_accepted() -> None:
    for connector in CONNECTORS.values():
        opts = connector.check({"params": dict.fromkeys(connector.params, "x")})
        assert dict(opts.params) == dict.fromkeys(connector.params, "x")


def test_a_typo_suggests_the_key_it_resembles() -> None:
    with pytest.raises(InputError, match="did you mean 'monthly_cost'"):
        CONNECTORS["github-copilot-seats"].check({"params": {"montly_cost": "19"}})


def test_a_mapping_is_refused_where_the_format_uses_none() -> None:
    with pytest.raises(InputError, match="takes no --mapping"):
        CONNECTORS["scim"].check({"mapping": "jira"})
    assert CONNECTORS["tickets"].check({"mapping": "jira"}).mapping == "jira"


def test_a_typo_leaves_the_prices_of_an_earlier_ingest(workspace: Workspace) -> None:
    def prices() -> list[tuple[object, ...]]:
        return workspace.con.execute("SELECT monthly_cost FROM licenses ORDER BY ALL").fetchall()

    good = {"params": {"report_date": "2021-10-31", "monthly_cost": "19"}}
    workspace.ingest("", [SEATS], fmt="github-copilot-seats", options=good, now=NOW)
    before = prices()
    assert before and {p for (p,) in before} == {19.0}
    batches = workspace.con.execute("SELECT count(*) FROM ingest_log").fetchone()
    typo = {"params": {"report_date": "2021-10-31", "montly_cost": "19"}}
    with pytest.raises(InputError, match="montly_cost"):
        workspace.ingest("", [SEATS], fmt="github-copilot-seats", options=typo, now=NOW)
    assert prices() == before
    assert workspace.con.execute("SELECT count(*) FROM ingest_log").fetchone() == batches
