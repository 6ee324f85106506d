"""For any generated transaction table, read from a file as a user would give it: the cleaning
log accounts for every row and every pound read, and every identified customer who bought is in
exactly one segment. (CLV finite and not negative: tests/test_report_values_property.py.)"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from inputs.test_clean import reconciles
from test_report_values_property import PERIOD, transaction_tables

from reportgen.chapters.segments.rfm import rfm_analysis
from reportgen.config import load_unit_config
from reportgen.inputs.clean import clean_lines, clean_transactions
from reportgen.inputs.load import read_transactions


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(table=transaction_tables())
@pytest.mark.slow  # a hundred generated exports cleaned and segmented
def test_cleaning_accounts_for_every_row_and_pound_and_segments_partition_customers(
    table: pl.DataFrame, tmp_path: Path
) -> None:
    table.write_csv(tmp_path / "lines.csv", datetime_format="%Y-%m-%d %H:%M:%S")
    (tmp_path / "unit.yaml").write_text(yaml.safe_dump({
        "unit": "prop", "title": "Property", "currency": "GBP",
        "source": {"path": "lines.csv"}}))
    config = load_unit_config(tmp_path / "unit.yaml")
    source = read_transactions(config)
    assert source.rows_read == table.height
    clean = clean_transactions(source, PERIOD.analysis_date, config.cleaning)
    assert reconciles(clean), [(e.rule, e.rows, e.revenue) for e in clean.log]
    read_revenue = float((table["Quantity"] * table["UnitPrice"]).sum())
    assert abs(clean.revenue_in - read_revenue) <= 1e-6 * max(1.0, abs(read_revenue))

    customers = rfm_analysis(clean.orders, clean.return_orders, PERIOD.analysis_date,
                             config.rfm).customers
    buyers = clean_lines(source.transactions, PERIOD.analysis_date,
                         config.cleaning).purchases["customer_id"].drop_nulls().unique()
    assert customers["customer_id"].is_unique().all()
    assert set(customers["customer_id"]) == set(buyers)
    assert customers["segment"].null_count() == 0
    assert set(customers["segment"]) <= {rule.name for rule in config.rfm.segments}
