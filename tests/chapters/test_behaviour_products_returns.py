"""Behaviour, products, returns and countries on one hand-built month."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from reportgen.chapters.behaviour.analysis import behaviour_analysis
from reportgen.chapters.countries.analysis import country_table
from reportgen.chapters.products.analysis import product_analysis
from reportgen.chapters.returns.analysis import returns_analysis
from reportgen.config import BehaviourConfig
from reportgen.inputs.reduce import orders_of, price_quantity_of, tables_of

START, END = datetime(2011, 11, 1), datetime(2011, 12, 1)
COLUMNS = ["invoice", "customer_id", "stock_code", "quantity", "unit_price", "invoice_date",
           "country"]


def lines(*rows: tuple) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema=COLUMNS, orient="row").with_columns(
        pl.col("invoice_date").str.to_datetime().cast(pl.Datetime("us")),
        pl.format("PRODUCT {}", pl.col("stock_code")).alias("description"),
        (pl.col("quantity") * pl.col("unit_price")).alias("revenue"),
    )
    return frame


# 7 Nov 2011 is a Monday.
PURCHASES = lines(
    ("1", "A", "X", 10, 2.0, "2011-11-07 09:00:00", "United Kingdom"),   # 20
    ("1", "A", "Y", 1, 25.0, "2011-11-07 09:00:00", "United Kingdom"),   # 25
    ("2", "A", "X", 5, 2.0, "2011-11-09 14:00:00", "United Kingdom"),    # 10, Wednesday
    ("3", "B", "X", 24, 1.5, "2011-11-14 18:30:00", "France"),           # 36, Monday evening
    ("4", "B", "Z", 2, 0.5, "2011-11-14 19:00:00", "France"),            # 1, same day
    ("5", None, "Y", 3, 25.0, "2011-11-15 11:00:00", "United Kingdom"),  # 75, anonymous
    ("6", "A", "X", 5, 2.0, "2011-11-21 10:00:00", "United Kingdom"),    # 10
)
RETURNS = lines(
    ("C7", "A", "X", 5, 2.0, "2011-11-10 10:00:00", "United Kingdom"),
    ("C8", "B", "Z", 2, 0.5, "2011-11-15 10:00:00", "France"),
).rename({"revenue": "value"}).with_columns(pl.Series("matched", [False, True]),
                                            pl.Series("kind", ["return", "cancellation"]))
# Order lines with the units that came back: A's 5 returned units of X are taken from the
# latest earlier purchase (invoice 2); B's order of 2 Z was cancelled in full (C8).
CANCELLED_ORDER = lines(("4b", "B", "Z", 2, 0.5, "2011-11-14 19:30:00", "France"))
ORDERED = pl.concat([PURCHASES, CANCELLED_ORDER]).with_columns(
    pl.Series("returned_units", [0, 0, 5, 0, 0, 0, 0, 2])).with_columns(
    (pl.col("returned_units") * pl.col("unit_price")).alias("returned_value"))
# The reduced tables of these lines, as cleaning hands them to the chapters.
TABLES = tables_of(ORDERED.head(PURCHASES.height).drop("returned_value"),
                   RETURNS.with_columns(pl.col("matched").cast(pl.Int64).alias("matched_units")),
                   ORDERED.tail(1).drop("returned_value"))
SEGMENTS = pl.DataFrame({"customer_id": ["A", "B"], "segment": ["champions", "at_risk"]})
PARAMS = BehaviourConfig(min_units_for_return_rate=1, min_customers_for_return_rate=1,
                         min_buyers_for_repeat=2)


def test_order_timing() -> None:
    result = behaviour_analysis(orders_of(PURCHASES), price_quantity_of(PURCHASES), START, END,
                                PARAMS)
    assert result.weekday_hour.rows() == [
        (1, 9, 1), (1, 10, 1), (1, 18, 1), (1, 19, 1), (2, 11, 1), (3, 14, 1)]
    parts = result.dayparts.rows()
    assert parts == [("morning", 3, 0.5), ("afternoon", 1, pytest.approx(1 / 6)),
                     ("evening", 2, pytest.approx(1 / 3))]


def test_customer_habits() -> None:
    habits = behaviour_analysis(orders_of(PURCHASES), price_quantity_of(PURCHASES), START, END,
                                PARAMS).customer_habits
    # A buys on 7, 9 and 21 Nov: 14 days over 2 gaps. B buys twice on one day: no gap.
    assert habits.rows() == [("A", 7.0, "Monday", "morning"), ("B", None, "Monday", "evening")]


def test_products() -> None:
    result = product_analysis(TABLES["product_months"], TABLES["customer_products"],
                              TABLES["descriptions"], PARAMS)
    assert result.top_by_quantity.select("stock_code", "quantity", "revenue", "orders",
                                         "customers").rows() == [
        ("X", 44, 76.0, 4, 2), ("Y", 4, 100.0, 2, 1), ("Z", 2, 1.0, 1, 1)]
    assert result.top_by_revenue["stock_code"].to_list() == ["Y", "X", "Z"]
    # Rates are of the purchases: Z's order cancelled in full is neither ordered nor returned.
    # Only X has returns (A's 5 units); Y and Z have no returning customer.
    rates = result.highest_return_rate.select(
        "stock_code", "units_ordered", "units_returned", "return_rate", "returning_customers",
        "largest_customer_share").rows()
    assert rates == [("X", 44, 5, pytest.approx(5 / 44), 1, 1.0)]
    # X: A bought it on three days, B on one; Y and Z have a single buyer (below the minimum).
    rebought = result.most_rebought.select("stock_code", "buyers", "repeat_buyers").rows()
    assert rebought == [("X", 2, 1)]


def test_price_and_quantity_bands_and_the_peak_slot() -> None:
    result = behaviour_analysis(orders_of(PURCHASES), price_quantity_of(PURCHASES), START, END,
                                PARAMS)
    grid = {(p, q): (n, r) for p, q, n, r in result.price_quantity.select(
        "price_band", "quantity_band", "lines", "revenue").rows() if n}
    assert grid == {("under 1", "2–5"): (1, 1.0), ("1–2", "24–99"): (1, 36.0),
                    ("2–5", "2–5"): (2, 20.0), ("2–5", "6–11"): (1, 20.0),
                    ("20 and over", "1"): (1, 25.0), ("20 and over", "2–5"): (1, 75.0)}
    assert result.price_quantity.height == 36
    # Monday has four orders (9:00, 10:00, 18:00, 19:00): the earliest hour wins the tie.
    assert (result.peak_weekday, result.peak_hour) == ("Monday", 9)
    # Busiest hours hold one order each of six.
    assert result.peak_hour_share == pytest.approx(1 / 6)


def test_returns() -> None:
    result = returns_analysis(TABLES["customer_months"], TABLES["return_orders"],
                              TABLES["product_returns"], TABLES["descriptions"], SEGMENTS,
                              START, END, top=10)
    assert result is not None
    # One definition: A's return of 5 X (10.0); B's cancelled order (C8, 1.0) is apart.
    assert result.by_month.select("value", "revenue").rows() == [(10.0, 177.0)]
    assert result.by_month["value_share"][0] == pytest.approx(10 / 177)
    assert (result.returns_value, result.ordered_value, result.returned_value) == (10.0, 177.0,
                                                                                   10.0)
    assert (result.cancelled_value, result.cancelled_invoices) == (1.0, 1)
    assert result.returned_share == pytest.approx(10 / 177)
    assert result.by_product.select("stock_code", "value", "units").rows() == [("X", 10.0, 5)]
    assert result.by_country.select("country", "value").rows() == [("United Kingdom", 10.0)]
    segments = result.by_segment.select("segment", "value", "ordered", "returned",
                                        "value_share").rows()
    assert segments == [("champions", 10.0, 65.0, 10.0, pytest.approx(10 / 65)),
                        ("at_risk", 0.0, 37.0, 0.0, 0.0)]
    assert result.by_segment["value"].sum() == result.by_month["value"].sum() \
        == result.returns_value
    # A: 10 returned of 65 bought. B: nothing returned of 37 bought (the cancelled order is
    # neither).
    assert result.customer_return_rates.rows() == [("A", pytest.approx(10 / 65)), ("B", 0.0)]


def test_returns_without_a_customer_or_a_purchase_have_rows_of_their_own() -> None:
    extra = lines(("C9", None, "Y", 1, 25.0, "2011-11-20 10:00:00", "United Kingdom"),
                  ("C10", "Q", "Y", 2, 25.0, "2011-11-21 10:00:00", "United Kingdom")) \
        .rename({"revenue": "value"}).with_columns(pl.lit(False).alias("matched"),
                                                   pl.lit("return").alias("kind"))
    returned = pl.concat([RETURNS, extra]).with_columns(pl.lit(0).alias("matched_units"))
    tables = tables_of(ORDERED.head(PURCHASES.height).drop("returned_value"), returned,
                       ORDERED.tail(1).drop("returned_value"))
    result = returns_analysis(tables["customer_months"], tables["return_orders"],
                              tables["product_returns"], tables["descriptions"], SEGMENTS,
                              START, END, top=10)
    assert result is not None
    assert dict(result.by_segment.select("segment", "value").rows()) == {
        "champions": 10.0, "at_risk": 0.0, "no customer id": 25.0,
        "no purchase in the data": 50.0}
    assert result.returns_value == 85.0 == result.by_segment["value"].sum()


def test_no_returns_at_all_leaves_the_chapter_out() -> None:
    empty = tables_of(PURCHASES.with_columns(pl.lit(0).alias("returned_units")),
                      RETURNS.clear().with_columns(pl.lit(0).alias("matched_units")),
                      CANCELLED_ORDER.clear().with_columns(pl.lit(0).alias("returned_units")))
    assert returns_analysis(empty["customer_months"], empty["return_orders"],
                            empty["product_returns"], empty["descriptions"], SEGMENTS,
                            START, END, top=10) is None


def test_returns_of_orders_before_the_window_count_in_no_rate() -> None:
    # A return in the window of goods ordered before it: in the returns' value, in no rate.
    earlier = tables_of(PURCHASES.with_columns(pl.lit(0).alias("returned_units")),
                        RETURNS, CANCELLED_ORDER.with_columns(pl.lit(0).alias("returned_units")))
    result = returns_analysis(earlier["customer_months"], earlier["return_orders"],
                              earlier["product_returns"], earlier["descriptions"], SEGMENTS,
                              START, END, top=10)
    assert result is not None
    assert result.returns_value == 10.0
    assert result.returned_value == 0.0
    assert result.customer_return_rates["return_rate"].to_list() == [0.0, 0.0]


def test_countries() -> None:
    table = country_table(PURCHASES, RETURNS, START, END)
    assert country_table(TABLES["orders"], TABLES["return_orders"], START, END).equals(table)
    assert table.select("country", "customers", "orders", "revenue", "returns_value",
                        "average_order_value").rows() == [
        ("United Kingdom", 1, 4, 140.0, 10.0, 35.0), ("France", 1, 2, 37.0, 0.0, 18.5)]
    assert table["revenue_share"].sum() == pytest.approx(1.0)


def test_each_customer_has_a_main_country_and_unspecified_is_no_country() -> None:
    from reportgen.chapters.countries.analysis import NOT_GIVEN, countries_analysis

    orders = pl.concat([PURCHASES, lines(
        ("20", "B", "X", 100, 2.0, "2011-10-05 10:00:00", "Germany"),      # B's most, earlier
        ("21", "C", "X", 1, 2.0, "2011-11-25 10:00:00", "Unspecified"),
        ("22", None, "X", 1, 2.0, "2011-11-26 10:00:00", None))]).select(PURCHASES.columns)
    result = countries_analysis(orders, RETURNS, datetime(2011, 1, 1), START, END)
    assert result.customer_countries.rows() == [
        ("A", "United Kingdom"), ("B", "Germany"), ("C", NOT_GIVEN)]
    assert result.window["country"].to_list() == [
        "Germany", "United Kingdom", "France", NOT_GIVEN]
    assert result.countries == 3  # 'Unspecified' and a missing country are not a country
    assert result.month["country"].to_list() == ["United Kingdom", "France", NOT_GIVEN]
    assert result.month.filter(pl.col("country") == NOT_GIVEN)["revenue"].item() == 4.0
