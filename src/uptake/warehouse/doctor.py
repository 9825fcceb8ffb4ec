"""`uptake doctor`: integrity checks of a workspace."""

from __future__ import annotations

import stat
from typing import TYPE_CHECKING, Any

from uptake.ingest.identity import person_columns
from uptake.schema.tables import TABLES

if TYPE_CHECKING:
    from uptake.workspace import Workspace


def _one(ws: Workspace, sql: str) -> Any:
    row = ws.con.execute(sql).fetchone()
    return row[0] if row else None


def run_checks(ws: Workspace) -> list[dict[str, Any]]:
    """Run every integrity check.

    Args:
        ws: the workspace.

    Returns:
        One entry per check: {"check", "ok", "message"}.
    """
    out: list[dict[str, Any]] = []

    def add(name: str, ok: bool, message: str) -> None:
        out.append({"check": name, "ok": bool(ok), "message": message})

    have, newest = ws.schema_version(), ws.newest_schema_version()
    add("schema", have == newest, f"schema version {have} (newest {newest})")

    secret_file = ws.path / "secret"
    if secret_file.exists():
        mode = stat.S_IMODE(secret_file.stat().st_mode)
        add("secret_permissions", mode & 0o077 == 0, f"secret file mode {oct(mode)}")
    fingerprint = _one(ws, "SELECT value FROM workspace_meta WHERE key = 'secret_fingerprint'")
    if fingerprint is not None:
        from uptake.workspace import _FINGERPRINT_PROBE

        same = ws.pseudonymise(_FINGERPRINT_PROBE) == fingerprint
        add(
            "secret_matches",
            same,
            "secret matches the one the warehouse was keyed with"
            if same
            else "the secret differs from the one used at init: new rows would get other keys",
        )

    bad_totals = _one(
        ws, "SELECT count(*) FROM ingest_log WHERE rows <> accepted + duplicates + quarantined"
    )
    add(
        "batch_totals",
        bad_totals == 0,
        f"{bad_totals} batch(es) where rows ≠ accepted + duplicates + quarantined",
    )

    mismatch = _one(
        ws,
        "SELECT count(*) FROM ingest_log l LEFT JOIN (SELECT batch_id, count(*) n FROM quarantine "
        "GROUP BY 1) q USING (batch_id) WHERE l.quarantined <> coalesce(q.n, 0)",
    )
    add(
        "quarantine_log",
        mismatch == 0,
        f"{mismatch} batch(es) whose quarantine rows disagree with the log",
    )

    for t in TABLES.values():
        if t.merge in ("immutable", "upsert_fields") and t.fact:
            key = ", ".join(t.stored_key)
            dupes = _one(
                ws,
                f"SELECT count(*) FROM (SELECT {key} FROM {t.name} "
                "GROUP BY ALL HAVING count(*) > 1)",
            )
            if dupes:
                add(f"unique_{t.name}", False, f"{dupes} duplicated key(s) in {t.name}")
    if not any(c["check"].startswith("unique_") for c in out):
        add("unique_keys", True, "no duplicated ids in fact tables")

    orphans = 0
    for tname, col in person_columns():
        orphans += int(
            _one(
                ws,
                f"SELECT count(*) FROM {tname} t WHERE t.{col} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM identities i WHERE i.person_key = t.{col})",
            )
            or 0
        )
    add("identities", orphans == 0, f"{orphans} row(s) whose person key has no identity")

    try:
        ws.con.execute("CHECKPOINT")
        add("checkpoint", True, "database checkpointed cleanly")
    except Exception as exc:  # any storage failure is the finding itself
        add("checkpoint", False, f"checkpoint failed: {exc}")
    return out
