"""Issue 28: times read in the export's zone and analysed in the unit's; products whose quantity
is not a count."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from conftest import UnitFactory, lines

from reportgen.config import load_unit_config
from reportgen.errors import ConfigError
from reportgen.inputs.clean import clean_lines, clean_transactions
from reportgen.inputs.load import read_transactions

UTC_LINES = lines(
    ("1", "A", 1, "2010-12-01 15:00:00", 2.0, "C1"),   # 09:00 in Chicago (UTC-6 in winter)
    ("2", "A", 1, "2011-01-01 02:00:00", 2.0, "C2"),   # 31 Dec 2010, 20:00 in Chicago
    ("3", "A", 1, "2011-07-01 02:00:00", 2.0, "C3"),   # 30 Jun 2011, 21:00 (UTC-5 in summer)
)


def test_utc_times_become_the_units_local_times(write_unit: UnitFactory) -> None:
    config = load_unit_config(write_unit(
        UTC_LINES, source={"path": "transactions.parquet", "timezone": "UTC"},
        report={"timezone": "America/Chicago"}))
    times = read_transactions(config).transactions["invoice_date"].to_list()
    assert times == [datetime(2010, 12, 1, 9), datetime(2010, 12, 31, 20),
                     datetime(2011, 6, 30, 21)]
    # The evening of 31 December local time belongs to December: before the analysis date.
    clean = clean_transactions(read_transactions(config), datetime(2011, 1, 1), config.cleaning)
    future = next(e for e in clean.log if e.rule.startswith("Dated on or after"))
    assert future.rows == 1


def test_times_stored_with_a_zone_use_it(write_unit: UnitFactory, tmp_path: Path) -> None:
    zoned = UTC_LINES.with_columns(pl.col("InvoiceDate").dt.replace_time_zone("UTC"))
    config = load_unit_config(write_unit(zoned, report={"timezone": "Europe/Berlin"}))
    times = read_transactions(config).transactions["invoice_date"].to_list()
    assert times == [datetime(2010, 12, 1, 16), datetime(2011, 1, 1, 3),
                     datetime(2011, 7, 1, 4)]
    # Without a unit zone, a zoned column keeps its own wall clock, as before.
    plain = load_unit_config(write_unit(zoned))
    assert read_transactions(plain).transactions["invoice_date"][0] == datetime(2010, 12, 1, 15)


def test_without_zones_times_are_taken_as_written(write_unit: UnitFactory) -> None:
    config = load_unit_config(write_unit(UTC_LINES))
    assert read_transactions(config).transactions["invoice_date"].to_list() == [
        datetime(2010, 12, 1, 15), datetime(2011, 1, 1, 2), datetime(2011, 7, 1, 2)]


def test_an_unknown_zone_is_a_config_error(write_unit: UnitFactory) -> None:
    with pytest.raises(ConfigError, match="'Mars/Olympus' is not a time zone"):
        load_unit_config(write_unit(UTC_LINES, report={"timezone": "Mars/Olympus"}))


def fuel_and_groceries() -> pl.DataFrame:
    rows = []
    for n in range(40):
        when = f"2010-12-{1 + n % 28:02d} 10:00:00"
        rows.append((f"B{n}", f"10{n % 8}", 1 + n % 3, when, 2.5, f"H{n % 6}"))
        if n % 2 == 0:
            rows.append((f"B{n}", "FUEL", 900 + 10 * n, when, 0.0349, f"H{n % 6}", "UK",
                         "GASOLINE-REG UNLEADED"))
    return lines(*rows)


def test_products_sold_by_volume_are_found_and_kept_in_revenue(
        write_unit: UnitFactory) -> None:
    config = load_unit_config(write_unit(fuel_and_groceries()))
    source = read_transactions(config)
    clean = clean_transactions(source, datetime(2011, 1, 1), config.cleaning)
    assert clean.volume_products.select("stock_code", "lines", "listed").rows() == [
        ("FUEL", 20, False)]
    assert clean.volume_products["median_quantity"].item() == pytest.approx(1_090.0)
    # In revenue, out of the price-quantity grid.
    fuel = clean_lines(source.transactions, datetime(2011, 1, 1), config.cleaning).purchases \
        .filter(pl.col("stock_code") == "FUEL")
    assert clean.revenue_out == pytest.approx(source.revenue_read)
    assert fuel.height == 20
    assert clean.price_quantity["lines"].sum() == 40
    # Configurable both ways.
    never = load_unit_config(write_unit(fuel_and_groceries(),
                                        cleaning={"sold_by_volume": {"not_codes": ["fuel"]}}))
    assert clean_transactions(read_transactions(never), datetime(2011, 1, 1),
                              never.cleaning).volume_products.is_empty()
    listed = load_unit_config(write_unit(fuel_and_groceries(),
                                         cleaning={"sold_by_volume": {"codes": ["100"]}}))
    found = clean_transactions(read_transactions(listed), datetime(2011, 1, 1), listed.cleaning)
    assert found.volume_products.select("stock_code", "listed").rows() == [
        ("100", True), ("FUEL", False)]


def test_products_and_suggestions_leave_volume_products_out(write_unit: UnitFactory) -> None:
    from reportgen.chapters.products.analysis import product_analysis
    from reportgen.config import BehaviourConfig

    config = load_unit_config(write_unit(fuel_and_groceries()))
    clean = clean_transactions(read_transactions(config), datetime(2011, 1, 1), config.cleaning)
    result = product_analysis(clean.product_months, clean.customer_products, clean.descriptions,
                              BehaviourConfig(), clean.volume_products)
    assert "FUEL" not in result.top_by_quantity["stock_code"].to_list()
    assert result.top_by_revenue["stock_code"][0] == "FUEL"  # by revenue it still counts
    assert result.by_volume["description"].to_list() == ["GASOLINE-REG UNLEADED"]
