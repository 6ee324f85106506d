"""The Spark engine runs the same cleaning plan as Polars and gets the same cleaning log,
purchases, returns, cancelled orders and suspected entry errors (PySpark in local[2] mode).

Skipped where Java is missing; CI has it. Each test compares whole tables: the lines Spark
keeps, their returned units and matches, and every log entry's rows and revenue.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from conftest import SHARED_DATA, UnitFactory
from inputs.test_clean import ANALYSIS_DATE, FIXTURE

from reportgen.config import CleaningConfig, load_unit_config
from reportgen.demo_data import DemoSpec, generate_transactions
from reportgen.inputs.clean import CleanTransactions, clean_transactions, reading_log
from reportgen.inputs.load import TransactionInput, read_transactions
from reportgen.inputs.spark import canonical_lines, clean_on_spark, java_problem, spark_session

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(java_problem() is not None, reason=f"{java_problem()}: Spark cannot start"),
]


# Small data on one machine: two shuffle partitions, one per core.
SMALL_DATA = {"spark.sql.shuffle.partitions": "2"}


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = spark_session("local[2]", SMALL_DATA, unit="tests")
    yield session
    session.stop()


def assert_same_cleaning(polars: CleanTransactions, spark_result: tuple[Any, ...],
                         source: TransactionInput) -> None:
    log, purchases, returns, cancelled, errors = spark_result
    ours = polars.log[len(reading_log(source)):]
    assert [entry.rule for entry in log] == [entry.rule for entry in ours]
    for theirs, expected in zip(log, ours, strict=True):
        assert theirs.rows == expected.rows, theirs.rule
        assert theirs.revenue == pytest.approx(expected.revenue, rel=1e-9, abs=1e-6), theirs.rule
    for name, frame in (("purchases", purchases), ("returns", returns),
                        ("cancelled_orders", cancelled), ("entry_errors", errors)):
        expected = getattr(polars, name)
        assert frame.columns == expected.columns, name
        assert frame.height == expected.height, name
        by = expected.columns
        left = frame.cast(dict(expected.schema)).sort(by, nulls_last=True)
        right = expected.sort(by, nulls_last=True)
        assert left.equals(right), name


def spark_lines(spark: Any, transactions: pl.DataFrame) -> Any:
    """The canonical lines Polars read, handed to Spark as they are, with their positions."""
    return spark.createDataFrame(transactions.with_row_index("line")
                                 .with_columns(pl.col("line").cast(pl.Int64)).to_arrow())


def test_the_hand_built_cases_clean_the_same(spark: Any, write_unit: UnitFactory) -> None:
    config = load_unit_config(write_unit(FIXTURE))
    source = read_transactions(config)
    polars = clean_transactions(source, ANALYSIS_DATE, config.cleaning)
    result = clean_on_spark(spark_lines(spark, source.transactions), ANALYSIS_DATE,
                            config.cleaning)
    assert_same_cleaning(polars, result, source)


def test_simulated_lines_with_ties_and_partial_returns_clean_the_same(spark: Any) -> None:
    data = generate_transactions(DemoSpec(customers=400, seed=11))
    transactions = data.transactions.rename({
        "InvoiceNo": "invoice", "StockCode": "stock_code", "Description": "description",
        "Quantity": "quantity", "InvoiceDate": "invoice_date", "UnitPrice": "unit_price",
        "CustomerID": "customer_id", "Country": "country"})
    transactions = transactions.with_columns(pl.col("customer_id").cast(pl.String),
                                             pl.col("invoice_date").cast(pl.Datetime("us")))
    source = TransactionInput(transactions, (), transactions.height, 0, 0.0, 0.0, 0, 0.0, ())
    analysis_date = datetime(2024, 12, 1)
    params = CleaningConfig()
    polars = clean_transactions(source, analysis_date, params)
    assert polars.log[-3].rows > 0  # returns that find no purchase: the awkward case is there
    result = clean_on_spark(spark_lines(spark, transactions), analysis_date, params)
    assert_same_cleaning(polars, result, source)


@pytest.mark.real_data
def test_the_uci_file_read_and_cleaned_by_spark_equals_polars(spark: Any) -> None:
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data/online_retail.parquet is absent")
    config = load_unit_config(Path(__file__).resolve().parents[2] / "config" / "uk.yaml")
    source = read_transactions(config)
    analysis_date = datetime(2011, 12, 1)
    polars = clean_transactions(source, analysis_date, config.cleaning)
    columns = config.source.columns.model_dump()
    # The shared file stores its times in nanoseconds, which Spark reads only as numbers.
    lines = canonical_lines(spark.read.parquet(str(SHARED_DATA)), columns)
    lines = lines.filter(lines.country == "United Kingdom")
    result = clean_on_spark(lines, analysis_date, config.cleaning)
    assert_same_cleaning(polars, result, source)
