"""Synthetic organisation adopting AI tools, with ground truth.

Public API:

    from uptake.simulate import simulate, SimulationSummary
    summary = simulate(people=1000, days=120, seed=42, start=None, scenario="mixed",
                       dirty=False, out=Path("sim"), fmt="parquet", progress=None)
    summary.headline   # {"licenses_unused": ..., "high_stakes_ai_share": ...,
                       #  "login_active": ..., "true_l3_share": ...}
    summary.rows       # rows written per table
    summary.files      # table -> files to ingest, in order (manifest.json has the same)

CLI: `uptake.cli.simulate` runs it as `uptake simulate --people N --days D --seed S
[--start DATE] [--scenario NAME] [--dirty] [--format parquet|csv] --out DIR`.

What a run writes to `out`:

- one file per canonical table (`people`, `licenses`, `events`, `tasks`, `decisions`,
  `responses`, `feedback`, `help_edges`, `interventions`, `workflows`) as `<table>.parquet`
  or `<table>.csv`, with the canonical input column names; person columns hold raw identifiers
  (e-mail for most sources, GitHub-style login for the coding assistant, employee number for
  the decision model, sometimes a legacy e-mail), resolvable through `people.aliases`;
- with `--dirty`, also `events_late.jsonl` (late events, re-delivered duplicates, bad lines);
- `use_cases.json` (role use-case library) and `instruments.json` (survey items);
- ground truth, always Parquet (see `uptake.simulate.truth` for every column):
  `ground_truth.parquet` (per person), `ground_truth_episodes.parquet` (an episode of every
  friction rule, planted and incidental), `ground_truth_savings.parquet` (true minutes
  saved per person and workflow), `ground_truth_feedback.parquet` (text labels, planted
  PII) and, with `--dirty`, `ground_truth_dirty.parquet` (file, locator, expected reason);
- `manifest.json`: arguments, files per table, ingest order, row counts, headline shares.

The full description (organisation, scenarios, every ground-truth column) is in
docs/simulator.md. The same seed and arguments give byte-identical files. Generation runs in
chunks of people (NumPy, vectorised), so tier L (100k people) fits in memory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from uptake.lazy import exports

if TYPE_CHECKING:
    from uptake.simulate.run import SimulationSummary, simulate

__all__ = ["SimulationSummary", "simulate"]

# The generator loads on first use: it imports NumPy, pandas and PyArrow, which the command
# line's help and its option checks (`choices`, `scenarios`) do without.
__getattr__ = exports(__name__, dict.fromkeys(__all__, "uptake.simulate.run"))
