"""Abandonment early warning: the label on exact dates, no leakage, the rules, train and score."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from metrics.conftest import Warehouse
from uptake.errors import InputError
from uptake.signals import Flag
from uptake.signals.early_warning import (
    ModelCard,
    abandonment,
    evaluate,
    flags,
    load_history,
    person_weeks,
    precision_at_top,
    score,
    train,
)

D0 = date(2024, 1, 1)  # a Monday: weeks end on Sundays 2024-01-07, -14, …


def d(s: str) -> date:
    return date.fromisoformat(s)


def days(first: str, last: str) -> list[date]:
    """Every day from `first` to `last` inclusive."""
    a, b = d(first), d(last)
    return [a + timedelta(days=i) for i in range((b - a).days + 1)]


def abandoned_on(wh: Warehouse, as_of: str) -> dict[str, date | None]:
    h = load_history(wh.facts_ctx(as_of))
    return {k: (h.day(c) if c >= 0 else None) for k, c in zip(h.keys, abandonment(h), strict=True)}


# -- the label ---------------------------------------------------------------------------------


def test_label_on_hand_made_people(wh: Warehouse) -> None:
    for p in ("steady", "lapsed", "never", "late", "gap", "m365"):
        wh.person(p)
    wh.license("steady", "2024-01-01")
    wh.events("steady", days("2024-01-01", "2024-03-31"), "accept")
    # Last meaningful event on 20 Jan: 28 quiet days are 21 Jan … 17 Feb.
    wh.license("lapsed", "2024-01-01")
    wh.events("lapsed", [d("2024-01-05"), d("2024-01-20")], "accept")
    wh.events("lapsed", days("2024-01-21", "2024-03-01"), "prompt")  # activity is not meaningful
    # Never meaningful: the label holds once the seat is 28 days old (day 28 = 28 Jan).
    wh.license("never", "2024-01-01")
    wh.events("never", days("2024-01-01", "2024-01-10"), "prompt")
    # Licensed 1 Feb, one accept that day: quiet 2 … 29 Feb (a leap year).
    wh.license("late", "2024-02-01")
    wh.event("late", "2024-02-01", "accept")
    # A 48-day gap: the label first holds on 31 Jan and stays the first date after 20 Feb.
    wh.license("gap", "2024-01-01")
    wh.events("gap", [d("2024-01-03"), d("2024-02-20"), d("2024-02-21")], "task_complete")
    # A tool whose source never says "accept" (M365: active days only): an action counts.
    wh.license("m365", "2024-01-01", tool="m365")
    wh.events("m365", days("2024-01-01", "2024-01-10"), "prompt", tool="m365", quantity=1)
    got = abandoned_on(wh, "2024-03-31")
    assert got == {
        "steady": None,
        "lapsed": d("2024-02-17"),
        "never": d("2024-01-28"),
        "late": d("2024-02-29"),
        "gap": d("2024-01-31"),
        "m365": d("2024-02-07"),
    }
    # Not yet by 16 Feb: the label is only known once its 28 days have passed.
    assert abandoned_on(wh, "2024-02-16")["lapsed"] is None


def test_person_week_label_and_horizon(wh: Warehouse) -> None:
    wh.person("lapsed")
    wh.license("lapsed", "2024-01-01")
    wh.events("lapsed", days("2024-01-01", "2024-01-20"), "accept")
    frame = person_weeks(load_history(wh.facts_ctx("2024-03-31")), 0)
    by_week = frame.set_index("week_end")
    # Abandons on 17 Feb: weeks ending 21 Jan … 11 Feb are within 28 days before it; the
    # week ending 18 Feb is after it, so the person is no longer at risk there.
    assert list(by_week.index) == [d(f"2024-01-{x:02d}") for x in (7, 14, 21, 28)] + [
        d("2024-02-04"),
        d("2024-02-11"),
    ]
    assert list(by_week.label) == [False, False, True, True, True, True]
    assert by_week.known.all()


def test_censored_weeks_are_not_known(wh: Warehouse) -> None:
    wh.person("busy")
    wh.license("busy", "2024-01-01")
    wh.events("busy", days("2024-01-01", "2024-03-31"), "accept")
    frame = person_weeks(load_history(wh.facts_ctx("2024-03-31")), 0)
    last_known = max(frame.loc[frame.known, "week_end"])
    # The week ending 3 Mar is the last whose 28 following days end by 31 Mar.
    assert last_known == d("2024-03-03")
    assert not frame.label.any()


# -- no leakage --------------------------------------------------------------------------------


def _org(w: Warehouse, extra: bool) -> None:
    rng = np.random.default_rng(3)
    for i in range(12):
        p = w.person(f"p{i}")
        w.license(p, D0 + timedelta(days=int(rng.integers(0, 10))))
        for k in range(40):
            if rng.random() < 0.5 - i * 0.03:
                w.event(p, D0 + timedelta(days=k), "accept" if rng.random() < 0.5 else "prompt")
        w.task(p, "wf", D0 + timedelta(days=int(rng.integers(0, 40))))
        w.decision(p, D0 + timedelta(days=int(rng.integers(0, 40))), followed=bool(i % 2))
        if extra:
            # Heavy use and feedback after the week ending 11 Feb (day 41).
            for k in range(42, 80):
                w.event(p, D0 + timedelta(days=k), "accept", quantity=5)
            w.feedback(D0 + timedelta(days=50), person=p, text="so frustrated")
            w.task(p, "wf", D0 + timedelta(days=60))


def test_features_of_a_week_ignore_later_events(make_warehouse: Callable[[], Warehouse]) -> None:
    frames = []
    for extra in (False, True):
        w = make_warehouse()
        w.workflow("wf")
        _org(w, extra)
        h = load_history(w.facts_ctx("2024-03-31"), distress=lambda t: "frustrated" in t)
        frames.append(person_weeks(h, 0))
    before, after = (f[f.week_end <= d("2024-02-11")] for f in frames)
    label_cols = ["abandoned_on", "label", "known"]
    pd.testing.assert_frame_equal(
        before.drop(columns=label_cols).reset_index(drop=True),
        after.drop(columns=label_cols).reset_index(drop=True),
    )
    # The later events did change what happened next: only the label may see them.
    assert not before.label.equals(after.label)
    assert len(before) > 40


# -- the rules baseline ------------------------------------------------------------------------


def _rules(wh: Warehouse, as_of: str, **kw: object) -> pd.DataFrame:
    h = load_history(wh.facts_ctx(as_of), **kw)  # type: ignore[arg-type]
    return person_weeks(h, 0).set_index(["person_key", "week_end"])


def test_rule_no_meaningful_use_in_the_first_two_weeks(wh: Warehouse) -> None:
    for p in ("idle", "early"):
        wh.person(p)
        wh.license(p, "2024-01-01")
    wh.events("idle", days("2024-01-01", "2024-01-13"), "prompt")
    wh.event("idle", "2024-01-15", "accept")  # day 15: too late for the rule
    wh.event("early", "2024-01-14", "accept")  # day 14: just in time
    r = _rules(wh, "2024-02-29")
    col = "rule_no_meaningful_first_14d"
    # Known only when the two weeks have ended (14 Jan is day 14).
    assert r.loc[("idle", d("2024-01-07")), col] == 0
    assert r.loc[("idle", d("2024-01-14")), col] == 1
    assert r.loc[("early", d("2024-01-14")), col] == 0
    assert r.loc[("idle", d("2024-01-14")), "rules"] == pytest.approx(1 / 3)


def test_rule_week3_4_drop(wh: Warehouse) -> None:
    for p in ("drop", "hold"):
        wh.person(p)
        wh.license(p, "2024-01-01")
    # First use 3 Jan: days 1–14 are 3–16 Jan, days 15–28 are 17–30 Jan.
    wh.event("drop", "2024-01-03", "accept", quantity=10)
    wh.event("drop", "2024-01-20", "accept", quantity=4)  # 4 < 50 % of 10
    wh.event("hold", "2024-01-03", "accept", quantity=10)
    wh.event("hold", "2024-01-20", "accept", quantity=5)  # 5 is not below 50 %
    r = _rules(wh, "2024-02-29")
    col = "rule_week3_4_drop"
    assert r.loc[("drop", d("2024-01-28")), col] == 0  # day 26: the window is still open
    assert r.loc[("drop", d("2024-02-04")), col] == 1
    assert r.loc[("hold", d("2024-02-04")), col] == 0


def test_rule_distress_language_needs_a_detector(wh: Warehouse) -> None:
    wh.person("upset")
    wh.license("upset", "2024-01-01")
    wh.events("upset", days("2024-01-01", "2024-02-20"), "accept")
    wh.feedback("2024-01-10", person="upset", text="This keeps failing, I give up")
    col = "rule_distress_language"
    assert not _rules(wh, "2024-02-29")[col].any()
    r = _rules(wh, "2024-02-29", distress=lambda t: "give up" in t)
    assert r.loc[("upset", d("2024-01-07")), col] == 0
    assert r.loc[("upset", d("2024-01-14")), col] == 1


def test_precision_at_top_shares_ties() -> None:
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    # Top 10 % = 1 row; the three rows tied at 0.9 hold one positive: expected 1/3.
    assert precision_at_top(y, np.array([0.9, 0.9, 0.1, 0.9, 0, 0, 0, 0, 0, 0])) == 1 / 3
    assert precision_at_top(y, np.array([1.0, 0.9, 0.1, 0.9, 0, 0, 0, 0, 0, 0])) == 1.0


# -- train, card, score (hand-built, fast) -----------------------------------------------------


def _synthetic(w: Warehouse, people: int = 80) -> None:
    """People who stop on a random day, and people who keep going (seeded)."""
    rng = np.random.default_rng(7)
    for i in range(people):
        p = w.person(f"p{i:03d}")
        start = D0 + timedelta(days=int(rng.integers(0, 60)))
        w.license(p, start)
        stops = rng.random() < 0.5
        stop = int(rng.integers(10, 100)) if stops else 10_000
        rate = 0.7 if not stops else 0.5
        for k in range(150):
            # Quitters fade before they stop: fewer active days in their last weeks.
            fade = 0.4 if stops and stop - 21 <= k < stop else 1.0
            if k < stop and rng.random() < rate * fade:
                w.event(p, start + timedelta(days=k), "accept" if rng.random() < 0.6 else "prompt")


def test_train_score_and_card_round_trip(wh: Warehouse, tmp_path: Path) -> None:
    _synthetic(wh)
    ctx = wh.facts_ctx("2024-06-30")
    card = train(ctx, tmp_path / "m", cutoff=d("2024-05-05"), seed=1)
    stored = json.loads((tmp_path / "m" / "model_card.json").read_text())
    assert ModelCard.load(tmp_path / "m") == card
    assert stored["seed"] == 1 and stored["cutoff"] == "2024-05-05"
    assert card.features[0] == "need_days"
    assert card.train_positives > 0 and card.eval_positives > 0
    # Same seed, same model: training again gives the same scores.
    again = train(ctx, tmp_path / "m2", cutoff=d("2024-05-05"), seed=1)
    assert again.scores == card.scores
    s = score(ctx, tmp_path / "m")
    assert list(s.columns[:3]) == ["person_key", "risk", "flagged"]
    assert s.risk.between(0, 1).all() and s.risk.is_monotonic_decreasing
    fl = flags(ctx, tmp_path / "m")
    assert all(isinstance(f, Flag) and f.signal == "abandonment_risk" for f in fl)
    assert [f.person_key for f in fl] == list(s.person_key[s.flagged])


def test_too_short_a_history_says_how_much_would_train(wh: Warehouse, tmp_path: Path) -> None:
    _synthetic(wh)
    ctx = wh.facts_ctx("2024-06-30")
    # Weeks train only once labelled by the cutoff: one this early leaves one week or none.
    with pytest.raises(InputError, match=r"too little history to train: [01] week\(s\)") as err:
        train(ctx, tmp_path / "m", cutoff=d("2024-02-05"), seed=1)
    assert "ingest a longer history (16 weeks or more)" in str(err.value)
    assert not (tmp_path / "m").exists()


# -- a simulated organisation, end to end ------------------------------------------------------


def test_simulated_org_model_beats_rules(tmp_path: Path) -> None:
    from uptake.evaluate.views import build
    from uptake.metrics.context import MetricContext
    from uptake.simulate import simulate

    t0 = time.perf_counter()
    start = date(2026, 3, 2)
    simulate(300, 140, 5, start=start, out=tmp_path / "sim")
    ws = build(tmp_path / "ws", tmp_path / "sim", "canonical")
    try:
        ctx = MetricContext(ws.engine(), start + timedelta(days=139), ws.settings.metrics, 5)
        card = train(ctx, tmp_path / "model", seed=3)
        again = evaluate(ctx, tmp_path / "model", since=d(card.cutoff))
    finally:
        ws.close()
    model, rules, quiet = (card.scores[k] for k in ("model", "rules", "quiet"))
    print(f"\nsimulated 300×140 seed 5: model {model}\n  rules {rules}\n  quiet {quiet}")
    print(f"  {time.perf_counter() - t0:.1f} s")
    assert ModelCard.load(tmp_path / "model") == card
    assert again == card.scores
    assert card.eval_positives >= 10
    assert model["roc_auc"] is not None and rules["roc_auc"] is not None
    assert model["roc_auc"] >= 0.85
    assert model["roc_auc"] > rules["roc_auc"]
    assert model["average_precision"] > rules["average_precision"]  # type: ignore[operator]
    # Days already quiet rank most of the label; the model must at least not fall below it.
    assert model["roc_auc"] >= quiet["roc_auc"] - 0.02  # type: ignore[operator]
