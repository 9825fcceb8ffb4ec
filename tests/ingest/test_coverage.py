"""Identity coverage: which source formats the roster links, with hints that quote no one.

Every file here is built by hand, so each expected count is worked out in the comments.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from factories import FROZEN_NOW, person_id, rows, write
from uptake.warehouse.coverage import NO_ROSTER, coverage_checks, identity_coverage
from uptake.workspace import Workspace

USAGE = "github-copilot-usage"
LOGINS = [f"Octo-Dev{i}" for i in range(4)]
# A 32-hex concealed UPN as an M365 tenant with concealment on reports it.
HASHES = [f"{i:02d}8EEF6A6BBD3D0293CB306D24A420{i:02d}" for i in range(3)]


def roster(tmp_path: Path, name: str, logins: bool = False) -> Path:
    """Four roster people listing their employee numbers, and their GitHub logins if asked."""
    people = rows("people", 4)
    for i, p in enumerate(people):
        p["aliases"] = [f"E{i:05d}", *([LOGINS[i]] if logins else [])]
    return write(people, tmp_path / name)


def usage_file(tmp_path: Path) -> Path:
    """GitHub usage records: 4 logins x 2 days, each with prompts, generations, acceptances.

    Per record the connector makes 3 events (prompt, suggestion, accept) and 3 person facts
    (the three counters), so 8 records give 24 events and 24 facts: 48 rows of 4 people.
    """
    recs = [
        {
            "user_login": login,
            "day": f"2026-05-0{1 + d}",
            "user_initiated_interaction_count": 3,
            "code_generation_activity_count": 2,
            "code_acceptance_activity_count": 1,
        }
        for login in LOGINS
        for d in range(2)
    ]
    path = tmp_path / "users-1-day.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    return path


def m365_file(tmp_path: Path) -> Path:
    """An M365 user-detail report whose three users are concealed as 32-hex strings."""
    apps = ["Copilot Chat", "Microsoft Teams Copilot", "Word Copilot", "Excel Copilot"]
    head = ["Report Refresh Date", "User Principal Name", "Display Name", "Last Activity Date"]
    head += [f"{a} Last Activity Date" for a in apps] + ["Report Period"]
    lines = [",".join(head)]
    for h in HASHES:
        lines.append(",".join(["2026-05-03", h, h[::-1], "2026-05-02", *[""] * len(apps), "7"]))
    path = tmp_path / "CopilotUsageUserDetail.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def coverage(ws: Workspace) -> dict[str, Any]:
    return ws.status()["identity_coverage"]


def test_logins_the_roster_does_not_list_stay_unlinked_with_the_login_hint(
    workspace: Workspace, tmp_path: Path
) -> None:
    workspace.ingest("people", [roster(tmp_path, "p.jsonl")], now=FROZEN_NOW)
    workspace.ingest("events", [usage_file(tmp_path)], fmt=USAGE, now=FROZEN_NOW)
    cov = coverage(workspace)
    assert cov["roster_people"] == 4 and cov["note"] is None
    got = cov["formats"][USAGE]
    assert got["tables"] == ["events", "person_facts"]
    assert (got["seen"], got["linked"], got["unlinked"]) == (4, 0, 4)
    assert got["linked_share"] == 0.0 and got["below_threshold"] is True
    assert got["unlinked_shapes"] == {"login": 4}
    assert got["hint"].startswith("GitHub logins (no @")
    assert "aliases" in got["hint"]
    # Examples are the provisional person keys, never the logins themselves.
    assert set(got["examples"]) == {workspace.pseudonymise(login) for login in LOGINS}
    text = json.dumps(workspace.status())
    for login in LOGINS:
        assert login.lower() not in text.lower()
    [check] = [c for c in workspace.doctor() if c["check"] == "identity_coverage"]
    assert (check["ok"], check["status"]) == (True, "warn")
    assert check["message"].startswith(f"{USAGE}: 0 % of 4 identities linked")


def test_the_roster_with_the_logins_rekeys_and_links_everything(
    workspace: Workspace, tmp_path: Path
) -> None:
    workspace.ingest("people", [roster(tmp_path, "p1.jsonl")], now=FROZEN_NOW)
    workspace.ingest("events", [usage_file(tmp_path)], fmt=USAGE, now=FROZEN_NOW)
    [r] = workspace.ingest("people", [roster(tmp_path, "p2.jsonl", True)], now=FROZEN_NOW)
    # The people rows are unchanged (aliases are not stored), so all 4 are duplicates; the
    # 48 rows of the 4 logins (see usage_file) moved to the roster people.
    assert (r.accepted, r.duplicates) == (0, 4)
    assert (r.rekeyed, r.rekeyed_identities) == (48, 4)
    assert {k: r.to_dict()[k] for k in ("rekeyed_rows", "rekeyed_identities")} == {
        "rekeyed_rows": 48,
        "rekeyed_identities": 4,
    }
    got = coverage(workspace)["formats"][USAGE]
    assert (got["seen"], got["linked"], got["linked_share"]) == (4, 4, 1.0)
    assert got["examples"] == [] and got["hint"] is None
    [check] = [c for c in workspace.doctor() if c["check"] == "identity_coverage"]
    assert check["status"] == "ok"
    # A third ingest of the same roster moves nothing.
    [again] = workspace.ingest("people", [roster(tmp_path, "p3.jsonl", True)], now=FROZEN_NOW)
    assert (again.rekeyed, again.rekeyed_identities) == (0, 0)


def test_concealed_upns_get_the_concealment_hint(workspace: Workspace, tmp_path: Path) -> None:
    workspace.ingest("people", [roster(tmp_path, "p.jsonl")], now=FROZEN_NOW)
    workspace.ingest("events", [m365_file(tmp_path)], fmt="m365-copilot-usage", now=FROZEN_NOW)
    [(label, got)] = coverage(workspace)["formats"].items()
    assert label == "m365-copilot-usage"
    assert (got["seen"], got["linked"], got["unlinked_shapes"]) == (3, 0, {"hashed": 3})
    assert got["hint"].startswith("32-hex strings: the M365 tenant conceals user names")
    assert "turn concealment off or map the hashes" in got["hint"]
    text = json.dumps(workspace.status()).lower()
    assert not any(h.lower() in text for h in HASHES)


def test_partial_coverage_of_canonical_files_is_labelled_by_table(
    workspace: Workspace, tmp_path: Path
) -> None:
    # rows("tasks", 14) names person0..person6@example.org; the roster lists person0..4:
    # 5 of 7 linked (71.43 %); the other two use the roster's own domain.
    workspace.ingest("people", [write(rows("people", 5), tmp_path / "p.csv")], now=FROZEN_NOW)
    workspace.ingest("tasks", [write(rows("tasks", 14), tmp_path / "t.csv")], now=FROZEN_NOW)
    got = coverage(workspace)["formats"]["tasks (csv)"]
    assert (got["seen"], got["linked"], got["unlinked"], got["linked_share"]) == (7, 5, 2, 0.7143)
    assert got["unlinked_shapes"] == {"email_roster_domain": 2}
    assert got["hint"].startswith("e-mail addresses at the roster's domain")
    assert sorted(got["examples"]) == sorted(workspace.pseudonymise(person_id(i)) for i in (5, 6))


def test_rows_handed_in_whole_are_labelled_as_posted(workspace: Workspace, tmp_path: Path) -> None:
    import pandas as pd

    workspace.ingest("people", [write(rows("people", 5), tmp_path / "p.csv")], now=FROZEN_NOW)
    workspace.ingest_frame("tasks", pd.DataFrame(rows("tasks", 14)), source="api", now=FROZEN_NOW)
    # Not "tasks (frame)": the API's batches and in-memory frames read as posted rows.
    got = coverage(workspace)["formats"]["tasks (posted rows)"]
    assert (got["seen"], got["linked"]) == (7, 5)


def test_a_foreign_domain_is_named_only_when_enough_identities_share_it(
    workspace: Workspace, tmp_path: Path
) -> None:
    workspace.ingest("people", [write(rows("people", 2), tmp_path / "p.csv")], now=FROZEN_NOW)
    many = [dict(r, person=f"c{i}@contractor.example") for i, r in enumerate(rows("tasks", 5))]
    one = [dict(rows("decisions", 1)[0], person="me@my-own-name.example")]
    workspace.ingest("tasks", [write(many, tmp_path / "many.csv")], now=FROZEN_NOW)
    workspace.ingest("decisions", [write(one, tmp_path / "one.csv")], now=FROZEN_NOW)
    formats = coverage(workspace)["formats"]
    # Five identities share @contractor.example (the minimum group size is 5): named.
    assert formats["tasks (csv)"]["hint"] == (
        "e-mail addresses at a domain the roster does not use (e.g. `@contractor.example`): "
        "add them to the roster's `aliases`"
    )
    # One person's own domain would point at them: described, not named.
    assert "my-own-name" not in json.dumps(formats)
    assert formats["decisions (csv)"]["hint"].startswith(
        "e-mail addresses at a domain the roster does not use: "
    )


def test_without_a_roster_nothing_can_be_linked(workspace: Workspace, tmp_path: Path) -> None:
    workspace.ingest("tasks", [write(rows("tasks", 14), tmp_path / "t.csv")], now=FROZEN_NOW)
    cov = coverage(workspace)
    assert cov["roster_people"] == 0 and cov["note"] == NO_ROSTER
    got = cov["formats"]["tasks (csv)"]
    # Not 0 %: there is nothing to link to, which is a different problem.
    assert (got["seen"], got["linked_share"], got["hint"]) == (7, None, NO_ROSTER)
    [check] = coverage_checks(cov)
    assert check["status"] == "warn"
    assert check["message"].startswith("no roster: nothing can be linked")


def test_an_empty_workspace_has_nothing_to_warn_about(workspace: Workspace) -> None:
    cov = identity_coverage(workspace.con)
    assert cov == {"roster_people": 0, "note": None, "threshold": 0.9, "formats": {}}
    assert [c["status"] for c in coverage_checks(cov)] == ["ok"]


def test_threshold_is_a_setting(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("UPTAKE_SECRET", raising=False)
    ws = Workspace.init(tmp_path / "ws", {"ingest.min_linked_share": 0.7})
    ws.ingest("people", [write(rows("people", 5), tmp_path / "p.csv")], now=FROZEN_NOW)
    ws.ingest("tasks", [write(rows("tasks", 14), tmp_path / "t.csv")], now=FROZEN_NOW)
    # 5 of 7 = 71 % passes 70 % but not the default 90 %.
    assert coverage(ws)["formats"]["tasks (csv)"]["below_threshold"] is False
    assert identity_coverage(ws.con)["formats"]["tasks (csv)"]["below_threshold"] is True
    ws.close()


def test_a_row_naming_two_moved_identities_counts_once(
    workspace: Workspace, tmp_path: Path
) -> None:
    # One help edge whose asker and helper are both logins the roster later lists: 1 row,
    # 2 identities.
    edge = [dict(rows("help_edges", 1)[0], asker=LOGINS[0], helper=LOGINS[1])]
    workspace.ingest("help_edges", [write(edge, tmp_path / "h.csv")], now=FROZEN_NOW)
    [r] = workspace.ingest("people", [roster(tmp_path, "p.jsonl", True)], now=FROZEN_NOW)
    assert (r.rekeyed, r.rekeyed_identities) == (1, 2)
