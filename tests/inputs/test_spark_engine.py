"""The Spark engine runs the same cleaning plan as Polars and gets the same cleaning log,
purchases, returns, cancelled orders and suspected entry errors (PySpark in local[2] mode).

Skipped where Java is missing; CI has it. The test compares whole tables: the lines Spark
keeps, their returned units and matches, and every log entry's rows and revenue. Spark pays
seconds for every job whatever its size, so every case goes into one input, cleaned once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import polars as pl
import pytest
from conftest import PROJECT_DIR, SHARED_DATA, UnitFactory
from inputs.test_clean import ANALYSIS_DATE, FIXTURE
from polars.testing import assert_frame_equal

from reportgen.chapters.segments.rfm import rfm_analysis
from reportgen.chapters.summary.analysis import monthly_kpis
from reportgen.chapters.trends.cohorts import cohort_analysis
from reportgen.config import CleaningConfig, CohortConfig, RfmConfig, load_unit_config
from reportgen.demo_data import DemoSpec, generate_transactions
from reportgen.inputs.clean import CleanTransactions, clean_transactions, reading_log
from reportgen.inputs.load import CANONICAL_SCHEMA, TransactionInput, read_transactions
from reportgen.inputs.spark import canonical_lines, clean_on_spark, java_problem, spark_session
from reportgen.period import Period

ANALYSIS_DATE_UCI = datetime(2011, 12, 1)  # the UCI file's last month is left out

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(java_problem() is not None, reason=f"{java_problem()}: Spark cannot start"),
]


# Small data on one machine: two shuffle partitions, one per core, and the JVM's quick
# compiler only (a short run ends before the optimising one pays off: 24 s instead of 32 s).
SMALL_DATA = {"spark.sql.shuffle.partitions": "2",
              "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1"}


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = spark_session("local[2]", SMALL_DATA, unit="tests")
    yield session
    session.stop()


def assert_same_table(name: str, theirs: pl.DataFrame, ours: pl.DataFrame) -> None:
    """The same rows (in any order) and values; sums of money to 1e-12 relative, as Spark adds
    in its own order."""
    assert theirs.columns == ours.columns, name
    assert theirs.height == ours.height, name
    by = [column for column, kind in ours.schema.items() if not kind.is_float()]
    left = theirs.cast(dict(ours.schema)).sort(by, nulls_last=True)
    try:
        assert_frame_equal(left, ours.sort(by, nulls_last=True), check_exact=False,
                           rel_tol=1e-12, abs_tol=1e-9)
    except AssertionError as error:
        raise AssertionError(f"{name}: {error}") from None


def assert_same_cleaning(polars: CleanTransactions, spark_result: tuple[Any, ...],
                         source: TransactionInput) -> None:
    log, tables = spark_result
    ours = polars.log[len(reading_log(source)):]
    assert [entry.rule for entry in log] == [entry.rule for entry in ours]
    for theirs, expected in zip(log, ours, strict=True):
        assert theirs.rows == expected.rows, theirs.rule
        assert theirs.revenue == pytest.approx(expected.revenue, rel=1e-9, abs=1e-6), theirs.rule
    assert set(tables) == {"purchases", "returns", "cancelled_orders", "entry_errors", "orders",
                           "price_quantity", "customer_products"}
    for name, frame in tables.items():
        assert_same_table(name, frame, getattr(polars, name))


def assert_same_tables_for_the_chapters(polars: CleanTransactions, spark_result: tuple[Any, ...],
                                        period: Period) -> None:
    """The KPI table, the cohort matrix and the customer table made from what Spark reduced
    equal those made from what Polars reduced."""
    returns, orders = (spark_result[1][name] for name in ("returns", "orders"))
    assert_same_table("KPI table", monthly_kpis(orders, returns, period),
                      monthly_kpis(polars.orders, polars.returns, period))
    theirs, ours = (cohort_analysis(frame, period.analysis_date, CohortConfig())
                    for frame in (orders, polars.orders))
    assert_same_table("cohort sizes", theirs.sizes, ours.sizes)
    assert_same_table("cohort matrix", theirs.retention, ours.retention)
    params = RfmConfig(monetary="net")
    theirs_rfm, ours_rfm = (rfm_analysis(frame, kept, period.analysis_date, params)
                            for frame, kept in ((orders, returns), (polars.orders, polars.returns)))
    assert_same_table("customer table", theirs_rfm.customers, ours_rfm.customers)


def canonical(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col(name).cast(dtype) for name, dtype in CANONICAL_SCHEMA.items())


def awkward_lines(write_unit: UnitFactory) -> pl.DataFrame:
    """The hand-built cases of the cleaning tests and simulated lines with ties at the same
    instant and partial returns, moved to end before the UCI file's last month and given
    their own customers and products: one input with every case the rules distinguish."""
    hand_built = read_transactions(load_unit_config(write_unit(FIXTURE))).transactions
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
    if config is not None:
        polars_lines.insert(0, read_transactions(config).transactions)
        uci = canonical_lines(spark.read.parquet(str(SHARED_DATA)),
                              config.source.columns.model_dump())
        spark_lines = uci.filter(uci.country == "United Kingdom").unionByName(spark_lines)
    transactions = pl.concat(polars_lines)
    source = TransactionInput(transactions, (), transactions.height, 0, 0.0, 0.0, 0, 0.0, ())
    polars = clean_transactions(source, ANALYSIS_DATE_UCI, params)
    # Every rule has lines to work on: the comparison below covers each case.
    touched = {entry.rule.split(" (")[0]: entry.rows for entry in polars.log}
    assert all(touched[rule] > 0 for rule in (
        "Exact duplicate lines", "Dated on or after the analysis date", "Missing description",
        "Price zero or negative", "Cancellation lines", "Purchase netted out by a matching "
        "cancellation", "Returns with no earlier purchase to match in the data",
        "Missing customer id")), touched
    if config is not None:
        assert polars.entry_errors.height > 0
    result = clean_on_spark(spark_lines, ANALYSIS_DATE_UCI, params)
    assert_same_cleaning(polars, result, source)
    assert_same_tables_for_the_chapters(polars, result, Period(2011, 11))
