"""Segments: who belongs to which role, team, level, cohort and tenure band.

`dim_person` is materialised once per refresh: one row per person known from the roster or
a licence, with every segment that does not depend on the date. Tenure depends on the date
and is derived where it is used (`tenure_band`).

Management level comes from the manager chain: a person's height in the reporting tree —
`IC` (no direct reports), `M1` (manages individual contributors only), `M2` (manages at
least one M1), `M3+` (manages managers of managers). Cohort is the month of a person's first
licence assignment (`YYYY-MM`). Missing values are the segment `(none)` so the segment rows of
a dimension always add up to its total.

Team from the GitHub user-teams report, used only where the roster has none: a person whose
roster row has no team (or who has no roster row) takes the team of their latest `github_team`
fact; in several teams that day, the first by slug (the fact's primary team).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import ibis
import pandas as pd

from uptake.metrics.dimensions import STATIC
from uptake.metrics.seats import seats
from uptake.warehouse.engine import Engine

DIM_PERSON = "dim_person"
NO_SEGMENT = "(none)"
LEVELS = ("IC", "M1", "M2", "M3+")
TENURE_BANDS = ("<90d", "90-365d", "1-3y", "3y+")
# The person fact (and its source) naming a GitHub team; see `github_teams`.
GITHUB_TEAM = ("github_team", "github-copilot-usage")


def build_dim_person(engine: Engine) -> ibis.Table:
    """Materialise `dim_person` (person_key, segments, hire date, status, first licence).

    Args:
        engine: the compute engine.

    Returns:
        The materialised table.
    """
    cols = ["person_key", "role", "function", "team", "manager_key", "location", "hire_date"]
    if engine.has("people"):
        p = engine.table("people")
        people = engine.execute(p.select(*cols, status=p.employment_status))
    else:
        people = pd.DataFrame({c: pd.Series(dtype=object) for c in [*cols, "status"]})
        people["hire_date"] = pd.Series(dtype="datetime64[s]")
    if engine.has("licenses"):
        lic = seats(engine)
        first = engine.execute(
            lic.group_by("person_key").aggregate(first_assigned=lic.assigned_at.min())
        )
    else:
        first = pd.DataFrame(
            {
                "person_key": pd.Series(dtype=object),
                "first_assigned": pd.Series(dtype="datetime64[us]"),
            }
        )
    people = people.drop_duplicates("person_key").astype({"person_key": object})
    first = first.astype({"person_key": object})
    frame = people.merge(first, on="person_key", how="outer")
    # Team from GitHub's user-teams report, used only where the roster has none.
    fallback = frame["person_key"].map(github_teams(engine))
    frame["team"] = frame["team"].where(frame["team"].map(_named) | fallback.isna(), fallback)
    frame["level"] = management_levels(frame["person_key"], frame["manager_key"])
    assigned = pd.to_datetime(frame["first_assigned"])
    frame["cohort"] = assigned.dt.strftime("%Y-%m").where(assigned.notna(), None)
    frame["manager_key"] = manager_labels(frame)
    frame = frame.rename(columns={"manager_key": "manager"})
    for c in STATIC:
        frame[c] = frame[c].astype(object).where(frame[c].notna(), NO_SEGMENT).astype(str)
    frame["hire_date"] = pd.to_datetime(frame["hire_date"]).dt.date
    frame["first_assigned"] = assigned
    out = frame[["person_key", *STATIC, "hire_date", "status", "first_assigned"]]
    schema = ibis.schema(
        {
            "person_key": "string",
            **{c: "string" for c in STATIC},
            "hire_date": "date",
            "status": "string",
            "first_assigned": "timestamp",
        }
    )
    return engine.materialize(DIM_PERSON, ibis.memtable(out, schema=schema))


def _named(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def github_teams(engine: Engine) -> dict[str, str]:
    """Each person's GitHub team slug from their latest `github_team` fact.

    The connector writes one fact per person and day whose attrs `slug` is the first of that
    day's teams by slug, so a person in several teams gets the same team on every refresh.

    Args:
        engine: the compute engine.

    Returns:
        person_key → team slug (empty without person facts).
    """
    if not engine.has("person_facts"):
        return {}
    f = engine.table("person_facts")
    fact, source = GITHUB_TEAM
    f = f.filter((f.fact == fact) & (f.source == source))
    # Only each person's latest day leaves the engine (a year of daily facts would not).
    latest = f.report_date.max().over(ibis.window(group_by=f.person_key))
    f = f.mutate(latest=latest)
    got = engine.execute(
        f.filter(f.report_date == f.latest).select("person_key", "report_date", "attrs")
    )
    out: dict[str, tuple[date, str]] = {}
    for key, day, attrs in got.itertuples(index=False):
        doc = json.loads(attrs) if isinstance(attrs, str) else attrs
        team = doc.get("slug") if isinstance(doc, dict) else None
        if not _named(team) or not isinstance(key, str):
            continue
        best = out.get(key)
        # Latest day wins; on the same day (two accounts of one person) the first slug.
        if best is None or day > best[0] or (day == best[0] and str(team) < best[1]):
            out[key] = (day, str(team))
    return {k: team for k, (_, team) in out.items()}


def manager_labels(frame: pd.DataFrame) -> pd.Series:
    """Each person's manager as a readable label rather than a pseudonymous key.

    A first-line manager, most of whose direct reports share a team, is named after that team
    ("payments (manager)"). A manager of managers, or of people spread over teams, is named
    by their own role ("customer service director"), else their own team. Only a manager
    with none of these keeps a shortened key. Labels stay unique per manager so that no two
    managers' groups merge: a shared label gains the manager's own team, then a short key.

    Args:
        frame: one row per person with `person_key`, `manager_key`, `team` and `role`.

    Returns:
        The label of each row's manager (null where the row has no manager).
    """
    first = frame.drop_duplicates("person_key")
    # Plain lists: iterating pandas' Arrow-backed columns costs a call per value.
    keys = first["person_key"].tolist()
    own = {c: dict(zip(keys, first[c].tolist(), strict=True)) for c in ("role", "team")}
    managed = frame[frame["manager_key"].notna()]
    managers = {str(k) for k in managed["manager_key"].unique()}

    def known(v: object) -> bool:
        return isinstance(v, str) and bool(v) and v != NO_SEGMENT

    def mine(m: str, column: str) -> object:
        return own[column].get(m)

    # Plain lists per manager: a pandas group per manager (each testing its reports against
    # every manager) grew with the square of the number of managers.
    reports: dict[str, tuple[list[str | None], list[bool]]] = {}
    for key, team, person in zip(
        managed["manager_key"].tolist(),
        managed["team"].tolist(),
        managed["person_key"].astype(str).tolist(),
        strict=True,
    ):
        teams, leads = reports.setdefault(str(key), ([], []))
        teams.append(team if known(team) else None)
        leads.append(person in managers)
    base: dict[str, str] = {}
    for m in sorted(reports):
        teams, leads = reports[m]
        tally = Counter(t for t in teams if t is not None)
        top = max(tally.values(), default=0)
        # The most frequent known team; on a tie, the first by name.
        modal = min((t for t, n in tally.items() if n == top), default=None)
        leads_managers = any(leads)
        one_team = modal is not None and top * 2 > len(teams)
        role, team = mine(m, "role"), mine(m, "team")
        if one_team and not leads_managers:
            base[m] = f"{modal} (manager)"
        elif known(role):
            base[m] = str(role)
        elif known(team):
            base[m] = f"{team} (manager)"
        else:
            base[m] = f"manager {m[:10]}"
    labels = dict(base)
    counts = pd.Series(list(labels.values()), dtype=object).value_counts()
    for m, label in base.items():
        team = mine(m, "team")
        if counts[label] > 1 and known(team) and str(team) not in label:
            labels[m] = f"{label}, {team}"
    counts = pd.Series(list(labels.values()), dtype=object).value_counts()
    for m, label in list(labels.items()):
        if counts[label] > 1:
            labels[m] = f"{label} [{m[:10]}]"
    return frame["manager_key"].map(labels)


def management_levels(persons: pd.Series, managers: pd.Series) -> list[str]:
    """Management level of each person from the manager chain (height in the tree).

    Args:
        persons: person keys.
        managers: each person's manager key (null at the top).

    Returns:
        One of `LEVELS` per person, in order.
    """
    reports: dict[str, list[str]] = {}
    persons_, managers_ = persons.tolist(), managers.tolist()
    for p, m in zip(persons_, managers_, strict=True):
        if isinstance(m, str) and m and m != p:
            reports.setdefault(m, []).append(p)
    height: dict[str, int] = {}

    def resolve(root: str) -> int:
        # Iterative post-order walk: deep chains must not hit the recursion limit, and a
        # cycle in bad roster data must not loop (a node on the stack counts as height 0).
        stack: list[tuple[str, bool]] = [(root, False)]
        on_stack: set[str] = set()
        while stack:
            node, done = stack.pop()
            if done:
                kids = reports.get(node, [])
                height[node] = 1 + max((height.get(c, 0) for c in kids), default=-1)
                on_stack.discard(node)
                continue
            if node in height or node in on_stack:
                continue
            on_stack.add(node)
            stack.append((node, True))
            stack.extend((c, False) for c in reports.get(node, []) if c not in height)
        return height[root]

    # Most people manage nobody: their level needs no walk.
    return [
        LEVELS[min(resolve(p), len(LEVELS) - 1)]
        if isinstance(p, str) and p in reports
        else LEVELS[0]
        for p in persons_
    ]


def tenure_band(hire_date: ibis.Value, at: ibis.Value | date) -> ibis.Value:
    """Tenure band (<90d, 90-365d, 1-3y, 3y+) on a date; `(none)` without a hire date.

    Args:
        hire_date: a date expression.
        at: the date tenure is measured on (literal or expression).

    Returns:
        A string expression.
    """
    on = ibis.literal(at, type="date") if isinstance(at, date) else at
    days = on.delta(hire_date, unit="day")
    return ibis.cases(
        (hire_date.isnull(), NO_SEGMENT),
        (days < 90, TENURE_BANDS[0]),
        (days < 365, TENURE_BANDS[1]),
        (days < 3 * 365, TENURE_BANDS[2]),
        else_=TENURE_BANDS[3],
    )


def segment_of(dim: ibis.Table, by: str, at: ibis.Value | date) -> ibis.Value:
    """The segment column for `--by` on a dim_person-shaped table.

    Args:
        dim: a table with dim_person's columns.
        by: one of `SEGMENTS`.
        at: date on which tenure is measured.

    Returns:
        A string expression.
    """
    if by == "tenure":
        return tenure_band(dim.hire_date, at)
    return dim[by]


def person_segments(engine: Engine, by: str, at: date) -> ibis.Table:
    """Person → segment for one dimension on a date (`person_key`, `segment`).

    Args:
        engine: the compute engine (dim_person must be built).
        by: one of `SEGMENTS`.
        at: date on which tenure is measured.

    Returns:
        An Ibis table.
    """
    dim = engine.table(DIM_PERSON)
    return dim.select("person_key", segment=segment_of(dim, by, at))
