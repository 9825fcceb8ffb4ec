"""The Spark engine: the same Ibis metric code over a Parquet lake, for organisations past tier L.

Ibis compiles the metric expressions to Spark SQL (`ibis.pyspark.connect`). Each engine reads
the canonical tables of a lake (see `uptake.warehouse.lake`) into temporary views of its own
Spark session, so two engines in one process never see each other's tables. The JVM behind
them is started once per process and reused (start-up takes seconds).
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import ibis
import pandas as pd

from uptake.config import EngineSettings
from uptake.errors import EngineError, InputError
from uptake.schema.ddl import stored_columns
from uptake.schema.tables import TABLES
from uptake.warehouse.lake import check_lake, lake_tables, missing_required, table_files

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# Warehouse SQL types as Spark SQL types. Timestamps are naive UTC, as in DuckDB.
SPARK_TYPES = {
    "VARCHAR": "string",
    "TIMESTAMP": "timestamp_ntz",
    "DATE": "date",
    "BOOLEAN": "boolean",
    "BIGINT": "bigint",
    "DOUBLE": "double",
    "VARCHAR[]": "array<string>",
}

_LOCK = threading.Lock()
_ROOT: SparkSession | None = None


# Where the JVM's own output goes (start-up notices, warnings): a file, not the terminal,
# where eight lines of them ("Your hostname … resolves to a loopback address", "Unable to load
# native-hadoop library") stood before every `--engine spark` report.
# One per user: a folder another user made first could not be written.
JVM_LOG = Path(tempfile.gettempdir()) / f"uptake-spark-{getattr(os, 'getuid', int)()}" / "jvm.log"
# Past this size the log starts again (it is appended to by every process).
JVM_LOG_MAX = 5 * 1024 * 1024


def _conf(settings: EngineSettings) -> dict[str, str]:
    local = {}
    if settings.spark_master.startswith("local"):
        # A local session listens on loopback only: Spark otherwise binds its driver to the
        # host's first network interface, reachable from the network, and warns that it did.
        local = {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"}
    return {
        **local,
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": str(settings.spark_shuffle_partitions),
        "spark.sql.session.timeZone": "UTC",
        # DuckDB semantics: division by zero and failed casts give NULL instead of an error.
        "spark.sql.ansi.enabled": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        # Keep Spark's scratch tables out of the user's current directory.
        "spark.sql.warehouse.dir": str(Path(tempfile.gettempdir()) / "uptake-spark-warehouse"),
    }


def spark_session(settings: EngineSettings | None = None) -> SparkSession:
    """The process's Spark session, started on first call and reused afterwards.

    Args:
        settings: engine settings (master URL, shuffle partitions); only the first call's
            settings start the JVM, later calls reuse it.

    Returns:
        The root SparkSession.
    """
    global _ROOT
    with _LOCK:
        # A stopped SparkContext drops its Java handle; start a new session then.
        if _ROOT is not None and getattr(_ROOT.sparkContext, "_jsc", None) is not None:
            return _ROOT
        if importlib.util.find_spec("pyspark") is None:
            raise EngineError("the Spark engine needs PySpark", hint="pip install 'uptake[spark]'")
        settings = settings or EngineSettings()
        try:
            _ROOT = _start(settings)
        except Exception as exc:  # py4j/JVM start-up failures have no common base class
            raise EngineError(
                f"cannot start Spark: {exc}",
                hint=f"the Spark engine needs Java 17 on PATH; the JVM's output is in {JVM_LOG}",
            ) from None
        _ROOT.sparkContext.setLogLevel("ERROR")
        return _ROOT


def _jvm_log() -> BinaryIO:
    """`JVM_LOG` opened for appending (started afresh past `JVM_LOG_MAX`), else /dev/null."""
    try:
        JVM_LOG.parent.mkdir(parents=True, exist_ok=True)
        if JVM_LOG.exists() and JVM_LOG.stat().st_size > JVM_LOG_MAX:
            JVM_LOG.unlink()
        return JVM_LOG.open("ab")
    except OSError:
        # A log that cannot be written is no reason to refuse the engine.
        return open(os.devnull, "wb")


def _start(settings: EngineSettings) -> SparkSession:
    """Launch the JVM with its output sent to `JVM_LOG`, then the session on it."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway
    from pyspark.sql import SparkSession

    conf = _conf(settings)
    if SparkContext._gateway is None:  # a JVM this process started earlier is reused
        spark_conf = SparkConf().setMaster(settings.spark_master).setAppName("uptake")
        spark_conf.setAll(list(conf.items()))
        # PySpark's documented hook for capturing the JVM's output (`popen_kwargs`); the child
        # keeps its own copy of the file's descriptor, so ours is closed at once.
        with _jvm_log() as out:
            gateway = launch_gateway(spark_conf, popen_kwargs={"stdout": out, "stderr": out})
        # The context on that JVM; the builder below finds it and starts the session on it.
        SparkContext(conf=spark_conf, gateway=gateway)
    builder = SparkSession.builder.master(settings.spark_master).appName("uptake")
    for key, value in conf.items():
        builder = builder.config(key, value)
    session: SparkSession = builder.getOrCreate()
    return session


def _lake_frame(session: SparkSession, lake: Path, name: str) -> DataFrame:
    """A table of the lake with exactly the warehouse's stored columns and types."""
    spec = TABLES[name]
    columns = stored_columns(spec)
    where = table_files(lake, name)
    if where is None:
        schema = ", ".join(f"`{c}` {SPARK_TYPES[t]}" for c, t in columns)
        return session.createDataFrame([], schema)
    raw = session.read.parquet(str(where[0]))
    present = set(raw.columns)
    lacking = missing_required(name, present)
    if lacking:
        raise InputError(f"{where[0]}: lake table {name} lacks required columns {lacking}")
    select = [
        f"CAST(`{c}` AS {SPARK_TYPES[t]}) AS `{c}`"
        if c in present
        else f"CAST(NULL AS {SPARK_TYPES[t]}) AS `{c}`"
        for c, t in columns
    ]
    return raw.selectExpr(*select)


class SparkEngine:
    """Ibis over PySpark, reading the canonical tables from a Parquet lake."""

    name = "spark"

    def __init__(
        self,
        lake: Path | str,
        settings: EngineSettings | None = None,
        session: SparkSession | None = None,
    ) -> None:
        """Open a lake on Spark.

        Args:
            lake: lake folder written by `uptake export --parquet`.
            settings: engine settings used if this call starts Spark.
            session: Spark session to derive this engine's session from (default: the
                process's own local session).
        """
        self.lake = check_lake(lake)
        root = session if session is not None else spark_session(settings)
        # A child session shares the JVM and cache but has its own temporary views.
        self.session: SparkSession = root.newSession()
        if settings is not None:
            # SQL settings are per session, so an engine may differ from the session it shares.
            self.session.conf.set(
                "spark.sql.shuffle.partitions", str(settings.spark_shuffle_partitions)
            )
        self.backend: Any = ibis.pyspark.connect(self.session)
        self._nonempty: dict[str, bool] = {}
        self._materialized: dict[str, DataFrame] = {}
        self._serial = 0
        for name in lake_tables():
            _lake_frame(self.session, self.lake, name).createOrReplaceTempView(name)

    def table(self, name: str) -> ibis.Table:
        """An Ibis table expression for a canonical or materialised table."""
        return self.backend.table(name)

    def has(self, name: str) -> bool:
        """Whether the table exists and holds at least one row."""
        if name in self._nonempty:
            return self._nonempty[name]
        if not self.session.catalog.tableExists(name):
            return False
        nonempty = not self.session.table(name).isEmpty()
        if name not in self._materialized:
            # Lake tables do not change under an engine; materialised ones may.
            self._nonempty[name] = nonempty
        return nonempty

    def materialize(self, name: str, expr: ibis.Table) -> ibis.Table:
        """Compute an expression once, keep the rows and register them under `name`.

        The rows are checkpointed (kept by Spark's block manager, memory then disk) so later
        queries read them instead of recomputing the expression's lineage, and replacing or
        dropping other views cannot invalidate them. The expression may read the table it
        replaces (incremental refresh).

        Args:
            name: table name to (re)define.
            expr: Ibis table expression on this engine's tables.

        Returns:
            The materialised table.
        """
        self._serial += 1
        staging = f"_uptake_staging_{self._serial}"
        # create_view registers any in-memory tables the expression uses.
        self.backend.create_view(staging, expr, overwrite=True)
        try:
            frame = self.session.table(staging).localCheckpoint(eager=True)
        finally:
            self.session.catalog.dropTempView(staging)
        frame.createOrReplaceTempView(name)
        # Dropping the last reference lets Spark's cleaner free the replaced rows.
        self._materialized[name] = frame
        self._nonempty.pop(name, None)
        return self.backend.table(name)

    def execute(self, expr: ibis.Expr) -> pd.DataFrame:
        """Run an expression and fetch its result as pandas."""
        result = self.backend.execute(expr)
        return result if isinstance(result, pd.DataFrame) else pd.DataFrame({"value": [result]})

    def close(self) -> None:
        """Drop the materialised tables so Spark can free them (the shared JVM stays up)."""
        for name in self._materialized:
            self.session.catalog.dropTempView(name)
        self._materialized.clear()
