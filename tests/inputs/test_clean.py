"""Cleaning: every rule of SPEC.md on a hand-built fixture, with the cleaning log written out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from conftest import UnitFactory, lines, on_every_core

from reportgen.config import CleaningConfig, UnitConfig, load_unit_config
from reportgen.demo_data import DemoSpec, generate_transactions
from reportgen.inputs.clean import (
    CleaningPlan,
    CleanLines,
    CleanTransactions,
    clean_lines,
    clean_transactions,
    exact_duplicate_count,
)
from reportgen.inputs.load import TransactionInput, read_transactions

ANALYSIS_DATE = datetime(2011, 1, 1)
FIXTURE = lines(
    ("1001", "A", 2, "2010-12-01 10:00:00", 1.5, "C1"),
    ("1001", "A", 2, "2010-12-01 10:00:00", 1.5, "C1"),    # exact duplicate
    ("1002", "A", 5, "2010-12-05 10:00:00", 2.0, "C1"),    # kept: the cancellation pairs with 1003
    ("1003", "A", 5, "2010-12-06 10:00:00", 2.0, "C1"),    # netted out by C2001 (latest earlier)
    ("C2001", "A", -5, "2010-12-07 09:00:00", 2.0, "C1"),  # matched cancellation
    ("C2002", "P2", -1, "2010-12-08 09:00:00", 4.0, "C1"),  # return without a matching purchase
    ("1004", "POST", 1, "2010-12-09 09:00:00", 18.0, "C2"),  # postage
    ("1005", "P2", 3, "2010-12-10 09:00:00", 0.0, "C2"),   # free item
    ("1006", "P2", 1, "2010-12-11 09:00:00", 4.0, None),   # no customer id: kept for sales
    ("1007", "P2", 1, "2011-01-02 09:00:00", 4.0, "C2"),   # after the analysis date
    ("1008", "P2", -1, "2010-12-12 09:00:00", 4.0, "C2"),  # negative quantity: a return too
    ("1009", "P2", 2, "2010-12-13 09:00:00", 4.0, "C2", "United Kingdom", None),  # no description
    ("C2003", "A", -2, "2010-12-14 09:00:00", 1.5, "C9"),  # cancels nothing: purchase is later
    ("1010", "A", 2, "2010-12-20 09:00:00", 1.5, "C9"),
)


@dataclass(frozen=True)
class Cleaned:
    """One input's reduced tables and log (`clean`), and the lines kept (`lines`)."""

    clean: CleanTransactions
    lines: CleanLines


def cleaning(config: UnitConfig, analysis_date: datetime = ANALYSIS_DATE) -> Cleaned:
    source = read_transactions(config)
    return Cleaned(clean_transactions(source, analysis_date, config.cleaning),
                   clean_lines(source.transactions, analysis_date, config.cleaning))


@pytest.fixture
def cleaned(write_unit: UnitFactory) -> Cleaned:
    return cleaning(load_unit_config(write_unit(FIXTURE)))


def test_cleaning_log_counts_each_rule(cleaned: Cleaned) -> None:
    log = {e.rule.split(" (")[0]: (e.rows, round(e.revenue, 2)) for e in cleaned.clean.log}
    assert log == {
        "Values that cannot be read": (0, 0.0),
        "Country not among the unit's countries": (0, 0.0),
        "Exact duplicate lines": (1, 3.0),
        "Dated on or after the analysis date": (1, 4.0),
        "Missing description": (1, 8.0),
        "Not a product: Postage, carriage and delivery charges": (1, 18.0),
        "Quantity zero or missing": (0, 0.0),
        "Price zero or negative": (1, 0.0),
        "Suspected entry error: unit price far above the product's usual price": (0, 0.0),
        "Cancellation lines": (4, -21.0),
        "Positive quantity on a cancellation invoice": (0, 0.0),
        "Purchase netted out by a matching cancellation": (1, 10.0),
        "Corrections: of those, orders cancelled at another price or re-issued to the same "
        "customer within 7 days": (0, 0.0),
        "Cancellation of a suspected entry error": (0, 0.0),
        # C2002 (P2 never bought by C1), 1008 (C2's purchase of P2 comes later) and C2003
        # (C9's purchase comes later): 4 + 4 + 3.
        "Returns with no earlier purchase to match in the data": (3, -11.0),
        "Missing customer id": (1, 4.0),
        "Unusually large order lines, not cancelled": (0, 0.0),
    }


def test_rows_reconcile(cleaned: Cleaned) -> None:
    removed = sum(e.rows for e in cleaned.clean.log if e.removed)
    assert cleaned.clean.rows_in == 14
    assert cleaned.clean.rows_out + removed == cleaned.clean.rows_in


def test_purchases_keep_the_right_lines(cleaned: Cleaned) -> None:
    assert cleaned.lines.purchases["invoice"].to_list() == ["1001", "1002", "1006", "1009", "1010"]
    assert cleaned.lines.purchases["revenue"].to_list() == [3.0, 10.0, 4.0, 8.0, 3.0]
    # 1009 has no description; other lines of P2 have one.
    described = cleaned.lines.purchases.filter(pl.col("invoice") == "1009")["description"][0]
    assert described == "PRODUCT P2"


def test_returns_are_positive_and_flag_matches(cleaned: Cleaned) -> None:
    returns = cleaned.lines.returns.sort("invoice")
    assert returns["invoice"].to_list() == ["1008", "C2001", "C2002", "C2003"]
    assert returns["quantity"].to_list() == [1, 5, 1, 2]
    assert returns["value"].to_list() == [4.0, 10.0, 4.0, 3.0]
    assert returns["matched"].to_list() == [False, True, False, False]


def test_each_purchase_is_netted_at_most_once(write_unit: UnitFactory) -> None:
    data = lines(
        ("1", "A", 3, "2010-12-01 10:00:00", 1.0, "C1"),
        ("2", "A", 3, "2010-12-02 10:00:00", 1.0, "C1"),
        ("C3", "A", -3, "2010-12-03 10:00:00", 1.0, "C1"),
        ("C4", "A", -3, "2010-12-04 10:00:00", 1.0, "C1"),
        ("C5", "A", -3, "2010-12-05 10:00:00", 1.0, "C1"),   # a third cancellation: nothing left
        ("C6", "A", -3, "2010-12-05 10:00:00", 1.0, None),   # anonymous: never matched
    )
    config = load_unit_config(write_unit(data, cleaning={"cancellation_window_hours": None}))
    result = cleaning(config)
    assert result.lines.purchases.is_empty()
    assert result.lines.returns.sort("invoice")["matched"].to_list() == [True, True, False, False]


def test_exact_duplicate_count_counts_repeats_only() -> None:
    assert exact_duplicate_count(FIXTURE) == 1
    assert exact_duplicate_count(pl.concat([FIXTURE, FIXTURE])) == 15


def returned(result: Cleaned) -> list[tuple[str, int, int]]:
    """(invoice, quantity, returned_units) of every order line, cancelled ones included."""
    return sorted(result.lines.ordered_lines.select("invoice", "quantity", "returned_units").rows())


def matched(result: Cleaned) -> list[tuple[str, int, int]]:
    """(invoice, quantity, matched_units) of every return line."""
    return sorted(result.lines.returns.select("invoice", "quantity", "matched_units").rows())


def cleaned_rows(write_unit: UnitFactory, *rows: tuple) -> Cleaned:
    return cleaning(load_unit_config(write_unit(lines(*rows))))


def test_a_return_with_no_purchase_matches_nothing(write_unit: UnitFactory) -> None:
    result = cleaned_rows(
        write_unit,
        ("1", "Q", 4, "2010-12-01 10:00:00", 1.0, "C1"),     # another product
        ("C2", "A", -3, "2010-12-02 10:00:00", 2.0, "C1"),
    )
    assert returned(result) == [("1", 4, 0)]
    assert matched(result) == [("C2", 3, 0)]
    entry = next(e for e in result.clean.log if e.rule.startswith("Returns with no earlier"))
    assert (entry.rows, entry.revenue, entry.removed) == (1, -6.0, False)


def test_a_partial_return_takes_units_from_the_latest_earlier_purchase(
    write_unit: UnitFactory,
) -> None:
    result = cleaned_rows(
        write_unit,
        ("1", "A", 10, "2010-12-01 10:00:00", 1.0, "C1"),
        ("2", "A", 4, "2010-12-03 10:00:00", 1.0, "C1"),
        ("C3", "A", -6, "2010-12-04 10:00:00", 1.0, "C1"),   # 4 from invoice 2, 2 from 1
        ("4", "A", 5, "2010-12-05 10:00:00", 1.0, "C1"),     # bought after: not returnable
    )
    assert returned(result) == [("1", 10, 2), ("2", 4, 4), ("4", 5, 0)]
    assert matched(result) == [("C3", 6, 6)]
    assert not next(e for e in result.clean.log if e.rule.startswith("Returns with no")).rows


def test_a_return_larger_than_the_purchases_is_matched_up_to_what_was_bought(
    write_unit: UnitFactory,
) -> None:
    result = cleaned_rows(
        write_unit,
        ("1", "A", 2, "2010-12-01 10:00:00", 1.0, "C1"),
        ("C2", "A", -5, "2010-12-02 10:00:00", 1.0, "C1"),
        ("C3", "A", -1, "2010-12-03 10:00:00", 1.0, "C1"),   # nothing left to return
    )
    assert returned(result) == [("1", 2, 2)]
    assert matched(result) == [("C2", 5, 2), ("C3", 1, 0)]
    entry = next(e for e in result.clean.log if e.rule.startswith("Returns with no earlier"))
    assert (entry.rows, entry.revenue) == (2, -4.0)


def test_a_return_of_an_earlier_purchase_and_a_full_cancellation(
    write_unit: UnitFactory,
) -> None:
    result = cleaned_rows(
        write_unit,
        ("1", "A", 3, "2010-12-01 10:00:00", 1.0, "C1"),
        ("2", "A", 7, "2010-12-10 10:00:00", 1.0, "C1"),
        ("C3", "A", -7, "2010-12-10 10:05:00", 1.0, "C1"),   # cancels invoice 2 in full
        ("C4", "A", -1, "2010-12-20 10:00:00", 1.0, "C1"),   # returns one unit of invoice 1
    )
    assert returned(result) == [("1", 3, 1), ("2", 7, 7)]
    assert matched(result) == [("C3", 7, 7), ("C4", 1, 1)]
    assert result.lines.purchases["invoice"].to_list() == ["1"]
    assert result.lines.cancelled_orders["invoice"].to_list() == ["2"]


def test_missing_descriptions_take_the_products_description_from_any_line(
    write_unit: UnitFactory,
) -> None:
    result = cleaned_rows(
        write_unit,
        ("1", "A", 3, "2010-12-01 10:00:00", 1.0, "C1", "United Kingdom", None),
        ("C2", "A", -1, "2010-12-02 10:00:00", 1.0, "C1", "United Kingdom", "RED MUG"),
        ("C3", "Q", -1, "2010-12-02 10:00:00", 1.0, "C1", "United Kingdom", None),
    )
    assert result.lines.purchases["description"].to_list() == ["RED MUG"]
    assert dict(result.lines.returns.select("stock_code", "description").rows()) == {
        "A": "RED MUG", "Q": "Unknown product"}


def reconciles(result: CleanTransactions) -> bool:
    """Rows and revenue read = rows and revenue used + those of every rule that removes rows."""
    removed = [e for e in result.log if e.removed]
    rows = result.rows_out + sum(e.rows for e in removed) == result.rows_in
    revenue = result.revenue_out + sum(e.revenue for e in removed)
    return rows and revenue == pytest.approx(result.revenue_in, rel=1e-9, abs=1e-6)


def test_rows_and_revenue_add_up(cleaned: Cleaned) -> None:
    # 14 rows worth 3+3+10+10-10-4+18+0+4+4-4+8-3+3 = 42.
    assert cleaned.clean.revenue_in == pytest.approx(42.0)
    assert reconciles(cleaned.clean)


def test_rows_outside_the_units_countries_carry_their_revenue(write_unit: UnitFactory) -> None:
    data = lines(
        ("1", "A", 2, "2010-12-01 10:00:00", 5.0, "C1", "France"),
        ("2", "A", 1, "2010-12-01 10:00:00", 3.0, "C2", "United Kingdom"),
    )
    config = load_unit_config(write_unit(data, filters={"countries": ["United Kingdom"]}))
    result = clean_transactions(read_transactions(config), ANALYSIS_DATE, config.cleaning)
    entry = next(e for e in result.log if e.rule.startswith("Country not among"))
    assert (entry.rows, entry.revenue) == (1, 10.0)
    assert reconciles(result)


def test_the_demo_data_reconciles(tmp_path: Path) -> None:
    from conftest import write_demo_unit

    config = load_unit_config(write_demo_unit(tmp_path))
    result = clean_transactions(read_transactions(config), datetime(2025, 1, 1), config.cleaning)
    assert result.revenue_in > 100_000
    assert reconciles(result)


def usual_lines(code: str, customer: str, count: int = 5) -> list[tuple[object, ...]]:
    return [(f"9{code}{i}", code, 12, f"2010-11-0{i + 1} 10:00:00", 1.0, customer)
            for i in range(count)]


def test_an_outsized_line_cancelled_soon_after_is_a_suspected_entry_error(
        write_unit: UnitFactory) -> None:
    data = lines(
        *usual_lines("JAR", "C1"),
        # 74,215 jars keyed instead of a dozen, cancelled the same morning: an entry error.
        ("541431", "JAR", 74_215, "2010-12-10 10:01:00", 1.04, "C1"),
        ("C541433", "JAR", -74_215, "2010-12-10 10:17:00", 1.04, "C1"),
        # An ordinary large order: 2,000 units of a product usually sold by the dozen, kept.
        *usual_lines("MUG", "C2"),
        ("600001", "MUG", 2_000, "2010-12-11 09:00:00", 0.5, "C2"),
        # The same size cancelled three days later: a customer's change of mind, not flagged.
        *usual_lines("BAG", "C3"),
        ("600002", "BAG", 2_000, "2010-12-11 09:00:00", 0.5, "C3"),
        ("C600003", "BAG", -2_000, "2010-12-14 09:00:00", 0.5, "C3"),
        # A product with a single line is judged against every product's median line (12).
        ("600004", "CRAFT", 80_995, "2010-12-12 09:00:00", 2.08, "C4"),
        ("C600005", "CRAFT", -80_995, "2010-12-12 09:12:00", 2.08, "C4"),
    )
    config = load_unit_config(write_unit(data))
    result = cleaning(config)
    clean, kept = result.clean, result.lines
    errors = clean.entry_errors
    assert errors["invoice"].to_list() == ["541431", "600004"]
    assert errors["cancellation_invoice"].to_list() == ["C541433", "C600005"]
    assert errors["value"].to_list() == pytest.approx([74_215 * 1.04, 80_995 * 2.08])
    # Left out of returns and of the order lines return rates are taken over...
    assert not kept.returns["invoice"].is_in(["C541433", "C600005"]).any()
    assert not kept.ordered_lines["invoice"].is_in(["541431", "600004"]).any()
    assert kept.ordered_lines["invoice"].is_in(["600001", "600002"]).sum() == 2
    assert kept.purchases["invoice"].is_in(["600001"]).any()  # the ordinary order is kept
    # ...and kept in the reconciliation: rows read = rows used + rows removed, and revenue too.
    removed = [e for e in clean.log if e.removed]
    assert clean.rows_in == clean.rows_out + sum(e.rows for e in removed)
    assert clean.revenue_in == pytest.approx(clean.revenue_out + sum(e.revenue for e in removed))
    entry = next(e for e in clean.log if e.rule.startswith("Cancellation of a suspected"))
    assert (entry.rows, entry.revenue) == (2, pytest.approx(-(74_215 * 1.04 + 80_995 * 2.08)))


def test_entry_error_thresholds_are_configurable(write_unit: UnitFactory) -> None:
    data = lines(*usual_lines("BAG", "C3"),
                 ("600002", "BAG", 2_000, "2010-12-11 09:00:00", 0.5, "C3"),
                 ("C600003", "BAG", -2_000, "2010-12-14 09:00:00", 0.5, "C3"))
    config = load_unit_config(write_unit(
        data, cleaning={"cancellation_window_hours": 96,
                        "entry_errors": {"cancelled_within_hours": 96}}))
    clean = clean_transactions(read_transactions(config), ANALYSIS_DATE, config.cleaning)
    assert clean.entry_errors["invoice"].to_list() == ["600002"]
    stricter = load_unit_config(write_unit(
        data, cleaning={"cancellation_window_hours": 96,
                        "entry_errors": {"cancelled_within_hours": 96, "min_quantity": 5_000}}))
    clean = clean_transactions(read_transactions(stricter), ANALYSIS_DATE, stricter.cleaning)
    assert clean.entry_errors.is_empty()


def clean_three_times_and_compare() -> None:
    """Clean 200,000 simulated lines three times: once in memory, then twice as from
    SPILL_FROM_LINES on (the streaming engine, the plan's shared steps written to files, exact
    copies looked for in four buckets of invoices, the tables collected one after another):
    the same log and tables to the last bit."""
    import reportgen.inputs.clean as cleaning

    data = generate_transactions(DemoSpec(customers=4_000, seed=3)).transactions
    transactions = data.rename({
        "InvoiceNo": "invoice", "StockCode": "stock_code", "Description": "description",
        "Quantity": "quantity", "InvoiceDate": "invoice_date", "UnitPrice": "unit_price",
        "CustomerID": "customer_id", "Country": "country"}).with_columns(
        pl.col("customer_id").cast(pl.String))
    source = TransactionInput.of(transactions)
    first = clean_transactions(source, datetime(2024, 12, 1), CleaningConfig())
    cleaning.SPILL_FROM_LINES = 0
    cleaning.LINES_PER_BUCKET = transactions.height // 4 + 1
    again = [clean_transactions(source, datetime(2024, 12, 1), CleaningConfig())
             for _ in range(2)]
    for other in again:
        assert other.log == first.log
        for name in CleaningPlan.tables:
            assert getattr(other, name).equals(getattr(first, name)), name


@pytest.mark.slow  # cleans 200,000 simulated lines three times
def test_cleaning_twice_gives_the_same_tables_to_the_last_bit() -> None:
    """On every core (`on_every_core`), where the order of a parallel sum could vary: the
    streaming engine adds a group's values in any order."""
    on_every_core("from inputs.test_clean import clean_three_times_and_compare as check\n"
                  "check()")
