"""Workflow redesign: a workflow's new standard procedure and the measured change after it.

A redesign is recorded from a YAML file (see `parse_steps`): the steps before and after, and
for each new step whether AI substitutes, augments or creates it (or plays no part). It is
stored in `workflow_redesigns` (one row per workflow: recording again replaces it).

The measured change compares the workflow's runs started from the redesign date up to the
as-of date ("after") with the runs started in the same number of days just before it
("before"), whatever the runs' AI use (the standard procedure changed for everyone): median
minutes per completed run (before − after, seeded percentile bootstrap of the difference of
medians) and the completion rate (after − before, the same Agresti–Caffo bootstrap as the
wins). Each period is compared only when it counts at least k people and
`outcomes_min_runs` runs; otherwise the change is "too early to tell", with the run counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from uptake.errors import InputError
from uptake.metrics import stats
from uptake.metrics.context import MetricContext
from uptake.programme.wins import completion, direction

AI_ROLES = ("substitute", "augment", "create", "none")
TOP_KEYS = ("before", "after", "note")
STEP_KEYS = ("step", "ai")
MAX_STEPS = 100
MAX_TEXT = 300
TOO_EARLY = "too early to tell"
_EXPECTED = (
    "expected a mapping with `before:` (the old steps) and `after:` (the new steps, each "
    "`step:` with `ai:` substitute, augment, create or none), and an optional `note:`"
)


class StepsError(InputError):
    """A redesign's steps file that cannot be used; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        n = len(problems)
        head = problems[0] if n == 1 else f"{n} problems in the steps file:"
        super().__init__(
            head + ("" if n == 1 else "\n" + "\n".join(problems)),
            hint="see `uptake redesign record --help` for the file's form",
        )


@dataclass(frozen=True)
class Steps:
    """A redesigned standard procedure.

    Attributes:
        before: the old steps, in order.
        after: the new steps, in order, each (step, ai role).
        note: the file's note, if any.
    """

    before: tuple[str, ...]
    after: tuple[tuple[str, str], ...]
    note: str | None = None

    def to_json(self) -> str:
        """The form stored in `workflow_redesigns.steps`."""
        return json.dumps(
            {"before": list(self.before), "after": [{"step": s, "ai": a} for s, a in self.after]}
        )

    @classmethod
    def from_json(cls, text: str | dict[str, Any], note: str | None = None) -> Steps:
        """Read the stored form back.

        Args:
            text: `workflow_redesigns.steps` (JSON text or already parsed).
            note: the row's note.

        Returns:
            The steps.
        """
        data = json.loads(text) if isinstance(text, str) else text
        return cls(
            tuple(str(s) for s in data.get("before") or []),
            tuple((str(s["step"]), str(s.get("ai") or "none")) for s in data.get("after") or []),
            note,
        )

    def summary(self) -> dict[str, Any]:
        """Steps before and after, and how many new steps AI substitutes, augments or creates.

        Returns:
            {steps_before, steps_after, steps_retired, substitute, augment, create, none,
            before, after}.
        """
        counts = {role: sum(1 for _, a in self.after if a == role) for role in AI_ROLES}
        return {
            "steps_before": len(self.before),
            "steps_after": len(self.after),
            "steps_retired": len(self.before) - len(self.after),
            **counts,
            "before": list(self.before),
            "after": [{"step": s, "ai": a} for s, a in self.after],
        }


def parse_steps(text: str, name: str) -> Steps:
    """Validate a redesign's steps file.

    The file is a mapping: `before:` a list of steps (text, or `step: text`), `after:` a list
    of steps (text, or `step: text` with `ai: substitute | augment | create | none`, default
    none), and an optional `note:` text.

    Args:
        text: the YAML text.
        name: the file as shown in messages.

    Returns:
        The steps.

    Raises:
        StepsError: every problem of the file, one line each, as `file:line: where: what`.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        what = getattr(exc, "problem", None) or str(exc)
        raise StepsError([f"{name}:{line}: not YAML: {' '.join(str(what).split())}"]) from None
    except RecursionError:
        raise StepsError([f"{name}:1: not YAML: nested too deeply"]) from None
    finally:
        loader.dispose()
    if node is None:
        raise StepsError([f"{name}:1: empty file; {_EXPECTED}"])
    if not isinstance(node, MappingNode):
        raise StepsError([f"{name}:{_line(node)}: {_EXPECTED}"])
    problems: list[str] = []
    values: dict[str, Node] = {}
    key_lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, ScalarNode) else None
        if key not in TOP_KEYS:
            problems.append(
                f"{name}:{_line(key_node)}: unknown key {key!r}; expected: {', '.join(TOP_KEYS)}"
            )
        elif key in values:
            problems.append(
                f"{name}:{_line(key_node)}: {key}: duplicate key (first at line {key_lines[key]})"
            )
        else:
            values[str(key)] = value_node
            key_lines[str(key)] = _line(key_node)
    before: list[str] = []
    after: list[tuple[str, str]] = []
    for key in ("before", "after"):
        if key not in values:
            problems.append(f"{name}:{_line(node)}: {key}: is required; {_EXPECTED}")
            continue
        for step, ai in _steps(values[key], name, key, problems):
            if key == "before":
                before.append(step)
            else:
                after.append((step, ai))
    note = None
    if "note" in values:
        n = values["note"]
        if not isinstance(n, ScalarNode) or n.tag != "tag:yaml.org,2002:str" or not n.value:
            problems.append(f"{name}:{_line(n)}: note: must be text")
        elif len(n.value) > MAX_TEXT * 4:
            problems.append(f"{name}:{_line(n)}: note: at most {MAX_TEXT * 4} characters")
        else:
            note = n.value.strip()
    if problems:
        raise StepsError(problems)
    return Steps(tuple(before), tuple(after), note)


def _steps(seq: Node, name: str, key: str, problems: list[str]) -> list[tuple[str, str]]:
    """The steps of one list, adding a problem line for each bad item."""
    if not isinstance(seq, SequenceNode) or not seq.value:
        problems.append(f"{name}:{_line(seq)}: {key}: must be a non-empty list of steps")
        return []
    if len(seq.value) > MAX_STEPS:
        problems.append(f"{name}:{_line(seq)}: {key}: at most {MAX_STEPS} steps")
        return []
    out: list[tuple[str, str]] = []
    for i, item in enumerate(seq.value):
        where = f"{key}[{i}]"
        step_node: Node | None = item
        ai = "none"
        if isinstance(item, MappingNode):
            fields: dict[str, Node] = {}
            for k, v in item.value:
                kv = k.value if isinstance(k, ScalarNode) else None
                if kv not in STEP_KEYS or (kv == "ai" and key == "before"):
                    allowed = "step" if key == "before" else ", ".join(STEP_KEYS)
                    problems.append(
                        f"{name}:{_line(k)}: {where}: unknown key {kv!r}; expected: {allowed}"
                    )
                elif kv in fields:
                    problems.append(f"{name}:{_line(k)}: {where}.{kv}: duplicate key")
                else:
                    fields[str(kv)] = v
            step_node = fields.get("step")
            if step_node is None:
                problems.append(f"{name}:{_line(item)}: {where}.step: is required")
                continue
            ai_node = fields.get("ai")
            if ai_node is not None:
                value = ai_node.value if isinstance(ai_node, ScalarNode) else None
                if value not in AI_ROLES:
                    problems.append(
                        f"{name}:{_line(ai_node)}: {where}.ai: must be one of {', '.join(AI_ROLES)}"
                    )
                    continue
                ai = str(value)
        text = _text(step_node)
        if text is None:
            problems.append(f"{name}:{_line(step_node)}: {where}: a step must be text")
        elif len(text) > MAX_TEXT:
            problems.append(f"{name}:{_line(step_node)}: {where}: at most {MAX_TEXT} characters")
        else:
            out.append((text, ai))
    return out


def _text(node: Node | None) -> str | None:
    if not isinstance(node, ScalarNode) or node.tag == "tag:yaml.org,2002:null":
        return None
    text = " ".join(str(node.value).split())
    return text or None


def _line(node: Node | None) -> int:
    return 1 if node is None else node.start_mark.line + 1


# -- the measured change ----------------------------------------------------------------------


def measured_change(ctx: MetricContext, workflow: str, on: date) -> dict[str, Any]:
    """Minutes per completed run and completion before vs after a redesign date.

    Args:
        ctx: metric context (as-of, k, seed, resamples, confidence, minimum runs).
        workflow: the workflow.
        on: the redesign date (its first day counts as after).

    Returns:
        {status ("ok", "too_early", "not_available"), verdict, before: {start, end, runs,
        completed, people?, minutes, completion, ai_share}, after: {…}, minutes_saved
        (before − after, with `_low`/`_high`), completion_diff (after − before, ditto),
        message}; a period's people and values are given only at or above k people.
    """
    k, min_runs = ctx.min_group_size, ctx.settings.outcomes_min_runs
    if ctx.missing("tasks"):
        return {
            "status": "not_available",
            "needs": ["tasks (workflow runs)"],
            "verdict": "not available: needs tasks (workflow runs)",
        }
    days = (ctx.as_of - on).days + 1
    if days < 1:
        return {
            "status": "too_early",
            "verdict": f"{TOO_EARLY}: the redesign date "
            f"{on.isoformat()} is after the as-of date {ctx.as_of.isoformat()}",
        }
    start_before = on - timedelta(days=days)
    runs = _runs(ctx, workflow, start_before, on)
    pre, post = runs[~runs.after], runs[runs.after]
    doc: dict[str, Any] = {
        "status": "ok",
        "days": days,
        "before": _period(ctx, pre, start_before, on - timedelta(days=1), workflow),
        "after": _period(ctx, post, on, ctx.as_of, workflow),
    }
    short = [
        name
        for name, g in (("before", pre), ("after", post))
        if g.person_key.nunique() < k or int(g.done.sum()) < min_runs
    ]
    if short:
        doc["status"] = "too_early"
        counts = ", ".join(
            f"{len(g):,} runs {n} ({int(g.done.sum()):,} completed)"
            for n, g in (("before", pre), ("after", post))
        )
        doc["verdict"] = (
            f"{TOO_EARLY}: {counts}; each period needs at least {min_runs} completed runs by "
            f"at least {k} people"
        )
        return doc
    s = ctx.settings
    a = pre[pre.done & pre.minutes.notna()].minutes.to_numpy(float)
    b = post[post.done & post.minutes.notna()].minutes.to_numpy(float)
    saving = (
        stats.bootstrap(
            [a, b],
            _diff_medians,
            n_resamples=s.bootstrap_resamples,
            seed=s.seed,
            confidence=s.confidence_level,
        )
        if len(a) and len(b)
        else stats.Interval(None, None, None)
    )
    done = completion(ctx, post.done.to_numpy(float), pre.done.to_numpy(float), workflow + "@")
    doc.update(saving.as_dict("minutes_saved"))
    doc.update(done.as_dict("completion_diff"))
    doc["verdict"] = _verdict(direction(saving), direction(done), ctx)
    return doc


def _diff_medians(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.asarray(np.median(a, axis=axis) - np.median(b, axis=axis))


def _verdict(minutes: str | None, done: str | None, ctx: MetricContext) -> str:
    words = {
        "better": "measurably better",
        "worse": "measurably worse",
        "leans better": "better, not yet significant",
        None: "no measured change",
    }
    return (
        f"minutes per run: {words[minutes]}; completion: {words[done]} "
        f"({100 * ctx.settings.confidence_level:.0f} % intervals)"
    )


def _runs(ctx: MetricContext, workflow: str, start: date, on: date) -> pd.DataFrame:
    """The workflow's runs started from `start` to the as-of date, marked before/after."""
    t = ctx.engine.table("tasks")
    t = t.filter(
        t.workflow == workflow,
        t.started_at >= datetime.combine(start, time()),
        t.started_at < ctx.end_ts,
    )
    done = (t.status == "completed") | (t.status.isnull() & t.completed_at.notnull())
    df = ctx.engine.execute(
        t.select("person_key", "started_at", "ai_assisted", "minutes", done=done)
    )
    df["done"] = df.done.fillna(False).astype(bool)
    df["ai_assisted"] = df.ai_assisted.fillna(False).astype(bool)
    df["minutes"] = pd.to_numeric(df.minutes, errors="coerce")
    df.loc[df.minutes < 0, "minutes"] = np.nan
    df["after"] = pd.to_datetime(df.started_at) >= pd.Timestamp(datetime.combine(on, time()))
    return df.sort_values(["started_at", "person_key"], ignore_index=True)


def _period(
    ctx: MetricContext, g: pd.DataFrame, start: date, end: date, workflow: str
) -> dict[str, Any]:
    """One period's counts and (at or above k people) its values, people with the noise."""
    k = ctx.min_group_size
    out: dict[str, Any] = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "runs": len(g),
        "completed": int(g.done.sum()),
    }
    people = int(g.person_key.nunique())
    if people < k:
        out["people"] = None
        out["hidden"] = f"hidden: fewer than {k} people"
        return out
    timed = g[g.done & g.minutes.notna()].minutes
    # Decided on the exact count; shown with the release noise (at least k: it is shown).
    shown = ctx.noise.count(people, "redesign", workflow, start.isoformat())
    out.update(
        people=max(k, shown or 0),
        median_minutes=float(timed.median()) if len(timed) else None,
        completion=float(g.done.mean()) if len(g) else None,
        ai_share=float(g.ai_assisted.mean()) if len(g) else None,
    )
    return out
