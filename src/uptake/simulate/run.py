"""Run a simulation: build the organisation, generate chunk by chunk, write files and truth."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from uptake.errors import InputError
from uptake.simulate import frames
from uptake.simulate.activity import make_decisions, make_tasks
from uptake.simulate.behaviour import build_plan
from uptake.simulate.catalog import WORKFLOWS, all_roles
from uptake.simulate.choices import EMITS, FORMATS, MIN_PEOPLE
from uptake.simulate.daily import build_daily
from uptake.simulate.dirty import Dirt
from uptake.simulate.events import expand
from uptake.simulate.feedback import make_feedback
from uptake.simulate.friction import plant_overrides, plant_rejections, plant_surface, stream
from uptake.simulate.helping import build_network, make_help_edges
from uptake.simulate.interventions import make_interventions
from uptake.simulate.output import TableWriter
from uptake.simulate.personas import DESCRIPTION, PERSONAS, TYPOLOGY
from uptake.simulate.roster import build_org
from uptake.simulate.scenarios import SCENARIOS, get_scenario
from uptake.simulate.sessions import make_sessions
from uptake.simulate.shadow import plan_shadow, truth_frame, visits_table
from uptake.simulate.surveys import INSTRUMENTS, make_responses
from uptake.simulate.text import Composer
from uptake.simulate.timeline import make_timeline
from uptake.simulate.truth import Truth

CHUNK = 2048  # people per chunk; fixed so output does not depend on the machine
TABLE_ORDER = (
    "workflows",
    "people",
    "licenses",
    "events",
    "tasks",
    "decisions",
    "responses",
    "feedback",
    "help_edges",
    "interventions",
    "ai_web_visits",
)
# Told (stage, done, total) as work advances; the caller draws whatever it likes.
Progress = Callable[[str, int, int], None]

HEADLINE_LABELS = {
    "licenses_unused": "licences unused (no accept or completed task, last 28 days)",
    "high_stakes_ai_share": "eligible high-stakes runs AI-assisted (last 28 days)",
    "login_active": "licensed people with any activity (last 28 days)",
    "true_l3_share": "licensed people truly at L3+ at the end (ground truth)",
}


@dataclass
class SimulationSummary:
    """What a run produced: where, how many rows per table, and the headline shares."""

    out: Path
    people: int
    days: int
    seed: int
    scenario: str
    start: date
    end: date
    fmt: str
    dirty: bool
    rows: dict[str, int]
    headline: dict[str, float]
    persona_shares: dict[str, float]
    files: dict[str, list[str]]
    planted: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    emit: str = "canonical"
    vendor: dict[str, object] | None = None  # the vendor manifest, when one was written

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        d = asdict(self)
        d["out"] = str(self.out)
        d["start"], d["end"] = self.start.isoformat(), self.end.isoformat()
        return d

    def lines(self) -> list[str]:
        """Human summary, one line each (the headline shares first)."""
        out = [
            f"{self.scenario}: {self.people:,} people, {self.days} days "
            f"({self.start} to {self.end - timedelta(days=1)}), seed {self.seed}",
        ]
        out += [f"  {HEADLINE_LABELS[k]:<62} {v * 100:5.1f} %" for k, v in self.headline.items()]
        out.append("  rows: " + ", ".join(f"{k} {v:,}" for k, v in self.rows.items()))
        if self.planted:
            out.append(
                "  planted: " + ", ".join(f"{k} {v}" for k, v in sorted(self.planted.items()))
            )
        if self.vendor is not None:
            where = self.out / "vendor" if self.emit == "both" else self.out
            out.append(f"  vendor view (GitHub, Microsoft 365, SCIM, roster) in {where}")
        out.append(f"  written to {self.out} in {self.seconds:.1f} s")
        return out


def _validate(people: int, days: int, scenario: str, fmt: str, emit: str, dirty: bool) -> None:
    if people < MIN_PEOPLE:
        raise InputError(
            f"--people {people}: need at least {MIN_PEOPLE} to form teams and functions"
        )
    if not 28 <= days <= 3 * 365:
        raise InputError(f"--days {days}: choose between 28 and {3 * 365}")
    if scenario not in SCENARIOS:
        raise InputError(f"--scenario {scenario!r}: expected one of {', '.join(SCENARIOS)}")
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if emit not in EMITS:
        raise InputError(f"--emit {emit!r}: expected one of {', '.join(EMITS)}")
    if emit != "canonical" and dirty:
        raise InputError(f"--emit {emit}: --dirty plants bad rows in canonical tables only")
    if emit == "both" and fmt != "parquet":
        # The vendor view is derived from the Parquet tables.
        raise InputError("--emit both: needs --format parquet")


def _sorted(cols: dict[str, np.ndarray], key: str) -> dict[str, np.ndarray]:
    order = np.argsort(cols[key], kind="stable")
    return {k: v[order] for k, v in cols.items()}


def simulate(
    people: int,
    days: int,
    seed: int,
    start: date | None = None,
    scenario: str = "mixed",
    dirty: bool = False,
    out: Path = Path("simulated"),
    fmt: str = "parquet",
    progress: Progress | None = None,
    emit: str = "canonical",
) -> SimulationSummary:
    """Generate a synthetic organisation adopting AI tools, with ground truth.

    Args:
        people: headcount.
        days: length of the period.
        seed: random seed; the same seed and arguments give byte-identical files.
        start: first day; default today minus `days`, so the period ends today.
        scenario: stalled, coached or mixed.
        dirty: plant known bad rows and list them in `ground_truth_dirty.parquet`.
        out: output directory (created; files of a previous run are overwritten).
        fmt: parquet or csv for the canonical tables (ground truth is always Parquet).
        progress: called as `progress(stage, done, total)` after each chunk of people.
        emit: canonical (the tables), vendor (only vendor exports and HR roster, derived
            from canonical tables in a temporary folder) or both (vendor view in `out/vendor`).

    Returns:
        Row counts, headline shares and the files written.
    """
    _validate(people, days, scenario, fmt, emit, dirty)
    if emit == "canonical":
        return _simulate(people, days, seed, start, scenario, dirty, out, fmt, progress)
    t0 = time.perf_counter()
    out = Path(out)
    if emit == "both":
        summary = _simulate(people, days, seed, start, scenario, dirty, out, fmt, progress)
        summary.vendor = _vendor(out, out / "vendor", summary)
    else:
        out.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix="uptake-canonical-", dir=out))
        try:
            summary = _simulate(
                people, days, seed, start, scenario, dirty, tmp, "parquet", progress
            )
            summary.vendor = _vendor(tmp, out, summary)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        summary.out, summary.files = out, {}
    summary.emit = emit
    summary.seconds = round(time.perf_counter() - t0, 2)
    return summary


def _vendor(canonical: Path, out: Path, s: SimulationSummary) -> dict[str, object]:
    # Imported here: only the vendor views need it, and it reads what _simulate wrote.
    from uptake.simulate.vendor import emit_vendor

    base = json.loads((canonical / "manifest.json").read_text())
    return emit_vendor(canonical, out, seed=s.seed, start=s.start, days=s.days, manifest=base)


def _simulate(
    people: int,
    days: int,
    seed: int,
    start: date | None,
    scenario: str,
    dirty: bool,
    out: Path,
    fmt: str,
    progress: Progress | None,
) -> SimulationSummary:
    t0 = time.perf_counter()
    start = start or (datetime.now(UTC).date() - timedelta(days=days))
    sc = get_scenario(scenario)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tl = make_timeline(start, days)
    org = build_org(seed, people, days)
    plan = build_plan(org, tl, sc, seed)
    net = build_network(org, plan)
    shadow = plan_shadow(org, plan, seed)
    ids = frames.Identifiers(org)
    truth = Truth(org, plan, tl)
    dirt = Dirt(seed, fmt) if dirty else None
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="uptake-simulate-writer")
    writers = {name: TableWriter(out, name, fmt, executor) for name in TABLE_ORDER}
    pending: list[Future[None]] = []

    def write(name: str, table: pa.Table) -> None:
        w = writers[name]
        plant = dirt is not None and w.rows == 0 and table.num_rows >= 2
        pending.append(w.write(table, dirt.planter(name) if plant and dirt else None))  # type: ignore[arg-type]

    def settle(keep: int = 0) -> None:
        # Bound memory: at most `keep` queued writes stay in flight.
        while len(pending) > keep:
            pending.pop(0).result()

    write("workflows", frames.workflows_table())
    write("people", frames.people_table(org, tl))
    write("licenses", frames.licenses_table(org, plan, tl, ids, np.random.default_rng([seed, 5])))
    counters = dict.fromkeys(
        (
            "events",
            "sessions",
            "tasks",
            "decisions",
            "responses",
            "feedback",
            "interventions",
            "episode",
        ),
        0,
    )
    chunks = list(range(0, people, CHUNK))
    if progress is not None:
        progress("simulate", 0, len(chunks))
    for ci, lo in enumerate(chunks):
        idx = np.arange(lo, min(people, lo + CHUNK))
        rng = np.random.default_rng(np.random.SeedSequence([seed, 3, ci]))
        composer = Composer(np.random.default_rng(np.random.SeedSequence([seed, 4, ci])), org.email)
        daily = build_daily(org, plan, tl, idx, rng)
        tasks, extras = make_tasks(org, plan, daily, tl, rng)
        dec = make_decisions(tasks, plan, daily, tl, rng)
        sess = make_sessions(org, plan, daily, tl, tasks, dec, rng, counters["episode"])
        if (sess["episode"] >= 0).any():
            counters["episode"] = int(sess["episode"].max()) + 1
        ev = _sorted(expand(sess, plan, daily, rng), "ts")
        s = ev["session"]
        ev["person"] = sess["person"][s]
        ev["g"] = idx[ev["person"]]
        ev["tool"], ev["surface"], ev["workflow"] = (
            sess["tool"][s],
            sess["surface"][s],
            sess["workflow"][s],
        )
        # Planted friction, from its own stream and after the chunk's own draws: everything
        # else is generated exactly as it would be without it.
        frng = stream(seed, ci)
        tasks, dec, sess, ev, surface = plant_surface(plan, daily, tl, tasks, dec, sess, ev, frng)
        dec, ev, spikes = plant_overrides(plan, daily, tl, dec, sess, ev, frng)
        ev, streaks = plant_rejections(plan, daily, tl, ev, frng)
        n_s = len(sess["start"])
        write(
            "events",
            frames.events_table(ev, ids, idx, counters["events"], counters["sessions"], n_s),
        )
        plants = {"surface_use": surface, "override_spike": spikes, "rejection_streak": streaks}
        truth.add_chunk(daily, tasks, extras, sess, ev, dec, plants)
        counters["events"] += len(ev["ts"])
        counters["sessions"] += n_s
        del ev

        t = _sorted(tasks, "start")
        write("tasks", frames.tasks_table(t, idx, ids, counters["tasks"]))
        counters["tasks"] += len(t["start"])
        d = _sorted(dec, "ts")
        write("decisions", frames.decisions_table(d, idx, ids, counters["decisions"]))
        counters["decisions"] += len(d["ts"])

        r = _sorted(make_responses(org, plan, daily, tl, rng, composer, shadow.user), "ts")
        g = np.where(r["person"] >= 0, idx[np.maximum(r["person"], 0)], -1)
        write("responses", frames.responses_table(r, g, ids, counters["responses"]))
        counters["responses"] += len(g)

        f, labels = make_feedback(org, plan, daily, tl, rng, composer)
        order = np.argsort(f["ts"], kind="stable")
        f = {k: v[order] for k, v in f.items()}
        g = np.where(f["person"] >= 0, idx[np.maximum(f["person"], 0)], -1)
        ft = frames.feedback_table(f, g, ids, counters["feedback"])
        truth.add_feedback(
            ft.column("feedback_id").to_pylist(), [labels[k] for k in order], g, f["ts"]
        )
        write("feedback", ft)
        counters["feedback"] += len(g)

        h = _sorted(
            make_help_edges(org, plan, daily, tl, rng, composer, net, sc.champion_activity),
            "ts",
        )
        write("help_edges", frames.help_table(h, ids))
        iv = _sorted(make_interventions(org, plan, daily, tl, sc, rng), "ts")
        write(
            "interventions",
            frames.interventions_table(iv, idx[iv["person"]], ids, counters["interventions"]),
        )
        counters["interventions"] += len(iv["ts"])
        write("ai_web_visits", visits_table(org, plan, shadow, tl, idx, ids, seed, ci))
        settle(keep=10)
        if progress is not None:
            progress("simulate", ci + 1, len(chunks))

    settle()
    for w in writers.values():
        w.close()
    executor.shutdown()
    files = {name: [w.file] for name, w in writers.items()}
    if dirt is not None:
        side = dirt.write_sidecar(out)
        if side:
            files["events"].append(side)
    _write_truth(out, truth, dirt, {"ground_truth_shadow.parquet": truth_frame(org, shadow)})
    _write_config(out)
    headline = truth.headline()
    shares = {p: round(float(np.mean(plan.persona == i)), 4) for i, p in enumerate(PERSONAS)}
    planted: dict[str, int] = {}
    if dirt is not None:
        for rec in dirt.records:
            planted[str(rec["expected"])] = planted.get(str(rec["expected"]), 0) + 1
    summary = SimulationSummary(
        out=out,
        people=people,
        days=days,
        seed=seed,
        scenario=scenario,
        start=start,
        end=tl.end,
        fmt=fmt,
        dirty=dirty,
        rows={name: w.rows for name, w in writers.items()},
        headline=headline,
        persona_shares=shares,
        files=files,
        planted=planted,
    )
    _write_manifest(out, summary)
    summary.seconds = round(time.perf_counter() - t0, 2)
    return summary


def _write_truth(out: Path, truth: Truth, dirt: Dirt | None, more: dict[str, pd.DataFrame]) -> None:
    parts = {
        "ground_truth.parquet": truth.people_frame(),
        "ground_truth_episodes.parquet": truth.episodes_frame(),
        "ground_truth_savings.parquet": truth.savings_frame(),
        "ground_truth_feedback.parquet": truth.feedback_frame(),
    }
    if dirt is not None:
        parts["ground_truth_dirty.parquet"] = dirt.frame()
    parts.update(more)
    for name, df in parts.items():
        table = pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)
        pq.write_table(table, out / name, compression="snappy")


def _write_config(out: Path) -> None:
    """use_cases.json (role use-case library) and instruments.json (survey items)."""
    by_id = {w.id: w for w in WORKFLOWS}
    library = {
        r.name: [
            {
                "id": f"uc:{wid}",
                "workflow": wid,
                "title": by_id[wid].name,
                "stakes": by_id[wid].stakes,
                "tool": ("office_copilot", "code_assistant", "decision_model")[by_id[wid].tool],
                "surface": by_id[wid].surface,
                "guidance": by_id[wid].use_case,
            }
            for wid in r.workflows
        ]
        for r in all_roles()
    }
    (out / "use_cases.json").write_text(json.dumps({"roles": library}, indent=2) + "\n")
    (out / "instruments.json").write_text(json.dumps(INSTRUMENTS, indent=2) + "\n")


def _write_manifest(out: Path, s: SimulationSummary) -> None:
    manifest = {
        "generator": "uptake simulate",
        "seed": s.seed,
        "people": s.people,
        "days": s.days,
        "start": s.start.isoformat(),
        "end": s.end.isoformat(),
        "scenario": s.scenario,
        "format": s.fmt,
        "dirty": s.dirty,
        "tables": s.files,
        "ingest_order": [t for t in TABLE_ORDER if t in s.files],
        "rows": s.rows,
        "headline": s.headline,
        "persona_shares": s.persona_shares,
        "personas": {p: {"typology": TYPOLOGY[p], "description": DESCRIPTION[p]} for p in PERSONAS},
        "ground_truth": sorted(p.name for p in out.glob("ground_truth*.parquet")),
        "config": ["use_cases.json", "instruments.json"],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
