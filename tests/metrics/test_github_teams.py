"""Team from the GitHub user-teams report, used only where the roster has none."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from uptake.metrics.segments import build_dim_person, github_teams, person_segments


def _team(wh: Any, key: str, day: str, slug: str, *others: str) -> None:
    teams = [
        {"slug": s, "team_id": str(i), "organization_id": "9"}
        for i, s in enumerate([slug, *others])
    ]
    wh.insert(
        "person_facts",
        person_key=key,
        source="github-copilot-usage",
        tool="github-copilot",
        report_date=date.fromisoformat(day),
        fact="github_team",
        value=float(len(teams)),
        attrs=json.dumps({**teams[0], "teams": teams}),
    )


def test_roster_team_wins_and_github_team_fills_the_gaps(wh: Any) -> None:
    wh.person("rostered", team="payments")
    wh.person("teamless", team=None)
    wh.person("blank", team=" ")
    wh.person("nothing", team=None)
    wh.license("seat-only", "2024-01-01")  # licensed, no roster row at all
    _team(wh, "rostered", "2026-03-10", "web")  # ignored: the roster names a team
    _team(wh, "teamless", "2026-03-09", "old-team")
    _team(wh, "teamless", "2026-03-10", "api", "web")  # latest day; its primary team
    _team(wh, "blank", "2026-03-10", "web")
    _team(wh, "seat-only", "2026-03-10", "infra")
    # Another source's fact of the same name does not count.
    wh.insert(
        "person_facts",
        person_key="nothing",
        source="elsewhere",
        tool="x",
        report_date=date(2026, 3, 10),
        fact="github_team",
        value=1.0,
        attrs=json.dumps({"slug": "nope"}),
    )
    build_dim_person(wh.engine)
    df = wh.engine.execute(person_segments(wh.engine, "team", date(2026, 3, 31)))
    assert dict(zip(df.person_key, df.segment, strict=True)) == {
        "rostered": "payments",
        "teamless": "api",
        "blank": "web",
        "nothing": "(none)",
        "seat-only": "infra",
    }


def test_same_day_facts_of_one_person_pick_the_first_slug(wh: Any) -> None:
    # Two rows for one key and day (e.g. two GitHub accounts merged into one person by a
    # later roster): the choice must not depend on row order.
    _team(wh, "p", "2026-03-10", "zeta")
    _team(wh, "p", "2026-03-10", "alpha")
    _team(wh, "q", "2026-03-10", "alpha")
    _team(wh, "q", "2026-03-10", "zeta")
    assert github_teams(wh.engine) == {"p": "alpha", "q": "alpha"}


def test_no_person_facts_table_means_no_fallback(wh: Any) -> None:
    wh.con.execute("DROP TABLE person_facts")
    assert github_teams(wh.engine) == {}
