"""The simulated organisation's shadow AI: proxy-log visits and pulse answers match the truth."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow.parquet as pq

from uptake.ingest.ai_domains import load_catalogue
from uptake.simulate import SimulationSummary
from uptake.simulate.catalog import COPILOT
from uptake.simulate.shadow import PROVIDED


def test_visits_are_catalogued_ai_domains_of_the_true_users(mixed: SimulationSummary) -> None:
    visits = pd.read_parquet(mixed.out / "ai_web_visits.parquet")
    truth = pd.read_parquet(mixed.out / "ground_truth_shadow.parquet")
    assert len(visits) == mixed.rows["ai_web_visits"] > 0
    catalogue = load_catalogue()
    for domain, tool in visits[["domain", "tool"]].drop_duplicates().itertuples(index=False):
        entry = catalogue.match(domain)
        assert entry is not None and entry.tool == tool, domain
    assert not visits["sanctioned"].any()
    shadow = visits[visits["tool"] != PROVIDED[1]]
    users = set(truth.loc[truth["shadow_ai"], "person"])
    assert set(shadow["person"]) <= users
    # Nearly every user visits in 60 days (one who left before the period may not).
    assert len(set(shadow["person"])) >= 0.8 * len(users)
    for person, tools in truth.loc[truth["shadow_ai"], ["person", "tools"]].itertuples(index=False):
        seen = set(shadow.loc[shadow["person"] == person, "tool"])
        assert seen <= set(tools.split("|")), person
    assert not visits.duplicated(["ts", "person", "domain"]).any()


def test_only_copilot_seat_holders_open_the_provided_copilot(mixed: SimulationSummary) -> None:
    visits = pd.read_parquet(mixed.out / "ai_web_visits.parquet")
    seats = pd.read_parquet(mixed.out / "licenses.parquet")
    copilot = visits[visits["domain"] == PROVIDED[0]]
    assert len(copilot)
    holders = set(seats.loc[seats["tool"] == "office_copilot", "person"])
    assert COPILOT == 0 and set(copilot["person"]) <= holders


def test_pulse_answers_follow_the_truth(mixed: SimulationSummary) -> None:
    truth = pd.read_parquet(mixed.out / "ground_truth_shadow.parquet")
    answers = pd.read_parquet(mixed.out / "responses.parquet")
    said = answers[answers["item"] == "shadow_ai"].merge(truth, on="person")
    rate = said.groupby("shadow_ai")["score"].mean()
    assert rate[True] > 0.6 and rate[False] < 0.1


def test_the_table_has_its_canonical_columns(mixed: SimulationSummary) -> None:
    schema = pq.read_schema(mixed.out / "ai_web_visits.parquet")
    assert schema.names == ["ts", "person", "domain", "tool", "sanctioned"]
    assert mixed.start >= date(2000, 1, 1)
