"""simulate(): determinism, files written, summary and argument checks."""

from __future__ import annotations

import csv
import itertools
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from sim_helpers import DAYS, PEOPLE, connect, run
from uptake.errors import InputError
from uptake.schema.tables import TABLES
from uptake.simulate import SimulationSummary, friction
from uptake.simulate.personas import PERSONAS


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_same_seed_gives_byte_identical_files(tmp_path: Path, fmt: str) -> None:
    a = run(tmp_path / "a", fmt=fmt, dirty=True)
    b = run(tmp_path / "b", fmt=fmt, dirty=True)
    fa, fb = _files(a.out), _files(b.out)
    assert sorted(fa) == sorted(fb)
    assert len(fa) >= 17
    for name in fa:
        assert fa[name] == fb[name], name


def test_planted_friction_draws_from_its_own_stream(
    tmp_path: Path, mixed: SimulationSummary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the plants every other table is the same: they change only what they plant."""
    monkeypatch.setattr(friction, "planted", lambda name: np.zeros(len(PERSONAS)))
    bare = run(tmp_path / "bare")
    fa, fb = _files(mixed.out), _files(bare.out)
    same = ("people", "licenses", "responses", "feedback", "help_edges", "interventions")
    for name in (*same, "ground_truth_feedback"):
        assert fa[f"{name}.parquet"] == fb[f"{name}.parquet"], name
    for name in ("events", "tasks"):
        assert fa[f"{name}.parquet"] != fb[f"{name}.parquet"], name
    ep = pq.read_table(bare.out / "ground_truth_episodes.parquet").to_pandas()
    planted = ep[ep["kind"].isin(["rejection_streak", "override_spike", "surface_use"])]
    assert not planted["planted"].any() and planted["rule_hit"].all()


def test_another_seed_gives_different_files(tmp_path: Path, mixed: SimulationSummary) -> None:
    other = run(tmp_path / "other", seed=12)
    for name in ("people.parquet", "events.parquet", "tasks.parquet", "ground_truth.parquet"):
        assert (other.out / name).read_bytes() != (mixed.out / name).read_bytes(), name
    assert other.rows["events"] != mixed.rows["events"]


def test_every_canonical_table_is_written_with_its_input_columns(
    mixed: SimulationSummary,
) -> None:
    for table in TABLES:
        if table in ("aggregate_facts", "person_facts"):
            continue
        path = mixed.out / f"{table}.parquet"
        schema = pq.read_schema(path)
        assert schema.names == TABLES[table].names, table
        assert pq.ParquetFile(path).metadata.num_rows == mixed.rows[table], table
    assert mixed.rows["people"] == PEOPLE
    assert mixed.rows["events"] > 20_000
    assert all(n > 0 for n in mixed.rows.values())


def test_csv_files_use_iso_timestamps_json_lists_and_booleans(tmp_path: Path) -> None:
    s = run(tmp_path / "csv", fmt="csv")
    con = connect(s)
    with (s.out / "events.csv").open(newline="") as fh:
        events = list(itertools.islice(csv.DictReader(fh), 500))
    assert all(e["ts"].endswith("Z") and e["ts"][10] == "T" for e in events)
    assert datetime.fromisoformat(events[0]["ts"]).tzinfo is not None
    with (s.out / "people.csv").open(newline="") as fh:
        people = list(csv.DictReader(fh))
    assert all(p["person"] in json.loads(p["aliases"]) for p in people)
    assert all(date.fromisoformat(p["hire_date"]) for p in people)
    with (s.out / "tasks.csv").open(newline="") as fh:
        tasks = list(csv.DictReader(fh))
    assert {t["ai_assisted"] for t in tasks} == {"true", "false"}
    assert con.execute("SELECT count(*) FROM events").fetchone() == (s.rows["events"],)


def test_manifest_and_config_files(mixed: SimulationSummary) -> None:
    manifest = json.loads((mixed.out / "manifest.json").read_text())
    assert manifest["tables"] == mixed.files
    assert manifest["ingest_order"][:3] == ["workflows", "people", "licenses"]
    assert set(manifest["ground_truth"]) == {
        "ground_truth.parquet",
        "ground_truth_episodes.parquet",
        "ground_truth_savings.parquet",
        "ground_truth_feedback.parquet",
        "ground_truth_shadow.parquet",
    }
    use_cases = json.loads((mixed.out / "use_cases.json").read_text())["roles"]
    assert "account executive" in use_cases
    assert all(3 <= len(v) <= 6 for v in use_cases.values())
    instruments = json.loads((mixed.out / "instruments.json").read_text())
    assert {"confidence", "nps", "trust"} <= set(instruments["pulse"])


def test_summary_headline_and_lines(mixed: SimulationSummary) -> None:
    h = mixed.headline
    assert set(h) == {"licenses_unused", "high_stakes_ai_share", "login_active", "true_l3_share"}
    assert all(0 <= v <= 1 for v in h.values())
    # Vanity exceeds value: more licensed people log in than use AI on high-stakes work.
    assert h["login_active"] > h["high_stakes_ai_share"]
    assert abs(sum(mixed.persona_shares.values()) - 1) < 1e-3
    text = "\n".join(mixed.lines())
    assert "licences unused" in text and f"{PEOPLE:,} people" in text
    assert json.loads(json.dumps(mixed.to_dict()))["rows"] == mixed.rows


def test_default_start_ends_the_period_today(tmp_path: Path) -> None:
    s = run(tmp_path / "today", start=None, days=DAYS)
    today = datetime.now(UTC).date()
    assert s.end in (today, today + timedelta(days=1))
    con = connect(s)
    latest = con.execute("SELECT max(ts)::VARCHAR FROM events").fetchone()
    assert latest is not None and latest[0][:10] <= today.isoformat()


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"people": 10}, "--people"),
        ({"days": 7}, "--days"),
        ({"scenario": "booming"}, "--scenario"),
        ({"fmt": "xlsx"}, "--format"),
    ],
)
def test_bad_arguments_raise_input_error(
    tmp_path: Path, kw: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        run(tmp_path / "bad", **kw)
