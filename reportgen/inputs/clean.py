"""Cleaning rules of SPEC.md; every row they touch is counted in the cleaning log."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl

from reportgen.config import CleaningConfig, EntryErrorConfig
from reportgen.inputs.load import TransactionInput

LINE_VALUE = pl.col("quantity") * pl.col("unit_price")


@dataclass(frozen=True)
class CleaningLogEntry:
    """One cleaning rule and the rows it affected."""

    rule: str
    rows: int
    revenue: float
    action: str
    removed: bool


@dataclass(frozen=True)
class CleanTransactions:
    """Purchases and returns ready for analysis, and the cleaning log of what cleaning did.

    Every purchase line carries `returned_units`: how many of its units later came back
    (matched to it by `attribute_returns`). `cancelled_orders` are the purchases that a
    matching cancellation netted out: ordered, and returned in full. Every return line
    carries `matched_units`: how many of its units were matched to an earlier purchase of the
    same customer and product in the data.
    """

    purchases: pl.DataFrame
    returns: pl.DataFrame
    cancelled_orders: pl.DataFrame
    entry_errors: pl.DataFrame  # suspected entry errors, see `suspected_entry_errors`
    log: tuple[CleaningLogEntry, ...]
    rows_in: int
    revenue_in: float  # quantity x unit price over every row read
    analysis_date: datetime
    params: CleaningConfig

    @property
    def rows_out(self) -> int:
        """Rows kept as purchase or return lines."""
        return self.purchases.height + self.returns.height

    @property
    def revenue_out(self) -> float:
        """Quantity x unit price of the rows kept: purchases, and returns (negative)."""
        return float(self.purchases["revenue"].sum()) - float(self.returns["value"].sum())

    @cached_property
    def ordered_lines(self) -> pl.DataFrame:
        """Every order line, including those cancelled in full, with its returned units and value.

        Return rates are returned value over ordered value of these lines, so they lie in [0, 1].
        """
        columns = [*self.purchases.columns]
        return pl.concat([self.purchases, self.cancelled_orders.select(columns)]).with_columns(
            (pl.col("returned_units") * pl.col("unit_price")).alias("returned_value")
        )


def nothing_left(clean: CleanTransactions) -> str | None:
    """When cleaning kept no purchase line: which rule removed the most rows, and how many of
    how many rows read (None when purchases remain)."""
    if clean.purchases.height:
        return None
    removing = [entry for entry in clean.log if entry.removed and entry.rows]
    if not removing:
        return (f"cleaning leaves no purchase line: the {clean.rows_in:,} rows read are all "
                "returns or cancellations")
    worst = max(removing, key=lambda entry: entry.rows)
    return (f"cleaning leaves no purchase line: the rule '{worst.rule}' removed "
            f"{worst.rows:,} of the {clean.rows_in:,} rows read")


def clean_transactions(
    source: TransactionInput, analysis_date: datetime, params: CleaningConfig
) -> CleanTransactions:
    """Apply the cleaning rules up to the analysis date; return purchases, returns and the log."""
    log = [
        CleaningLogEntry(
            "Values that cannot be read (bad date, number or missing required field)",
            source.malformed_rows, source.malformed_revenue, "row dropped", True,
        ),
        CleaningLogEntry(
            "Country not among the unit's countries (filters.countries)",
            source.rows_other_countries,
            source.revenue_other_countries, "row dropped", True,
        ),
    ]
    for reading in source.date_readings:
        log.append(CleaningLogEntry(
            f"Dates read {reading.order} ({reading.date_format}) in {Path(reading.file).name}: "
            f"the other order gives impossible dates such as '{reading.example}'",
            reading.rows, 0.0, "dates read this way", False,
        ))
    if len(source.files) > 1:
        log.append(CleaningLogEntry(
            "Line held by an earlier input file too (files overlap)",
            source.overlap_rows, source.overlap_revenue, "duplicate dropped", True,
        ))
    lines = source.transactions

    lines, entry = _drop_unless(
        lines, pl.struct(pl.all()).is_first_distinct(), "Exact duplicate lines", "duplicate dropped"
    )
    log.append(entry)
    lines, entry = _drop_unless(
        lines, pl.col("invoice_date") < analysis_date,
        "Dated on or after the analysis date", "not yet reportable",
    )
    log.append(entry)

    no_description = lines.filter(pl.col("description").is_null())
    log.append(CleaningLogEntry(
        "Missing description", no_description.height, _revenue(no_description),
        f"the product's description on other lines, else '{params.unknown_description}'", False,
    ))
    lines = fill_descriptions(lines, params.unknown_description)

    codes = [c.upper() for c in params.non_product_codes]
    lines, entry = _drop_unless(
        lines, ~pl.col("stock_code").str.to_uppercase().is_in(codes),
        "Non-product stock code (postage, fees, adjustments)", "row excluded",
    )
    log.append(entry)
    lines, entry = _drop_unless(
        lines, pl.col("unit_price") > 0, "Price zero or negative", "row excluded"
    )
    log.append(entry)

    is_cancellation = pl.col("invoice").str.to_uppercase().str.starts_with("C")
    cancellations = lines.filter(is_cancellation)
    log.append(CleaningLogEntry(
        "Cancellation lines", cancellations.height, _revenue(cancellations),
        "excluded from purchases; counted as returns", False,
    ))
    sales = lines.filter(~is_cancellation)

    sales, entry = _drop_unless(
        sales, pl.col("quantity") > 0,
        "Negative quantity without a cancellation invoice", "row excluded",
    )
    log.append(entry)
    sales = sales.with_row_index("line_id")

    returns = cancellations.with_columns(
        (-pl.col("quantity")).alias("quantity"), (-LINE_VALUE).alias("value")
    ).with_row_index("return_id")
    netted_ids, matched_return_ids = match_cancellations(sales, returns)
    netted = sales.filter(pl.col("line_id").is_in(netted_ids.implode()))
    log.append(CleaningLogEntry(
        "Purchase netted out by a matching cancellation (same customer, product, quantity)",
        netted.height, _revenue(netted), "purchase removed", True,
    ))
    errors = suspected_entry_errors(sales, returns, netted_ids, matched_return_ids,
                                    params.entry_errors)
    error_returns = returns.filter(pl.col("return_id").is_in(errors["return_id"].implode()))
    log.append(CleaningLogEntry(
        "Cancellation of a suspected entry error (outsized line cancelled in full soon after)",
        error_returns.height, 0.0 - float(error_returns["value"].sum()),
        "listed on this page; left out of returns, return rates and product rankings", True,
    ))
    netted = netted.filter(~pl.col("line_id").is_in(errors["line_id"].implode()))
    returns = returns.filter(~pl.col("return_id").is_in(errors["return_id"].implode()))
    returns = returns.with_columns(
        pl.col("return_id").is_in(matched_return_ids.implode()).alias("matched")
    )
    remaining = sales.filter(~pl.col("line_id").is_in(netted_ids.implode()))
    returned_units, matched_units = attribute_returns(remaining, returns.filter(~pl.col("matched")))
    purchases = (
        remaining.join(returned_units, on="line_id", how="left", maintain_order="left")
        .with_columns(pl.col("returned_units").fill_null(0), LINE_VALUE.alias("revenue"))
        .drop("line_id")
    )
    cancelled_orders = netted.drop("line_id").with_columns(
        LINE_VALUE.alias("revenue"), pl.col("quantity").alias("returned_units"))
    returns = (
        returns.join(matched_units, on="return_id", how="left", maintain_order="left")
        .with_columns(
            pl.when(pl.col("matched")).then(pl.col("quantity"))
            .otherwise(pl.col("matched_units").fill_null(0)).alias("matched_units"))
        .drop("return_id")
    )
    unmatched = returns.filter(pl.col("matched_units") < pl.col("quantity"))
    log.append(CleaningLogEntry(
        "Returns with no earlier purchase to match in the data (e.g. bought before it starts)",
        unmatched.height,
        -float(unmatched.select(((pl.col("quantity") - pl.col("matched_units"))
                                 * pl.col("unit_price")).sum()).item() or 0.0),
        "counted in returns; left out of return rates", False,
    ))

    anonymous = purchases.filter(pl.col("customer_id").is_null())
    log.append(CleaningLogEntry(
        "Missing customer id", anonymous.height, _revenue(anonymous),
        "kept for sales KPIs; excluded from customer analytics", False,
    ))
    return CleanTransactions(
        purchases=purchases,
        returns=returns,
        cancelled_orders=cancelled_orders,
        entry_errors=errors.drop("line_id", "return_id"),
        log=tuple(log),
        rows_in=source.rows_read,
        revenue_in=source.revenue_read,
        analysis_date=analysis_date,
        params=params,
    )


def suspected_entry_errors(
    sales: pl.DataFrame, returns: pl.DataFrame, netted_ids: pl.Series,
    paired_return_ids: pl.Series, params: EntryErrorConfig,
) -> pl.DataFrame:
    """Purchases netted out by a cancellation soon after whose quantity is far outside the
    product's usual range: one row each with its cancellation (line_id, return_id, invoice,
    cancellation_invoice, invoice_date, customer_id, stock_code, description, quantity,
    unit_price, value)."""
    pairs = pl.DataFrame({"line_id": netted_ids, "return_id": paired_return_ids})
    usual = sales.group_by("stock_code").agg(
        pl.col("quantity").median().alias("product_median"), pl.len().alias("product_lines"))
    overall = float(sales["quantity"].median() or 0.0)  # type: ignore[arg-type]
    reference = (pl.when(pl.col("product_lines") >= 4).then(pl.col("product_median"))
                 .otherwise(pl.lit(overall)))
    within = pl.duration(seconds=round(params.cancelled_within_hours * 3600))
    return (
        pairs.join(sales, on="line_id")
        .join(returns.select("return_id", pl.col("invoice").alias("cancellation_invoice"),
                             pl.col("invoice_date").alias("cancelled_at")), on="return_id")
        .join(usual, on="stock_code")
        .filter((pl.col("quantity") >= params.min_quantity)
                & (pl.col("quantity") >= params.quantity_ratio * reference)
                & (pl.col("cancelled_at") - pl.col("invoice_date") <= within))
        .select("line_id", "return_id", "invoice", "cancellation_invoice", "invoice_date",
                "customer_id", "stock_code", "description", "quantity", "unit_price",
                LINE_VALUE.alias("value"))
        .sort("invoice_date", "invoice", "stock_code")
    )


def match_cancellations(sales: pl.DataFrame, returns: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    """Pair each cancellation with the latest earlier unpaired purchase of the same key.

    Returns (purchase line_ids netted out, return_ids that found a purchase). The key is
    customer, stock code and units; pairing is last-in-first-out in time, like a stack, and
    among purchases at the same instant the later line in the file is paired first.
    """
    netted: list[int] = []
    paired: list[int] = []
    open_purchases: list[int] = []
    current_key: list[Any] | None = None
    for *key, _, event_id, kind in _keyed_events(sales, returns, with_units=True):
        if key != current_key:
            current_key, open_purchases = key, []
        if kind == PURCHASE:
            open_purchases.append(event_id)
        elif open_purchases:
            netted.append(open_purchases.pop())
            paired.append(event_id)
    return (
        pl.Series("line_id", netted, pl.UInt32),
        pl.Series("return_id", paired, pl.UInt32),
    )


def attribute_returns(
    purchases: pl.DataFrame, returns: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Match returned units to the latest earlier purchases of the same customer and product.

    Returns (line_id, returned_units) for the purchases that units came back from, and
    (return_id, matched_units) for the returns. Units are taken last-in-first-out, partially
    where needed; a return never takes more units than earlier purchases left, so returned
    units never exceed ordered units. What finds no purchase (goods bought before the data
    starts, anonymous returns) stays unmatched.
    """
    returned: dict[int, int] = {}
    matched: dict[int, int] = {}
    stack: list[list[int]] = []  # [line_id, units still returnable]
    current_key: list[Any] | None = None
    for *key, units, event_id, kind in _keyed_events(purchases, returns, with_units=False):
        if key != current_key:
            current_key, stack = key, []
        if kind == PURCHASE:
            stack.append([event_id, units])
            continue
        wanted = max(units, 0)
        while wanted and stack:
            line = stack[-1]
            taken = min(wanted, line[1])
            returned[line[0]] = returned.get(line[0], 0) + taken
            matched[event_id] = matched.get(event_id, 0) + taken
            line[1] -= taken
            wanted -= taken
            if not line[1]:
                stack.pop()
    return (
        pl.DataFrame({"line_id": list(returned), "returned_units": list(returned.values())},
                     schema={"line_id": pl.UInt32, "returned_units": pl.Int64}),
        pl.DataFrame({"return_id": list(matched), "matched_units": list(matched.values())},
                     schema={"return_id": pl.UInt32, "matched_units": pl.Int64}),
    )


PURCHASE, RETURN = 0, 1


def _keyed_events(
    purchases: pl.DataFrame, returns: pl.DataFrame, with_units: bool
) -> Iterator[tuple[Any, ...]]:
    """Purchases and returns of identified customers as (customer, code[, units], units, id,
    kind) rows, sorted by key and time with purchases before returns at the same instant.

    Only purchases whose key some return shares are listed: matching is inherently
    sequential, and this keeps the loop to a small fraction of the lines.
    """
    key = ["customer_id", "stock_code", *(["key_units"] if with_units else [])]

    def events(frame: pl.DataFrame, id_column: str, kind: int) -> pl.DataFrame:
        return frame.filter(pl.col("customer_id").is_not_null()).select(
            "customer_id", "stock_code", *([pl.col("quantity").alias("key_units")]
                                           if with_units else []),
            pl.col("quantity").alias("units"), "invoice_date",
            pl.col(id_column).alias("event_id"), pl.lit(kind).alias("kind"),
        )

    keyed_returns = events(returns, "return_id", RETURN)
    if keyed_returns.is_empty():
        return iter(())
    candidates = events(purchases, "line_id", PURCHASE).join(
        keyed_returns.select(key).unique(), on=key, how="semi")
    ordered = pl.concat([candidates, keyed_returns]).sort([*key, "invoice_date", "kind", "event_id"])
    return ordered.drop("invoice_date").iter_rows()


def fill_descriptions(lines: pl.DataFrame, unknown: str) -> pl.DataFrame:
    """Give every line a description: its own, else the product's most common one on other
    lines (purchases and returns alike), else `unknown`."""
    known = (
        lines.filter(pl.col("description").is_not_null())
        .group_by("stock_code", "description").agg(pl.len().alias("lines"))
        .sort(["stock_code", "lines", "description"], descending=[False, True, False])
        .group_by("stock_code", maintain_order=True).first()
        .select("stock_code", pl.col("description").alias("product_description"))
    )
    return (
        lines.join(known, on="stock_code", how="left", maintain_order="left")
        .with_columns(pl.coalesce("description", "product_description", pl.lit(unknown))
                      .alias("description"))
        .drop("product_description")
    )


def exact_duplicate_count(transactions: pl.DataFrame) -> int:
    """Return how many lines repeat an earlier line exactly."""
    return transactions.height - transactions.unique().height


def _revenue(frame: pl.DataFrame) -> float:
    return float(frame.select(LINE_VALUE.sum()).item() or 0.0) if frame.height else 0.0


def _drop_unless(
    lines: pl.DataFrame, keep: pl.Expr, rule: str, action: str
) -> tuple[pl.DataFrame, CleaningLogEntry]:
    """Keep the rows where `keep` holds; return them and the log entry for the others."""
    flagged = lines.with_columns(keep.alias("_keep"))
    dropped = flagged.filter(~pl.col("_keep"))
    entry = CleaningLogEntry(rule, dropped.height, _revenue(dropped), action, True)
    return flagged.filter(pl.col("_keep")).drop("_keep"), entry
