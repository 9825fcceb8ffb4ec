"""The vendor view (`--emit vendor|both`): real vendor shapes, faithful counts, clean ingest."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from uptake.cli import app
from uptake.simulate import simulate
from uptake.simulate.vendor.common import load
from uptake.simulate.vendor.github import telemetry_off
from uptake.workspace import Workspace

SAMPLES = Path("/work/shared/formats")
LOCAL_SAMPLES = Path(__file__).parents[1] / "ingest" / "connectors" / "samples"
START = date(2026, 9, 1)
DAYS = 40
SEED = 3
PEOPLE = 90
APPS = {
    "Copilot Chat Last Activity Date": "copilot_chat",
    "Microsoft Teams Copilot Last Activity Date": "teams",
    "Word Copilot Last Activity Date": "word",
    "Excel Copilot Last Activity Date": "excel",
    "PowerPoint Copilot Last Activity Date": "powerpoint",
    "Outlook Copilot Last Activity Date": "outlook",
    "OneNote Copilot Last Activity Date": "onenote",
    "Loop Copilot Last Activity Date": "loop",
}


def _sample(name: str) -> Path:
    """A real vendor sample: the shared folder, else the copies shipped with the tests."""
    for folder in (SAMPLES, LOCAL_SAMPLES):
        if (folder / name).exists():
            return folder / name
    pytest.skip(f"vendor sample {name} not available")


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Canonical tables plus `vendor/` for a small organisation."""
    out = tmp_path_factory.mktemp("both")
    simulate(PEOPLE, DAYS, SEED, start=START, out=out, emit="both")
    return out


@pytest.fixture(scope="module")
def vendor_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same organisation written as a vendor view only."""
    out = tmp_path_factory.mktemp("vendor")
    simulate(PEOPLE, DAYS, SEED, start=START, out=out, emit="vendor")
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _ndjson(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_vendor_only_writes_no_canonical_tables_and_matches_both(
    both: Path, vendor_only: Path
) -> None:
    assert (both / "people.parquet").exists() and (both / "vendor" / "manifest.json").exists()
    assert not list(vendor_only.glob("*.parquet")) or all(
        p.name.startswith("ground_truth") for p in vendor_only.glob("*.parquet")
    )
    assert not [p for p in vendor_only.iterdir() if p.name.startswith("uptake-canonical-")]
    # Same seed, same bytes: the vendor-only run and the vendor folder of `both` agree.
    assert _files(vendor_only) == _files(both / "vendor")
    for name in ("ground_truth.parquet", "ground_truth_episodes.parquet"):
        assert (vendor_only / name).read_bytes() == (both / name).read_bytes()
    manifest = json.loads((vendor_only / "manifest.json").read_text())
    assert manifest["view"] == "vendor" and manifest["lossy"]
    assert [i.get("format") for i in manifest["ingest"][:2]] == ["scim", "canonical"]


def test_records_have_the_keys_of_the_real_samples(vendor_only: Path) -> None:
    gh = vendor_only / "github"
    user_sample = json.loads(
        _sample("github_copilot_usage_metrics_user_level_example.json").read_text()
    )[0]
    # totals_by_cli only appears for CLI users (none here); ai_adoption_phase is the 2026 field.
    expected = (set(user_sample) - {"totals_by_cli"}) | {"ai_adoption_phase"}
    users = _ndjson(gh / "copilot_users_1_day.ndjson")
    assert users and all(set(u) == expected for u in users)
    ide_keys = set(user_sample["totals_by_ide"][0])
    assert all(set(e) == ide_keys for u in users for e in u["totals_by_ide"])
    feature_keys = set(user_sample["totals_by_feature"][0])
    assert all(set(e) == feature_keys for u in users for e in u["totals_by_feature"])
    ent_sample = json.loads(
        _sample("github_copilot_usage_metrics_enterprise_level_example.json").read_text()
    )[0]
    ent = _ndjson(gh / "copilot_enterprise_1_day.ndjson")
    assert len(ent) == DAYS and all(set(r) == set(ent_sample) for r in ent)
    totals_keys = set(ent_sample["day_totals"][0]) - {"totals_by_cli"}
    assert all(set(r["day_totals"][0]) == totals_keys for r in ent)
    pr_keys = set(ent_sample["day_totals"][0]["pull_requests"])
    assert all(set(r["day_totals"][0]["pull_requests"]) <= pr_keys for r in ent)
    teams = _ndjson(gh / "copilot_user_teams_1_day.ndjson")
    keys = {"user_id", "user_login", "day", "organization_id", "team_id", "slug"}
    assert teams and all(set(t) == keys for t in teams)
    seats_sample = json.loads(_sample("github_copilot_billing_seats_org.json").read_text())[
        "seats"
    ][0]
    seats = json.loads((gh / "copilot_seats.json").read_text())
    assert seats["total_seats"] == len(seats["seats"]) > 0
    for seat in seats["seats"]:
        assert set(seat) == set(seats_sample)
        assert set(seat["assignee"]) == set(seats_sample["assignee"])
        assert set(seat["assigning_team"]) == set(seats_sample["assigning_team"])
    for mine, sample in (
        ("copilot_user_detail_D30.csv", "m365_copilot_usage_user_detail_v1.0.csv"),
        ("copilot_user_detail_D7.csv", "m365_copilot_usage_user_detail_v1.0.csv"),
        (f"copilot_user_detail_by_date/{START}.csv", "m365_copilot_usage_user_detail_v1.0.csv"),
        ("copilot_user_count_summary.csv", "m365_copilot_user_count_summary_v1.0.csv"),
        ("copilot_user_count_trend.csv", "m365_copilot_user_count_trend_v1.0.csv"),
    ):
        assert _csv(vendor_only / "m365" / mine)[0] == _csv(_sample(sample))[0], mine
    scim_sample = json.loads(_sample("scim_rfc7643_enterprise_user.json").read_text())
    ent_urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    scim = json.loads((vendor_only / "roster" / "scim_users.json").read_text())
    assert scim["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert scim["totalResults"] == len(scim["Resources"]) == PEOPLE
    for user in scim["Resources"]:
        custom = {k for k in user if k.startswith("urn:example:")}
        assert set(user) - custom <= set(scim_sample)
        assert set(user[ent_urn]) <= set(scim_sample[ent_urn])
        assert all("@" not in a or a == user["userName"] for a in [user["userName"]])


def _canonical_counts(both: Path, off: set[str]) -> Counter[tuple[str, str, str]]:
    ev = pq.read_table(both / "events.parquet", columns=["ts", "person", "tool", "action"])
    ev = ev.filter(pc.equal(ev["tool"], "code_assistant"))
    names = {
        "suggestion": "code_generation_activity_count",
        "accept": "code_acceptance_activity_count",
        "prompt": "user_initiated_interaction_count",
    }
    out: Counter[tuple[str, str, str]] = Counter()
    for ts, person, action in zip(
        ev["ts"].to_pylist(), ev["person"].to_pylist(), ev["action"].to_pylist(), strict=True
    ):
        if action in names and person not in off:
            out[(person, ts.date().isoformat(), names[action])] += 1
    return out


def test_github_counts_equal_the_canonical_person_day_counts(both: Path) -> None:
    c = load(both, START, DAYS)
    off = {str(c.login[p]) for p in telemetry_off(c, SEED)}
    assert off, "the 3 % telemetry-off share should hide someone at this size"
    users = _ndjson(both / "vendor" / "github" / "copilot_users_1_day.ndjson")
    assert not {u["user_login"] for u in users} & off
    got: Counter[tuple[str, str, str]] = Counter()
    for u in users:
        for k in ("code_generation_activity_count", "code_acceptance_activity_count",
                  "user_initiated_interaction_count"):  # fmt: skip
            if u[k]:
                got[(u["user_login"], u["day"], k)] += u[k]
            assert u[k] == sum(f[k] for f in u["totals_by_feature"])
    assert got == _canonical_counts(both, off)
    # Agent edits are not suggestions: only code_completion carries generations.
    assert all(
        f["code_generation_activity_count"] == 0
        for u in users for f in u["totals_by_feature"] if f["feature"] != "code_completion"
    )  # fmt: skip
    ent = _ndjson(both / "vendor" / "github" / "copilot_enterprise_1_day.ndjson")
    per_day = Counter(u["day"] for u in users)
    for r in ent:
        t = r["day_totals"][0]
        assert t["daily_active_users"] == per_day.get(t["day"], 0)
        assert t["daily_active_users"] <= t["weekly_active_users"] <= t["monthly_active_users"]
        day_users = [u for u in users if u["day"] == t["day"]]
        assert t["code_acceptance_activity_count"] == sum(
            u["code_acceptance_activity_count"] for u in day_users
        )


def _office(both: Path) -> tuple[set[str], dict[tuple[str, str], str]]:
    """Office-licensed people on the last day and last activity date per (person, app)."""
    c = load(both, START, DAYS)
    last = START + timedelta(days=DAYS - 1)
    lic = pq.read_table(both / "licenses.parquet").to_pylist()
    licensed = {
        c.email[c.alias[r["person"]]]
        for r in lic
        if r["tool"] == "office_copilot"
        and r["assigned_at"].date() <= last
        and (r["removed_at"] is None or r["removed_at"].date() > last)
    }
    ev = pq.read_table(both / "events.parquet", columns=["ts", "person", "tool", "surface"])
    ev = ev.filter(pc.equal(ev["tool"], "office_copilot")).to_pylist()
    latest: dict[tuple[str, str], str] = {}
    for e in ev:
        key = (c.email[c.alias[e["person"]]], e["surface"])
        latest[key] = max(latest.get(key, ""), e["ts"].date().isoformat())
    return licensed, latest


def test_m365_detail_lists_the_licensed_with_their_last_activity(both: Path) -> None:
    licensed, latest = _office(both)
    _, rows = _csv(both / "vendor" / "m365" / "copilot_user_detail_D30.csv")
    assert {r["User Principal Name"] for r in rows} == licensed
    for r in rows:
        person = r["User Principal Name"]
        for column, surface in APPS.items():
            assert r[column] == latest.get((person, surface), ""), (person, column)
        dates = [d for d in (r[c] for c in APPS) if d]
        assert r["Last Activity Date"] == max(dates, default="")
        assert r["Report Period"] == "30" and r["Report Refresh Date"] == "2026-10-10"


def test_counts_summary_and_trend_agree_with_the_detail(both: Path) -> None:
    m = both / "vendor" / "m365"
    _, detail = _csv(m / "copilot_user_detail_D30.csv")
    _, summary = _csv(m / "copilot_user_count_summary.csv")
    _, trend = _csv(m / "copilot_user_count_trend.csv")
    assert len(trend) == DAYS
    d30 = next(s for s in summary if s["Report Period"] == "30")
    assert int(d30["Any App Enabled Users"]) == len(detail)
    since = (START + timedelta(days=DAYS - 30)).isoformat()
    assert int(d30["Word Active Users"]) == sum(
        r["Word Copilot Last Activity Date"] >= since for r in detail
    )
    for row in trend:
        _, daily = _csv(m / "copilot_user_detail_by_date" / f"{row['Report Date']}.csv")
        day = row["Report Date"]
        assert int(row["Any App Enabled Users"]) == len(daily)
        assert int(row["Any App Active Users"]) == sum(
            r["Last Activity Date"] == day for r in daily
        )
        assert int(row["Microsoft Teams Active Users"]) == sum(
            r["Microsoft Teams Copilot Last Activity Date"] == day for r in daily
        )
        assert all(r["Report Period"] == "1" and r["Report Refresh Date"] == day for r in daily)


def test_every_vendor_file_ingests_without_quarantine(
    vendor_only: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UPTAKE_WORKSPACE", raising=False)
    manifest = json.loads((vendor_only / "manifest.json").read_text())
    ws = Workspace.init(tmp_path / "ws")
    try:
        plan = list(manifest["ingest"]) + [
            {"file": f, "format": "github-copilot-usage"} for f in manifest["reference_only"]
        ]
        for item in plan:
            files = [vendor_only / f for f in item.get("files", [item.get("file")]) if f]
            fmt = None if item["format"] == "canonical" else item["format"]
            results = ws.ingest(
                item.get("table", ""), files, fmt=fmt, options=item.get("options"), refresh=False
            )
            assert results, item
            for r in results:
                assert r.quarantined == 0, (item, r.by_reason)
                assert r.rows == r.accepted + r.duplicates, (item, r)
    finally:
        ws.close()


def test_cli_emit_vendor_and_a_bad_emit(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "sim"
    args = ["simulate", "--people", "40", "--days", "28", "--seed", "1", "--start", "2026-09-01"]
    r = runner.invoke(app, [*args, "--out", str(out), "--emit", "vendor", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "manifest.json").read_text())["view"] == "vendor"
    assert (out / "roster" / "scim_users.json").exists() and not (out / "events.parquet").exists()
    bad = runner.invoke(app, [*args, "--out", str(tmp_path / "x"), "--emit", "xml"])
    assert bad.exit_code == 2
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "--emit" in lines[0]
    assert "Traceback" not in bad.output
