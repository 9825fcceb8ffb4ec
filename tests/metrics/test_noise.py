"""Seeded, calibrated noise on people counts: same question same answer, OpenDP's scale."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from typer.testing import CliRunner

from metrics.results import entries
from uptake.cli import app
from uptake.config import load_settings
from uptake.errors import PrivacyError
from uptake.metrics.families import licenses
from uptake.metrics.noise import Noise, calibrated_scale, error_bar, noise_key, sample
from uptake.metrics.runner import make_noise
from uptake.workspace import Workspace

KEY = noise_key("noise-test-secret-5e1b9a7c3f2d8046ab1c")
DAY = date(2024, 3, 31)
DRAWS = 20_000


def _noise(**kw: Any) -> Noise:
    args: dict[str, Any] = {"enabled": True, "key": KEY, "as_of": DAY, **kw}
    return Noise(**args)


def _errors(noise: Noise, count: int = DRAWS) -> list[int]:
    # Far from zero so the clamp at 0 never bites: the draw is the pure noise.
    return [noise.count(1000, "m", "n", f"group {i}") - 1000 for i in range(count)]  # type: ignore[operator]


def test_same_question_same_answer_and_new_as_of_new_draw() -> None:
    a, b = _noise(), _noise()
    assert a.count(40, "usage_rate", "n", "team-a") == b.count(40, "usage_rate", "n", "team-a")
    # numpy and Python forms of one question are one question.
    assert a.draw("m", pd.Series([3]).iloc[0]) == a.draw("m", 3)
    later = _noise(as_of=date(2024, 4, 1))
    other_key = _noise(key=noise_key("another-secret-0c9e4b2a7d1f3e5a6b8c"))
    base = _errors(a, 500)
    assert base != _errors(later, 500)
    assert base != _errors(other_key, 500)
    # Independent draws: the two releases' noises are uncorrelated.
    r, _ = stats.pearsonr(_errors(a, 2000), _errors(later, 2000))
    assert abs(r) < 0.1


def test_calibration_follows_opendp() -> None:
    # The discrete Laplace mechanism at sensitivity 1 is ε-DP at scale 1/ε.
    for eps in (0.1, 0.5, 1.0, 2.0):
        assert calibrated_scale(eps) == pytest.approx(1 / eps, rel=1e-6)
    assert _noise().scale == 1.0
    assert _noise().error_bar == 3  # P(|X| ≤ 3) = 0.973 ≥ 0.95 at scale 1; ≤ 2 is 0.927
    assert error_bar(2.0, 0.95) == 6


def test_inverse_cdf_matches_the_discrete_laplace_quantiles() -> None:
    for scale in (0.4, 1.0, 3.0):
        for x in range(-6, 7):
            cdf = stats.dlaplace.cdf(x, 1 / scale)
            if cdf > 1e-9:
                assert sample(cdf - 1e-9, scale) == x
            if cdf < 1 - 1e-9:
                assert sample(cdf + 1e-9, scale) == x + 1
    with pytest.raises(ValueError):
        sample(1.0, 1.0)


@pytest.mark.parametrize("eps", [1.0, 0.5])
def test_draws_follow_the_calibrated_distribution(eps: float) -> None:
    noise = _noise(epsilon=eps)
    errors = pd.Series(_errors(noise))
    a = 1 / noise.scale
    edges = list(range(-8, 9))
    observed = [int((errors < edges[0]).sum())]
    observed += [int((errors == x).sum()) for x in edges]
    observed += [int((errors > edges[-1]).sum())]
    probs = [stats.dlaplace.cdf(edges[0] - 1, a)]
    probs += [stats.dlaplace.pmf(x, a) for x in edges]
    probs += [stats.dlaplace.sf(edges[-1], a)]
    expected = [p * len(errors) for p in probs]
    # Fixed key and questions: the statistic is deterministic, the bound is not luck.
    assert stats.chisquare(observed, expected).pvalue > 0.001
    r = math.exp(-a)
    assert errors.var() == pytest.approx(2 * r / (1 - r) ** 2, rel=0.05)
    assert abs(errors.mean()) < 0.05 * noise.scale + 0.05


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_error_bar_covers_the_confidence(confidence: float) -> None:
    noise = _noise(confidence=confidence)
    errors = pd.Series(_errors(noise))
    covered = float((errors.abs() <= noise.error_bar).mean())
    assert covered >= confidence - 0.005
    # ... and the bar is tight: one less would miss the level.
    assert float((errors.abs() <= noise.error_bar - 1).mean()) < confidence + 0.005


def test_off_is_exact_and_none_stays_none() -> None:
    off = Noise.off()
    assert off.count(7, "m") == 7 and off.count(None, "m") is None
    frame = pd.DataFrame({"g": ["a"], "n": [7]})
    assert off.perturb(frame, ["n"], ["g"], "m") is frame
    assert _noise().count(None, "m") is None
    assert all(_noise().count(0, "m", i) >= 0 for i in range(200))  # type: ignore[operator]


def test_perturb_clips_to_n_and_keeps_missing() -> None:
    frame = pd.DataFrame(
        {"g": ["a", "b", "c"], "n": pd.array([5, None, 9], dtype="Int64"), "active": [5, 0, 9]}
    )
    frame.attrs["mark"] = 1
    out = _noise().perturb(frame, ["n", "active"], ["g"], "usage_rate")
    assert out.attrs == {"mark": 1}
    assert pd.isna(out.loc[1, "n"]) and out.loc[1, "active"] == _noise().count(
        0, "usage_rate", "active", "b"
    )
    assert (out["active"].iloc[[0, 2]] <= out["n"].iloc[[0, 2]]).all()
    assert out.loc[0, "n"] == _noise().count(5, "usage_rate", "n", "a")
    assert frame["n"].tolist()[0] == 5  # the input is untouched


def test_perturb_asks_each_cell_the_question_count_asks() -> None:
    """Each cell's noise is `count`'s for (question, column, row key), keys of every kind."""
    import numpy as np

    frame = pd.DataFrame(
        {
            "segment": ["a", "b", 'é "quoted"', None],
            "week": [date(2024, 3, 4), date(2024, 3, 11), date(2024, 3, 18), date(2024, 3, 25)],
            "level": np.array([1, 2, 3, 4], dtype=np.int64),
            "n": [12, 40, 7, 300],
            "seats": pd.array([3, None, 0, 1000], dtype="Int64"),
        }
    )
    noise = _noise()
    out = noise.perturb(
        frame, ["n", "seats"], ["segment", "week", "level"], "usage", 2.5, clip_to=None
    )
    for i, row in frame.iterrows():
        key = (row["segment"], row["week"], row["level"])
        assert out.loc[i, "n"] == noise.count(row["n"], "usage", 2.5, "n", *key)
        seats = None if pd.isna(row["seats"]) else int(row["seats"])
        got = out.loc[i, "seats"]
        assert (None if pd.isna(got) else got) == noise.count(seats, "usage", 2.5, "seats", *key)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-(10**12), 10**12),
            st.floats(allow_nan=False, allow_infinity=False),
            st.text(max_size=8),
            st.dates(),
        ),
        max_size=6,
    )
)
def test_fragments_write_the_canonical_text(question: list[Any]) -> None:
    from uptake.metrics.noise import _canonical, _fragments

    assert "[" + ",".join(_fragments(question)) + "]" == _canonical(question)


def test_validation_and_key_never_shown() -> None:
    with pytest.raises(PrivacyError, match="epsilon"):
        _noise(epsilon=0)
    with pytest.raises(PrivacyError, match="epsilon"):
        _noise(epsilon=11)
    with pytest.raises(PrivacyError, match="confidence"):
        _noise(confidence=0.4)
    with pytest.raises(PrivacyError, match="no key"):
        Noise(enabled=True)
    assert KEY.hex() not in repr(_noise()) and str(KEY) not in repr(_noise())
    assert noise_key("s" * 40) != noise_key("t" * 40)
    assert noise_key("s" * 40) == noise_key(b"s" * 40)


def test_describe_states_the_parameters() -> None:
    on = _noise().describe()
    assert (on["noise"], on["epsilon"], on["confidence"], on["error_bar"]) == (True, 1.0, 0.95, 3)
    assert on["statement"] == (
        "people counts carry random noise (ε = 1.0 per as-of date; ±3 at 95 %) "
        "so that comparing dates cannot reveal one person"
    )
    off = Noise.off().describe()
    assert off["noise"] is False and off["error_bar"] is None
    assert "protection across as-of dates is off (privacy.noise = false)" in off["statement"]


def test_runner_refuses_noise_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPTAKE__PRIVACY__NOISE", "true")
    settings = load_settings(None)
    with pytest.raises(PrivacyError, match="no noise key"):
        make_noise(settings, None, DAY)
    assert make_noise(settings, KEY, DAY).enabled
    monkeypatch.setenv("UPTAKE__PRIVACY__NOISE", "false")
    assert not make_noise(load_settings(None), None, DAY).enabled


def _seats(wh: Any) -> None:
    for i in range(12):
        p = f"p{i}"
        wh.person(p, hire_date="2020-01-01")
        wh.license(p, "2024-01-01", monthly_cost=30.0)
        if i % 3:
            wh.event(p, "2024-03-20T10:00")


def test_licenses_counts_are_noisy_consistent_and_stated(wh: Any) -> None:
    _seats(wh)
    exact = entries(licenses.compute(wh.facts_ctx(DAY)))["licenses"]
    ctx = wh.facts_ctx(DAY)
    ctx.noise = _noise()
    (res,) = licenses.compute(ctx)
    assert res.noisy
    again = wh.facts_ctx(DAY)
    again.noise = _noise()
    assert licenses.compute(again)[0].values == res.values  # same question, same answer
    v = res.values
    assert v["seats"] == v["used"] + v["unused"] + v["unknown"]
    assert v["utilisation"] == pytest.approx(v["used"] / (v["used"] + v["unused"]))
    moved = [abs(v[c] - exact[c]) for c in ("used", "unused", "reclaim_seats")]
    assert abs(res.n - exact["n"]) <= 10 and max(moved) <= 10  # type: ignore[operator]


def _workspace(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UPTAKE_SECRET", "noise-e2e-secret-9d2f4a6c8e0b1357ace2")
    monkeypatch.delenv("UPTAKE_WORKSPACE", raising=False)
    people = [f"u{i}@example.com" for i in range(30)]
    now = pd.Timestamp("2024-04-01T00:00:00Z").to_pydatetime()
    ws = Workspace.init(root / "ws")
    try:
        frame = pd.DataFrame({"person": people, "aliases": [[] for _ in people], "team": "t"})
        ws.ingest_frame("people", frame, source="p", now=now)
        seats = pd.DataFrame(
            {"person": people, "tool": "copilot", "assigned_at": "2024-01-02T00:00:00Z"}
        )
        ws.ingest_frame("licenses", seats, source="l", now=now)
        events = pd.DataFrame(
            {
                "event_id": [f"e{i}" for i in range(20)],
                "ts": "2024-03-10T10:00:00Z",
                "person": people[:20],
                "tool": "copilot",
                "action": "accept",
            }
        )
        ws.ingest_frame("events", events, source="e", now=now)
    finally:
        ws.close()
    return root / "ws"


def _json(folder: Path, as_of: str) -> dict[str, Any]:
    args = ["metrics", "--workspace", str(folder), "--as-of", as_of, "--json"]
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.output
    doc: dict[str, Any] = json.loads(out.stdout)
    return doc


def test_metrics_json_with_noise_on_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _workspace(tmp_path, monkeypatch)
    monkeypatch.setenv("UPTAKE__PRIVACY__NOISE", "true")
    first, again = _json(folder, "2024-03-31"), _json(folder, "2024-03-31")
    assert first == again
    privacy = first["privacy"]
    assert (privacy["noise"], privacy["epsilon"], privacy["error_bar"]) == (True, 1.0, 3)
    assert privacy["min_group_size"] == 5 and "comparing dates" in privacy["statement"]
    lic = first["metrics"]["licenses"]
    assert lic["noise"] == {"epsilon": 1.0, "error_bar": 3, "confidence": 0.95}
    # Nothing changed between the dates, yet each as-of is its own draw.
    later = _json(folder, "2024-03-30")["metrics"]["licenses"]
    fields = ("n", "seats", "used", "unused", "reclaim_seats")
    assert [lic[f] for f in fields] != [later[f] for f in fields]
    human = CliRunner().invoke(
        app, ["metrics", "--workspace", str(folder), "--as-of", "2024-03-31"]
    )
    assert "Privacy: people counts carry random noise (ε = 1.0" in human.stdout
    assert f"{lic['n']} ±3" in human.stdout
    monkeypatch.setenv("UPTAKE__PRIVACY__NOISE", "false")
    exact = _json(folder, "2024-03-31")
    assert exact["privacy"]["noise"] is False and "noise" not in exact["metrics"]["licenses"]
    assert exact["metrics"]["licenses"]["n"] == 30


def test_a_leaver_between_two_as_of_dates_stays_uncertain() -> None:
    """Across releases: telling "left" from "stayed" from two noisy counts is bounded by ε.

    A team of 20 on the first date is 19 (the leaver gone) or still 20 on the next. The
    analyst sees both noisy counts and guesses "left" when the second is lower. For ε-DP on
    the second count, no test does better than e^ε / (1 + e^ε) (0.731 at ε = 1) on a fair
    coin of scenarios; exact numbers would give 1.0.
    """
    import math
    from datetime import date, timedelta

    key = noise_key("leaver-test-secret-0b6d2f9a4c7e1358")
    right = 0
    trials = 3000
    for i in range(trials):
        first = date(2020, 1, 1) + timedelta(days=2 * i)
        left = i % 2 == 0
        before = Noise(enabled=True, key=key, as_of=first).count(20, "usage_rate", "n", "team-a")
        after_n = 19 if left else 20
        after = Noise(enabled=True, key=key, as_of=first + timedelta(days=1)).count(
            after_n, "usage_rate", "n", "team-a"
        )
        assert before is not None and after is not None
        guess = after < before if after != before else (i // 2) % 2 == 0
        right += guess == left
    bound = math.exp(1.0) / (1 + math.exp(1.0))
    # Three standard errors of a proportion over 3,000 trials: about 0.025.
    assert right / trials <= bound + 3 * math.sqrt(bound * (1 - bound) / trials)
    assert right / trials > 0.5  # the noise is not so large that the numbers mean nothing


def test_noisy_segments_read_as_possible_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shown team never reads n < k, and no share passes 100 % once noise is on."""
    monkeypatch.setenv("UPTAKE_SECRET", "noise-e2e-secret-9d2f4a6c8e0b1357ace2")
    monkeypatch.delenv("UPTAKE_WORKSPACE", raising=False)
    people = [f"u{i}@example.com" for i in range(60)]
    now = pd.Timestamp("2024-04-01T00:00:00Z").to_pydatetime()
    days = pd.date_range("2024-03-04", periods=20, freq="D")
    with Workspace.init(tmp_path / "ws") as ws:
        teams = [f"t{i // 5:02d}" for i in range(len(people))]  # twelve teams of exactly k
        roster = pd.DataFrame({"person": people, "aliases": [[] for _ in people], "team": teams})
        ws.ingest_frame("people", roster, source="p", now=now)
        seats = pd.DataFrame(
            {"person": people, "tool": "copilot", "assigned_at": "2024-01-02T00:00:00Z"}
        )
        ws.ingest_frame("licenses", seats, source="l", now=now)
        # Everyone active on 20 days: every team is all L3 (activity proxy) and all active.
        events = pd.DataFrame(
            [
                {
                    "event_id": f"e{p}-{d:%d}",
                    "ts": f"{d:%Y-%m-%d}T10:00:00Z",
                    "person": person,
                    "tool": "copilot",
                    "action": "accept",
                }
                for p, person in enumerate(people)
                for d in days
            ]
        )
        ws.ingest_frame("events", events, source="e", now=now)
    monkeypatch.setenv("UPTAKE__PRIVACY__NOISE", "true")
    args = ["metrics", "-w", str(tmp_path / "ws"), "--as-of", "2024-03-24", "--by", "team"]
    out = CliRunner().invoke(app, [*args, "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    shown = 0
    for name in ("adoption_ladder", "usage_rate", "vanity_vs_value"):
        for seg in doc["metrics"][name]["segments"]:
            if seg.get("suppressed"):
                continue
            shown += 1
            assert seg["n"] >= 5, (name, seg)
            for key in ("l3_plus_share", "rate", "active_rate"):
                if seg.get(key) is not None:
                    assert 0 <= seg[key] <= 1, (name, seg)
    assert shown >= 12


def test_the_teams_needing_help_carry_the_noise_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The signals' team ranking had published each team's n and L3+ share exactly, beside
    # the metrics' noisy counts of the same team: two as-of dates then gave a person away.
    folder = _workspace(tmp_path, monkeypatch)
    monkeypatch.setenv("UPTAKE__PRIVACY__NOISE", "true")

    def teams(as_of: str) -> dict[str, Any]:
        args = ["signals", "-w", str(folder), "--as-of", as_of, "--json"]
        out = CliRunner().invoke(app, args)
        assert out.exit_code == 0, out.output
        doc: dict[str, Any] = json.loads(out.stdout)
        return doc

    docs = [teams(f"2024-03-{d}") for d in range(20, 31)]
    assert all(d["privacy"]["noise"] is True for d in docs)
    sizes = {d["teams"][0]["n"] for d in docs}
    # Thirty people on every date: each date its own draw, all at or above k.
    assert len(sizes) > 1 and min(sizes) >= 5
    assert teams("2024-03-25")["teams"] == docs[5]["teams"]  # the same question, the same answer
    human = CliRunner().invoke(app, ["signals", "-w", str(folder), "--as-of", "2024-03-25"])
    said = "n, the pressure, the shares and the change: people counts carry random noise"
    assert said in human.stdout
    monkeypatch.setenv("UPTAKE__PRIVACY__NOISE", "false")
    assert teams("2024-03-25")["teams"][0]["n"] == 30


def test_an_empty_population_is_not_available_with_noise_as_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before any data, every metric counts nobody: it must say what it needs, as with noise
    # off, not show a count of nobody made noisy and raised to k (depth_of_use showed n = 5).
    folder = _workspace(tmp_path, monkeypatch)
    now = pd.Timestamp("2024-04-01T00:00:00Z").to_pydatetime()
    people = [f"u{i}@example.com" for i in range(12)]
    ws = Workspace.open(folder)
    try:
        workflow = pd.DataFrame({"workflow": ["wf"], "name": ["wf"], "stakes": ["high"]})
        ws.ingest_frame("workflows", workflow, source="w", now=now)
        runs = pd.DataFrame(
            {
                "task_id": [f"t{i}" for i in range(len(people))],
                "person": people,
                "workflow": "wf",
                "started_at": "2024-03-10T10:00:00Z",
                "completed_at": "2024-03-10T10:30:00Z",
                "status": "completed",
                "ai_assisted": [i % 2 == 0 for i in range(len(people))],
            }
        )
        ws.ingest_frame("tasks", runs, source="t", now=now)
    finally:
        ws.close()

    def missing(as_of: str) -> dict[str, list[str]]:
        doc = _json(folder, as_of)["metrics"]
        return {k: m["needs"] for k, m in doc.items() if m.get("status") == "not_available"}

    monkeypatch.setenv("UPTAKE__PRIVACY__NOISE", "false")
    exact = {d: missing(d) for d in ("2024-03-31", "2023-01-01")}
    assert "depth_of_use" not in exact["2024-03-31"] and "depth_of_use" in exact["2023-01-01"]
    monkeypatch.setenv("UPTAKE__PRIVACY__NOISE", "true")
    assert {d: missing(d) for d in exact} == exact
    # The same for a week in which no one had eligible runs: 0 people, not k.
    weeks = _json(folder, "2024-03-31")["metrics"]["weekly_depth"]["weeks"]
    quiet = [w for w in weeks if w["elig"] == 0]
    assert quiet and all(w["n"] == 0 for w in quiet)
    assert [w["n"] for w in weeks if w["elig"]] != [0]
