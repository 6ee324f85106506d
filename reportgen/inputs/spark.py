"""The Spark engine: the cleaning rules of `clean.cleaning_plan` run by Apache Spark (PySpark).

The rules are the same narwhals plan the Polars engine runs; this module only starts Spark,
reads a unit's Parquet files into canonical columns on the cluster, caches what several steps
read, and brings the cleaned tables back as Polars frames. PySpark and Java (17 or later) are
needed only here, and imported only when a unit asks for Spark.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

import narwhals as nw
import polars as pl

from reportgen.config import (
    CANONICAL_COLUMNS,
    CleaningConfig,
    SourceConfig,
    UnitConfig,
    is_url,
)
from reportgen.errors import EngineError, InputError, first_line
from reportgen.inputs.clean import CleaningPlan, CleanTransactions, cleaned, cleaning_plan
from reportgen.inputs.columns import (
    AS_WRITTEN,
    MAX_MALFORMED_SHARE,
    REQUIRED_COLUMNS,
    THOUSANDS_GROUPING,
    DateReading,
    MalformedValue,
    TimeZones,
    checked_date_format,
    conversions_of,
    missing_column_problems,
)
from reportgen.inputs.files import FORMAT_BY_SUFFIX, available_memory, codec_name, file_sha256
from reportgen.inputs.load import OVERLAP_KEY, InputFile, InputReading, check_countries_present
from reportgen.inputs.reduce import MAX_LINE_VALUE, MONEY_STEP, MONEY_UNIT, money_total

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# Settings every session gets: times are read and compared in UTC (as Polars does), the web UI
# stays off, and Parquet timestamps stored in nanoseconds (pandas writes them; Spark cannot
# read them as timestamps) are read as numbers, which `canonical_lines` converts.
SESSION_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",  # times without a zone, as Polars reads them
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.legacy.parquet.nanosAsLong": "true",
    "spark.sql.shuffle.partitions": "8",
    "spark.sql.ansi.enabled": "false",  # unreadable values become null, as Polars reads them
    "spark.sql.legacy.javaCharsets": "true",  # every Java charset (cp1252, ...), not only UTF
}
TEXT_LIKE = ("invoice", "stock_code", "description", "country", "customer_id")
COLLECTING_THREADS = 4  # reduced tables collected at once (`clean_on_spark`)


def java_problem() -> str | None:
    """Why Spark cannot start here (no Java found), else None."""
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return None
    if shutil.which("java"):
        return None
    return "Java is not installed (Spark needs Java 17 or later: install openjdk-17-jre, or set JAVA_HOME)"


def session_settings(master: str, options: Mapping[str, str]) -> dict[str, str]:
    """SESSION_SETTINGS, then on a local master half this machine's free memory for Spark
    (its own default, 1 GiB, runs out of memory on a few million lines), then the unit's
    options, which win."""
    settings = dict(SESSION_SETTINGS)
    free = available_memory()
    if master.startswith("local") and free:
        settings["spark.driver.memory"] = f"{max(1, free // 2 // 2**30)}g"
    return {**settings, **options}


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
    for key, value in session_settings(master, options).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def read_on_spark(config: UnitConfig, session: SparkSession) -> tuple[InputReading, DataFrame]:
    """What reading found, and the unit's lines as canonical columns on the cluster, of the
    unit's source.path (a file, folder or glob of Parquet or CSV files, any path Spark reads:
    local, hdfs://, s3a://). Rows with unreadable values are counted and set aside as by
    `load.read_transactions`; a line that several files hold is kept from the first file (by
    name); the unit's countries are filtered as the lines are read (every row is still read:
    the cleaning log counts and values the others). InputError names what to fix."""
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    source, path = spark_source(config)
    fmt = spark_format(config, path)
    try:
        if fmt == "csv":
            # Quotes inside a quoted field are doubled (RFC 4180, as Polars and spreadsheets
            # write them); Spark's own default is a backslash.
            raw = session.read.csv(path, header=True, inferSchema=False, escape='"',
                                   sep=source.delimiter, encoding=java_charset(config))
        else:
            raw = session.read.parquet(path)
    except Exception as exc:  # Spark reports a missing path or unreadable file as it can
        detail = first_line(exc)[:200]
        raise InputError(f"Spark cannot read the source: {detail}", unit=config.unit, file=path,
                         hint=f"check source.path and source.format in {config.config_file}"
                         ) from None
    problems = missing_column_problems(config, Path(path), raw.columns)
    if problems:
        raise problems[0]
    mapping = source.columns.model_dump()
    date_format = source.date_format
    readings: list[DateReading] = []
    if date_format is None and raw.schema[mapping["invoice_date"]].simpleString() == "string":
        date_format, decided = sample_date_format(config, raw, mapping["invoice_date"], path)
        readings = [] if decided is None else [decided]
    raw = raw.withColumn("_file", F.input_file_name())
    typed = canonical_lines(raw, mapping, date_format or "%Y-%m-%d %H:%M:%S",
                            config.source.decimal_comma,
                            TimeZones(config.source.timezone, config.local_zone))
    totals, examples = reading_totals(config, typed, path)
    files = tuple(input_files(totals["files"]))
    if readings:  # the format holds for every row read
        readings = [DateReading(path, totals["rows"], readings[0].date_format,
                                readings[0].example)]
    good = typed.filter(~F.col("_malformed"))
    if len(files) > 1:
        first_file = F.min("_file").over(Window.partitionBy(*OVERLAP_KEY))
        marked = good.withColumn("_first", F.col("_file") == first_file)
        good = marked.filter("_first").drop("_first")
        overlap = marked.filter(~F.col("_first")).agg(F.count(F.lit(1)), money(line_value()))
        overlap_rows, overlap_revenue = count_and_value(overlap)
    else:
        overlap_rows, overlap_revenue = 0, 0.0
    kept, other_rows, other_revenue = countries_kept(config, good, totals, len(files) == 1)
    lines = kept.select(*CANONICAL_COLUMNS).withColumn("line", F.monotonically_increasing_id())
    reading = InputReading(
        files=files, rows_read=totals["rows"], rows_other_countries=other_rows,
        revenue_read=totals["revenue"], revenue_other_countries=other_revenue,
        malformed_rows=totals["malformed_rows"], malformed_revenue=totals["malformed_revenue"],
        malformed_examples=examples, overlap_rows=overlap_rows, overlap_revenue=overlap_revenue,
        date_readings=tuple(readings),
        conversions=tuple(conversions_of(
            {canon: (spark_kind(raw.schema[mapping[canon]].dataType), totals["present"][canon])
             for canon in CANONICAL_COLUMNS}, config.local_zone)))
    return reading, lines


def spark_kind(data_type: Any) -> str | None:
    """`columns.stored_kind` of a Spark column type (Spark's timestamps carry no zone of their
    own: the session's zone is applied by `canonical_lines`)."""
    from pyspark.sql import types as T

    if isinstance(data_type, T.DecimalType):
        return "decimal"
    if isinstance(data_type, T.DateType):
        return "date"
    if isinstance(data_type, T.IntegralType):
        return "integer"
    return "float" if isinstance(data_type, T.FractionalType) else None


def line_value() -> Any:
    """Quantity x unit price of a line (null where either is)."""
    from pyspark.sql import functions as F

    return F.col("quantity") * F.col("unit_price")


# Python's canonical codec names that Java spells differently (the others, such as cp1252, are
# Java aliases too).
JAVA_CHARSETS = {"utf-8": "UTF-8", "iso8859-1": "ISO-8859-1", "ascii": "US-ASCII",
                 "utf-16": "UTF-16", "utf-16-le": "UTF-16LE", "utf-16-be": "UTF-16BE",
                 "utf-32": "UTF-32", "utf-32-le": "UTF-32LE", "utf-32-be": "UTF-32BE"}


def java_charset(config: UnitConfig) -> str:
    """source.encoding (a Python codec name, e.g. latin-1) as the Java charset Spark reads."""
    name = codec_name(config)
    return JAVA_CHARSETS.get(name, name)


def spark_source(config: UnitConfig) -> tuple[SourceConfig, str]:
    """The unit's one source entry and its path as Spark reads it; InputError for a list of
    files (Spark reads one path: put the files in a folder or match them with a glob)."""
    readers = config.source.readers()
    if len(readers) != 1:
        raise InputError(
            "engine: spark reads one source.path (a file, a folder or a glob), not a list of "
            "source.files", unit=config.unit, file=config.config_file,
            hint="put the files in one folder, or match them with a glob in source.path")
    path = str(readers[0].path)
    if not is_url(path):
        path = str(Path(path).absolute())
    return readers[0], path


def spark_format(config: UnitConfig, path: str) -> str:
    """csv or parquet: the declared format, or the one the path's extension implies (a folder
    without one: parquet); InputError for Excel workbooks."""
    fmt: str = config.source.format
    if fmt == "auto":
        suffix = PurePosixPath(path.rstrip("/*")).suffix.lower()
        fmt = FORMAT_BY_SUFFIX.get(suffix, "parquet")
    if fmt == "xlsx":
        raise InputError("engine: spark reads Parquet or CSV files, not Excel workbooks",
                         unit=config.unit, file=path,
                         hint="export the workbook as CSV, or set engine: polars")
    return fmt


def sample_date_format(config: UnitConfig, raw: DataFrame, column: str, path: str
                       ) -> tuple[str | None, DateReading | None]:
    """The date format of text dates, chosen (as `load.checked_date_format` does) from the
    first 100,000 values Spark reads: the format is decided on the driver, the dates are read
    on the cluster."""
    values = [row[0] for row in raw.select(column).where(raw[column].isNotNull())
              .limit(100_000).collect()]
    return checked_date_format(config, Path(path), pl.Series(column, values, dtype=pl.String))


def canonical_lines(frame: DataFrame, columns: Mapping[str, str],
                    date_format: str = "%Y-%m-%d %H:%M:%S", decimal_comma: bool = False,
                    zones: TimeZones = AS_WRITTEN) -> DataFrame:
    """A Spark frame of a file's own columns as canonical columns and types (as
    `load.cast_column` reads them: text stripped and blank as missing, customer ids written as
    whole numbers, quantities whole, prices finite, text dates in `date_format`, nanosecond
    timestamps read as numbers converted), with `raw_<column>` kept and `_malformed`: a value
    present but unreadable, or a required one missing."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    def text(column: Any) -> Any:
        stripped = F.trim(column.cast("string"))
        return F.when(stripped == "", None).otherwise(stripped)

    def finite(value: Any) -> Any:
        return F.when(~F.isnan(value) & (F.abs(value) < float("inf")), value)

    def number(column: Any, kind: Any) -> Any:
        written = F.trim(column.cast("string"))
        if decimal_comma and isinstance(kind, T.StringType):  # text, as `load.cast_column`
            written = F.regexp_replace(F.regexp_replace(written, THOUSANDS_GROUPING, ""), ",",
                                       ".")
        return finite(written.cast("double"))

    typed, raws, failures = [], [], []
    quantity: Any = F.lit(None)
    for canon in CANONICAL_COLUMNS:
        column = F.col(f"`{columns[canon]}`")
        kind = frame.schema[columns[canon]].dataType
        if canon == "invoice_date":
            if isinstance(kind, T.LongType):  # nanoseconds since the epoch (nanosAsLong)
                value = F.timestamp_micros(F.floor(column / 1000).cast("long"))
            elif isinstance(kind, T.StringType):
                value = F.to_timestamp(F.trim(column), java_date_format(date_format))
            else:
                value = column.cast("timestamp")
            # An instant (TimestampType) reads in the session's zone, UTC; the others are
            # written in the source's zone. Both become the unit's local time (`TimeZones`).
            written_in = "UTC" if isinstance(kind, T.TimestampType) else zones.source
            target = zones.local or written_in
            if written_in and target and written_in != target:
                value = F.from_utc_timestamp(F.to_utc_timestamp(value, written_in), target)
            value = value.cast(T.TimestampNTZType())
        elif isinstance(kind, T.FloatType | T.DoubleType) and canon in TEXT_LIKE:
            value = finite(column).cast("long").cast("string")
        elif canon in TEXT_LIKE:
            value = text(column)
            if canon == "customer_id":
                value = F.regexp_replace(value, r"\.0+$", "")
        elif canon == "quantity":
            units = number(column, kind)
            value = F.when(units == F.round(units), units.cast("long"))
            quantity = value
        else:  # unit_price, read after quantity; a line beyond MAX_LINE_VALUE is unreadable
            price = number(column, kind)
            value = F.when(F.coalesce(F.abs(quantity * price) < MAX_LINE_VALUE, F.lit(True)),
                           price)
        raw = F.col(f"raw_{canon}")
        failures.append(F.coalesce(raw.isNotNull() & F.col(canon).isNull() & (F.trim(raw) != ""),
                                   F.lit(False)).alias(f"_failed_{canon}"))
        typed.append(value.alias(canon))
        raws.append(column.cast("string").alias(f"raw_{canon}"))
    with_types = frame.select(*typed, *raws, "_file") if "_file" in frame.columns \
        else frame.select(*typed, *raws, F.lit("").alias("_file"))
    flagged = with_types.select("*", *failures)
    malformed = F.lit(False)
    for canon in CANONICAL_COLUMNS:
        malformed = malformed | F.col(f"_failed_{canon}")
    for canon in REQUIRED_COLUMNS:
        malformed = malformed | F.col(canon).isNull()
    return flagged.withColumn("_malformed", malformed)


def java_date_format(strftime: str) -> str:
    """A strftime format as Spark's datetime pattern (the directives `load.DATE_FORMATS` use)."""
    pattern = strftime
    for directive, java in (("%Y", "yyyy"), ("%m", "M"), ("%d", "d"), ("%H", "H"),
                            ("%M", "mm"), ("%S", "ss"), ("%.f", ".SSSSSS")):
        pattern = pattern.replace(directive, java)
    return pattern.replace("T", "'T'")


def reading_totals(config: UnitConfig, typed: DataFrame, path: str
                   ) -> tuple[dict[str, Any], tuple[MalformedValue, ...]]:
    """Rows and value read, per file and in all, the unreadable rows, the countries present
    and the readable rows of other countries than the unit's: one pass. InputError when most
    values of a column cannot be read (a wrong mapping or date format)."""
    from pyspark.sql import functions as F

    value = line_value()
    readable = ~F.col("_malformed")
    other = readable & ~F.coalesce(F.col("country").isin(config.filters.countries or []),
                                   F.lit(False))
    per_file = typed.groupBy("_file").agg(
        F.count(F.lit(1)).alias("rows"),
        *money_parts(F.when(~F.col("_malformed"), value), "read"),
        F.sum(F.col("_malformed").cast("long")).alias("malformed_rows"),
        *money_parts(F.when(F.col("_malformed"), value), "malformed"),
        *(F.sum(F.col(f"_failed_{c}").cast("long")).alias(f"failed_{c}")
          for c in CANONICAL_COLUMNS),
        *(F.count(F.col(f"raw_{c}")).alias(f"present_{c}") for c in CANONICAL_COLUMNS),
        F.collect_set(F.when(readable, F.col("country"))).alias("countries"),
        F.sum(other.cast("long")).alias("other_rows"),
        *money_parts(F.when(other, value), "other"),
    ).collect()
    rows = sum(int(r["rows"]) for r in per_file)
    if rows == 0:
        raise InputError("the input contains no rows", unit=config.unit, file=path,
                         hint="point source.path at a file with transactions")
    mapping = config.source.columns.model_dump()
    for canon in CANONICAL_COLUMNS:
        failed = sum(int(r[f"failed_{canon}"] or 0) for r in per_file)
        if failed > MAX_MALFORMED_SHARE * rows:
            example = typed.filter(F.col(f"_failed_{canon}")).select(f"raw_{canon}").first()
            hint = (f"set source.date_format in {config.config_file}" if canon == "invoice_date"
                    else f"check source.columns.{canon} in {config.config_file}")
            raise InputError(f"{failed:,} of {rows:,} values are not a valid {canon} "
                             f"(e.g. '{example[0] if example else ''}')", unit=config.unit,
                             file=path, column=mapping[canon], hint=hint)
    malformed_rows = sum(int(r["malformed_rows"] or 0) for r in per_file)
    examples = tuple(malformed_example(row) for row in
                     typed.filter("_malformed").limit(5).collect()) if malformed_rows else ()
    per_file = sorted(per_file, key=lambda r: str(r["_file"]))  # the files in name order
    malformed_revenue = 0.0
    for r in per_file:  # file by file, as `load.read_transactions` adds them
        malformed_revenue += parts_total([r], "malformed")
    read = parts_total(per_file, "read")
    return {
        "rows": rows,
        "revenue": read + malformed_revenue,
        "malformed_rows": malformed_rows,
        "malformed_revenue": malformed_revenue,
        "files": [(str(r["_file"]), int(r["rows"])) for r in per_file],
        "countries": {country for r in per_file for country in r["countries"]},
        "present": {c: sum(int(r[f"present_{c}"] or 0) for r in per_file)
                    for c in CANONICAL_COLUMNS},
        "other_rows": sum(int(r["other_rows"] or 0) for r in per_file),
        "other_revenue": parts_total(per_file, "other"),
    }, examples


def malformed_example(row: Any) -> MalformedValue:
    """The first unreadable or missing value of an unreadable row (Spark does not know the
    row's number in its file)."""
    for canon in CANONICAL_COLUMNS:
        if row[canon] is None and (row[f"raw_{canon}"] is not None or canon in REQUIRED_COLUMNS):
            return MalformedValue(local_path(row["_file"]), None, canon, str(row[f"raw_{canon}"]))
    return MalformedValue(local_path(row["_file"]), None, "", "")


def local_path(name: str) -> str:
    """A file Spark read, as a local path where it is one (file:/... URLs)."""
    parsed = urlparse(name)
    return unquote(parsed.path) if parsed.scheme in ("file", "") else name


def input_files(files: list[tuple[str, int]]) -> list[InputFile]:
    """The files read, with their content hash where they are local (a cluster's remote files
    are not downloaded to hash them)."""
    found = []
    for name, rows in files:
        path = Path(local_path(name))
        digest = file_sha256(path) if path.is_file() else "not computed (read by Spark)"
        found.append(InputFile(str(path) if path.is_file() else name, digest, rows))
    return found


def countries_kept(config: UnitConfig, lines: DataFrame, totals: dict[str, Any],
                   one_file: bool) -> tuple[DataFrame, int, float]:
    """The lines of the unit's countries (filtered as they are read), and the rows and value of
    the others: from the reading totals when one file was read (no line has been dropped since),
    else counted after the overlap rule; InputError for a listed country absent from the data."""
    from pyspark.sql import functions as F

    countries = config.filters.countries
    if countries is None:
        return lines, 0, 0.0
    check_countries_present(config, totals["countries"])
    wanted = F.col("country").isin(countries)
    if one_file:
        return lines.filter(wanted), totals["other_rows"], totals["other_revenue"]
    others = lines.filter(~wanted | F.col("country").isNull()).agg(
        F.count(F.lit(1)), money(line_value()))
    return (lines.filter(wanted), *count_and_value(others))


def money_parts(value: Any, name: str) -> list[Any]:
    """Spark sums of a money value's two parts, `<name>_whole` and `<name>_millionths`, exact
    as `reduce.money_sum` adds them (`reduce.money_total` joins them)."""
    from pyspark.sql import functions as F

    floor = F.floor(value)
    return [F.sum(floor.cast("long")).alias(f"{name}_whole"),
            F.sum(F.round((value - floor) * MONEY_UNIT).cast("long")).alias(f"{name}_millionths")]


def money(value: Any) -> Any:
    """A Spark sum of money, exact as `reduce.money_sum` adds it."""
    from pyspark.sql import functions as F

    floor = F.floor(value)
    return F.sum(floor.cast("long")).cast("double") \
        + F.sum(F.round((value - floor) * MONEY_UNIT).cast("long")) * MONEY_STEP


def parts_total(rows: list[Any], name: str) -> float:
    """Money from `money_parts` sums over several rows, added in Python."""
    return money_total(sum(int(r[f"{name}_whole"] or 0) for r in rows),
                       sum(int(r[f"{name}_millionths"] or 0) for r in rows))


def count_and_value(totals: DataFrame) -> tuple[int, float]:
    """The one row of a (rows, value) aggregate."""
    row = totals.first()
    assert row is not None
    return int(row[0]), float(row[1] or 0.0)


def cached(frame: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """Spark: compute a frame that several later steps read once and keep it on the executors,
    cutting the plan there (a local checkpoint): the later steps' plans stay small."""
    kept: nw.LazyFrame[Any] = nw.from_native(frame.to_native().localCheckpoint(eager=True))
    return kept


def to_polars(frame: nw.LazyFrame[Any]) -> pl.DataFrame:
    """A (reduced) Spark frame brought to the driver as a Polars frame, through Arrow."""
    native = frame.to_native()
    result = pl.from_arrow(native.toArrow())
    assert isinstance(result, pl.DataFrame)
    # Spark's date_trunc gives times with a zone, the session's (UTC): the same wall clock.
    return result.with_columns(
        pl.col(name).dt.replace_time_zone(None) for name, kind in result.schema.items()
        if isinstance(kind, pl.Datetime) and kind.time_zone is not None)


def spark_plan(lines: DataFrame, analysis_date: datetime, params: CleaningConfig
               ) -> CleaningPlan:
    """The cleaning plan over canonical lines (and `line`) held by Spark."""
    return cleaning_plan(nw.from_native(lines), analysis_date, params, materialise=cached)


def clean_on_spark(source: InputReading, lines: DataFrame, analysis_date: datetime,
                   params: CleaningConfig) -> CleanTransactions:
    """The clean transactions of canonical lines held by Spark: the plan's reduced tables and
    counts collected to the driver as Polars frames (none has a row per line)."""
    plan = spark_plan(lines, analysis_date, params)
    # The tables are small and independent: Spark runs their jobs side by side, so the fixed
    # cost of planning each job is paid in parallel rather than one after another.
    with ThreadPoolExecutor(max_workers=COLLECTING_THREADS) as pool:
        collected = list(pool.map(to_polars, plan.frames))
    return cleaned(source, plan, dict(zip(plan.names, collected, strict=True)))


def clean_with_spark(config: UnitConfig, analysis_date: datetime
                     ) -> tuple[InputReading, CleanTransactions]:
    """Read and clean a unit with engine: spark, on the unit's spark.master."""
    with spark_failures(config):
        source, lines = read_on_spark(config, unit_session(config))
        return source, clean_on_spark(source, lines, analysis_date, config.cleaning)


def unit_session(config: UnitConfig) -> SparkSession:
    """The Spark session of a unit with engine: spark."""
    return spark_session(config.spark.master, config.spark.options, config.unit)


@contextmanager
def spark_failures(config: UnitConfig) -> Iterator[None]:
    """A failed Spark job (out of memory, a lost executor) as one EngineError line naming the
    unit and the master, not Spark's trace."""
    from py4j.protocol import Py4JError  # type: ignore[import-untyped]
    from pyspark.errors import PySparkException

    try:
        yield
    except (PySparkException, Py4JError) as exc:
        raise EngineError(
            f"the Spark job failed on {config.spark.master}: {first_line(exc)[:300]}",
            unit=config.unit,
            hint="give Spark more memory (spark.options: spark.driver.memory, "
            "spark.executor.memory) or check the cluster; --debug shows Spark's trace") from exc
