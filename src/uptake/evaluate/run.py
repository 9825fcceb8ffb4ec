"""Evaluate uptake on a simulated organisation: each view against the truth and each other.

One simulation (`emit="both"`) gives the canonical tables and the vendor view of the same
people. Each view goes into its own workspace (one secret, so person keys agree); on the last
simulated day each person's usage segment and ladder level is compared with the ground truth
and the vendor view with the canonical one, and the seats and their use per tool are set side
by side where both views carry them.
"""

from __future__ import annotations

import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from uptake.errors import InputError
from uptake.evaluate import truth
from uptake.evaluate.agreement import agreement
from uptake.evaluate.views import Progress, build, scratch_cleanup
from uptake.simulate.choices import EMITS
from uptake.workspace import Workspace
from uptake.workspace.signals import detector_scores

# The views evaluated are the views a simulation writes.
DATA = EMITS
# The tools both views carry: (canonical tool, vendor tool, name in words).
TOOLS = (
    ("office_copilot", "m365-copilot", "Microsoft 365 Copilot"),
    ("code_assistant", "github-copilot", "GitHub Copilot"),
)
LEVELS = ("L1", "L2", "L3", "L4", "L5")
LADDER_CLASS = {1: truth.NOT_USING, 2: truth.TRYING, 3: truth.PROFICIENT, 4: truth.PROFICIENT,
                5: truth.PROFICIENT}  # fmt: skip
MIN_PEOPLE = 40


def evaluate(
    people: int = 300,
    days: int = 120,
    seed: int = 42,
    data: str = "both",
    *,
    start: date | None = None,
    scenario: str = "mixed",
    folder: Path | None = None,
    progress: Progress | None = None,
    detectors: bool = True,
) -> dict[str, Any]:
    """Simulate an organisation, ingest its views and compare them with the truth.

    Args:
        people: headcount.
        days: simulated days.
        seed: random seed.
        data: which views to evaluate: canonical, vendor or both.
        start: first simulated day (default: today minus `days`).
        scenario: simulator scenario.
        folder: scratch folder to keep (default: a temporary one, removed afterwards).
        progress: told (stage, done, total) as the work advances.
        detectors: also score every signal detector against the ground truth.

    Returns:
        The evaluation document (what `uptake evaluate --json` prints).
    """
    from uptake.simulate import simulate

    if data not in DATA:
        raise InputError(f"--data {data!r}: expected one of {', '.join(DATA)}")
    tell = progress or (lambda _s, _d, _t: None)
    scratch = folder or Path(tempfile.mkdtemp(prefix="uptake-evaluate-"))
    seconds: dict[str, float] = {}
    views: dict[str, Workspace] = {}
    try:
        t = time.perf_counter()
        sim_dir = scratch / "simulated"
        sim = simulate(
            people=people, days=days, seed=seed, start=start, scenario=scenario,
            out=sim_dir, emit="both", progress=lambda s, d, n: tell(f"simulate: {s}", d, n),
        )  # fmt: skip
        seconds["simulate"] = time.perf_counter() - t
        t = time.perf_counter()
        names = ["canonical", "vendor"] if data == "both" else [data]
        for name in names:
            other = scratch / "canonical" if name == "vendor" and views else None
            views[name] = build(scratch / name, sim_dir, name, secret_from=other, progress=tell)
        seconds["ingest"] = time.perf_counter() - t
        t = time.perf_counter()
        tell("compare", 0, 1)
        as_of = sim.end - timedelta(days=1)
        doc = _compare(views, sim_dir, as_of, seed, sim.start, days)
        seconds["compare"] = time.perf_counter() - t
        if detectors:
            t = time.perf_counter()
            episodes = pd.read_parquet(sim_dir / "ground_truth_episodes.parquet")
            people_truth = pd.read_parquet(sim_dir / "ground_truth.parquet")
            doc["detectors"] = {}
            for i, (name, ws) in enumerate(views.items()):
                tell("detectors", i, len(views))
                doc["detectors"][name] = detector_scores(ws, as_of, episodes, people_truth)
            seconds["detectors"] = time.perf_counter() - t
    finally:
        for ws in views.values():
            ws.close()
        if folder is None:
            scratch_cleanup(scratch)
    doc["simulation"] = {
        "people": people, "days": days, "seed": seed, "scenario": scenario,
        "start": sim.start.isoformat(), "last_day": as_of.isoformat(),
    }  # fmt: skip
    doc["seconds"] = {k: round(v, 2) for k, v in seconds.items()}
    return doc


def _compare(
    views: dict[str, Workspace], sim: Path, as_of: date, seed: int, start: date, days: int
) -> dict[str, Any]:
    """Read each view's per-person classes and compare them (see `evaluate`)."""
    any_ws = next(iter(views.values()))
    settings = any_ws.settings.metrics
    key = {p: any_ws.pseudonymise(p) for p in truth.aliases(sim).values()}

    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(person_key=frame["person"].map(key)).drop(columns="person")

    levels = {n: ws.person_levels(as_of) for n, ws in views.items()}
    segs = {n: ws.person_segments(as_of) for n, ws in views.items()}
    seats = {n: ws.seats_held(as_of) for n, ws in views.items()}
    off = {key[p] for p in truth.telemetry_off(sim, seed, start, days)}

    variants = {"12w": (settings.ms_weeks, settings.ms_habitual_weeks),
                "4w": (settings.ms_short_weeks, settings.ms_short_weeks)}  # fmt: skip
    true_seg = {
        v: keyed(truth.segments(sim, as_of, w, h, settings.ms_power_actions))
        for v, (w, h) in variants.items()
    }
    seg_rows = []
    for name, (frame, info) in segs.items():
        v = info["recommended"]
        seg_rows.append(_row(true_seg[v], "segment", frame, f"segment_{v}", "truth", name, v))
    if "vendor" in segs and "canonical" in segs:
        v = segs["canonical"][1]["recommended"]
        seg_rows.append(
            _row(segs["canonical"][0], f"segment_{v}", segs["vendor"][0], f"segment_{v}",
                 "canonical", "vendor", v)
        )  # fmt: skip

    true_ladder = keyed(truth.ladder(sim, as_of))
    classed = {n: f.assign(ladder=f["level"].map(LADDER_CLASS)) for n, f in levels.items()}
    lad_rows = [
        _row(true_ladder, "ladder", f, "ladder", "truth", n, None, truth.LADDER_CLASSES,
             population="measured")
        for n, f in classed.items()
    ]  # fmt: skip
    if "vendor" in classed and "canonical" in classed:
        lad_rows.append(
            _row(classed["canonical"], "ladder", classed["vendor"], "ladder", "canonical",
                 "vendor", None, truth.LADDER_CLASSES)
        )  # fmt: skip
        five = {n: f.assign(lv=f["level"].map(lambda x: f"L{int(x)}")) for n, f in levels.items()}
        row = _row(five["canonical"], "lv", five["vendor"], "lv", "canonical", "vendor", None,
                   LEVELS)  # fmt: skip
        lad_rows.append({**row, "classes": "L1..L5"})

    true_use = keyed(truth.tool_usage(sim, as_of, settings.window_days))
    return {
        "as_of": as_of.isoformat(),
        "as_of_rule": "the last simulated day",
        "window_days": settings.window_days,
        "segments": {
            "classes": list(truth.SEGMENTS),
            "variants": {n: info for n, (_f, info) in segs.items()},
            "truth": "Microsoft's rules on the simulator's complete canonical event stream "
            "(pandas, not uptake's metric code); people licensed on as-of (any tool)",
            "comparisons": seg_rows,
        },
        "ladder": {
            "classes": list(truth.LADDER_CLASSES),
            "mapping": truth.LADDER_MAPPING,
            "basis": {n: str(f["basis"].iloc[0]) if len(f) else None for n, f in levels.items()},
            "levels": {n: _level_counts(f) for n, f in levels.items()},
            "comparisons": lad_rows,
        },
        "tools": [_tool(c, v, label, true_use, seats, off) for c, v, label in TOOLS],
        "telemetry_off_users": len(off),
    }


def _row(
    ref: pd.DataFrame, ref_col: str, got: pd.DataFrame, got_col: str, ref_name: str,
    got_name: str, variant: str | None, labels: tuple[str, ...] = truth.SEGMENTS,
    population: str = "both",
) -> dict[str, Any]:  # fmt: skip
    """One comparison: people both sides class, agreement and who only one side has."""
    a = ref[["person_key", ref_col]].rename(columns={ref_col: "ref"})
    b = got[["person_key", got_col]].rename(columns={got_col: "got"})
    j = a.merge(b, on="person_key", how="inner")
    out: dict[str, Any] = {"reference": ref_name, "measured": got_name}
    if variant is not None:
        out["variant"] = variant
    out.update(agreement(j["ref"], j["got"], labels))
    # The ladder's truth knows everyone on the roster: only the measured side's population
    # is a finding there.
    if population == "both":
        out["only_reference"] = int((~a["person_key"].isin(b["person_key"])).sum())
    out["only_measured"] = int((~b["person_key"].isin(a["person_key"])).sum())
    return out


def _level_counts(levels: pd.DataFrame) -> dict[str, int]:
    counts = levels["level"].value_counts()
    return {lv: int(counts.get(i, 0)) for i, lv in enumerate(LEVELS, start=1)}


def _tool(
    ctool: str, vtool: str, label: str, true_use: pd.DataFrame,
    seats: dict[str, pd.DataFrame], off: set[str],
) -> dict[str, Any]:  # fmt: skip
    """Seats held on as-of and those used in the window, per view, for one tool."""

    def count(frame: pd.DataFrame, tool: str, drop: set[str] | None = None) -> dict[str, Any]:
        f = frame[frame["tool"] == tool]
        used = f["used"].astype(bool)
        if drop is not None:
            used &= ~f["person_key"].isin(drop)
        active, n = int(used.sum()), len(f)
        return {"seats": n, "active": active, "rate": round(active / n, 4) if n else None}

    out: dict[str, Any] = {"tool": label, "canonical_tool": ctool, "vendor_tool": vtool}
    out["truth"] = count(true_use, ctool)
    if "canonical" in seats:
        out["canonical"] = count(seats["canonical"], ctool)
    if "vendor" in seats:
        out["vendor"] = count(seats["vendor"], vtool)
    if ctool == "code_assistant":
        # Telemetry-off users never reach the vendor reports: the reference the vendor view
        # can match counts only the users it reports.
        out["truth_reported"] = count(true_use, ctool, off)
        if "canonical" in seats:
            out["canonical_reported"] = count(seats["canonical"], ctool, off)
    ref = out.get("canonical_reported", out.get("canonical"))
    if ref is not None and "vendor" in out:
        out["vendor_agrees"] = ref["seats"] == out["vendor"]["seats"] and (
            ref["active"] == out["vendor"]["active"]
        )
    return out
