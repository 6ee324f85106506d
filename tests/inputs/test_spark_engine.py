"""The Spark engine reads as Polars does and runs the same cleaning plan: the same cleaning
log, purchases, returns, cancelled orders, suspected entry errors and report (PySpark in
local[2] mode).

Skipped where Java is missing; CI has it. The tests compare whole tables: the lines Spark
reads and keeps, their returned units and matches, and every log entry's rows and revenue.
Spark pays seconds for every job whatever its size, so every case goes into one input,
cleaned once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml
from conftest import COLUMNS, PROJECT_DIR, SHARED_DATA, lines
from inputs.test_clean import ANALYSIS_DATE, FIXTURE, usual_lines
from polars.testing import assert_frame_equal
from test_messy_export import II_NAMES, PERIOD, messy_lines

from reportgen import pipeline
from reportgen.chapters.segments.rfm import rfm_analysis
from reportgen.chapters.summary.analysis import monthly_kpis
from reportgen.chapters.trends.cohorts import cohort_analysis
from reportgen.config import CohortConfig, RfmConfig, load_unit_config
from reportgen.inputs.clean import CleaningPlan, CleanTransactions
from reportgen.inputs.columns import CANONICAL_SCHEMA
from reportgen.inputs.load import InputReading, read_transactions
from reportgen.inputs.spark import java_problem, read_on_spark, spark_session
from reportgen.inputs.validate import validate_unit
from reportgen.period import Period
from reportgen.pipeline import build_report, read_and_clean

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(java_problem() is not None, reason=f"{java_problem()}: Spark cannot start"),
]


# Small data on one machine: two shuffle partitions, one per core, and the JVM's quick
# compiler only (a short run ends before the optimising one pays off: 24 s instead of 32 s).
UCI_JUNE = (datetime(2011, 6, 1), datetime(2011, 7, 1))
UCI_TAG = "-U"
SMALL_DATA = {"spark.sql.shuffle.partitions": "2",
              "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1",
              "spark.sql.codegen.wholeStage": "false",
              "spark.sql.adaptive.enabled": "false"}


# Chapters that only model what the reduced tables hold: equal tables give equal models.
DOWNSTREAM_OFF = {chapter: {"enabled": False} for chapter in ("clv", "clusters", "suggestions")}


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = spark_session("local[2]", SMALL_DATA, unit="tests")
    yield session
    session.stop()


def assert_same_cleaning(polars: CleanTransactions, spark: CleanTransactions) -> None:
    """The same cleaning log and reduced tables, to the last bit (money is added exactly)."""
    assert spark.log == polars.log
    assert (spark.purchase_lines, spark.return_lines, spark.revenue_out) == (
        polars.purchase_lines, polars.return_lines, polars.revenue_out)
    for name in CleaningPlan.tables:
        theirs, ours = getattr(spark, name), getattr(polars, name)
        assert theirs.schema == ours.schema, name
        assert theirs.equals(ours), name


def assert_same_tables_for_the_chapters(polars: CleanTransactions, spark: CleanTransactions,
                                        period: Period) -> None:
    """The KPI table, the cohort matrix and the customer table made from what Spark reduced
    equal those made from what Polars reduced."""
    assert_frame_equal(monthly_kpis(spark.orders, spark.return_orders, period),
                       monthly_kpis(polars.orders, polars.return_orders, period), check_exact=True)
    theirs, ours = (cohort_analysis(clean.orders, period.analysis_date, CohortConfig())
                    for clean in (spark, polars))
    assert_frame_equal(theirs.sizes, ours.sizes, check_exact=True)
    assert_frame_equal(theirs.retention, ours.retention, check_exact=True)
    params = RfmConfig(monetary="net")
    theirs_rfm, ours_rfm = (rfm_analysis(clean.orders, clean.return_orders, period.analysis_date,
                                         params) for clean in (spark, polars))
    assert_frame_equal(theirs_rfm.customers, ours_rfm.customers, check_exact=True)


def canonical(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col(name).cast(dtype) for name, dtype in CANONICAL_SCHEMA.items())


def test_spark_reads_a_parquet_export_as_polars_does(spark: Any, shared_data: Path,
                                                     tmp_path: Path) -> None:
    """The UCI file's May and June 2011, every country, as the file stores them (nanosecond
    Parquet times, float customer ids), read by Spark's own reader for the UK unit (the
    country filter): the same counts, conversions and, for June, the same lines as Polars
    reads. (Two months: Spark's reader costs the same per row; the whole file took 15 s.)"""
    months = pl.read_parquet(shared_data).filter(
        pl.col("InvoiceDate").is_between(datetime(2011, 5, 1), UCI_JUNE[1], closed="left"))
    assert months.schema["InvoiceDate"] == pl.Datetime("ns")
    months.write_parquet(tmp_path / "uci.parquet")
    config = load_unit_config(PROJECT_DIR / "config" / "uk.yaml").model_copy(deep=True)
    config = config.model_copy(update={"source": config.source.model_copy(
        update={"path": tmp_path / "uci.parquet"})})
    read = read_transactions(config)
    assert read.rows_other_countries > 0 and read.transactions.height > 50_000
    spark_read, uci = read_on_spark(config, spark)
    assert spark_read == InputReading(**{
        field.name: getattr(read, field.name) for field in fields(InputReading)})
    june = uci.filter((uci.invoice_date >= UCI_JUNE[0]) & (uci.invoice_date < UCI_JUNE[1]))
    theirs = canonical(pl.from_arrow(june.toArrow()))  # type: ignore[arg-type]
    ours = canonical(read.transactions.filter(pl.col("invoice_date").is_between(
        *UCI_JUNE, closed="left")))
    assert theirs.height > 30_000
    assert_frame_equal(theirs.sort(theirs.columns), ours.sort(ours.columns), check_exact=True)


def uci_june_lines(shift: timedelta) -> pl.DataFrame:
    """The UCI file's United Kingdom lines of June 2011 (with the £649.50 picnic baskets),
    `shift` later, in the demo's columns; invoices, products and customers get a suffix so
    that they meet none of the demo's."""
    config = load_unit_config(PROJECT_DIR / "config" / "uk.yaml")
    june = read_transactions(config).transactions.filter(
        pl.col("invoice_date").is_between(*UCI_JUNE, closed="left"))
    return june.select(
        (pl.col(name) + UCI_TAG).alias(column) if name in ("invoice", "stock_code", "customer_id")
        else (pl.col(name) + shift).alias(column) if name == "invoice_date"
        else pl.col(name).alias(column)
        for name, column in zip(CANONICAL_SCHEMA, COLUMNS, strict=True))


def hand_built_lines(shift: timedelta) -> pl.DataFrame:
    """The cleaning tests' hand-built cases and an outsized order cancelled soon after,
    `shift` later, with their own customers and products."""
    entry_error = lines(*usual_lines("JAR", "C1"),
                        ("600001", "JAR", 5_000, "2010-12-10 09:00:00", 1.0, "C1"),
                        ("C600002", "JAR", -5_000, "2010-12-10 09:20:00", 1.0, "C1"))
    return pl.concat([FIXTURE, entry_error]).with_columns(
        ("H-" + pl.col("CustomerID")).alias("CustomerID"),
        ("H-" + pl.col("StockCode")).alias("StockCode"),
        pl.col("InvoiceDate") + shift)


def export_lines() -> pl.DataFrame:
    """The messy export, the hand-built cases and, where the UCI file is present, its June 2011
    lines: one input with every case the cleaning rules distinguish, as text."""
    messy = messy_lines()
    parts = [messy.with_columns(pl.col("CustomerID").cast(pl.String)),
             hand_built_lines(datetime(2025, 1, 1) - ANALYSIS_DATE)]
    if SHARED_DATA.exists():
        parts.append(uci_june_lines(datetime(2024, 6, 1) - UCI_JUNE[0]))
    return pl.concat([part.cast(messy.schema | {"CustomerID": pl.String}) for part in parts]) \
        .with_columns(pl.col("InvoiceDate").dt.strftime("%Y-%m-%d %H:%M:%S")).cast(pl.String)


def test_a_unit_on_spark_cleans_and_reports_exactly_as_on_polars(
        spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """engine: spark, end to end on a messy export (Online Retail II column names, latin-1
    bytes, decimal commas, times in UTC for a unit in New York, blank descriptions, returns of
    goods bought before the data, unreadable values) that also holds the cleaning tests'
    hand-built cases and, where present, the UCI file's June 2011 lines: the same cleaning log
    and reduced tables to the last bit, and the same customers.csv, exports and manifest
    figures as engine: polars (charts and the PDF are not drawn; they format the same
    figures). The model chapters are off: they read the reduced tables compared here. Spark
    pays seconds for every job whatever its size, so every case is cleaned in one run."""
    from conftest import DraftRenderer

    text = export_lines().rename(II_NAMES)
    broken = {5: ("InvoiceDate", "31/02/2024"), 6: ("Quantity", "#VALUE!"), 7: ("Price", "n/a")}
    text = text.with_columns(
        pl.when(pl.int_range(pl.len()) == row).then(pl.lit(value)).otherwise(pl.col(column))
        .alias(column) for row, (column, value) in broken.items()).with_columns(
        pl.col("Price").str.replace(".", ",", literal=True))  # written with decimal commas
    (tmp_path / "export.csv").write_bytes(text.write_csv().encode("latin-1"))
    uci_codes = load_unit_config(PROJECT_DIR / "config" / "uk.yaml").cleaning.non_product_codes
    cleaned_by: dict[str, CleanTransactions] = {}

    def recording(config: Any, period: Period, timer: Any) -> tuple[InputReading, Any]:
        source, clean = read_and_clean(config, period, timer)
        cleaned_by[config.engine] = clean
        return source, clean

    monkeypatch.setattr(pipeline, "read_and_clean", recording)
    reports = {}
    for engine in ("polars", "spark"):
        (tmp_path / f"{engine}.yaml").write_text(yaml.safe_dump({
            "unit": "messy", "title": "Messy Export", "currency": "GBP", "engine": engine,
            "spark": {"master": "local[2]", "options": SMALL_DATA}, **DOWNSTREAM_OFF,
            "cleaning": {"non_product_codes": [code + UCI_TAG for code in uci_codes]},
            "source": {"path": "export.csv", "encoding": "latin-1", "decimal_comma": True,
                       "timezone": "UTC", "columns": {
                           "invoice": "Invoice", "unit_price": "Price",
                           "customer_id": "Customer ID"}},
            "report": {"timezone": "America/New_York"}}))
        config = load_unit_config(tmp_path / f"{engine}.yaml")
        reports[engine] = build_report(config, Period.parse(PERIOD),
                                       renderer=DraftRenderer()).files
    polars, spark_clean = cleaned_by["polars"], cleaned_by["spark"]
    # Every rule has lines to work on: the comparison below covers each case.
    touched = {entry.rule.split(" (")[0]: entry.rows for entry in polars.log}
    assert all(touched[rule] > 0 for rule in (
        "Exact duplicate lines", "Dated on or after the analysis date", "Missing description",
        "Price zero or negative", "Cancellation lines", "Purchase netted out by a matching "
        "cancellation", "Returns with no earlier purchase to match in the data",
        "Missing customer id", "Values that cannot be read")), touched
    if SHARED_DATA.exists():
        assert set(polars.entry_errors["reason"]) == {"cancelled", "price"}
        assert any(entry.rule.startswith("Not a product") and entry.rows for entry in polars.log)
    assert_same_cleaning(polars, spark_clean)
    assert_same_tables_for_the_chapters(polars, spark_clean, Period.parse(PERIOD))

    manifest = json.loads(reports["polars"]["manifest.json"])
    unreadable = manifest["data_quality"][0]
    assert unreadable["rule"].startswith("Values that cannot be read") and unreadable["rows"] == 3
    checked = validate_unit(tmp_path / "spark.yaml")  # `reportgen validate` on the Spark unit
    assert checked.problems == []
    assert f"{manifest['rows']['read']:,} rows read by Spark (local[2]), 3 with unreadable " \
        "values" in checked.facts[0]
    polars_files, spark_files = reports["polars"], reports["spark"]
    assert set(spark_files) == set(polars_files)
    for name in polars_files:
        if name.endswith(".csv"):
            assert spark_files[name] == polars_files[name], name

    def figures(files: dict[str, bytes]) -> dict[str, Any]:
        manifest = json.loads(files["manifest.json"])
        for key in ("config", "config_file", "config_sha256", "inputs", "outputs", "timings_seconds"):
            manifest.pop(key)
        return manifest

    assert figures(spark_files) == figures(polars_files)
    inputs = [json.loads(files["manifest.json"])["inputs"] for files in (polars_files, spark_files)]
    assert [[(f["sha256"], f["rows"]) for f in files] for files in inputs[1:]] == [
        [(f["sha256"], f["rows"]) for f in inputs[0]]]
