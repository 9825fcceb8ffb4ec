"""The vendor view of a simulated organisation: only what a real organisation would have.

`emit_vendor(canonical_dir, out, seed=…)` reads the canonical Parquet tables a simulation
wrote and derives the vendor exports and HR roster from them (docs/simulator.md, "The vendor
view"): GitHub Copilot usage reports and seats (`github/`), Microsoft 365 Copilot usage
reports (`m365/`), SCIM users and an HR roster (`roster/`), plus copies of the ground truth and
a `manifest.json` listing the files in the order to ingest them and what the view loses.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

from uptake.simulate.vendor import github, m365, roster
from uptake.simulate.vendor.common import load

LOSSY = (
    "Workflow runs (tasks), AI-recommendation decisions and their outcomes, survey responses, "
    "feedback tickets, help edges and coaching interventions have no vendor export here.",
    "The in-house decision model has no vendor export: its events and licences are absent.",
    "GitHub reports are per user and day: event times, sessions, durations, rejections and "
    "edits of suggestions are gone, and the workflow of each event is unknown.",
    "A seeded 3 % of GitHub Copilot users have IDE telemetry disabled: they never appear in "
    "the usage reports and their seats show no last activity.",
    "GitHub pull-request numbers in the enterprise report are invented (seeded), not derived "
    "from simulated work.",
    "Microsoft 365 Copilot reports give last-activity dates per app, never counts; the daily "
    "by-date files show who used which app on a day, not how much.",
    "Microsoft 365 reports list only licensed people: office_copilot use outside a licence "
    "is invisible.",
    "SCIM carries no GitHub logins; the roster CSV supplies them as aliases. Employee "
    "numbers and legacy e-mail addresses are not aliases in the roster CSV.",
    "The roster is as of the end of the period: team moves during the period are not visible.",
)


def emit_vendor(
    canonical_dir: Path,
    out: Path,
    *,
    seed: int,
    start: date,
    days: int,
    manifest: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write the vendor view of the organisation in `canonical_dir` to `out`.

    Args:
        canonical_dir: folder with the canonical Parquet tables and ground truth.
        out: folder for the vendor files (created).
        seed: the simulation seed (telemetry-off users, invented pull-request numbers).
        start: first simulated day.
        days: number of simulated days.
        manifest: fields of the canonical manifest to carry over (arguments, headline, …).

    Returns:
        The vendor manifest (also written to `out/manifest.json`).
    """
    out.mkdir(parents=True, exist_ok=True)
    c = load(Path(canonical_dir), start, days)
    gh = github.write(c, out, seed)
    m_files = m365.write(c, out)
    r_files = roster.write(c, out)
    truth = sorted(p.name for p in Path(canonical_dir).glob("ground_truth*.parquet"))
    for name in truth:
        shutil.copyfile(Path(canonical_dir) / name, out / name)
    keep = ("generator", "seed", "people", "days", "start", "end", "scenario")
    keep_after = ("headline", "persona_shares", "personas")
    base = manifest or {}
    by_date = [f for f in m_files if "/copilot_user_detail_by_date/" in f]
    doc: dict[str, Any] = {
        **{k: base[k] for k in keep if k in base},
        "view": "vendor",
        "files": {
            "roster": r_files,
            "github": gh.files,
            "m365": [f for f in m_files if f not in by_date],
            "m365_by_date": by_date,
        },
        "ingest": _ingest_plan(by_date),
        "reference_only": {
            "github/copilot_user_teams_1_day.ndjson": "team membership per user and day "
            "(the roster already has teams; ingesting it as usage adds no events)",
        },
        "telemetry_off_users": len(gh.telemetry_off),
        "github_users": gh.users,
        "lossy": list(LOSSY),
        **{k: base[k] for k in keep_after if k in base},
        "ground_truth": truth,
    }
    (out / "manifest.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return doc


def _ingest_plan(by_date: list[str]) -> list[dict[str, Any]]:
    """Files in the order to ingest them: the roster first, then seats, then usage."""
    usage = "github-copilot-usage"
    office = "m365-copilot-usage"
    return [
        {
            "file": "roster/scim_users.json",
            "format": "scim",
            "options": {"team_from": roster.TEAM_PATH},
        },
        {"file": "roster/roster.csv", "format": "canonical", "table": "people"},
        {"file": "github/copilot_seats.json", "format": "github-copilot-seats",
         "options": {"monthly_cost": "19"}},
        {"file": "github/copilot_users_1_day.ndjson", "format": usage},
        {"file": "github/copilot_enterprise_1_day.ndjson", "format": usage},
        {"file": "m365/copilot_user_detail_D30.csv", "format": office},
        {"files": by_date, "format": office},
        {"file": "m365/copilot_user_count_summary.csv", "format": office},
        {"file": "m365/copilot_user_count_trend.csv", "format": office},
    ]  # fmt: skip


__all__ = ["LOSSY", "emit_vendor"]
