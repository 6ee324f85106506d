"""The Spark engine: the cleaning rules of `clean.cleaning_plan` run by Apache Spark (PySpark).

The rules are the same narwhals plan the Polars engine runs; this module only starts Spark,
reads a unit's Parquet files into canonical columns on the cluster, caches what several steps
read, and brings the cleaned tables back as Polars frames. PySpark and Java (17 or later) are
needed only here, and imported only when a unit asks for Spark.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import narwhals as nw
import polars as pl

from reportgen.config import CANONICAL_COLUMNS, CleaningConfig
from reportgen.errors import InputError
from reportgen.inputs.clean import CleaningLogEntry, cleaning_plan, in_line_order

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# Settings every session gets: times are read and compared in UTC (as Polars does), the web UI
# stays off, and Parquet timestamps stored in nanoseconds (pandas writes them; Spark cannot
# read them as timestamps) are read as numbers, which `canonical_lines` converts.
SESSION_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",  # times without a zone, as Polars reads them
    "spark.ui.enabled": "false",
    "spark.sql.legacy.parquet.nanosAsLong": "true",
    "spark.sql.shuffle.partitions": "8",
}


def java_problem() -> str | None:
    """Why Spark cannot start here (no Java found), else None."""
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return None
    if shutil.which("java"):
        return None
    return "Java is not installed (Spark needs Java 17 or later: install openjdk-17-jre, or set JAVA_HOME)"


def spark_session(master: str, options: Mapping[str, str], unit: str = "") -> SparkSession:
    """A Spark session on `master` (local[2], spark://host:7077, yarn, ...) with the unit's
    options over SESSION_SETTINGS; InputError when PySpark or Java is missing."""
    problem = java_problem()
    if problem:
        raise InputError(problem, unit=unit, hint="or set engine: polars in the unit's config")
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError("PySpark is not installed", unit=unit,
                         hint="install reportgen with its spark extra (make install does)") from None
    builder = SparkSession.builder.master(master).appName(f"reportgen {unit}".strip())
    for key, value in {**SESSION_SETTINGS, **options}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def canonical_lines(frame: DataFrame, columns: Mapping[str, str]) -> DataFrame:
    """A Spark frame of a file's own columns as canonical columns and types, plus `line`
    (increasing in the order Spark read the lines): text stripped and blank as missing,
    customer ids written as whole numbers, nanosecond timestamps read as numbers converted."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    def text(column: Any) -> Any:
        stripped = F.trim(column.cast("string"))
        return F.when(stripped == "", None).otherwise(stripped)

    selected = []
    for canon in CANONICAL_COLUMNS:
        column = F.col(f"`{columns[canon]}`")
        kind = frame.schema[columns[canon]].dataType
        if canon == "invoice_date":
            if isinstance(kind, T.LongType):  # nanoseconds since the epoch (nanosAsLong)
                value = F.timestamp_micros(F.floor(column / 1000).cast("long"))
            else:
                value = column.cast("timestamp")
            value = value.cast(T.TimestampNTZType())
        elif canon == "customer_id" and isinstance(kind, T.FloatType | T.DoubleType):
            value = column.cast("long").cast("string")
        elif canon in ("invoice", "stock_code", "description", "country", "customer_id"):
            value = text(column)
        elif canon == "quantity":
            value = column.cast("long")
        else:
            value = column.cast("double")
        selected.append(value.alias(canon))
    return frame.select(*selected).withColumn("line", F.monotonically_increasing_id())


def cached(frame: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """Spark: compute a frame that several later steps read once and keep it on the executors,
    cutting the plan there (a local checkpoint): the later steps' plans stay small."""
    kept: nw.LazyFrame[Any] = nw.from_native(frame.to_native().localCheckpoint(eager=True))
    return kept


def to_polars(frame: nw.LazyFrame[Any]) -> pl.DataFrame:
    """A (reduced) Spark frame brought to the driver as a Polars frame, through Arrow."""
    native = frame.to_native()
    table = native.toArrow()
    result = pl.from_arrow(table)
    assert isinstance(result, pl.DataFrame)
    return result


def clean_on_spark(lines: DataFrame, analysis_date: datetime, params: CleaningConfig
                   ) -> tuple[list[CleaningLogEntry], dict[str, pl.DataFrame]]:
    """The cleaning rules' log entries, and CleanTransactions' tables (purchases, returns,
    cancelled orders, suspected entry errors, orders, price bands) of canonical lines held by
    Spark, as Polars frames in the order Polars gives them."""
    plan = cleaning_plan(nw.from_native(lines), analysis_date, params, materialise=cached)
    tables = {name: to_polars(frame) for name, frame in zip(plan.names, plan.frames, strict=True)}
    return plan.log(tables.pop("counts").row(0, named=True)), in_line_order(tables)
