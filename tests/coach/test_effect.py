"""The coaching effect: differences, intervals, DiD and 'too early to tell', k, truth recovery."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metrics.conftest import Warehouse
from uptake.coach.arms import HOLDOUT, TREATMENT
from uptake.coach.effect import OUTCOMES, TOO_EARLY, estimate, person_outcomes
from uptake.coach.effect import stats as st
from uptake.config.coach import CoachSettings
from uptake.metrics.context import MetricContext

START = date(2024, 1, 1)  # a Monday
ASSIGNED = datetime(2024, 2, 12, 9)  # a Monday, six weeks in
AS_OF = date(2024, 3, 31)  # a Sunday: the last week is complete
SECRET = "3f9a1c7e5b2d4086a1c3e5f7092b4d6e8fa1c3e5b7d90214365879abcdef0123"


def _build(wh: Warehouse, teams: dict[str, tuple[int, int, int, int]]) -> pd.DataFrame:
    """People per team: (treatment, treatment movers, holdout, holdout movers).

    Everyone uses the tool one day a week (L2 on the activity proxy); a mover uses it every
    weekday from assignment on (L3 by as_of). Returns the arms.
    """
    arms = []
    events: list[tuple[str, datetime]] = []
    i = 0
    for team, (nt, mt, nh, mh) in teams.items():
        for arm, n, movers in ((TREATMENT, nt, mt), (HOLDOUT, nh, mh)):
            for j in range(n):
                key = wh.person(f"p{i:03d}", team=team, role=f"r{i % 2}")
                wh.license(key, START)
                days = [START + timedelta(days=7 * w) for w in range(13)]
                if j < movers:
                    first = ASSIGNED.date()
                    days += [first + timedelta(days=d) for d in range(49) if d % 7 < 5]
                events += [(key, datetime(d.year, d.month, d.day, 10)) for d in sorted(set(days))]
                arms.append({"person_key": key, "arm": arm, "assigned_at": ASSIGNED})
                i += 1
    frame = pd.DataFrame(events, columns=["person_key", "ts"])
    frame["event_id"] = [f"e{j}" for j in range(len(frame))]
    wh.con.register("_events", frame)
    wh.con.execute(
        "INSERT INTO events (event_id, ts, person_key, tool, action, batch_id) "
        "SELECT event_id, ts, person_key, 'copilot', 'prompt', 1 FROM _events"
    )
    wh.con.unregister("_events")
    return pd.DataFrame(arms)


def _ctx(wh: Warehouse, k: int = 5, by: str | None = None) -> MetricContext:
    return wh.facts_ctx(AS_OF, k=k, by=by)


Built = tuple[Warehouse, pd.DataFrame]


def _made(teams: dict[str, tuple[int, int, int, int]]) -> Iterator[Built]:
    w = Warehouse()
    arms = _build(w, teams)
    _ctx(w)  # refresh the facts once
    yield w, arms
    w.con.close()


@pytest.fixture(scope="module")
def clear() -> Iterator[Built]:
    """Seven of eight treated people move up a level, one of eight in the holdout."""
    yield from _made({"t1": (8, 7, 8, 1)})


@pytest.fixture(scope="module")
def teams() -> Iterator[Built]:
    """Three teams, one with two people per arm."""
    yield from _made({"t1": (6, 5, 6, 1), "t2": (2, 2, 2, 0), "t3": (7, 5, 6, 1)})


@pytest.fixture(scope="module")
def tiny() -> Iterator[Built]:
    """Five people per arm, two and one movers."""
    yield from _made({"t1": (5, 2, 5, 1)})


def test_treatment_that_moves_up_shows_a_positive_effect(clear: Built) -> None:
    wh, arms = clear
    doc = estimate(wh.ctx(AS_OF, k=5), arms, CoachSettings())
    assert doc["status"] == "ok" and doc["arms"] == {TREATMENT: 8, HOLDOUT: 8}
    up = doc["outcomes"]["moved_up"]
    assert up["treatment"]["value"] == pytest.approx(7 / 8)
    assert up["holdout"]["value"] == pytest.approx(1 / 8)
    assert up["difference"]["value"] == pytest.approx(0.75)
    assert up["difference"]["ci_low"] > 0
    # Daily use past L3 is L4 on the proxy (no decisions or feedback to judge): 2 levels.
    gained = doc["outcomes"]["levels_gained"]["difference"]
    assert gained["value"] == pytest.approx(1.5) and gained["ci_low"] > 0
    prof = doc["outcomes"]["proficient"]
    assert prof["difference"]["value"] == pytest.approx(0.75) and prof["difference"]["ci_low"] > 0
    # Before assignment both arms were flat at L2: the DiD is the same difference.
    assert up["did"]["pre"] == {TREATMENT: 0.0, HOLDOUT: 0.0}
    assert up["did"]["value"] == pytest.approx(0.75) and up["did"]["ci_low"] > 0
    # Nobody went quiet: no difference in abandonment, an interval around zero.
    ab = doc["outcomes"]["abandoned"]
    assert ab["difference"]["value"] == 0
    assert ab["difference"]["ci_low"] < 0 < ab["difference"]["ci_high"]
    # Events only: the ladder is the activity proxy, and says so.
    assert doc["basis"] == "proxy: activity" and "proxy" in doc["basis_note"]


def test_output_holds_no_person_key(teams: Built) -> None:
    wh, arms = teams
    doc = estimate(wh.ctx(AS_OF, k=5, by="team"), arms, CoachSettings())
    text = json.dumps(doc, default=str)
    assert not any(k in text for k in arms["person_key"])


def test_tiny_org_is_too_early_to_tell_with_the_people_needed(tiny: Built) -> None:
    wh, arms = tiny
    doc = estimate(wh.ctx(AS_OF, k=5), arms, CoachSettings())
    up = doc["outcomes"]["moved_up"]
    assert doc["verdict"] == up["verdict"] == TOO_EARLY
    need = doc["needed"]
    assert need == up["needed_per_arm"] and need[HOLDOUT] > 5 and need[TREATMENT] > 5
    assert up["power_now"] < 0.8


def test_below_k_in_an_arm_shows_nothing(tiny: Built) -> None:
    wh, arms = tiny
    doc = estimate(wh.ctx(AS_OF, k=6), arms, CoachSettings())
    assert doc["status"] == "not_available" and doc["outcomes"] == {} and doc["arms"] is None
    assert doc["verdict"] == "not available: needs ≥ 6 people in each arm"


def test_segments_below_k_are_hidden_with_a_complement(teams: Built) -> None:
    wh, arms = teams
    doc = estimate(wh.ctx(AS_OF, k=5, by="team"), arms, CoachSettings())
    assert doc["status"] == "ok" and doc["by"] == "team"
    seg = {s["segment"]: s for s in doc["segments"]}
    assert seg["t2"]["status"] == "not_available" and "outcomes" not in seg["t2"]
    hidden = [s for s in doc["segments"] if s["status"] != "ok"]
    # t2 alone hidden could be worked out as the overall minus t1 and t3.
    assert len(hidden) == 2
    shown = next(s for s in doc["segments"] if s["status"] == "ok")
    assert min(shown["arms"].values()) >= 5


def test_outcomes_per_person_follow_the_levels(clear: Built) -> None:
    wh, arms = clear
    frame = person_outcomes(wh.ctx(AS_OF, k=5), arms)
    assert frame["lvl_base"].eq(2).all() and frame["lvl_pre"].eq(2).all()
    assert frame["gained"].tolist() == (frame["lvl_end"] - frame["lvl_base"]).tolist()
    assert frame.attrs["basis"] == "activity_proxy"
    # Movers reach L3 once their last four weeks hold 16 active days: the week ending
    # 2024-03-03, 20 days after assignment.
    movers = frame[frame["up"] == 1]
    assert len(movers) == 8 and movers["prof_days"].eq(20).all()
    assert frame.loc[frame["up"] == 0, "prof_reached"].eq(0).all()


def test_newcombe_matches_a_hand_worked_value() -> None:
    # Newcombe (1998), example (a): 56/70 against 48/80 → 0.2 (0.0524 to 0.3339).
    d = st.newcombe(56, 70, 48, 80, 0.95)
    assert d.value == pytest.approx(0.2)
    assert d.low == pytest.approx(0.0524, abs=5e-4) and d.high == pytest.approx(0.3339, abs=5e-4)


def test_power_grows_with_people() -> None:
    small, need = st.share_power(0.3, 50, 0.2, 50, 0.1, 0.95, 0.8)
    big, _ = st.share_power(0.3, need[TREATMENT], 0.2, need[HOLDOUT], 0.1, 0.95, 0.8)
    assert small < 0.8 <= big + 1e-9 and need[TREATMENT] == need[HOLDOUT] > 50


# -- the simulator, with a known injected effect ------------------------------------------


def _simulated(
    root: Path, seed: int, effect: float, people: int, days: int, holdout: float,
    tables: tuple[str, ...] | None = None,
) -> Path:  # fmt: skip
    """Simulate the coached organisation with `effect` × the coaching effect; ingest it."""
    from uptake.evaluate.views import ingest_plan
    from uptake.simulate import scenarios, simulate
    from uptake.workspace import Workspace

    base = scenarios.SCENARIOS["coached"]
    mp = pytest.MonkeyPatch()
    mp.setitem(scenarios.SCENARIOS, "coached",
               replace(base, coaching_effect=effect, holdout_share=holdout))  # fmt: skip
    try:
        simulate(people=people, days=days, seed=seed, start=date(2026, 6, 1),
                 out=root / "sim", scenario="coached")  # fmt: skip
    finally:
        mp.undo()
    with Workspace.init(root / "ws") as ws:
        for table, paths, fmt, options in ingest_plan(root / "sim", "canonical"):
            if tables is None or table in tables:
                ws.ingest(table, paths, fmt=fmt, options=options, refresh=False)
        ws.refresh()
    return root / "ws"


def _arms(folder: Path) -> pd.DataFrame:
    """Each simulated person's arm, assigned on the day the simulator randomised them.

    The simulator starts a treated person's coaching (and cards) 0–6 days after the day from
    which it logs the holdout's would-have-been cards, so the first logged card is a few days
    later for the treated: reading arms from the cards would give the treated shorter
    windows and later baselines. Here both arms are assigned on that common day, from ground
    truth (the coach's own assignment has one time for both arms).
    """
    from uptake.simulate.scenarios import SCENARIOS
    from uptake.workspace import Workspace

    truth = pd.read_parquet(folder.parent / "sim" / "ground_truth.parquet")
    manifest = json.loads((folder.parent / "sim" / "manifest.json").read_text())
    start, days = date.fromisoformat(str(manifest["start"])), int(manifest["days"])
    c0 = start + timedelta(days=min(SCENARIOS["coached"].coaching_start, days // 3))
    truth = truth[truth["arm"].isin([TREATMENT, HOLDOUT]) & truth["first_license_on"].notna()]
    week_on = pd.to_datetime(truth["first_license_on"]) + pd.Timedelta(days=7)
    with Workspace.open(folder) as ws:
        keys = [ws.pseudonymise(p) for p in truth["person"]]
    return pd.DataFrame({
        "person_key": keys,
        "arm": truth["arm"].to_numpy(),
        "assigned_at": week_on.where(week_on > pd.Timestamp(c0), pd.Timestamp(c0)).to_numpy(),
    })  # fmt: skip


def _estimate(
    folder: Path, arms: pd.DataFrame, as_of: date | None = None
) -> tuple[dict, pd.DataFrame]:
    from uptake.metrics.runner import default_as_of
    from uptake.workspace import Workspace

    with Workspace.open(folder) as ws:
        eng = ws.engine()
        ctx = MetricContext(eng, as_of or default_as_of(eng)[0], ws.settings.metrics, 5)
        frame = person_outcomes(ctx, arms)
        return estimate(ctx, arms, ws.settings.coach), frame


@pytest.mark.slow
def test_estimate_recovers_the_injected_effect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The true effect of coaching on the treated: the same people's outcomes with coaching
    # (as simulated) minus without (the same organisation, same draws, coaching effect 0),
    # each read from its canonical data with the same arms and assignment dates. A 95 %
    # interval misses the truth in one organisation of twenty, so one organisation proves
    # little either way (seed 5 alone once missed `proficient` by 0.002 after a correct change
    # to the ladder's history): over ten, each interval must hold the truth in at least eight,
    # and the estimates must not lean to one side of it.
    monkeypatch.setenv("UPTAKE_SECRET", SECRET)
    seeds = range(5, 15)
    covered = {(o.name, kind): 0 for o in OUTCOMES for kind in ("difference", "did")}
    errors: dict[str, list[float]] = {o.name: [] for o in OUTCOMES}
    spread: dict[str, list[float]] = {o.name: [] for o in OUTCOMES}
    for seed in seeds:
        coached = _simulated(tmp_path / f"on{seed}", seed, 1.0, 600, 84, 0.2)
        plain = _simulated(tmp_path / f"off{seed}", seed, 0.0, 600, 84, 0.2)
        arms = _arms(coached)
        doc, y1 = _estimate(coached, arms)
        _, y0 = _estimate(plain, arms, date.fromisoformat(doc["as_of"]))
        treated = y1["arm"] == TREATMENT
        for o in OUTCOMES:
            both = treated & y1[o.post].notna() & y0[o.post].notna()
            truth = float((y1.loc[both, o.post] - y0.loc[both, o.post]).mean())
            assert (truth < 0) if o.name == "abandoned" else (truth > 0), (seed, o.name, truth)
            out = doc["outcomes"][o.name]
            for kind in ("difference", "did"):
                est = out[kind]
                covered[(o.name, kind)] += est["ci_low"] <= truth <= est["ci_high"]
            d = out["difference"]
            errors[o.name].append(d["value"] - truth)
            # The interval's half-width is about two standard errors.
            spread[o.name].append((d["ci_high"] - d["ci_low"]) / 4)
            print(seed, o.name, "truth", round(truth, 4), "difference", d["value"],
                  d["ci_low"], d["ci_high"], "did", out["did"]["value"])  # fmt: skip
    print("covered", covered)
    assert all(n >= 8 for n in covered.values()), covered
    for name, errs in errors.items():
        # The mean error over ten organisations, against its own standard error.
        se = float(np.mean(spread[name])) / np.sqrt(len(errs))
        assert abs(float(np.mean(errs))) <= 3 * se, (name, errs, se)


@pytest.mark.slow
def test_no_effect_covers_zero_in_nine_of_ten_seeds(tmp_path: Path) -> None:
    needed = ("people", "workflows", "licenses", "events", "tasks", "interventions")
    covered = {o.name: 0 for o in OUTCOMES}
    covered_did = dict(covered)
    seeds = range(50)
    for seed in seeds:
        folder = _simulated(tmp_path / str(seed), 100 + seed, 0.0, 200, 60, 0.25, needed)
        doc, _ = _estimate(folder, _arms(folder))
        for o in OUTCOMES:
            out = doc["outcomes"][o.name]
            if out["status"] != "ok":
                covered[o.name] += 1  # nothing claimed
                covered_did[o.name] += 1
                continue
            d, did = out["difference"], out["did"]
            covered[o.name] += d["ci_low"] <= 0 <= d["ci_high"]
            covered_did[o.name] += did.get("status") != "ok" or did["ci_low"] <= 0 <= did["ci_high"]
    print("coverage", covered, covered_did)
    assert all(v >= 0.9 * len(seeds) for v in covered.values()), covered
    assert all(v >= 0.9 * len(seeds) for v in covered_did.values()), covered_did


def test_with_noise_no_outcome_counts_more_people_than_its_arm(clear: Built) -> None:
    from uptake.metrics.noise import Noise

    wh, arms = clear
    ctx = wh.ctx(AS_OF, k=5)
    seen = set()
    for day in range(12):
        ctx.noise = Noise(enabled=True, key=b"k" * 32, as_of=AS_OF - timedelta(days=day))
        doc = estimate(ctx, arms, CoachSettings())
        for o in doc["outcomes"].values():
            for arm in (TREATMENT, HOLDOUT):
                assert o[arm]["n"] <= doc["arms"][arm], (day, o["label"], arm)
                if o["did"].get("status") == "ok":
                    assert o["did"]["n_pre"][arm] <= doc["arms"][arm]
            seen.add((o[TREATMENT]["n"], o[HOLDOUT]["n"]))
    # The counts are noisy (else the test shows nothing).
    assert len(seen) > 3
