"""Issue 28: no rule learnt from one dataset. Exports of other shapes than the UCI file: other
non-product codes, test products, coupon lines, returns marked only by a negative quantity,
and prices keyed as barcodes. Each rule is asserted on a small hand-built export."""

from __future__ import annotations

from datetime import datetime

import narwhals as nw
import polars as pl
import pytest
from conftest import UnitFactory, lines
from inputs.test_clean import cleaning, reconciles

from reportgen.config import load_unit_config
from reportgen.inputs.reduce import money_sum

WHOLESALER = lines(
    ("1", "85123A", 6, "2010-12-01 10:00:00", 2.55, "C1", "UK", "WHITE HANGING HEART"),
    ("1", "ADJUST", 1, "2010-12-01 10:00:00", 32.0, "C1", "UK", "Adjustment by john on 26/01"),
    ("2", "ADJUST2", 1, "2010-12-02 10:00:00", 5.0, "C2", "UK", "Adjustment by Peter"),
    ("3", "TEST001", 5, "2010-12-03 10:00:00", 4.5, "C3", "UK", "This is a test product."),
    ("4", "TEST002", 1, "2010-12-03 11:00:00", 1.0, "C3", "UK", "This is a test product."),
    ("5", "23444", 1, "2010-12-04 10:00:00", 15.0, "C1", "UK", "Next Day Carriage"),
    ("6", "85168B", 2, "2010-12-04 10:00:00", 12.5, "C1", "UK", "BLACK BAROQUE CARRIAGE CLOCK"),
    ("7", "gift_0001_20", 1, "2010-12-05 10:00:00", 16.67, "C2", "UK", "Gift Voucher £20.00"),
    ("8", "9001", 0, "2010-12-05 10:00:00", 1.0, "C2", "UK", "COUPON 10% OFF"),
    ("9", "9002", 0, "2010-12-06 10:00:00", 1.0, "C4", "UK", "note: leave at door"),
    ("10", "21730", 4, "2010-12-07 10:00:00", 4.25, "C4", "UK", "ADJUSTABLE LAMP"),
    ("11", "BANK CHARGES", 1, "2010-12-08 10:00:00", 15.0, None, "UK", "Bank Charges"),
)


def log_of(cleaned_log: tuple) -> dict[str, tuple[int, float, tuple[str, ...]]]:
    return {e.rule: (e.rows, round(e.revenue, 2), e.examples) for e in cleaned_log}


def test_non_product_lines_are_recognised_by_code_and_description(
        write_unit: UnitFactory) -> None:
    result = cleaning(load_unit_config(write_unit(WHOLESALER)), datetime(2011, 1, 1))
    kept = result.lines.purchases["stock_code"].to_list()
    assert kept == ["85123A", "85168B", "21730"]  # carriage clock and adjustable lamp are goods
    log = log_of(result.clean.log)
    assert log["Not a product: Manual adjustments, discounts and bad debt"][:2] == (2, 37.0)
    assert log["Not a product: Test products"] == (
        2, 23.5, ("TEST001 This is a test product. (1 lines)",
                  "TEST002 This is a test product. (1 lines)"))
    assert log["Not a product: Postage, carriage and delivery charges"] == (
        1, 15.0, ("23444 Next Day Carriage (1 lines)",))
    assert log["Not a product: Gift vouchers and gift cards"][:2] == (1, 16.67)
    assert log["Not a product: Fees, commissions and bank charges"][:2] == (1, 15.0)
    # Zero-quantity lines are a rule of their own, not unreadable values; the coupon line is
    # a coupon first.
    assert log["Not a product: Coupons and promotions"][:2] == (1, 0.0)
    zero = next(v for k, v in log.items() if k.startswith("Quantity zero or missing"))
    assert zero == (1, 0.0, ("9002 note: leave at door (1 lines)",))
    assert next(v for k, v in log.items() if k.startswith("Values that cannot")) [:2] == (0, 0.0)
    assert reconciles(result.clean)


def test_a_units_own_codes_and_rules_replace_the_defaults(write_unit: UnitFactory) -> None:
    config = load_unit_config(write_unit(WHOLESALER, cleaning={
        "non_product_codes": ["85168b"],
        "non_products": [{"name": "Lamps", "descriptions": ["(?i)lamp"]}]}))
    result = cleaning(config, datetime(2011, 1, 1))
    log = log_of(result.clean.log)
    assert log["Not a product: Codes listed in cleaning.non_product_codes"][:2] == (1, 25.0)
    assert log["Not a product: Lamps"][:2] == (1, 17.0)
    assert not any(rule.startswith("Not a product: Test") for rule in log)
    assert "TEST001" in result.lines.purchases["stock_code"].to_list()


def test_a_bad_pattern_is_a_config_error_naming_the_key(write_unit: UnitFactory) -> None:
    from reportgen.errors import ConfigError

    path = write_unit(WHOLESALER, cleaning={"non_products": [{"name": "x",
                                                              "descriptions": ["(unclosed"]}]})
    try:
        load_unit_config(path)
    except ConfigError as exc:
        assert "cleaning.non_products.0.descriptions" in exc.one_line()
        assert "not a regular expression" in exc.one_line()
    else:
        raise AssertionError("a pattern that does not compile was accepted")


NEGATIVE_RETURNS = lines(
    ("1", "A", 4, "2010-12-01 10:00:00", 3.0, "C1"),
    ("2", "A", -1, "2010-12-03 10:00:00", 3.0, "C1"),   # a refund line on an ordinary order
    ("R3", "A", -4, "2010-12-04 10:00:00", 3.0, "C1"),  # a return order, prefix R
    ("4", "A", 2, "2010-12-05 10:00:00", 3.0, "C2"),
)


def test_returns_marked_only_by_a_negative_quantity(write_unit: UnitFactory) -> None:
    config = load_unit_config(write_unit(NEGATIVE_RETURNS, cleaning={"cancellation_prefix": None}))
    result = cleaning(config, datetime(2011, 1, 1))
    returns = result.lines.returns.sort("invoice")
    assert returns["invoice"].to_list() == ["2", "R3"]
    assert returns["quantity"].to_list() == [1, 4]
    # Both came days after the order: goods returned, not an order cancelled. The order stays
    # in revenue, and its 4 units came back (1, then 3 of R3's 4; the 4th matches nothing).
    assert returns["kind"].to_list() == ["return", "return"]
    assert returns["matched_units"].to_list() == [1, 3]
    assert result.lines.purchases["invoice"].to_list() == ["1", "4"]
    assert result.lines.purchases["returned_units"].to_list() == [4, 0]
    assert result.lines.cancelled_orders.is_empty()


def test_a_whole_line_returned_soon_after_is_a_cancelled_order(
        write_unit: UnitFactory) -> None:
    data = lines(("1", "A", 4, "2010-12-01 10:00:00", 3.0, "C1"),
                 ("R2", "A", -4, "2010-12-01 18:00:00", 3.0, "C1"),   # 8 hours later
                 ("3", "B", 2, "2010-12-01 10:00:00", 3.0, "C2"),
                 ("R4", "B", -2, "2010-12-09 10:00:00", 3.0, "C2"))   # 8 days later
    result = cleaning(load_unit_config(write_unit(data)), datetime(2011, 1, 1))
    assert result.lines.cancelled_orders["invoice"].to_list() == ["1"]
    assert result.lines.purchases.select("invoice", "returned_units").rows() == [("3", 2)]
    assert dict(result.lines.returns.select("invoice", "kind").rows()) == {
        "R2": "cancellation", "R4": "return"}
    # Without a window every matching return cancels its order, however late.
    anytime = load_unit_config(write_unit(data, cleaning={"cancellation_window_hours": None}))
    result = cleaning(anytime, datetime(2011, 1, 1))
    assert result.lines.cancelled_orders["invoice"].to_list() == ["1", "3"]


def test_an_order_cancelled_at_another_price_or_re_issued_is_a_correction(
        write_unit: UnitFactory) -> None:
    data = lines(("1", "A", 60, "2011-06-10 15:28:00", 649.5, "C1"),
                 ("C2", "A", -60, "2011-06-10 15:39:00", 4.95, "C1"),   # at another price
                 ("3", "B", 10, "2011-01-05 10:00:00", 23.0, "C2"),
                 ("C4", "B", -10, "2011-01-05 12:00:00", 23.0, "C2"),
                 ("5", "B", 10, "2011-01-07 09:00:00", 23.0, "C2"),     # re-issued
                 ("6", "D", 1, "2011-01-05 10:00:00", 5.0, "C3"),
                 ("C7", "D", -1, "2011-01-05 11:00:00", 5.0, "C3"))     # a cancelled order
    result = cleaning(load_unit_config(write_unit(data)), datetime(2011, 7, 1))
    kinds = dict(result.lines.returns.select("invoice", "kind").rows())
    assert kinds == {"C2": "correction", "C4": "correction", "C7": "cancellation"}
    cancelled = result.lines.cancelled_orders
    assert dict(cancelled.select("invoice", "correction").rows()) == {
        "1": True, "3": True, "6": False}
    log = log_of(result.clean.log)
    corrections = next(v for k, v in log.items() if k.startswith("Corrections"))
    assert corrections[:2] == (2, 38_970.0 + 230.0)
    orders = result.clean.return_orders
    assert dict(orders.select("invoice", "kind").rows()) == kinds


def test_a_positive_line_on_a_cancellation_invoice_is_set_aside(
        write_unit: UnitFactory) -> None:
    data = lines(("1", "A", 4, "2010-12-01 10:00:00", 3.0, "C1"),
                 ("R2", "A", 4, "2010-12-02 10:00:00", 3.0, "C1"))
    result = cleaning(load_unit_config(write_unit(data, cleaning={"cancellation_prefix": "r"})),
                      datetime(2011, 1, 1))
    log = log_of(result.clean.log)
    assert log["Positive quantity on a cancellation invoice"][:2] == (1, 12.0)
    assert result.lines.purchases["invoice"].to_list() == ["1"]


def barcode_export() -> pl.DataFrame:
    ordinary = [(str(n), "22", 2, f"2010-12-{1 + n % 20:02d} 10:00:00", 2.5, f"C{n % 5}")
                for n in range(12)]
    return lines(*ordinary,
                 ("90", "22", 1, "2010-12-20 11:00:00", 4_902_567_812_345.0, "C1"),
                 ("91", "23", 1, "2010-12-20 11:05:00", 4_902_567_812_346.0, "C2"),
                 ("92", "22", 1_000, "2010-12-20 11:10:00", 1e13, "C3"))


def test_prices_keyed_as_barcodes_never_reach_revenue(write_unit: UnitFactory) -> None:
    result = cleaning(load_unit_config(write_unit(barcode_export())), datetime(2011, 1, 1))
    clean = result.clean
    assert clean.revenue_out == 12 * 5.0
    errors = clean.entry_errors
    assert errors["invoice"].to_list() == ["90", "91"]
    assert errors["reason"].to_list() == ["price", "price"]
    assert errors["cancellation_invoice"].to_list() == [None, None]
    log = log_of(clean.log)
    outliers = next(v for k, v in log.items() if k.startswith("Suspected entry error: unit"))
    assert outliers[:2] == (2, 9_805_135_624_691.0)
    # a line worth 10^16 is beyond what the arithmetic takes: an unreadable value
    unreadable = next(v for k, v in log.items() if k.startswith("Values that cannot be read"))
    assert unreadable[:2] == (1, 0.0)
    assert reconciles(clean)


def test_money_sums_are_exact_and_never_wrap() -> None:
    values = pl.DataFrame({"v": [4_902_567_812_345.0, 4_902_567_812_346.0, 0.01, -2.55, None]})
    total = nw.from_native(values.lazy()).select(money_sum("v")).to_native().collect().item()
    assert total == pytest.approx(9_805_135_624_688.46, abs=1e-6)
    many = pl.DataFrame({"v": [999_999_999_999_999.0] * 9_000})  # 9,000 lines just under 10^15
    total = nw.from_native(many.lazy()).select(money_sum("v")).to_native().collect().item()
    assert total > 0 and abs(total - 9e18) / 9e18 < 1e-9


def test_validate_lists_kept_codes_that_look_like_non_products(write_unit: UnitFactory) -> None:
    from conftest import run_cli

    data = lines(*[(str(n), f"2{n % 20:02d}01", 2, f"2010-12-{1 + n % 20:02d} 10:00:00", 3.0,
                    f"C{n % 3}") for n in range(30)],
                 ("40", "TIP", 1, "2010-12-21 10:00:00", 2.0, "C1", "UK", "Driver tip"),
                 ("41", "WRAPXL", 1, "2010-12-21 10:00:00", 4.0, "C1", "UK", "LARGE BOX"))
    ran = run_cli("validate", write_unit(data))
    assert ran.returncode == 0, ran.stderr
    assert ("looks like a non-product: TIP 'Driver tip' (1 lines, £2, its description says "
            "'tip')") in ran.stdout
    assert "WRAPXL 'LARGE BOX' (1 lines, £4, a code without digits among numbered products)" \
        in ran.stdout
    assert "20001" not in ran.stdout


def test_unusually_large_lines_that_stand_are_listed_and_kept(write_unit: UnitFactory) -> None:
    usual = [(str(n), "JAR", 12, f"2010-12-{1 + n % 20:02d} 10:00:00", 1.0, f"C{n % 4}")
             for n in range(10)]
    data = lines(*usual, ("50", "JAR", 1_500, "2010-12-22 10:00:00", 0.8, "C9"),   # stands
                 ("51", "JAR", 1_000, "2010-12-23 10:00:00", 0.8, "C8"),           # 83 x: stands
                 ("52", "JAR", 400, "2010-12-23 11:00:00", 0.8, "C7"))             # < 1,000
    result = cleaning(load_unit_config(write_unit(data)), datetime(2011, 1, 1))
    large = result.clean.large_lines
    assert large.select("invoice", "quantity", "revenue").rows() == [
        ("50", 1_500, 1_200.0), ("51", 1_000, 800.0)]
    assert set(result.lines.purchases["invoice"]) >= {"50", "51"}  # kept in revenue
    logged = next(v for k, v in log_of(result.clean.log).items()
                  if k.startswith("Unusually large order lines"))
    assert logged[:2] == (2, 2_000.0)
    assert reconciles(result.clean)
