"""Identity coverage: how many of each source format's people the roster links, and why not.

A vendor export names people its own way (GitHub logins, UPNs, concealed hashes). When the
roster does not list those identifiers as aliases, the rows land on provisional keys that no
roster person owns, and every group view silently files them under "(none)". Coverage makes
that visible per source format, with a hint that describes the *shape* of the unlinked
identifiers; the identifiers themselves never leave the warehouse (only pseudonymous keys, and
an e-mail domain shared by at least a minimum group of identities, are returned).
"""

from __future__ import annotations

from typing import Any

import duckdb

from uptake.ingest.identity import person_columns
from uptake.ingest.readers import FORMATS
from uptake.warehouse.sql import quote_ident

ROSTER_TABLE = "people"
# Formats that carry canonical columns rather than one vendor's naming: they are told apart
# by table ("events (csv)"), as one CSV of events and one of tasks may name people differently.
GENERIC_FORMATS = (*FORMATS, "frame")
EXAMPLES = 5
NO_ROSTER = "no roster: nothing can be linked; ingest the HR roster (uptake ingest people …)"

# Checked in this order: a 32-hex hash also matches the login pattern, so it comes first.
_SHAPES_SQL = """
CASE
  WHEN i.alias IS NULL THEN 'unknown'
  WHEN regexp_full_match(i.alias, '[0-9a-f]{32}') THEN 'hashed'
  WHEN regexp_full_match(i.alias, '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')
    THEN 'uuid'
  WHEN contains(i.alias, '@') AND regexp_extract(i.alias, '@([^@]+)$', 1) IN
    (SELECT d FROM roster_domains) THEN 'email_roster_domain'
  WHEN contains(i.alias, '@') THEN 'email_other_domain'
  WHEN regexp_full_match(i.alias, '[0-9]+') THEN 'numeric'
  WHEN regexp_full_match(i.alias, '[a-z0-9][a-z0-9._-]*') THEN 'login'
  ELSE 'other'
END
"""

_ADD = "add them to the roster's `aliases`"


def _hint(shape: str, fmt: str, domain: str | None) -> str:
    """What would link identifiers of a shape, in words (never quoting one)."""
    if shape == "hashed":
        who = "the M365 tenant" if fmt.startswith("m365") else "the source"
        return f"32-hex strings: {who} conceals user names; turn concealment off or map the hashes"
    if shape == "login":
        what = "GitHub logins" if fmt.startswith("github") else "user names"
        return f"{what} (no @, like `<login>`): {_ADD}"
    if shape == "email_other_domain":
        at = f" (e.g. `@{domain}`)" if domain else ""
        return f"e-mail addresses at a domain the roster does not use{at}: {_ADD}"
    if shape == "email_roster_domain":
        return f"e-mail addresses at the roster's domain that no roster person lists: {_ADD}"
    if shape == "uuid":
        return f"UUIDs (directory object ids): {_ADD}"
    if shape == "numeric":
        return f"numeric user ids (like `<digits>`): {_ADD}"
    if shape == "unknown":
        return "person keys without an identity: run `uptake doctor`"
    return f"identifiers of no common shape: {_ADD}"


# How rows handed in whole (the API's intake, `Workspace.ingest_frame`) are labelled: their
# format, "frame", is a word of the code ("events (frame)" puzzled a reader).
POSTED = "posted rows"


def _label_sql() -> str:
    """An ingest_log batch's label: its vendor format, or "table (csv)" for canonical files."""
    generic = ", ".join(f"'{f}'" for f in GENERIC_FORMATS)
    shown = f"CASE WHEN format = 'frame' THEN '{POSTED}' ELSE format END"
    return (
        f"CASE WHEN format IN ({generic}) THEN table_name || ' (' || {shown} || ')' ELSE format END"
    )


def _sources_sql() -> str:
    """ingest_log rows of batches that can name people, the roster's own excluded."""
    tables = sorted({t for t, _ in person_columns() if t != ROSTER_TABLE})
    names = ", ".join(f"'{t}'" for t in tables)
    return f"FROM ingest_log WHERE table_name IN ({names})"


def _seen_sql() -> str:
    """Distinct (label, person_key) of every non-roster row, labelled by its batch's format."""
    parts = [
        f"SELECT b.label, t.{quote_ident(col)} AS person_key FROM {quote_ident(tname)} t "
        f"JOIN batches b ON b.batch_id = t.batch_id AND b.table_name = '{tname}' "
        f"WHERE t.{quote_ident(col)} IS NOT NULL"
        for tname, col in person_columns()
        if tname != ROSTER_TABLE
    ]
    return (
        f"WITH batches AS (SELECT batch_id, table_name, {_label_sql()} AS label "
        f"{_sources_sql()}), "
        f"seen AS (SELECT DISTINCT label, person_key FROM ({' UNION ALL '.join(parts)})), "
        "marked AS (SELECT s.*, p.person_key IS NOT NULL AS linked FROM seen s LEFT JOIN "
        f"(SELECT DISTINCT person_key FROM {ROSTER_TABLE}) p USING (person_key)), "
        "roster_domains AS (SELECT DISTINCT regexp_extract(alias, '@([^@]+)$', 1) AS d "
        "FROM identities WHERE kind = 'roster' AND contains(alias, '@')) "
    )


def identity_coverage(
    con: duckdb.DuckDBPyConnection, min_group: int = 5, threshold: float = 0.9
) -> dict[str, Any]:
    """How many people of each source format the roster links, with a hint for the rest.

    Args:
        con: the warehouse connection (only read).
        min_group: an e-mail domain is named in a hint only when at least this many unlinked
            identities share it, so a hint cannot point at one person's own domain.
        threshold: the linked share below which a format counts as poorly linked (reported
            back as "threshold", so every surface marks the same formats).

    Returns:
        {"roster_people", "note", "threshold", "formats": {label: {"tables", "seen", "linked",
        "unlinked", "linked_share", "below_threshold", "examples", "unlinked_shapes",
        "hint"}}}; a label is a
        vendor format, or "table (csv)" for canonical files. Examples are person keys.
    """
    row = con.execute(f"SELECT count(*) FROM {ROSTER_TABLE}").fetchone()
    roster_people = int(row[0]) if row else 0
    with_ = _seen_sql()
    formats: dict[str, dict[str, Any]] = {}
    for label, tables in con.execute(
        f"SELECT {_label_sql()}, list(DISTINCT table_name ORDER BY table_name) "
        f"{_sources_sql()} GROUP BY 1 ORDER BY 1"
    ).fetchall():
        formats[label] = {"tables": list(tables), "seen": 0, "linked": 0, "unlinked": 0}
    for label, seen, linked in con.execute(
        with_ + "SELECT label, count(*), count(*) FILTER (linked) FROM marked GROUP BY 1"
    ).fetchall():
        formats[label].update(seen=int(seen), linked=int(linked), unlinked=int(seen - linked))
    examples: dict[str, list[str]] = {}
    for label, keys in con.execute(
        with_ + f"SELECT label, list(person_key ORDER BY person_key)[1:{EXAMPLES}] "
        "FROM marked WHERE NOT linked GROUP BY 1"
    ).fetchall():
        examples[label] = list(keys)
    shapes: dict[str, dict[str, int]] = {}
    domains: dict[str, list[tuple[str, int]]] = {}
    # Shapes are classified inside the database: raw aliases are never fetched, only the
    # shape names, and domains outside the roster with their counts.
    for label, shape, domain, n in con.execute(
        with_ + f", shaped AS (SELECT m.label, {_SHAPES_SQL} AS shape, "
        "CASE WHEN contains(i.alias, '@') THEN regexp_extract(i.alias, '@([^@]+)$', 1) END AS dom "
        "FROM marked m LEFT JOIN (SELECT person_key, min(alias) AS alias FROM identities "
        "GROUP BY 1) i USING (person_key) WHERE NOT m.linked) "
        "SELECT label, shape, CASE WHEN shape = 'email_other_domain' THEN dom END, count(*) "
        "FROM shaped GROUP BY ALL ORDER BY 1, 4 DESC, 2, 3"
    ).fetchall():
        shapes.setdefault(label, {})
        shapes[label][shape] = shapes[label].get(shape, 0) + int(n)
        if domain is not None:
            domains.setdefault(label, []).append((domain, int(n)))
    for label, f in formats.items():
        f["linked_share"] = (
            round(f["linked"] / f["seen"], 4) if f["seen"] and roster_people else None
        )
        # Decided on the exact ratio: the rounded share could round up onto the threshold.
        f["below_threshold"] = bool(
            roster_people and f["seen"] and f["linked"] < threshold * f["seen"]
        )
        f["examples"] = examples.get(label, [])
        counts = shapes.get(label, {})
        f["unlinked_shapes"] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        if not roster_people and f["seen"]:
            f["hint"] = NO_ROSTER
        elif counts:
            top = next(iter(f["unlinked_shapes"]))
            shown = [d for d, n in domains.get(label, []) if n >= min_group]
            f["hint"] = _hint(top, label, shown[0] if shown else None)
        else:
            f["hint"] = None
    return {
        "roster_people": roster_people,
        "note": NO_ROSTER if not roster_people and formats else None,
        "threshold": threshold,
        "formats": formats,
    }


def _pct(share: float) -> str:
    # Rounded down, so 89.6 % never reads as a passing "90 %".
    return f"{int(share * 100)} %"


def coverage_checks(coverage: dict[str, Any]) -> list[dict[str, Any]]:
    """Doctor warnings for source formats that link too few of their people.

    Args:
        coverage: what `identity_coverage` returned (its threshold decides).

    Returns:
        Doctor checks ({"check", "ok", "status", "message"}): one with status "warn" per
        format below the threshold (still ok: a warning fails only `uptake doctor --strict`),
        else one with status "ok".
    """
    out: list[dict[str, Any]] = []
    threshold = coverage["threshold"]

    def warn(message: str) -> None:
        out.append({"check": "identity_coverage", "ok": True, "status": "warn", "message": message})

    formats = {k: v for k, v in coverage["formats"].items() if v["seen"]}
    if formats and not coverage["roster_people"]:
        people = sum(f["seen"] for f in formats.values())
        warn(f"{NO_ROSTER} ({len(formats)} source format(s), {people:,} identities)")
        return out
    for label, f in formats.items():
        share = f["linked_share"]
        if f["below_threshold"]:
            warn(
                f"{label}: {_pct(share)} of {f['seen']:,} identities linked to the roster "
                f"(below {_pct(threshold)}); {f['hint']}"
            )
    if not out:
        what = (
            f"every source format links at least {_pct(threshold)} of its people to the roster"
            if formats
            else "no source formats ingested yet"
        )
        out.append({"check": "identity_coverage", "ok": True, "status": "ok", "message": what})
    return out
