"""The use-case library: schema errors as `file:line: where: what`, the bundled starter library."""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uptake.coach.library import (
    Library,
    LibraryError,
    UseCase,
    bundled_files,
    load_library,
    placeholders,
    validate_paths,
)
from uptake.coach.library.load import parse_text
from uptake.errors import InputError

VALID = """\
version: 1
use_cases:
  - id: fa-variance
    role: financial analyst
    title: Draft variance commentary
    workflow: fin.variance_analysis
    surface: excel
    steps:
      - Open the workbook.
      - Ask for the largest variances.
    prompt: "Explain the variances of {month} for {cost_centre}."
    minutes_saved: 30
    tags: [month end]
    practice: Try it on last year's closed month.
  - id: fa-status
    role: any
    title: Weekly status
    workflow: null
    surface: null
    steps: [Open Word., Ask for the update.]
    prompt: Draft my weekly status update.
    minutes_saved: 10
"""
ODD_VALUES = ["", "null", "-1", "1e9", ".nan", "[]", "{}", "[a, [b]]", "true", "2024-01-01",
              "*x", "&x y", "'{a}{'", "~", "!!binary aGk="]  # fmt: skip
CATALOG = resources.files("uptake.simulate").joinpath("data", "catalog.json")


def problems_of(text: str, name: str = "f.yaml") -> list[str]:
    with pytest.raises(LibraryError) as info:
        parse_text(text, name)
    assert isinstance(info.value, InputError)
    return info.value.problems


def test_a_valid_file_loads_with_lines() -> None:
    f = parse_text(VALID, "f.yaml")
    assert [c.id for c in f.cases] == ["fa-variance", "fa-status"]
    assert f.lines == {"fa-variance": 3, "fa-status": 15}
    assert placeholders(f.cases[0].prompt) == ["month", "cost_centre"]
    assert not f.override


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "minutes_saved: 30",
            "minutes_saved: 0",
            "f.yaml:12: use_cases[0].minutes_saved: must be greater than 0",
        ),
        (
            "minutes_saved: 30",
            "minutes_saved: 481",
            "f.yaml:12: use_cases[0].minutes_saved: must be less than or equal to 480",
        ),
        (
            "minutes_saved: 30",
            "minutes_saved: thirty",
            "f.yaml:12: use_cases[0].minutes_saved: must be a valid number",
        ),
        ("title: Draft variance commentary", "title: 2024", "f.yaml:5: use_cases[0].title: must"),
        (
            "    surface: excel\n",
            "    surface: excel\n    colour: red\n",
            "f.yaml:8: use_cases[0].colour: unknown key; expected: id, role, title",
        ),
        ("id: fa-variance", "id: FA Variance", "f.yaml:3: use_cases[0].id: must be a slug"),
        ("    role: financial analyst\n", "", "f.yaml:3: use_cases[0].role: is required"),
        ("{month}", "{1month}", "f.yaml:11: use_cases[0].prompt: placeholder {1month} is not"),
        ("{month}", "{month", "f.yaml:11: use_cases[0].prompt: has an unbalanced {"),
        (
            "      - Ask for the largest variances.\n",
            "",
            "f.yaml:9: use_cases[0].steps: must have at least 2 items, not 1",
        ),
        (
            "[Open Word., Ask for the update.]",
            "[Open Word., 7]",
            "f.yaml:20: use_cases[1].steps[1]: must be a valid string",
        ),
        (
            "workflow: null",
            "workflow: 'not a workflow'",
            "f.yaml:18: use_cases[1].workflow: a workflow id is letters",
        ),
        ("version: 1", "version: 2", "f.yaml:1: version: must be 1"),
        ("version: 1", "versoin: 1", "f.yaml:1: unknown key 'versoin' at the top"),
        (
            "id: fa-status",
            "id: fa-variance",
            "f.yaml:15: use_cases[1].id: duplicate id 'fa-variance' (also at f.yaml:3)",
        ),
        (
            "    minutes_saved: 10\n",
            "    minutes_saved: 10\n    minutes_saved: 12\n",
            "f.yaml:23: use_cases[1].minutes_saved: duplicate key (first at line 22)",
        ),
    ],
)
def test_each_problem_is_one_line_with_file_and_line(old: str, new: str, expected: str) -> None:
    assert old in VALID
    problems = problems_of(VALID.replace(old, new, 1))
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems[0]
    assert "\n" not in problems[0]


def test_all_problems_of_a_file_are_collected() -> None:
    text = VALID.replace("minutes_saved: 30", "minutes_saved: -1").replace(
        "title: Weekly status", "title: ''"
    )
    problems = problems_of(text)
    assert [p.split(":")[1] for p in problems] == ["12", "17"]
    with pytest.raises(LibraryError) as info:
        parse_text(text, "f.yaml")
    first, *rest = info.value.message.splitlines()
    assert first == "2 problems in the use-case files:" and rest == problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "f.yaml:1: empty file; expected a mapping with `use_cases:`"),
        ("# only a comment\n", "f.yaml:1: empty file"),
        ("use_cases: [\n  {id: x\n", "f.yaml:3: not YAML: "),
        ("a: b\n  c: d\n", "f.yaml:2: not YAML: "),
        ("- just\n- a list\n", "f.yaml:1: expected a mapping with `use_cases:`"),
        ("version: 1\n", "f.yaml:1: use_cases: is required"),
        ("use_cases: {id: x}\n", "f.yaml:1: use_cases: must be a list of use cases"),
        ("use_cases:\n  - just text\n", "f.yaml:2: use_cases[0]: must be a mapping of id, role"),
        ("use_cases: []\noverride: yes please\n", "f.yaml:2: override: must be true or false"),
        ("use_cases: !!python/object:os.system {}\n", "f.yaml:1: not YAML: "),
        ("a: 1\n---\nb: 2\n", "f.yaml:2: not YAML: "),
    ],
)
def test_files_that_are_not_use_case_yaml(text: str, expected: str) -> None:
    [problem] = problems_of(text)
    assert problem.startswith(expected), problem


def test_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    p = tmp_path / "bin.yaml"
    p.write_bytes(b"use_cases:\n  - id: \xff\xfe\n")
    report = validate_paths([p])
    assert report["problems"] == [f"{p}:2: not YAML: not UTF-8 text"]


def test_duplicate_ids_across_files_name_both(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID)
    (tmp_path / "b.yaml").write_text(VALID.replace("fa-variance", "other"))
    with pytest.raises(LibraryError) as info:
        load_library([tmp_path], bundled=False)
    [problem] = info.value.problems
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert problem == f"{b}:15: id: duplicate id 'fa-status' (also at {a}:15)"


def test_bundled_ids_are_replaced_only_with_override(tmp_path: Path) -> None:
    bundled = bundled_files()[0].cases[0]
    text = VALID.replace("fa-variance", bundled.id)
    (tmp_path / "mine.yaml").write_text(text)
    with pytest.raises(LibraryError) as info:
        load_library([tmp_path])
    assert "override: true" in info.value.problems[0]
    assert info.value.problems[0].startswith(f"{tmp_path / 'mine.yaml'}:3: id: duplicate id")
    (tmp_path / "mine.yaml").write_text("override: true\n" + text)
    lib = load_library([tmp_path])
    got = lib.get(bundled.id)
    assert got is not None and got.title == "Draft variance commentary"
    assert lib.origin[bundled.id] == f"{tmp_path / 'mine.yaml'}:4"
    assert len(lib) == sum(len(f.cases) for f in bundled_files()) + 1


def test_for_role_orders_own_role_then_any_and_filters() -> None:
    f = parse_text(VALID, "f.yaml")
    lib = Library(f.cases)
    assert [c.id for c in lib.for_role("Financial Analyst")] == ["fa-variance", "fa-status"]
    assert [c.id for c in lib.for_role("recruiter")] == ["fa-status"]
    assert [c.id for c in lib.for_role("financial analyst", "fin.board_pack")] == ["fa-status"]
    assert [c.id for c in lib.for_role("financial analyst", surface="word")] == ["fa-status"]
    assert lib.get("nope") is None and lib.roles() == ["financial analyst"]


# -- the bundled starter library ----------------------------------------------------------------


def test_the_bundled_library_is_installed_package_data() -> None:
    folder = resources.files("uptake.coach.library").joinpath("data")
    names = sorted(e.name for e in folder.iterdir() if e.name.endswith(".yaml"))
    assert len(names) >= 8
    assert [f.name for f in bundled_files()] == [f"bundled/{n}" for n in names]


def test_the_bundled_library_covers_eight_roles_with_five_each() -> None:
    lib = load_library()
    per_role = Counter(c.role for c in lib.all() if not c.any_role)
    assert sum(1 for n in per_role.values() if n >= 5) >= 8, per_role
    catalog = json.loads(CATALOG.read_text())
    workflows = {w["id"]: w for w in catalog["workflows"]}
    roles = {r["name"]: set(r["workflows"]) for fn in catalog["roles"].values() for r in fn}
    functions_covered = {
        fn for fn, rs in catalog["roles"].items() for r in rs if per_role[r["name"]] >= 5
    }
    assert functions_covered == set(catalog["roles"])
    for c in lib.all():
        assert c.workflow in workflows, c.id
        # The demo organisation's people find them: real roles, their own workflows.
        assert c.any_role or (c.role in roles and c.workflow in roles[c.role]), c.id
        assert c.surface == workflows[c.workflow]["surface"], c.id
    assert sum(1 for c in lib.all() if c.practice) >= 15


# -- any mutation of a valid file is either valid or an InputError ------------------------------


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = VALID.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["drop", "dup", "garble", "value", "indent"]))
        if how == "drop":
            lines.pop(i)
        elif how == "dup":
            lines.insert(i, lines[i])
        elif how == "garble":
            cut = draw(st.integers(0, len(lines[i])))
            junk = draw(st.text(alphabet=":-[]{}!&*#'\" \t\nab1\\|>%@", max_size=6))
            lines[i] = lines[i][:cut] + junk + lines[i][cut:]
        elif how == "value":
            key, sep, _ = lines[i].partition(":")
            value = draw(st.sampled_from(ODD_VALUES))
            lines[i] = f"{key}{sep} {value}\n" if sep else f"{value}\n"
        else:
            lines[i] = draw(st.sampled_from(["", " ", "  ", "\t"])) + lines[i]
        if not lines:
            break
    return "".join(lines)


@settings(
    max_examples=40, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(mutated())
def test_mutations_raise_only_input_errors(text: str) -> None:
    try:
        f = parse_text(text, "m.yaml")
    except LibraryError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.startswith("m.yaml:") and "\n" not in p, p
            assert p.split(":")[1].isdigit(), p
        return
    assert all(isinstance(c, UseCase) for c in f.cases)
