"""Cleaning rules of SPEC.md; every row they touch is counted in the data-quality ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from reportgen.config import CleaningConfig
from reportgen.load import TransactionInput

LINE_VALUE = pl.col("quantity") * pl.col("unit_price")
MATCH_KEY = ("customer_id", "stock_code", "units")


@dataclass(frozen=True)
class LedgerEntry:
    """One cleaning rule and the rows it affected."""

    rule: str
    rows: int
    revenue: float
    action: str
    removed: bool


@dataclass(frozen=True)
class CleanTransactions:
    """Purchases and returns ready for analysis, and the ledger of what cleaning did."""

    purchases: pl.DataFrame
    returns: pl.DataFrame
    ledger: tuple[LedgerEntry, ...]
    rows_in: int
    analysis_date: datetime
    params: CleaningConfig

    @property
    def rows_out(self) -> int:
        """Rows kept as purchase or return lines."""
        return self.purchases.height + self.returns.height


def clean_transactions(
    source: TransactionInput, analysis_date: datetime, params: CleaningConfig
) -> CleanTransactions:
    """Apply the cleaning rules up to the analysis date; return purchases, returns and the ledger."""
    ledger = [
        LedgerEntry(
            "Values that cannot be read (bad date, number or missing required field)",
            source.malformed_rows, source.malformed_revenue, "row dropped", True,
        ),
        LedgerEntry(
            "Country outside the unit", source.rows_other_countries, 0.0, "row dropped", True,
        ),
    ]
    lines = source.transactions

    lines, entry = _drop_unless(
        lines, pl.struct(pl.all()).is_first_distinct(), "Exact duplicate lines", "duplicate dropped"
    )
    ledger.append(entry)
    lines, entry = _drop_unless(
        lines, pl.col("invoice_date") < analysis_date,
        "Dated on or after the analysis date", "not yet reportable",
    )
    ledger.append(entry)

    no_description = lines.filter(pl.col("description").is_null())
    ledger.append(LedgerEntry(
        "Missing description", no_description.height, _revenue(no_description),
        f"described as '{params.unknown_description}'", False,
    ))
    lines = lines.with_columns(pl.col("description").fill_null(params.unknown_description))

    codes = [c.upper() for c in params.non_product_codes]
    lines, entry = _drop_unless(
        lines, ~pl.col("stock_code").str.to_uppercase().is_in(codes),
        "Non-product stock code (postage, fees, adjustments)", "row excluded",
    )
    ledger.append(entry)
    lines, entry = _drop_unless(
        lines, pl.col("unit_price") > 0, "Price zero or negative", "row excluded"
    )
    ledger.append(entry)

    is_cancellation = pl.col("invoice").str.to_uppercase().str.starts_with("C")
    cancellations = lines.filter(is_cancellation)
    ledger.append(LedgerEntry(
        "Cancellation lines", cancellations.height, _revenue(cancellations),
        "excluded from purchases; counted as returns", False,
    ))
    sales = lines.filter(~is_cancellation)

    sales, entry = _drop_unless(
        sales, pl.col("quantity") > 0,
        "Negative quantity without a cancellation invoice", "row excluded",
    )
    ledger.append(entry)
    sales = sales.with_row_index("line_id")

    returns = cancellations.with_columns(
        (-pl.col("quantity")).alias("quantity"), (-LINE_VALUE).alias("value")
    ).with_row_index("return_id")
    netted_ids, matched_return_ids = match_cancellations(sales, returns)
    netted = sales.filter(pl.col("line_id").is_in(netted_ids.implode()))
    ledger.append(LedgerEntry(
        "Purchase netted out by a matching cancellation (same customer, product, quantity)",
        netted.height, _revenue(netted), "purchase removed", True,
    ))
    purchases = (
        sales.filter(~pl.col("line_id").is_in(netted_ids.implode()))
        .drop("line_id")
        .with_columns(LINE_VALUE.alias("revenue"))
    )
    returns = returns.with_columns(
        pl.col("return_id").is_in(matched_return_ids.implode()).alias("matched")
    ).drop("return_id")

    anonymous = purchases.filter(pl.col("customer_id").is_null())
    ledger.append(LedgerEntry(
        "Missing customer id", anonymous.height, _revenue(anonymous),
        "kept for sales KPIs; excluded from customer analytics", False,
    ))
    return CleanTransactions(
        purchases=purchases,
        returns=returns,
        ledger=tuple(ledger),
        rows_in=source.rows_read,
        analysis_date=analysis_date,
        params=params,
    )


def match_cancellations(sales: pl.DataFrame, returns: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
    """Pair each cancellation with the latest earlier unpaired purchase of the same key.

    Returns (purchase line_ids netted out, return_ids that found a purchase). The key is
    customer, stock code and units; pairing is last-in-first-out in time, like a stack, and
    among purchases at the same instant the later line in the file is paired first.
    """
    empty = (pl.Series("line_id", [], pl.UInt32), pl.Series("return_id", [], pl.UInt32))
    keyed_returns = returns.filter(pl.col("customer_id").is_not_null()).select(
        "customer_id", "stock_code", pl.col("quantity").alias("units"), "invoice_date",
        pl.col("return_id").alias("event_id"), pl.lit(1).alias("kind"),
    )
    if keyed_returns.is_empty():
        return empty
    candidates = (
        sales.filter(pl.col("customer_id").is_not_null())
        .select(
            "customer_id", "stock_code", pl.col("quantity").alias("units"), "invoice_date",
            pl.col("line_id").alias("event_id"), pl.lit(0).alias("kind"),
        )
        .join(keyed_returns.select(MATCH_KEY).unique(), on=list(MATCH_KEY), how="semi")
    )
    events = pl.concat([candidates, keyed_returns]).sort(
        [*MATCH_KEY, "invoice_date", "kind", "event_id"]
    )
    # Stack matching is inherently sequential; it runs only over purchases that share a key
    # with some cancellation, a small fraction of the lines.
    netted: list[int] = []
    paired: list[int] = []
    open_purchases: list[int] = []
    current_key: tuple[object, ...] | None = None
    for customer, code, units, _, event_id, kind in events.iter_rows():
        key = (customer, code, units)
        if key != current_key:
            current_key, open_purchases = key, []
        if kind == 0:
            open_purchases.append(event_id)
        elif open_purchases:
            netted.append(open_purchases.pop())
            paired.append(event_id)
    return (
        pl.Series("line_id", netted, pl.UInt32),
        pl.Series("return_id", paired, pl.UInt32),
    )


def exact_duplicate_count(transactions: pl.DataFrame) -> int:
    """Return how many lines repeat an earlier line exactly."""
    return transactions.height - transactions.unique().height


def _revenue(frame: pl.DataFrame) -> float:
    return float(frame.select(LINE_VALUE.sum()).item() or 0.0) if frame.height else 0.0


def _drop_unless(
    lines: pl.DataFrame, keep: pl.Expr, rule: str, action: str
) -> tuple[pl.DataFrame, LedgerEntry]:
    """Keep the rows where `keep` holds; return them and the ledger entry for the others."""
    flagged = lines.with_columns(keep.alias("_keep"))
    dropped = flagged.filter(~pl.col("_keep"))
    entry = LedgerEntry(rule, dropped.height, _revenue(dropped), action, True)
    return flagged.filter(pl.col("_keep")).drop("_keep"), entry
