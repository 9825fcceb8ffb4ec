"""The ingestion pipeline: read, validate, resolve, redact, dedupe, commit atomically."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from uptake.errors import InputError
from uptake.ingest import identity
from uptake.ingest.connectors.privacy import WITHHELD
from uptake.ingest.decide import DECIDED, KEYS, RESOLVED, Decisions, Quarantined
from uptake.ingest.decide import q as _q
from uptake.ingest.kinds import wrong_kinds
from uptake.ingest.readers import load, load_frame
from uptake.ingest.redact import redact
from uptake.ingest.safety import safe_record, safe_value, scrub_json_cells
from uptake.ingest.spill import Spilled
from uptake.ingest.staging import STAGE, Malformed, Optimistic, drop_stage
from uptake.ingest.validate import (
    BAD,
    CHECKED,
    EARLIEST_DATE,
    LATEST_DATE,
    REASON_TEXT,
    TYPED,
    drop_typed,
    validate,
)
from uptake.schema.ddl import NOT_STORED
from uptake.schema.tables import BATCH_COLUMN, Table

Progress = Callable[[str], None]


@dataclass
class IngestResult:
    """What happened to one file: rows = accepted + duplicates + quarantined."""

    batch: int
    table: str
    source: str
    rows: int = 0
    accepted: int = 0
    unrostered: int = 0
    duplicates: int = 0
    quarantined: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    rekeyed: int = 0
    rekeyed_identities: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The `uptake ingest --json` form: one object per file and table."""
        d = asdict(self)
        out = {
            k: d[k]
            for k in (
                "batch",
                "table",
                "source",
                "rows",
                "accepted",
                "unrostered",
                "duplicates",
                "quarantined",
                "by_reason",
            )
        }
        # A roster that links earlier rows accepts nothing new; say what it moved instead.
        out["rekeyed_rows"] = self.rekeyed
        out["rekeyed_identities"] = self.rekeyed_identities
        if self.notes:
            out["notes"] = self.notes
        return out


def _fingerprint(path: Path) -> tuple[int, int, int]:
    """Identity, size and modification time of a file: any rewrite or replacement changes it."""
    st = path.stat()
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes, recorded in ingest_log."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class BatchIngest(Decisions):
    """Ingests one file (or connector frame) into one canonical table as one atomic batch."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        secret: bytes,
        spec: Table,
        *,
        now: datetime,
        skew_minutes: int,
        naive_timezone: str,
        progress: Progress | None = None,
        manage_tx: bool = True,
        date_range: tuple[date, date] = (EARLIEST_DATE, LATEST_DATE),
    ) -> None:
        self.con = con
        self.secret = secret
        self.spec = spec
        self.now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
        self.skew = skew_minutes
        self.naive_tz = naive_timezone
        self.progress = progress or (lambda _stage: None)
        # A vendor file feeding several tables commits them together; the caller then owns
        # the transaction.
        self.manage_tx = manage_tx
        self.date_range = date_range
        # Set by `_decide`: every valid row is new, so rows go straight from the resolved view.
        self._fast = False
        # Restages the file with record numbers (see `Loaded.numbered`), until it has run.
        self._numbered: str | Callable[[], None] | None = None
        # Whether the typed rows are a table (set per batch, see `_commit`).
        self._materialise = False
        # Whether the typed rows are copied once rather than recomputed (see `Loaded`).
        self._copy_typed = False

    def run_file(self, path: Path, fmt: str, mapping: dict[str, str]) -> IngestResult:
        """Ingest a CSV, JSON Lines or Parquet file."""
        started = time.perf_counter()
        self._session()
        self.progress("read")
        # A file staged as a view is read again by the write, so a file replaced while it is
        # ingested would store rows that were never validated: it must not change.
        seen = _fingerprint(path) if path.is_file() else None
        # The file's digest is read beside the load and the checks (hashing releases the
        # interpreter while DuckDB works): one more pass over a large file, taken off the
        # critical path; the ingest log asks for it last.
        with ThreadPoolExecutor(1) as pool:
            digest = pool.submit(file_hash, path) if seen else None
            loaded = load(self.con, path, fmt, self.spec, mapping)
            if not loaded.view:
                seen = None
            self._numbered = loaded.numbered
            self._copy_typed = loaded.copy_typed
            return self._commit(
                str(path),
                fmt,
                # `load` refuses a path that is not a file, so a digest was always taken.
                digest.result if digest else None,
                loaded.rows,
                loaded.malformed,
                loaded.locator,
                started,
                [],
                scrub_json=True,
                unchanged=(lambda: _fingerprint(path) == seen) if seen else None,
                optimistic=loaded.optimistic,
            )

    def run_frame(
        self,
        frame: pd.DataFrame,
        source: str,
        fmt: str,
        digest: str | None,
        extra_quarantine: list[Quarantined],
        spilled: Spilled | None = None,
    ) -> IngestResult:
        """Ingest a connector's canonical frame (or the rows it spilled to Parquet)."""
        started = time.perf_counter()
        self._session()
        self.progress("read")
        if fmt == "frame" and spilled is None:
            frame, wrong = wrong_kinds(self.spec, frame, source, self._pseudonymise)
            extra_quarantine = [*extra_quarantine, *wrong]
        rows, locators = load_frame(self.con, frame, self.spec, source, spilled)
        # A frame is staged as a numbered table.
        self._numbered = None
        self._copy_typed = False
        return self._commit(
            source,
            fmt,
            digest,
            rows + len(extra_quarantine),
            Malformed(),
            lambda r: locators[r - 1],
            started,
            extra_quarantine,
            # Connectors keep only allow-listed, non-identifying vendor fields in `attrs`; a
            # frame handed in as canonical input (`Workspace.ingest_frame`) is scrubbed.
            scrub_json=fmt == "frame",
        )

    def _session(self) -> None:
        self.con.execute(f"SET TimeZone = '{self.naive_tz}'")

    # -- the batch -----------------------------------------------------------------------

    def _commit(
        self,
        source: str,
        fmt: str,
        digest: str | Callable[[], str] | None,
        rows: int,
        malformed: Malformed,
        locator: Callable[[int], str],
        started: float,
        extra: list[Quarantined],
        *,
        scrub_json: bool = False,
        unchanged: Callable[[], bool] | None = None,
        optimistic: Optimistic | None = None,
    ) -> IngestResult:
        con = self.con
        self.progress("validate")
        if optimistic is not None and self._trusted(optimistic):
            row = con.execute(f"SELECT count(*) FROM {TYPED}").fetchone()
            rows = int(row[0]) if row else 0
        else:
            if optimistic is not None:
                exact = optimistic.exact()
                rows, malformed, locator = exact.rows, exact.malformed, exact.locator
                self._numbered, self._copy_typed = exact.numbered, exact.copy_typed
            self._check(scrub_json)
        if self.manage_tx:
            con.execute("BEGIN TRANSACTION")
        try:
            batch = self._next_batch()
            result = IngestResult(batch=batch, table=self.spec.name, source=source, rows=rows)
            # A line that did not parse has no fields to tell identifiers apart: the admin
            # reads it in the source file at the locator.
            quarantine = [
                Quarantined(loc, "malformed_record", None, redact(det) or "", WITHHELD)
                for loc, det, _rec in zip(
                    malformed.locators, malformed.details, malformed.records, strict=True
                )
            ]
            quarantine += extra
            quarantine += self._invalid_rows(locator)
            self.progress("resolve")
            result.rekeyed, result.rekeyed_identities = self._resolve()
            self.progress("dedupe")
            counts, conflicts = self._decide(locator)
            quarantine += conflicts
            self.progress("write")
            self._write(batch)
            if unchanged is not None and not unchanged():
                raise InputError(
                    f"{source}: the file changed while it was being ingested; "
                    "nothing was stored from it, ingest it again"
                )
            result.accepted = counts["accepted"]
            result.duplicates = counts["duplicate"]
            result.unrostered = counts["unrostered"]
            result.quarantined = len(quarantine)
            result.by_reason = dict(Counter(q.reason for q in quarantine))
            self._write_quarantine(batch, source, quarantine)
            finished = time.perf_counter()
            result.seconds = finished - started
            self._log(result, fmt, digest() if callable(digest) else digest, started, finished)
            if self.manage_tx:
                con.execute("COMMIT")
        except BaseException:
            if self.manage_tx:
                con.execute("ROLLBACK")
            raise
        finally:
            self._cleanup()
        return result

    def _check(self, scrub_json: bool) -> None:
        """Type and check the staged rows, numbering them first where they must be located."""
        # JSON cells are rewritten in the typed table when scrubbed, so then it must be one
        # that keeps every row's number; redacted free text is kept too, as redaction costs
        # far more than a copy. A staging view that is dear to read again (see `Loaded`) is
        # copied too, and numbered only if some row must be located: at 1 M rows a CSV file
        # 2.35 s -> 2.0 s, a Parquet file of one row group 2.9 s -> 2.0 s.
        scrub_json = scrub_json and self._has_json()
        numbered = scrub_json or any(c.text for c in self.spec.columns)
        self._materialise = numbered or self._copy_typed
        if numbered:
            self._number_rows(checked=False)
        self._validate()
        if self._numbered is not None and self._failed():
            self._number_rows()
        if scrub_json:
            scrub_json_cells(self.con, self.spec, TYPED, self._pseudonymise)

    def _trusted(self, check: Optimistic) -> bool:
        """Whether rows staged on trust hold (see `Optimistic`); if not, they are dropped.

        Args:
            check: what must hold, and the exact reader.

        Returns:
            True when every row passed and the columns are as the exact reader needs.
        """
        self._materialise = True
        failed = False
        try:
            self._validate()
            failed = self._failed()
            holds = check.locatable or not failed
            if holds and check.records is not None:
                row = self.con.execute(f"SELECT count(*) FROM {TYPED}").fetchone()
                holds = row is not None and check.records() == row[0]
            if holds and (check.mapped or check.empty):
                counts = ", ".join(f"count({_q(c)})" for c in [*check.mapped, *check.empty])
                row = self.con.execute(f"SELECT {counts} FROM {TYPED}").fetchone() or ()
                n = len(check.mapped)
                holds = all(row[:n]) and not any(row[n:])
        except duckdb.Error:
            # The reader met a record it cannot parse: a line that is not an object, a stray
            # quote, bytes that are not UTF-8.
            holds = False
        if not holds:
            drop_typed(self.con)
            drop_stage(self.con)
        elif failed:
            # The rows are the file's records, some of which fail: they are located.
            self._number_rows()
        return holds

    def _validate(self) -> None:
        validate(
            self.con,
            self.spec,
            self.now,
            self.skew,
            self.naive_tz,
            *self.date_range,
            materialise=self._materialise,
            keep=self._looked_up(),
        )

    def _failed(self) -> bool:
        row = self.con.execute(f"SELECT EXISTS (SELECT 1 FROM {BAD})").fetchone()
        return bool(row and row[0])

    def _number_rows(self, *, checked: bool = True) -> None:
        """Restage the file with record numbers, if it has none, and check it again.

        Args:
            checked: whether the rows were checked already (and must be again).
        """
        if self._numbered is None:
            return
        if callable(self._numbered):
            self._numbered()
        else:
            self.con.execute(self._numbered)
        self._numbered = None
        if checked:
            # Views over the checked rows bind by name: they now read the numbered ones.
            drop_typed(self.con)
            self._validate()

    def _cleanup(self) -> None:
        """Drop staging relations; inside an aborted outer transaction that waits for its end."""
        try:
            for view in (RESOLVED, KEYS):
                self.con.execute(f"DROP VIEW IF EXISTS {view}")
            drop_typed(self.con)
            drop_stage(self.con)
            for t in (DECIDED, "_idmap", "_json_map"):
                self.con.execute(f"DROP TABLE IF EXISTS {t}")
        except duckdb.Error:
            if self.manage_tx:
                raise

    def _has_json(self) -> bool:
        """Whether any stored JSON column of the staged rows holds a value."""
        cols = [
            _q(c.name)
            for c in self.spec.columns
            if c.type == "json" and (self.spec.name, c.name) not in NOT_STORED
        ]
        if not cols:
            return False
        hit = " OR ".join(f"{c} IS NOT NULL" for c in cols)
        row = self.con.execute(f"SELECT EXISTS (SELECT 1 FROM {STAGE} WHERE {hit})").fetchone()
        return bool(row and row[0])

    def _next_batch(self) -> int:
        row = self.con.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM ingest_log").fetchone()
        return int(row[0]) if row else 1

    def _invalid_rows(self, locator: Callable[[int], str]) -> list[Quarantined]:
        # The join would read a staged file once more for nothing.
        if not self._failed():
            return []
        bad = self.con.execute(
            f"SELECT t.__reason, t.__field, s.* FROM {BAD} t JOIN {STAGE} s USING (__row) "
            "ORDER BY __row"
        ).df()
        out = []
        for raw_rec in bad.to_dict("records"):
            rec = {str(k): v for k, v in raw_rec.items()}
            reason, fld, row = rec.pop("__reason"), rec.pop("__field"), int(rec.pop("__row"))
            raw = rec.get(fld)
            shown = safe_value(self.spec, fld, raw)
            detail = f"field {fld}: {REASON_TEXT.get(reason, reason)}"
            if reason != "missing_required":
                detail += f" (got {shown})"
            out.append(
                Quarantined(
                    locator(row),
                    reason,
                    fld,
                    detail,
                    safe_record(self.spec, rec, self._pseudonymise),
                )
            )
        return out

    def _looked_up(self) -> list[str]:
        """Columns read before the write: the key (to find repeats) and the identifiers."""
        return [c.name for c in self.spec.columns if c.person or c.name in self.spec.key]

    def _pseudonymise(self, identifier: str) -> str:
        return identity.pseudonymise(self.secret, identifier)

    def _resolve(self) -> identity.Rekeyed:
        """Replace raw identifiers by person keys; a roster also claims its aliases."""
        con, spec = self.con, self.spec
        rekeyed = identity.Rekeyed()
        if spec.name == "people":
            roster = con.execute(f"SELECT person, aliases FROM {TYPED} WHERE __reason IS NULL").df()
            rekeyed = identity.register_roster(con, self.secret, roster, self.now)
        person_cols = [c for c in spec.columns if c.person]
        if person_cols:
            union = " UNION ".join(
                f"SELECT DISTINCT {_q(c.name)} AS a FROM {CHECKED} WHERE __reason IS NULL "
                f"AND {_q(c.name)} IS NOT NULL"
                for c in person_cols
            )
            aliases = [r[0] for r in con.execute(union).fetchall()]
            idmap = identity.resolve_aliases(con, self.secret, aliases, self.now)
            con.register("_idmap_df", idmap)
            # Explicit types: an empty frame (all identifiers blank) would otherwise infer INT.
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _idmap AS SELECT CAST(raw AS VARCHAR) AS raw, "
                "CAST(person_key AS VARCHAR) AS person_key, CAST(kind AS VARCHAR) AS kind "
                "FROM _idmap_df"
            )
            con.unregister("_idmap_df")
        # Views: the join with the small alias map is cheaper to repeat than to materialise.
        self._resolved_view(RESOLVED, TYPED, None)
        # The keys alone, from the checking pass: finding repeats does not re-read the file.
        self._resolved_view(KEYS, CHECKED, set(self._looked_up()))
        return rekeyed

    def _resolved_view(self, name: str, source: str, only: set[str] | None) -> None:
        """A view of the valid rows of `source` with person keys for identifiers.

        Args:
            name: the view to create.
            source: typed staging relation with `__row` and `__reason`.
            only: the columns `source` holds, or None for every stored column.
        """
        spec = self.spec
        select, joins, observed = [], [], []
        for i, c in enumerate(spec.columns):
            if (spec.name, c.name) in NOT_STORED or (only is not None and c.name not in only):
                continue
            if c.person:
                select.append(f"m{i}.person_key AS {_q(c.stored_name)}")
                joins.append(f"LEFT JOIN _idmap m{i} ON m{i}.raw = t.{_q(c.name)}")
                observed.append(f"m{i}.kind = 'observed'")
            else:
                select.append(f"t.{_q(c.name)}")
        unrostered = (
            f"coalesce({' OR '.join(observed)}, false)"
            if observed and spec.name != "people"
            else "false"
        )
        self.con.execute(
            f"CREATE TEMP VIEW {name} AS SELECT t.__row, {', '.join(select)}, "
            f"{unrostered} AS __unrostered FROM {source} t {' '.join(joins)} "
            "WHERE t.__reason IS NULL"
        )

    def _write(self, batch: int) -> None:
        con, spec = self.con, self.spec
        cols = self._stored()
        source = RESOLVED if self._fast else f"{DECIDED} WHERE __status IN ('insert', 'update')"
        if not self._fast and spec.merge != "immutable" and spec.merge != "set":
            key = [_q(k) for k in spec.stored_key]
            on = self._key_eq(spec.name, "u")
            con.execute(
                f"DELETE FROM {spec.name} USING (SELECT {', '.join(key)} FROM {DECIDED} "
                f"WHERE __status = 'update') u WHERE {on}"
            )
        names = ", ".join(_q(c) for c in cols)
        # Row order inside the warehouse carries no meaning; not preserving it lets DuckDB
        # write row groups in parallel.
        con.execute("SET preserve_insertion_order = false")
        try:
            con.execute(
                f"INSERT INTO {spec.name} ({names}, {BATCH_COLUMN}) SELECT {names}, {batch} "
                f"FROM {source}"
            )
        finally:
            con.execute("SET preserve_insertion_order = true")

    def _write_quarantine(self, batch: int, source: str, rows: list[Quarantined]) -> None:
        if not rows:
            return
        frame = pd.DataFrame(
            {
                "batch_id": batch,
                "table_name": self.spec.name,
                "source": source,
                "locator": [q.locator for q in rows],
                "field": [q.field for q in rows],
                "reason": [q.reason for q in rows],
                "detail": [q.detail for q in rows],
                "record": [q.record for q in rows],
            }
        )
        self.con.register("_q_rows", frame)
        try:
            self.con.execute("INSERT INTO quarantine SELECT * FROM _q_rows")
        finally:
            self.con.unregister("_q_rows")

    def _log(
        self, r: IngestResult, fmt: str, digest: str | None, started: float, finished: float
    ) -> None:
        span: tuple[Any, Any] = (None, None)
        tcol = self.spec.time_column
        if tcol and r.accepted:
            # On the short path rows went straight in: read their typed times where they are.
            source = (
                f"{self.spec.name} WHERE {BATCH_COLUMN} = {int(r.batch)}"
                if self._fast
                else f"{DECIDED} WHERE __status IN ('insert', 'update')"
            )
            row = self.con.execute(
                f"SELECT min({_q(tcol)}), max({_q(tcol)}) FROM {source}"
            ).fetchone()
            span = (row[0], row[1]) if row else span
        wall_end = datetime.now(UTC).replace(tzinfo=None)
        wall_start = datetime.fromtimestamp(
            wall_end.replace(tzinfo=UTC).timestamp() - (finished - started), UTC
        ).replace(tzinfo=None)
        self.con.execute(
            "INSERT INTO ingest_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                r.batch,
                r.table,
                r.source,
                fmt,
                digest,
                r.rows,
                r.accepted,
                r.unrostered,
                r.duplicates,
                r.quarantined,
                r.rekeyed,
                span[0],
                span[1],
                wall_start,
                wall_end,
                finished - started,
            ],
        )
