"""The manager digest: k holds for every number and count, one action, a safe e-mail body."""

from __future__ import annotations

from typing import Any

from uptake.coach.digest import _fmt, build_digest, render_html, shared_friction


def team_doc(**rows: Any) -> dict[str, Any]:
    metrics = {name: {"team_value": row} for name, row in rows.items()}
    return {"team": "fin-1", "as_of": "2026-06-07", "min_group_size": 5, "metrics": metrics}


LADDER = {"segment": "fin-1", "n": 14, "L1": 4, "L2": 6, "L3": 2, "L4": 1, "L5": 1,
          "l3_plus_share": 0.285714, "suppressed": False}  # fmt: skip
PEER = {"role": "financial analyst", "workflow": "fin.reconciliation", "name": "Reconciliation",
        "people": 9, "completion_rate": 0.91, "minutes_saved": 18.0}  # fmt: skip


def test_friction_is_said_only_when_k_share_it_and_k_do_not() -> None:
    flags = [(f"p{i}", "bounce_loop") for i in range(6)] + [("p0", "bounce_loop")]
    flags += [(f"p{i}", "rejection_streak") for i in range(3)]
    # 6 people share bounce_loop (counted once each); 3 share rejection_streak (< k).
    assert shared_friction(flags, 5, 14) == [("bounce_loop", 6)]
    # In a team of 10, the 4 without bounce_loop would be singled out: not said.
    assert shared_friction(flags, 5, 10) == []
    assert shared_friction([("p1", "not_a_friction_signal")] * 9, 5, 20) == []


def test_shared_friction_comes_first_with_a_champion() -> None:
    d = build_digest(team_doc(adoption_ladder=LADDER), [("week3_4_drop", 6)], PEER, True)
    assert d["action"]["text"].startswith("6 people in your team used it less")
    assert "champion" in d["action"]["text"] and "(k = 5)" in d["action"]["why"]
    assert d["friction"] == [{"signal": "week3_4_drop", "people": 6,
                              "noticed": "used it less after their first two weeks"}]  # fmt: skip


def test_few_at_l3_gets_the_peer_use_case() -> None:
    d = build_digest(team_doc(adoption_ladder=LADDER), [], PEER, False)
    assert "Reconciliation" in d["action"]["text"] and "9 financial analysts" in d["action"]["text"]
    numbers = {x["label"]: x for x in d["numbers"]}
    ladder = numbers["at L3+ on the adoption ladder (AI on real work)"]
    assert (ladder["value"], ladder["n"]) == (0.285714, 14)


def test_a_proxy_ladder_is_labelled_a_proxy() -> None:
    # Vendor data alone: the levels come from activity, never "AI on real work".
    doc = team_doc(adoption_ladder=LADDER)
    doc["metrics"]["adoption_ladder"]["basis"] = "proxy: activity"
    d = build_digest(doc, [], PEER, False)
    assert d["numbers"][0]["label"] == ("at L3+ on the adoption ladder (proxy: activity)")


def test_suppressed_rows_are_not_numbers() -> None:
    d = build_digest(
        team_doc(adoption_ladder={"segment": "fin-1", "suppressed": "small"},
                 usage_rate={"segment": "fin-1", "status": "no_data"}),
        [], None, False,
    )  # fmt: skip
    assert d["numbers"] == []
    assert d["notes"] == ["adoption ladder: not shown (fewer than k people, or not available)"]
    assert d["action"]["why"] == "no shared friction and no stronger signal this week"


def test_l4_plus_only_when_k_of_them() -> None:
    many = {**LADDER, "L4": 3, "L5": 2, "l3_plus_share": 0.6}
    d = build_digest(team_doc(adoption_ladder=many), [], None, False)
    assert d["action"]["why"] == "5 people at L4+"
    # From vendor activity alone, L4 is regular use: nothing says it is on core work.
    doc = team_doc(adoption_ladder=many)
    doc["metrics"]["adoption_ladder"]["basis"] = "proxy: activity"
    proxied = build_digest(doc, [], None, False)["action"]
    assert proxied["why"] == "5 people at L4+ (proxy: activity)"
    assert "core work" not in proxied["text"] and "most regularly" in proxied["text"]
    few = {**LADDER, "L4": 2, "L5": 2, "l3_plus_share": 0.6}
    assert (
        "L4+" not in build_digest(team_doc(adoption_ladder=few), [], None, False)["action"]["why"]
    )


def test_html_escapes_everything_and_runs_nothing() -> None:
    doc = team_doc(adoption_ladder=LADDER)
    doc["team"] = "<script>alert(1)</script>"
    out = render_html(build_digest(doc, [], {**PEER, "name": "<img src=x onerror=y>"}, False))
    assert "<script>" not in out and "<img" not in out
    assert "&lt;script&gt;" in out and "&lt;img src=x onerror=y&gt;" in out
    assert "29 %" in out and "n = 14" in out


def test_with_the_noise_on_the_digest_says_each_n_carries_its_own() -> None:
    doc = team_doc(adoption_ladder=LADDER, usage_rate={"segment": "fin-1", "n": 11, "rate": 0.5})
    assert not any("noise" in n for n in build_digest(doc, [], None, False)["notes"])
    doc["privacy"] = {"noise": True, "error_bar": 3}
    d = build_digest(doc, [], None, False)
    assert d["notes"] == [
        "each line's people count carries its own random noise (±3 people at 95 %), so the same"
        " team's n differs by a few from line to line"
    ]
    assert "its own random noise" in render_html(d)


def test_a_change_that_rounds_to_zero_reads_0_points() -> None:
    # The weekly-activity change of a quiet team read "+0 points".
    assert [_fmt(v, "points") for v in (0.004, -0.003, 0.05, -0.12)] == [
        "0 points", "0 points", "+5 points", "-12 points"]  # fmt: skip
