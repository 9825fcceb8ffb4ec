"""Workflow redesign: the steps file's errors point at their lines; the change after the date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from metrics.conftest import Warehouse, wh  # noqa: F401
from uptake.programme.redesign import TOO_EARLY, Steps, StepsError, measured_change, parse_steps

AS_OF = "2026-05-31"
ON = date(2026, 5, 18)  # 14 days after, up to the as-of date; 14 days before
GOOD = """\
note: Triage moved to the assistant
before:
  - Read the ticket
  - step: Search the knowledge base
  - Draft the reply
  - Check tone
after:
  - Read the ticket
  - step: Draft the reply with the assistant
    ai: substitute
  - step: Check tone
    ai: augment
"""


def test_a_valid_file_gives_the_steps_and_their_ai_roles() -> None:
    steps = parse_steps(GOOD, "steps.yaml")
    assert steps.before == (
        "Read the ticket",
        "Search the knowledge base",
        "Draft the reply",
        "Check tone",
    )
    assert steps.after == (
        ("Read the ticket", "none"),
        ("Draft the reply with the assistant", "substitute"),
        ("Check tone", "augment"),
    )
    assert steps.note == "Triage moved to the assistant"
    summary = steps.summary()
    assert (summary["steps_before"], summary["steps_after"], summary["steps_retired"]) == (4, 3, 1)
    assert (summary["substitute"], summary["augment"], summary["create"], summary["none"]) == (
        1,
        1,
        0,
        1,
    )
    assert Steps.from_json(steps.to_json()) == Steps(steps.before, steps.after)


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("", ["s.yaml:1: empty file"]),
        ("- a\n- b\n", ["s.yaml:1: expected a mapping"]),
        ("before: [a\n", ["s.yaml:2: not YAML"]),
        ("before:\n  - a\n", ["s.yaml:1: after: is required"]),
        (
            "before:\n  - a\nafter:\n  - step: b\n    ai: automate\n",
            ["s.yaml:5: after[0].ai: must be one of substitute, augment, create, none"],
        ),
        (
            "before:\n  - a\n  - step: b\n    ai: augment\nafter:\n  - c\n",
            ["s.yaml:4: before[1]: unknown key 'ai'; expected: step"],
        ),
        (
            "before: []\nafter:\n  - {ai: create}\nowner: me\n",
            [
                "s.yaml:4: unknown key 'owner'",
                "s.yaml:1: before: must be a non-empty list",
                "s.yaml:3: after[0].step: is required",
            ],
        ),
        (
            "before:\n  - a\nafter:\n  - ~\n  - [x]\nbefore:\n  - z\n",
            [
                "s.yaml:6: before: duplicate key (first at line 1)",
                "s.yaml:4: after[0]: a step",
                "s.yaml:5: after[1]: a step must be text",
            ],
        ),
    ],
    ids=["empty", "list", "not-yaml", "missing", "bad-ai", "ai-before", "several", "dupes"],
)
def test_every_problem_names_its_line(text: str, problems: list[str]) -> None:
    with pytest.raises(StepsError) as got:
        parse_steps(text, "s.yaml")
    assert len(got.value.problems) == len(problems), got.value.problems
    for found, want in zip(got.value.problems, problems, strict=True):
        assert found.startswith(want), (found, want)


def _runs(w: Warehouse, start: date, days: int, minutes: float, people: int, **kw: object) -> None:
    for d in range(days):
        for i in range(people):
            at = f"{start + timedelta(days=d)}T10:00:00"
            w.task(f"p{i}", "wf.tri", at, minutes=minutes + (d + i) % 3, **kw)  # type: ignore[arg-type]


def test_the_change_after_the_redesign_lies_in_its_interval(wh: Warehouse) -> None:  # noqa: F811
    _runs(wh, ON - timedelta(days=14), 14, 30, 6, ai_assisted=False)
    _runs(wh, ON, 14, 20, 6)
    wh.task("p0", "wf.tri", "2026-05-20T11:00", status="abandoned", minutes=None)
    ch = measured_change(wh.ctx(AS_OF, k=5), "wf.tri", ON)
    assert ch["status"] == "ok" and ch["days"] == 14
    before, after = ch["before"], ch["after"]
    assert (before["start"], before["end"], after["start"], after["end"]) == (
        "2026-05-04",
        "2026-05-17",
        "2026-05-18",
        AS_OF,
    )
    assert (before["runs"], after["runs"], after["completed"]) == (84, 85, 84)
    assert (before["people"], after["people"]) == (6, 6)
    assert (before["median_minutes"], after["median_minutes"]) == (31.0, 21.0)
    assert (before["ai_share"], after["ai_share"]) == (0.0, 1.0)
    assert ch["minutes_saved"] == 10.0
    assert 0 < ch["minutes_saved_low"] <= 10.0 <= ch["minutes_saved_high"]
    assert ch["completion_diff"] == pytest.approx(84 / 85 - 1)
    assert ch["completion_diff_low"] <= ch["completion_diff"] <= ch["completion_diff_high"]
    assert ch["verdict"].startswith("minutes per run: measurably better; completion:")


def test_too_few_runs_after_is_too_early_to_tell_with_the_counts(wh: Warehouse) -> None:  # noqa: F811
    _runs(wh, ON - timedelta(days=14), 14, 30, 6)
    _runs(wh, date(2026, 5, 30), 2, 20, 2)
    ch = measured_change(wh.ctx(AS_OF, k=5), "wf.tri", ON)
    assert ch["status"] == "too_early"
    assert ch["verdict"] == (
        f"{TOO_EARLY}: 84 runs before (84 completed), 4 runs after (4 completed); each period "
        "needs at least 5 completed runs by at least 5 people"
    )
    # Two people after the redesign: their period says nothing but its run counts.
    assert ch["after"]["people"] is None and ch["after"]["hidden"] == "hidden: fewer than 5 people"
    assert "median_minutes" not in ch["after"] and "minutes_saved" not in ch


def test_a_redesign_after_the_as_of_date_is_too_early(wh: Warehouse) -> None:  # noqa: F811
    _runs(wh, ON, 3, 20, 6)
    ch = measured_change(wh.ctx("2026-05-10", k=5), "wf.tri", ON)
    assert ch["status"] == "too_early" and "after the as-of date 2026-05-10" in ch["verdict"]


def test_without_tasks_the_change_is_not_available(wh: Warehouse) -> None:  # noqa: F811
    wh.person("p0")
    ch = measured_change(wh.ctx(AS_OF, k=5), "wf.tri", ON)
    assert ch["status"] == "not_available" and ch["needs"] == ["tasks (workflow runs)"]
