"""The reduced tables chapters read instead of purchase lines, written once in narwhals (run by
Polars, and by Spark on its cluster) like the cleaning rules they follow.

`orders`: one row per order, that is an invoice's purchase lines of one customer, country and
day. Sales KPIs, cohorts, seasonality and RFM count distinct invoices and add revenue by month
or by customer; an invoice never spans two of those rows' keys, so they count and add the same
on orders as on lines, from a table a fraction of the size.

`customer_products`: one row per identified customer, product and month: what products,
buy-again lists and clusters need of who bought what.

`price_quantity`: purchase lines and revenue per month, unit-price band and quantity band.

`product_months`: per product, month and whether the lines were cancelled orders: what product
rankings and return rates need. `product_returns`: the return lines per product and month.
`descriptions`: how many kept lines (purchases, cancelled orders, returns) use each description
of a product in a month, so a product is named by the description its lines use most.

`return_orders`: one row per return invoice, customer, country, day and kind (goods returned,
a cancelled order, a correction): returns' value by month, customer and country.
`customer_months`: value ordered and returned per customer (anonymous ones together) and month
of the purchases in revenue: return rates.

Every window a chapter reads starts and ends at a month, so per-month tables add up exactly;
counts of distinct invoices keep the invoice where a total needs it (`orders`,
`return_orders`), and add up per month elsewhere (an invoice lies in one day).
"""

from __future__ import annotations

from typing import Any, Literal

import narwhals as nw
import polars as pl

from reportgen.config import EntryErrorConfig, VolumeConfig

ORDER_KEY = ["invoice", "customer_id", "country", "day"]
# Polars runs the plan in memory, or on its streaming engine for large inputs
# (`clean.engine_for`), which adds a group's values in an order that varies from run to run:
# every sum of the plan is of whole numbers (units, and money in `money_sum`'s parts), so its
# results do not depend on that order.
PolarsEngine = Literal["in-memory", "streaming"]
# Money is added exactly, in two whole-number parts: the whole currency units of each value
# (its floor) and the millionths above them. A sum is then exact whatever order an engine adds
# the lines in, so Polars (in any engine mode) and Spark give the same figures to the last bit;
# and neither part can overflow a 64-bit integer: a line's value is at most MAX_LINE_VALUE
# (`load` refuses larger ones as unreadable), so the whole units of 9,000 such lines fit, and
# the millionths (each below a million) of 9 trillion lines. Prices carry far fewer decimals.
MONEY_UNIT = 1_000_000
# Millionths back to money by multiplying (Polars divides a column by a number that way, Spark
# exactly: both multiply, so both round the same).
MONEY_STEP = 1 / MONEY_UNIT
# The largest value of one line (quantity x unit price) that is read: beyond it, a value is a
# keying or export error (a barcode in the price column), never a sale.
MAX_LINE_VALUE = 1e15
# Lower edges and names of the unit-price and quantity bands (the behaviour chapter's grid).
PRICE_BANDS = ((0.0, "under 1"), (1.0, "1–2"), (2.0, "2–5"), (5.0, "5–10"), (10.0, "10–20"),
               (20.0, "20 and over"))
QUANTITY_BANDS = ((1, "1"), (2, "2–5"), (6, "6–11"), (12, "12–23"), (24, "24–99"),
                  (100, "100+"))


def money_sum(value: str | nw.Expr) -> nw.Expr:
    """The sum of a money column or expression, exact to the millionth in any order (nulls
    count 0): whole units and millionths added apart (`money_parts`), then joined."""
    expression = nw.col(value) if isinstance(value, str) else value
    whole, millionths = money_parts(expression)
    total = whole.sum() + millionths.sum() * MONEY_STEP
    return total.alias(value) if isinstance(value, str) else total


def exact_sum(value: str | pl.Expr) -> pl.Expr:
    """`money_sum` for the chapters' Polars frames: a sum of money, exact to the millionth and
    the same to the last bit however many threads add it (a multi-threaded group_by adds a
    group's floats in an order that varies from run to run)."""
    expression = pl.col(value) if isinstance(value, str) else value
    floor = expression.floor()
    total = floor.cast(pl.Int64).sum() \
        + ((expression - floor) * MONEY_UNIT).round(0).cast(pl.Int64).sum() * MONEY_STEP
    return total.alias(value) if isinstance(value, str) else total


def money_parts(value: nw.Expr) -> tuple[nw.Expr, nw.Expr]:
    """A money value as two whole numbers: its floor (whole units) and the millionths above it."""
    floor = value.floor()
    return floor.cast(nw.Int64), ((value - floor) * MONEY_UNIT).round(0).cast(nw.Int64)


def money_total(whole: int, millionths: int) -> float:
    """Money from the two parts' sums, as `money_sum` joins them (for sums added in Python)."""
    return float(whole) + millionths * MONEY_STEP


def orders(purchases: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """One row per invoice, customer, country and day of the purchase lines: `invoice_date`,
    the order's time (its first line's), `revenue`, `products` (distinct stock codes); `line`,
    its first line's position (for a stable order), where the lines carry it."""
    return per_invoice(purchases, [], money_sum("revenue"),
                       nw.col("stock_code").n_unique().cast(nw.Int64).alias("products"))


def per_invoice(lines: nw.LazyFrame[Any], keys: list[str], *aggregations: nw.Expr
                ) -> nw.LazyFrame[Any]:
    """One row per invoice, customer, country and day (ORDER_KEY) and `keys` of the lines:
    `invoice_date`, the first line's time, then `aggregations`, then `line`, the first line's
    position (for a stable order), where the lines carry it."""
    positions = [nw.col("line").min()] if "line" in lines.collect_schema().names() else []
    return (
        lines.with_columns(nw.col("invoice_date").dt.truncate("1d").alias("day"))
        .group_by(*ORDER_KEY, *keys, drop_null_keys=False)
        .agg(nw.col("invoice_date").min(), *aggregations, *positions)
        .drop("day")
    )


def customer_products(purchases: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """One row per identified customer, stock code and `month` of the purchase lines:
    `quantity`, `returned_units`, `revenue`, `lines`, `days` (distinct purchase days; a day
    lies in one month, so days add up across months) and `last_bought` (the latest time);
    sorted by customer, product and month."""
    return (
        purchases.filter(~nw.col("customer_id").is_null())
        .with_columns(month_of(), nw.col("invoice_date").dt.truncate("1d").alias("day"))
        .group_by("customer_id", "stock_code", "month")
        .agg(nw.col("quantity").sum(), nw.col("returned_units").sum(), money_sum("revenue"),
             nw.len().cast(nw.Int64).alias("lines"),
             nw.col("day").n_unique().cast(nw.Int64).alias("days"),
             nw.col("invoice_date").max().alias("last_bought"))
        .sort("customer_id", "stock_code", "month")
    )


def customer_products_of(purchases: pl.DataFrame) -> pl.DataFrame:
    """`customer_products` of purchase lines held by Polars."""
    return collected(customer_products(nw.from_native(purchases.lazy())))


def collected(frame: nw.LazyFrame[Any], engine: PolarsEngine = "in-memory") -> pl.DataFrame:
    """A plan over Polars frames, computed by `engine`."""
    result = frame.to_native().collect(engine=engine)
    assert isinstance(result, pl.DataFrame)
    return result


def volume_products(purchases: nw.LazyFrame[Any], params: VolumeConfig) -> nw.LazyFrame[Any]:
    """The products sold by volume or weight rather than by the item (`VolumeConfig`): one row
    each with `median_quantity` (of its purchase lines), `median_price`, `lines`,
    `catalogue_quantity` (the median of every purchase line) and `listed` (named in the
    configuration rather than found in the data); sorted by stock code."""
    per_product = purchases.group_by("stock_code").agg(
        nw.col("quantity").median().alias("median_quantity"),
        nw.col("unit_price").median().alias("median_price"),
        nw.len().cast(nw.Int64).alias("lines"))
    catalogue = purchases.select(nw.col("quantity").median().alias("catalogue_quantity"))
    code = nw.col("stock_code").str.to_uppercase()
    listed = code.is_in([c.upper() for c in params.codes])
    found = (nw.col("lines") >= params.min_lines) \
        & (nw.col("median_quantity") >= params.quantity_ratio * nw.col("catalogue_quantity"))
    return (
        per_product.join(catalogue, how="cross")
        .with_columns(listed.alias("listed"))
        .filter((nw.col("listed") | found) & ~code.is_in([c.upper() for c in params.not_codes]))
        .sort("stock_code")
    )


def unusually_large_lines(purchases: nw.LazyFrame[Any], params: EntryErrorConfig
                          ) -> nw.LazyFrame[Any]:
    """Purchases that stand (not cancelled) yet are as far outside their product's usual
    quantity as a suspected entry error (`EntryErrorConfig`; products with at least four
    lines): kept, since a wholesaler's bulk order looks the same, and listed for the user to
    check. Largest value first."""
    usual = purchases.group_by("stock_code").agg(
        nw.col("quantity").median().alias("product_median"), nw.len().alias("product_lines"))
    return (
        purchases.join(usual, on="stock_code")
        .filter((nw.col("product_lines") >= 4) & (nw.col("quantity") >= params.min_quantity)
                & (nw.col("quantity") >= params.quantity_ratio * nw.col("product_median")))
        .select("invoice", "invoice_date", "customer_id", "stock_code", "description",
                "quantity", "unit_price", "revenue", "product_median")
        .sort(["revenue", "invoice", "stock_code"], descending=[True, False, False])
    )


def band_index(column: str, bands: tuple[tuple[float, str], ...]) -> nw.Expr:
    """Index of the band a value falls in, given the bands' lower edges in ascending order."""
    index: nw.Expr = nw.lit(0)
    for position, (edge, _) in enumerate(bands[1:], start=1):
        index = nw.when(nw.col(column) >= edge).then(nw.lit(position)).otherwise(index)
    return index.cast(nw.Int32)


def price_quantity(purchases: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """Purchase lines (`lines`) and `revenue` per `month`, unit-price band (`price_order`, an
    index into PRICE_BANDS) and quantity band (`quantity_order`, into QUANTITY_BANDS), sorted
    by those."""
    return purchases.group_by(
        month_of(),
        band_index("unit_price", PRICE_BANDS).alias("price_order"),
        band_index("quantity", QUANTITY_BANDS).alias("quantity_order"),
    ).agg(nw.len().cast(nw.Int64).alias("lines"), money_sum("revenue")) \
        .sort("month", "price_order", "quantity_order")


def price_quantity_of(purchases: pl.DataFrame) -> pl.DataFrame:
    """`price_quantity` of purchase lines held by Polars."""
    return collected(price_quantity(nw.from_native(purchases.lazy())))


def tables_of(purchases: pl.DataFrame, returns: pl.DataFrame, cancelled: pl.DataFrame
              ) -> dict[str, pl.DataFrame]:
    """The reduced tables of lines held by Polars (`CleanLines`' or hand-built ones), by the
    name CleanTransactions gives them."""
    lazy = [nw.from_native(frame.lazy()) for frame in (purchases, returns, cancelled)]
    bought, returned, netted = lazy
    by_volume = collected(volume_products(bought, VolumeConfig()))
    return {
        "orders": orders_of(purchases),
        "price_quantity": price_quantity_of(purchases.join(by_volume, on="stock_code",
                                                           how="anti")),
        "volume_products": by_volume,
        "large_lines": collected(unusually_large_lines(
            bought.join(nw.from_native(by_volume.lazy()).select("stock_code"), on="stock_code",
                        how="anti"), EntryErrorConfig())),
        "customer_products": customer_products_of(purchases),
        "product_months": collected(product_months(bought, netted)),
        "product_returns": collected(product_returns(returned)),
        "descriptions": collected(descriptions(*lazy)),
        "return_orders": collected(return_orders(returned)),
        "customer_months": collected(customer_months(bought)),
    }


def orders_of(purchases: pl.DataFrame) -> pl.DataFrame:
    """`orders` of purchase lines held by Polars, in the order of their first lines."""
    numbered = purchases.lazy().with_row_index("line")
    return collected(orders(nw.from_native(numbered))).sort("line").drop("line")


def month_of(column: str = "invoice_date") -> nw.Expr:
    """The month a time lies in (its first instant), as `month`."""
    return nw.col(column).dt.truncate("1mo").alias("month")


def product_months(purchases: nw.LazyFrame[Any], cancelled: nw.LazyFrame[Any]
                   ) -> nw.LazyFrame[Any]:
    """Per `stock_code`, `month` and `cancelled` (the lines were orders cancelled in full):
    `lines`, `quantity`, `revenue`, `returned_units`, `returned_value` (returned units x unit
    price) and `invoices` (distinct); sorted by those keys."""
    columns = ["stock_code", "invoice", "invoice_date", "quantity", "unit_price", "revenue",
               "returned_units"]
    ordered = nw.concat([purchases.select(*columns, nw.lit(False).alias("cancelled")),
                         cancelled.select(*columns, nw.lit(True).alias("cancelled"))])
    return (
        ordered.group_by("stock_code", month_of(), "cancelled")
        .agg(nw.len().cast(nw.Int64).alias("lines"), nw.col("quantity").sum(),
             money_sum("revenue"), nw.col("returned_units").sum(),
             money_sum(nw.col("returned_units") * nw.col("unit_price")).alias("returned_value"),
             nw.col("invoice").n_unique().cast(nw.Int64).alias("invoices"))
        .sort("stock_code", "month", "cancelled")
    )


def product_returns(returns: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """Per `stock_code`, `month` and `kind` (see `return_orders`) of the return lines:
    `value`, `units` (quantity), `lines` and `invoices` (distinct); sorted by those keys."""
    return (
        returns.group_by("stock_code", month_of(), "kind")
        .agg(money_sum("value"), nw.col("quantity").sum().alias("units"),
             nw.len().cast(nw.Int64).alias("lines"),
             nw.col("invoice").n_unique().cast(nw.Int64).alias("invoices"))
        .sort("stock_code", "month", "kind")
    )


def descriptions(*kept: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """How many of the kept lines (purchases, cancelled orders, returns) use each description
    of a product per month: `stock_code`, `month`, `description`, `lines`; sorted by those."""
    named = nw.concat([frame.select("stock_code", "description", "invoice_date")
                       for frame in kept])
    return (
        named.group_by("stock_code", month_of(), "description")
        .agg(nw.len().cast(nw.Int64).alias("lines"))
        .sort("stock_code", "month", "description")
    )


def return_orders(returns: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """One row per return invoice, customer, country, day and `kind` of its lines: "return"
    (goods returned: the returns every page counts), "cancellation" (cancelled the whole
    order line: a cancelled order, never in revenue) or "correction" (cancelled an order at
    another price, or one re-issued); with `invoice_date` (the first line's time), `value`,
    `quantity`, `lines`; `line`, the first line's position (for a stable order)."""
    return per_invoice(returns, ["kind"], money_sum("value"), nw.col("quantity").sum(),
                       nw.len().cast(nw.Int64).alias("lines"))


def customer_months(purchases: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """Per `customer_id` (null: the anonymous lines) and `month` of the purchases (the order
    lines in revenue; cancelled orders are not): `ordered`, their value, and `returned`, the
    value of their units that came back; sorted by customer and month."""
    ordered = purchases.select(nw.col("customer_id", "invoice_date", "revenue"),
                               (nw.col("returned_units") * nw.col("unit_price")).alias("returned"))
    return (
        ordered.group_by("customer_id", month_of(), drop_null_keys=False)
        .agg(money_sum("revenue").alias("ordered"), money_sum("returned"))
        .sort("customer_id", "month", nulls_last=True)
    )
