"""The Spark engine runs the same cleaning plan as Polars and gets the same cleaning log,
purchases, returns, cancelled orders and suspected entry errors (PySpark in local[2] mode).

Skipped where Java is missing; CI has it. The test compares whole tables: the lines Spark
keeps, their returned units and matches, and every log entry's rows and revenue. Spark pays
seconds for every job whatever its size, so every case goes into one input, cleaned once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml
from conftest import PROJECT_DIR, SHARED_DATA, UnitFactory
from inputs.test_clean import ANALYSIS_DATE, FIXTURE, lines, usual_lines
from polars.testing import assert_frame_equal

from reportgen.chapters.segments.rfm import rfm_analysis
from reportgen.chapters.summary.analysis import monthly_kpis
from reportgen.chapters.trends.cohorts import cohort_analysis
from reportgen.config import CleaningConfig, CohortConfig, RfmConfig, load_unit_config
from reportgen.demo_data import DemoSpec, generate_transactions
from reportgen.inputs.clean import (
    CleaningPlan,
    CleanTransactions,
    clean_transactions,
)
from reportgen.inputs.load import (
    CANONICAL_SCHEMA,
    InputReading,
    TransactionInput,
    read_transactions,
)
from reportgen.inputs.spark import (
    clean_on_spark,
    java_problem,
    read_on_spark,
    spark_session,
)
from reportgen.inputs.validate import validate_unit
from reportgen.period import Period
from reportgen.pipeline import build_report

ANALYSIS_DATE_UCI = datetime(2011, 12, 1)  # the UCI file's last month is left out

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(java_problem() is not None, reason=f"{java_problem()}: Spark cannot start"),
]


# Small data on one machine: two shuffle partitions, one per core, and the JVM's quick
# compiler only (a short run ends before the optimising one pays off: 24 s instead of 32 s).
UCI_CLEANED = (datetime(2011, 6, 1), datetime(2011, 7, 1))
SMALL_DATA = {"spark.sql.shuffle.partitions": "2",
              "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1"}


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


def awkward_lines(write_unit: UnitFactory) -> pl.DataFrame:
    """The hand-built cases of the cleaning tests and simulated lines with ties at the same
    instant and partial returns, moved to end before the UCI file's last month and given
    their own customers and products: one input with every case the rules distinguish."""
    entry_error = lines(*usual_lines("JAR", "C1"),
                        ("600001", "JAR", 5_000, "2010-12-10 09:00:00", 1.0, "C1"),
                        ("C600002", "JAR", -5_000, "2010-12-10 09:20:00", 1.0, "C1"))
    hand_built = read_transactions(load_unit_config(write_unit(
        pl.concat([FIXTURE, entry_error])))).transactions
    simulated = generate_transactions(DemoSpec(customers=400, seed=11)).transactions.rename({
        "InvoiceNo": "invoice", "StockCode": "stock_code", "Description": "description",
        "Quantity": "quantity", "InvoiceDate": "invoice_date", "UnitPrice": "unit_price",
        "CustomerID": "customer_id", "Country": "country"})
    moves = {"H": ANALYSIS_DATE_UCI - ANALYSIS_DATE, "S": ANALYSIS_DATE_UCI - datetime(2024, 12, 1)}
    return pl.concat([
        canonical(frame).with_columns(
            (pl.lit(f"{tag}-") + pl.col("customer_id")).alias("customer_id"),
            (pl.lit(f"{tag}-") + pl.col("stock_code")).alias("stock_code"),
            pl.col("invoice_date") + moves[tag])
        for tag, frame in (("H", hand_built), ("S", simulated))])


def test_spark_cleans_exactly_as_polars(spark: Any, write_unit: UnitFactory) -> None:
    """One input with the hand-built cases, simulated lines and, where it is present, the UCI
    file's United Kingdom lines read by Spark's own reader (nanosecond Parquet times)."""
    awkward = awkward_lines(write_unit)
    config = load_unit_config(PROJECT_DIR / "config" / "uk.yaml") if SHARED_DATA.exists() \
        else None
    params = config.cleaning if config else CleaningConfig()
    polars_lines = [awkward]
    spark_lines = spark.createDataFrame(
        awkward.with_row_index("line").with_columns(pl.col("line").cast(pl.Int64) + 10**12)
        .to_arrow())
    if config is not None:  # Spark's reader against Polars': the same lines and counts
        read = read_transactions(config)
        spark_read, uci = read_on_spark(config, spark)
        assert spark_read == InputReading(**{
            field.name: getattr(read, field.name) for field in fields(InputReading)})
        # Cleaned: June 2011, with the £649.50 picnic baskets and every other rule at work
        # (the hand-built lines bring an outsized order cancelled soon after).
        polars_lines.insert(0, read.transactions.filter(
            pl.col("invoice_date").is_between(*UCI_CLEANED, closed="left")))
        spark_lines = uci.filter(uci.invoice_date.between(UCI_CLEANED[0], UCI_CLEANED[1])
                                 & (uci.invoice_date < UCI_CLEANED[1])).unionByName(spark_lines)
    transactions = pl.concat(polars_lines)
    source = TransactionInput.of(transactions)
    polars = clean_transactions(source, ANALYSIS_DATE_UCI, params)
    # Every rule has lines to work on: the comparison below covers each case.
    touched = {entry.rule.split(" (")[0]: entry.rows for entry in polars.log}
    assert all(touched[rule] > 0 for rule in (
        "Exact duplicate lines", "Dated on or after the analysis date", "Missing description",
        "Price zero or negative", "Cancellation lines", "Purchase netted out by a matching "
        "cancellation", "Returns with no earlier purchase to match in the data",
        "Missing customer id")), touched
    if config is not None:
        assert set(polars.entry_errors["reason"]) == {"cancelled", "price"}
    spark_clean = clean_on_spark(source, spark_lines, ANALYSIS_DATE_UCI, params)
    assert_same_cleaning(polars, spark_clean)
    assert_same_tables_for_the_chapters(polars, spark_clean, Period(2011, 11))


def test_a_unit_on_spark_gets_the_same_report_as_on_polars(spark: Any, tmp_path: Path) -> None:
    """engine: spark, end to end on a messy export (Online Retail II column names, latin-1
    bytes, decimal commas, times in UTC for a unit in New York, blank descriptions, returns of
    goods bought before the data, unreadable values):
    the same customers.csv, exports and manifest figures as engine: polars (charts and the PDF
    are not drawn; they format the same figures)."""
    from conftest import DraftRenderer
    from test_messy_export import II_NAMES, PERIOD, messy_lines

    text = messy_lines().with_columns(pl.col("InvoiceDate").dt.strftime("%Y-%m-%d %H:%M:%S")) \
        .cast(pl.String).rename(II_NAMES)
    broken = {5: ("InvoiceDate", "31/02/2024"), 6: ("Quantity", "#VALUE!"), 7: ("Price", "n/a")}
    text = text.with_columns(
        pl.when(pl.int_range(pl.len()) == row).then(pl.lit(value)).otherwise(pl.col(column))
        .alias(column) for row, (column, value) in broken.items()).with_columns(
        pl.col("Price").str.replace(".", ",", literal=True))  # written with decimal commas
    (tmp_path / "export.csv").write_bytes(text.write_csv().encode("latin-1"))
    reports = {}
    for engine in ("polars", "spark"):
        (tmp_path / f"{engine}.yaml").write_text(yaml.safe_dump({
            "unit": "messy", "title": "Messy Export", "currency": "GBP", "engine": engine,
            "spark": {"master": "local[2]"}, "clusters": {"k_max": 4, "n_init": 2},
            "source": {"path": "export.csv", "encoding": "latin-1", "decimal_comma": True,
                       "timezone": "UTC", "columns": {
                           "invoice": "Invoice", "unit_price": "Price",
                           "customer_id": "Customer ID"}},
            "report": {"timezone": "America/New_York"}}))
        config = load_unit_config(tmp_path / f"{engine}.yaml")
        reports[engine] = build_report(config, Period.parse(PERIOD),
                                       renderer=DraftRenderer()).files
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
