"""Cleaning rules of SPEC.md; every row they touch is counted in the cleaning log."""

from __future__ import annotations

import itertools
import math
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import narwhals as nw
import polars as pl

from reportgen.config import CANONICAL_COLUMNS, CleaningConfig, EntryErrorConfig, NonProductRule
from reportgen.errors import EngineError
from reportgen.inputs import reduce
from reportgen.inputs.load import InputReading, TransactionInput


@dataclass(frozen=True)
class CleaningLogEntry:
    """One cleaning rule and the rows it affected."""

    rule: str
    rows: int
    revenue: float | None  # None where the rule is about how values were read, not money
    action: str
    removed: bool
    examples: tuple[str, ...] = ()  # the commonest codes and descriptions the rule caught


@dataclass(frozen=True)
class CleanTransactions:
    """The clean transactions as the reduced tables the chapters read (`reduce`; none has a row
    per line), the cleaning log of what cleaning did, and the lines kept and their value.

    Returned units are matched to the purchases they return (`attribute_returns`); cancelled
    orders are the purchases that a matching cancellation netted out: ordered, and returned in
    full. The lines themselves are `CleanLines` (`clean_lines`), for tests and checks.
    """

    entry_errors: pl.DataFrame  # suspected entry errors, see `suspected_entry_errors`
    orders: pl.DataFrame  # the purchases one row per order (`reduce.orders`)
    price_quantity: pl.DataFrame  # purchase lines per month and price and quantity band
    customer_products: pl.DataFrame  # per identified customer, product and month
    product_months: pl.DataFrame  # per product, month and cancelled or not
    product_returns: pl.DataFrame  # return lines per product and month
    descriptions: pl.DataFrame  # lines per product, month and description
    return_orders: pl.DataFrame  # the returns one row per return invoice (and matched flag)
    customer_months: pl.DataFrame  # ordered and returned value per customer and month
    volume_products: pl.DataFrame  # products sold by volume or weight (`reduce.volume_products`)
    large_lines: pl.DataFrame  # purchases far larger than their product's usual line, kept
    log: tuple[CleaningLogEntry, ...]
    rows_in: int
    revenue_in: float  # quantity x unit price over every row read
    purchase_lines: int  # lines kept as purchases
    return_lines: int  # lines kept as returns
    revenue_out: float  # quantity x unit price of the lines kept (returns negative)
    first_line: datetime | None  # the earliest and latest time of any line read
    last_line: datetime | None
    last_month_lines: int  # lines read dated in the month before the analysis date
    analysis_date: datetime
    params: CleaningConfig

    @property
    def rows_out(self) -> int:
        """Rows kept as purchase or return lines."""
        return self.purchase_lines + self.return_lines

    @property
    def purchase_days(self) -> tuple[date, date]:
        """The first and last day of a purchase kept (every order is before the analysis
        date); only asked where there are purchases."""
        purchased = self.orders["invoice_date"]
        return purchased.min().date(), purchased.max().date()  # type: ignore[union-attr]

    @property
    def identified_customers(self) -> int:
        """Customers with a customer id who made a purchase kept."""
        return self.orders["customer_id"].drop_nulls().n_unique()


@dataclass(frozen=True)
class CleanLines:
    """The lines cleaning kept: purchases (each with `returned_units`: how many of its units
    later came back), returns (each with `matched_units`: how many of its units were matched
    to an earlier purchase of the same customer and product in the data) and cancelled
    orders. Only tests and checks hold these; the chapters read `CleanTransactions`."""

    purchases: pl.DataFrame
    returns: pl.DataFrame
    cancelled_orders: pl.DataFrame

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
    if clean.purchase_lines:
        return None
    removing = [entry for entry in clean.log if entry.removed and entry.rows]
    if not removing:
        return (f"cleaning leaves no purchase line: the {clean.rows_in:,} rows read are all "
                "returns or cancellations")
    worst = max(removing, key=lambda entry: entry.rows)
    return (f"cleaning leaves no purchase line: the rule '{worst.rule}' removed "
            f"{worst.rows:,} of the {clean.rows_in:,} rows read")


def clean_transactions(
    source: TransactionInput, analysis_date: datetime, params: CleaningConfig, unit: str = ""
) -> CleanTransactions:
    """Apply the cleaning rules up to the analysis date; return the reduced tables and the log.

    The rules themselves are `cleaning_plan`, run here by Polars on the lines read; `unit`
    names the unit in an EngineError when cleaning cannot write its working files."""
    lines = source.transactions.height
    with materialiser(lines, unit) as materialise:
        plan = polars_plan(source.transactions, analysis_date, params, materialise)
        frames = [frame.to_native() for frame in plan.frames]
        # Spilling, memory counts: the tables one after another (10 M lines: 10.8 s and a
        # 3.7 GiB peak, against 10.1 s and 5.3 GiB at once).
        engine = engine_for(lines)
        collected = (pl.collect_all(frames, engine=engine) if engine == "in-memory"
                     else [frame.collect(engine=engine) for frame in frames])
        tables = dict(zip(plan.names, collected, strict=True))
    return cleaned(source, plan, tables)


def clean_lines(transactions: pl.DataFrame, analysis_date: datetime, params: CleaningConfig
                ) -> CleanLines:
    """The lines cleaning keeps of canonical lines held by Polars, in their input order."""
    lines = transactions.height
    with materialiser(lines) as materialise:
        plan = polars_plan(transactions, analysis_date, params, materialise)
        return CleanLines(*(reduce.collected(frame, engine_for(lines)).sort("line").drop("line")
                            for frame in (plan.purchases, plan.returns, plan.cancelled_orders)))


def polars_plan(transactions: pl.DataFrame, analysis_date: datetime, params: CleaningConfig,
                materialise: Materialise) -> CleaningPlan:
    """The cleaning plan over canonical lines held by Polars, numbered in their input order;
    from SPILL_FROM_LINES on, their exact copies found in buckets of invoices."""
    lines = nw.from_native(transactions.lazy().with_row_index("line"))
    buckets = (1 if transactions.height < SPILL_FROM_LINES
               else math.ceil(transactions.height / LINES_PER_BUCKET))
    return cleaning_plan(lines, analysis_date, params, materialise=materialise,
                         find_copies=None if buckets == 1 else (
                             lambda frame: copies_in_buckets(frame.to_native(), buckets,
                                                             materialise)))


# From SPILL_FROM_LINES on, exact copies are looked for among the lines of one bucket of
# invoices at a time (a line's copies share its invoice), each bucket's written to its own
# file: 10 M lines in 8 buckets took 3.7 s and 0.5 GiB over the lines held, all at once 3.8 s
# and 3.1 GiB.
LINES_PER_BUCKET = 1_250_000


def copies_in_buckets(lines: pl.LazyFrame, buckets: int, materialise: Materialise
                      ) -> nw.LazyFrame[Any]:
    """`exact_copies` of Polars' lines, computed and kept (`materialise`) one bucket of
    invoices after another: the same rows as at once, in another order."""
    bucket = pl.col("invoice").hash() % buckets
    return nw.concat([materialise(exact_copies(nw.from_native(lines.filter(bucket == number))))
                      for number in range(buckets)])


# From this many lines, the frames the plan reads several times (each with a row per distinct
# line) are written to Parquet files in a temporary folder rather than kept in memory. Kept in
# memory, reading and cleaning peak at about 1 KB a line (10.1 GiB on 10 M lines); written to
# files, at 5.3 GiB on the same lines, with 654 MiB of files; cleaning took 41 s (38 s kept in
# memory, 57 s on Polars' in-memory engine; make bench-large's input). Below about 4 GiB,
# memory is no concern and the files cost time: on 1.3 M lines 8.3 s against 6.3 s.
SPILL_FROM_LINES = 4_000_000


def engine_for(lines: int) -> reduce.PolarsEngine:
    """Polars' engine for the plan over `lines` lines: streaming where its shared steps are
    written to files (`materialiser`), in memory below (0.15 s faster on the UCI file)."""
    return "streaming" if lines >= SPILL_FROM_LINES else "in-memory"


@contextmanager
def materialiser(lines: int, unit: str = "") -> Iterator[Materialise]:
    """How the plan keeps a frame it reads several times, for `lines` lines: in memory, or
    from SPILL_FROM_LINES on in Parquet files in a temporary folder, deleted afterwards
    (EngineError, naming `unit`, when they cannot be written)."""
    if lines < SPILL_FROM_LINES:
        yield collected_in_memory
        return
    try:
        with tempfile.TemporaryDirectory(prefix="reportgen-clean-") as folder:
            numbers = itertools.count()
            yield lambda frame: spilled(frame, Path(folder) / f"step-{next(numbers)}.parquet")
    except (OSError, pl.exceptions.PolarsError) as exc:  # a full or unwritable folder
        if not isinstance(exc, OSError) and "os error" not in str(exc).lower():
            raise  # not the disk: a fault of the plan, shown as such
        raise EngineError(
            f"cleaning could not write its working files to {tempfile.gettempdir()}: "
            f"{str(exc).splitlines()[0][:200]}",
            unit=unit or None, hint="free disk space there, or point TMPDIR at a folder "
            "with room (about 70 MB for each million lines)") from exc


def spilled(frame: nw.LazyFrame[Any], path: Path) -> nw.LazyFrame[Any]:
    """Polars: compute a frame that several later steps read on the streaming engine, write it
    to `path` as it is computed, and read it back from there (lazily)."""
    frame.to_native().sink_parquet(path, engine="streaming")
    kept: nw.LazyFrame[Any] = nw.from_native(pl.scan_parquet(path))
    return kept


def in_line_order(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The tables that carry their lines' position sorted by it (and without it), the others
    as the plan sorts them."""
    return {name: table.sort("line").drop("line") if "line" in table.columns else table
            for name, table in tables.items()}


def collected_in_memory(frame: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """Polars: compute a frame that several later steps read once, and keep it in memory, in
    the lines' order (grouping leaves rows in any order)."""
    computed = reduce.collected(frame)
    kept: nw.LazyFrame[Any] = nw.from_native(
        (computed.sort("line") if "line" in computed.columns else computed).lazy())
    return kept


def cleaned(source: InputReading, plan: CleaningPlan, tables: dict[str, pl.DataFrame]
            ) -> CleanTransactions:
    """The clean transactions from the plan's collected tables (`CleaningPlan.names`), with
    the reading's own log entries before the cleaning rules'."""
    counts = tables.pop("counts").row(0, named=True)
    if source.later_rows:  # lines after the bound, counted by the reader, not read
        counts["future_rows"] = int(counts["future_rows"] or 0) + source.later_rows
        counts["future_revenue"] = float(counts["future_revenue"] or 0.0) + source.later_revenue
    if source.time_range is not None:
        first, last = source.time_range
        counts["first_line"] = min(t for t in (counts["first_line"], first) if t is not None)
        counts["last_line"] = max(t for t in (counts["last_line"], last) if t is not None)
    set_aside = tables.pop("set_aside")
    return CleanTransactions(
        **in_line_order(tables),
        log=(*reading_log(source), *plan.log(counts, set_aside),
             CleaningLogEntry(
                 "Unusually large order lines, not cancelled (at least "
                 f"{plan.params.entry_errors.min_quantity:,} units and "
                 f"{plan.params.entry_errors.quantity_ratio:g} times the product's median line)",
                 tables["large_lines"].height, float(tables["large_lines"]["revenue"].sum()),
                 "kept; the largest listed on this page to check", False)),
        rows_in=source.rows_read,
        revenue_in=source.revenue_read,
        purchase_lines=int(counts["kept_purchase_rows"] or 0),
        return_lines=int(counts["kept_return_rows"] or 0),
        revenue_out=float(counts["kept_purchase_revenue"] or 0.0)
        - float(counts["kept_return_revenue"] or 0.0),
        first_line=counts["first_line"], last_line=counts["last_line"],
        last_month_lines=int(counts["last_month_rows"] or 0),
        analysis_date=plan.analysis_date,
        params=plan.params,
    )


def reading_log(source: InputReading) -> list[CleaningLogEntry]:
    """What reading the files already set aside: unreadable values, other countries, dates read
    one way only, lines two files both hold."""
    log = [
        CleaningLogEntry(
            "Values that cannot be read (bad date, number or missing required field, or a line "
            "worth 10^15 or more)",
            source.malformed_rows, source.malformed_revenue, "row dropped", True,
        ),
        CleaningLogEntry(
            "Country not among the unit's countries (filters.countries)",
            source.rows_other_countries,
            source.revenue_other_countries, "row dropped", True,
        ),
    ]
    log.extend(CleaningLogEntry(conversion.rule, conversion.rows, None, "converted", False)
               for conversion in source.conversions)
    for reading in source.date_readings:
        log.append(CleaningLogEntry(
            f"Dates read {reading.order} ({reading.date_format}) in {Path(reading.file).name}: "
            f"the other order gives impossible dates such as '{reading.example}'",
            reading.rows, None, "dates read this way", False,
        ))
    if len(source.files) > 1:
        log.append(CleaningLogEntry(
            "Line held by an earlier input file too (files overlap)",
            source.overlap_rows, source.overlap_revenue, "duplicate dropped", True,
        ))
    return log


# --- The cleaning rules, written once as narwhals expressions: Polars runs them here, Spark
# --- (engine: spark) runs the same plan on its cluster.

VALUE = nw.col("quantity") * nw.col("unit_price")
SALE, CANCELLATION = 0, 1  # event kinds; at the same instant a sale comes before a cancellation
# The order of events within a customer's product: time, sales before cancellations, then the
# line's content, so that the order, and so the matching, is the same on every engine and does
# not depend on the order of lines in the file.
EVENT_ORDER = ["invoice_date", "kind", "invoice", "quantity", "unit_price", "description", "country"]
COLUMNS = list(CANONICAL_COLUMNS)
# A netted purchase and the cancellation that netted it share these (`net_cancellations`).
PAIR = ["customer_id", "stock_code", "units", "level", "pair_rank"]
# What the suspected entry errors list of each line, before its value and reason.
ENTRY_ERROR_COLUMNS = ["invoice", "cancellation_invoice", "invoice_date", "customer_id",
                       "stock_code", "description", "quantity", "unit_price"]


@dataclass(frozen=True)
class CleaningPlan:
    """The cleaning rules as lazy frames: the lines kept (purchases, returns, cancelled
    orders), suspected entry errors, the reduced tables the chapters read, and one row of
    counts from which `log` writes the cleaning log."""

    purchases: nw.LazyFrame[Any]
    returns: nw.LazyFrame[Any]
    cancelled_orders: nw.LazyFrame[Any]
    entry_errors: nw.LazyFrame[Any]
    orders: nw.LazyFrame[Any]
    price_quantity: nw.LazyFrame[Any]
    customer_products: nw.LazyFrame[Any]
    product_months: nw.LazyFrame[Any]
    product_returns: nw.LazyFrame[Any]
    descriptions: nw.LazyFrame[Any]
    return_orders: nw.LazyFrame[Any]
    customer_months: nw.LazyFrame[Any]
    volume_products: nw.LazyFrame[Any]
    large_lines: nw.LazyFrame[Any]
    counts: nw.LazyFrame[Any]
    set_aside: nw.LazyFrame[Any]  # what the non-product and quantity rules caught, per code
    analysis_date: datetime
    params: CleaningConfig

    # What an engine collects for a report, none with a row per line: CleanTransactions'
    # tables, then what the cleaning log is written from.
    tables = ("entry_errors", "orders", "price_quantity", "customer_products", "product_months",
              "product_returns", "descriptions", "return_orders", "customer_months",
              "volume_products", "large_lines")
    names = (*tables, "counts", "set_aside")

    @property
    def frames(self) -> tuple[nw.LazyFrame[Any], ...]:
        """What an engine collects, in the order of `names`: CleanTransactions' tables, then
        the counts for the log."""
        return tuple(getattr(self, name) for name in self.names)

    def log(self, counts: dict[str, Any], set_aside: pl.DataFrame) -> list[CleaningLogEntry]:
        """The cleaning rules' entries of the cleaning log, from the collected counts, with the
        commonest codes and descriptions each non-product or quantity rule caught."""
        def entry(key: str, rule: str, action: str, removed: bool, sign: float = 1.0
                  ) -> CleaningLogEntry:
            return CleaningLogEntry(rule, int(counts[f"{key}_rows"] or 0),
                                    sign * float(counts[f"{key}_revenue"] or 0.0), action, removed)

        def with_examples(logged: CleaningLogEntry, fate: str) -> CleaningLogEntry:
            caught = set_aside.filter(pl.col("fate") == fate).sort(
                "lines", "stock_code", "description", descending=[True, False, False]).head(5)
            return replace(logged, examples=tuple(
                f"{row['stock_code']} {row['description']} ({row['lines']:,} lines)"
                for row in caught.iter_rows(named=True)))

        return [
            entry("duplicate", "Exact duplicate lines", "duplicate dropped", True),
            entry("future", "Dated on or after the analysis date", "not yet reportable", True),
            entry("no_description", "Missing description",
                  "the product's description on other lines, else "
                  f"'{self.params.unknown_description}'", False),
            *self.non_product_log(entry, with_examples),
            with_examples(entry("no_quantity", "Quantity zero or missing (notes, coupon and "
                                "free-text lines)", "row excluded", True), "no_quantity"),
            entry("price", "Price zero or negative", "row excluded", True),
            entry("price_outlier", "Suspected entry error: unit price far above the "
                  "product's usual price (e.g. a barcode keyed as the price)",
                  "listed on this page; row excluded", True),
            entry("cancellation", "Cancellation lines",
                  "excluded from purchases; counted as returns", False),
            entry("positive_cancellation", "Positive quantity on a cancellation invoice",
                  "row excluded", True),
            entry("netted", "Purchase netted out by a matching cancellation (same customer, "
                  "product, quantity)", "purchase removed", True),
            entry("correction", "Corrections: of those, orders cancelled at another price or "
                  f"re-issued to the same customer within {self.params.reissue_days:g} days",
                  "in neither revenue nor returns (not cancelled orders)", False),
            entry("entry_error", "Cancellation of a suspected entry error (outsized line "
                  "cancelled in full soon after)", "listed on this page; left out of returns, "
                  "return rates and product rankings", True, sign=-1.0),
            entry("unmatched", "Returns with no earlier purchase to match in the data (e.g. "
                  "bought before it starts)", "counted in returns; left out of return rates",
                  False, sign=-1.0),
            entry("anonymous", "Missing customer id",
                  "kept for sales KPIs; excluded from customer analytics", False),
        ]

    def non_product_log(self, entry: Callable[..., CleaningLogEntry],
                        with_examples: Callable[[CleaningLogEntry, str], CleaningLogEntry]
                        ) -> list[CleaningLogEntry]:
        """One entry per non-product rule that caught lines, with what it caught; one empty
        entry when none did."""
        caught = [with_examples(entry(non_product_fate(index), f"Not a product: {rule.name}",
                                      "row excluded", True), non_product_fate(index))
                  for index, rule in enumerate(self.params.non_product_rules())]
        return [logged for logged in caught if logged.rows] or [CleaningLogEntry(
            "Not a product (postage, fees, adjustments, tests, samples, vouchers, coupons): "
            "no line matched", 0, 0.0, "row excluded", True)]


Materialise = Callable[[nw.LazyFrame[Any]], nw.LazyFrame[Any]]
# How an engine finds the lines' exact copies (`exact_copies`), computed and kept.
FindCopies = Callable[[nw.LazyFrame[Any]], nw.LazyFrame[Any]]


def cleaning_plan(lines: nw.LazyFrame[Any], analysis_date: datetime, params: CleaningConfig,
                  materialise: Materialise, find_copies: FindCopies | None = None
                  ) -> CleaningPlan:
    """The cleaning rules of SPEC.md over lines in canonical columns and `line`, each line's
    position in the input (purchases, returns and cancelled orders keep it, for their order),
    in order: exact duplicates dropped (one kept), lines dated on or after the analysis date
    set aside, non-product lines (`CleaningConfig.non_product_rules`), lines without a
    quantity and lines with a non-positive price excluded, missing descriptions filled, lines
    priced far above their product's usual price set aside as suspected entry errors, lines of
    negative quantity turned into returns, and positive lines on a cancellation invoice
    excluded; then each cancellation nets out the latest earlier purchase of the same customer,
    product and units (`with_stack_depth`), the outsized ones cancelled soon after are
    suspected entry errors, and the remaining returns take their units from the latest earlier
    purchases (last in, first out). Among lines at the same instant, the order is the lines'
    content (`EVENT_ORDER`), never their position in the file.

    `materialise` computes a frame that several steps read and keeps it (Polars: in memory;
    Spark: cached on the cluster); `find_copies` finds the exact copies and keeps them
    (default: `exact_copies`, materialised); neither changes a result.
    """
    copies = (find_copies or (lambda frame: materialise(exact_copies(frame))))(lines)
    copies = with_non_product_rule(copies, params.non_product_rules())
    fate = _first_rule_that_applies(analysis_date, params)
    described = materialise(fill_descriptions(
        copies.with_columns(fate.alias("fate")).drop("non_product_rule"),
        params.unknown_description))
    kept = materialise(with_price_outliers(described, params.entry_errors))
    events = kept.filter(nw.col("fate").is_in(["sale", "cancellation"])).with_columns(
        nw.when(nw.col("fate") == "sale").then(nw.lit(SALE)).otherwise(nw.lit(CANCELLATION))
        .alias("kind"),
        nw.when(nw.col("fate") == "sale").then(nw.col("quantity"))
        .otherwise(-nw.col("quantity")).alias("units"),
    ).drop("copies")
    events = materialise(late_cancellations_as_returns(net_cancellations(events),
                                                       params.cancellation_window_hours))
    errors = materialise(suspected_entry_errors(events, params.entry_errors))
    sale = nw.col("kind") == SALE
    corrections = materialise(corrected_pairs(events, params.reissue_days))
    in_error = events.join(errors.select(*PAIR, nw.lit(True).alias("in_error")), on=PAIR,
                           how="left").join(corrections, on=PAIR, how="left").with_columns(
        nw.col("in_error").fill_null(False), nw.col("correction").fill_null(False))
    events = materialise(attribute_returns(in_error.with_columns(
        (nw.col("in_error") & sale).alias("entry_error"),
        (nw.col("in_error") & ~sale).alias("cancels_error"),
    ).drop("in_error")))
    purchases = events.filter(sale & ~nw.col("netted")).select(
        *COLUMNS, nw.col("returned_units"), VALUE.alias("revenue"), "line")
    cancelled = events.filter(sale & nw.col("netted") & ~nw.col("entry_error")).select(
        *COLUMNS, VALUE.alias("revenue"), nw.col("quantity").alias("returned_units"),
        "correction", "line")
    returns = events.filter(~sale & ~nw.col("cancels_error")).select(
        *(nw.col("units").alias("quantity") if column == "quantity" else nw.col(column)
          for column in COLUMNS),
        (-VALUE).alias("value"), nw.col("paired").alias("matched"),
        nw.when(nw.col("correction")).then(nw.lit("correction"))
        .when(nw.col("paired")).then(nw.lit("cancellation")).otherwise(nw.lit("return"))
        .alias("kind"),
        nw.when(nw.col("paired")).then(nw.col("units")).otherwise(nw.col("matched_units"))
        .alias("matched_units"), "line",
    )
    non_product_fates = [non_product_fate(index)
                         for index in range(len(params.non_product_rules()))]
    counts = _counts(kept, events, returns, purchases, analysis_date, non_product_fates)
    set_aside = kept.filter(nw.col("fate").is_in([*non_product_fates, "no_quantity"])) \
        .group_by("fate", "stock_code", "description", drop_null_keys=False) \
        .agg(nw.len().alias("lines"))
    entry_errors = nw.concat([
        errors.select(*ENTRY_ERROR_COLUMNS, VALUE.alias("value"),
                      nw.lit("cancelled").alias("reason")),
        kept.filter(nw.col("fate") == "price_outlier").select(
            "invoice", nw.lit(None, dtype=nw.String()).alias("cancellation_invoice"),
            *ENTRY_ERROR_COLUMNS[2:], VALUE.alias("value"), nw.lit("price").alias("reason")),
    ]).sort("invoice_date", "invoice", "stock_code")
    by_volume = materialise(reduce.volume_products(purchases, params.sold_by_volume))
    counted = purchases.join(by_volume.select("stock_code"), on="stock_code", how="anti")
    return CleaningPlan(
        purchases, returns, cancelled, entry_errors, reduce.orders(purchases),
        reduce.price_quantity(counted), reduce.customer_products(purchases),
        reduce.product_months(purchases, cancelled), reduce.product_returns(returns),
        reduce.descriptions(purchases, cancelled, returns), reduce.return_orders(returns),
        reduce.customer_months(purchases), by_volume,
        reduce.unusually_large_lines(counted, params.entry_errors), counts, set_aside, analysis_date,
        params)


def exact_copies(lines: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """One row per distinct line (every column alike, nulls included): its number of copies
    and the first one's position."""
    return lines.group_by(COLUMNS, drop_null_keys=False).agg(
        nw.len().alias("copies"), nw.col("line").min())


def _first_rule_that_applies(analysis_date: datetime, params: CleaningConfig) -> nw.Expr:
    """Which rule a line falls to, checked in the rules' order; "sale" or "cancellation" for
    the lines kept. The non-product rules' fates are `non_product_fate(index)`."""
    rules = [(nw.col("invoice_date") >= analysis_date, "future")]
    rules += [(nw.col("non_product_rule") == index, non_product_fate(index))
              for index in range(len(params.non_product_rules()))]
    prefix = params.cancellation_prefix
    on_cancellation = nw.col("invoice").str.to_uppercase().str.starts_with(prefix.upper()) \
        if prefix else nw.lit(False)
    rules += [
        (nw.col("quantity").is_null() | (nw.col("quantity") == 0), "no_quantity"),
        (nw.col("unit_price") <= 0, "price"),
        (nw.col("quantity") < 0, "cancellation"),
        (on_cancellation, "positive_cancellation"),
    ]
    fate: nw.Expr = nw.lit("sale")
    for condition, name in reversed(rules):
        fate = nw.when(condition).then(nw.lit(name)).otherwise(fate)
    return fate


def with_non_product_rule(lines: nw.LazyFrame[Any], rules: list[NonProductRule]
                          ) -> nw.LazyFrame[Any]:
    """Add `non_product_rule`, the index of the first rule that a line's code or description
    matches (null: none). The patterns run once per distinct code and description, not once
    per line."""
    key = nw.col("description").fill_null("").alias("description_key")
    products = lines.select("stock_code", "description", key).unique(
        ["stock_code", "description_key"])
    first: nw.Expr = nw.lit(None, dtype=nw.Int64())
    for index, rule in reversed(list(enumerate(rules))):
        first = nw.when(non_product_match(rule)).then(nw.lit(index, dtype=nw.Int64())) \
            .otherwise(first)
    matched = products.with_columns(first.alias("non_product_rule")) \
        .filter(~nw.col("non_product_rule").is_null()) \
        .select("stock_code", "description_key", "non_product_rule")
    return lines.with_columns(key).join(matched, on=["stock_code", "description_key"],
                                        how="left").drop("description_key")


def non_product_fate(index: int) -> str:
    """The fate of lines that the index-th non-product rule (`non_product_rules`) catches."""
    return f"non_product_{index}"


def non_product_match(rule: NonProductRule) -> nw.Expr:
    """Whether a line's code or description is one of the rule's."""
    code, description = nw.col("stock_code"), nw.col("description")
    matches = [code.str.to_uppercase().is_in([c.upper() for c in rule.codes])] \
        if rule.codes else []
    matches += [code.str.contains(pattern) for pattern in rule.code_patterns]
    matches += [description.str.contains(pattern) for pattern in rule.descriptions]
    return nw.any_horizontal(*(m.fill_null(False) for m in matches), ignore_nulls=True) \
        if matches else nw.lit(False)


def with_price_outliers(lines: nw.LazyFrame[Any], params: EntryErrorConfig
                        ) -> nw.LazyFrame[Any]:
    """Sales and cancellations whose unit price is far above the product's usual one (the
    median price of its sale lines where it has at least four, else every product's sale lines'
    median with a wider margin), such as a barcode keyed as the price: their fate becomes
    "price_outlier", a suspected entry error, set aside and listed."""
    sales = lines.filter(nw.col("fate") == "sale")
    usual = sales.group_by("stock_code").agg(
        nw.col("unit_price").median().alias("product_price"), nw.len().alias("price_lines"))
    overall = sales.select(nw.col("unit_price").median().alias("catalogue_price"))
    limit = nw.when(nw.col("price_lines") >= 4) \
        .then(nw.col("product_price") * params.price_ratio) \
        .otherwise(nw.col("catalogue_price") * params.catalogue_price_ratio)
    outlier = nw.col("fate").is_in(["sale", "cancellation"]) & ~limit.is_null() \
        & (nw.col("unit_price") >= limit)
    return (
        lines.join(usual, on="stock_code", how="left").join(overall, how="cross")
        .with_columns(nw.when(outlier).then(nw.lit("price_outlier")).otherwise(nw.col("fate"))
                      .alias("fate"))
        .drop("product_price", "price_lines", "catalogue_price")
    )


def with_stack_depth(events: nw.LazyFrame[Any], step: nw.Expr, partition: list[str]
                     ) -> nw.LazyFrame[Any]:
    """Add `depth`, how much a last-in-first-out stack per partition holds after each event,
    where each event pushes `step` (> 0) or pops up to -`step` (< 0) but never below empty;
    `before`, the depth before the event; and `later_low`, the lowest depth at any later event
    of the partition (null after the last). The depth is the running sum reflected at zero,
    S - min(0, running minimum of S) (Lindley's recursion in closed form): window expressions
    that every engine runs, one window per step."""
    def window(expression: nw.Expr) -> nw.Expr:
        return expression.over(*partition, order_by=EVENT_ORDER)

    return (
        events.with_columns(step.alias("step"))
        .with_columns(window(nw.col("step").cum_sum()).alias("running"))
        .with_columns(window(nw.col("running").cum_min()).alias("lowest"))
        .with_columns((nw.col("running") - nw.when(nw.col("lowest") < 0).then(nw.col("lowest"))
                       .otherwise(nw.lit(0))).alias("depth"))
        .with_columns(window(nw.col("depth").shift(1)).fill_null(0).alias("before"),
                      window(nw.col("depth").cum_min(reverse=True)).alias("low_from_here"))
        .with_columns(window(nw.col("low_from_here").shift(-1)).alias("later_low"))
        .drop("running", "lowest", "low_from_here")
    )


def net_cancellations(events: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """Pair each cancellation with the latest earlier unpaired purchase of the same customer,
    product and units (a stack per key: purchases push one, cancellations pop one).

    Adds `netted` (a purchase a later cancellation took: a later depth falls below the one it
    reached), `paired` (a cancellation that found a purchase: it lowered the depth), and for
    both the stack `level` they pushed or popped and their rank among the events of their kind
    at that level (`pair_rank`): at one level, pushes and pops alternate, so the n-th pop pairs
    with the n-th push, and the two share PAIR.
    """
    key = ["customer_id", "stock_code", "units"]
    events, others = split_by_key(events, key, nw.col("kind") == CANCELLATION)
    step = nw.when(nw.col("kind") == SALE).then(nw.lit(1)).otherwise(nw.lit(-1))
    events = with_stack_depth(events, step, key)
    netted = (nw.col("step") == 1) & ~nw.col("later_low").is_null() \
        & (nw.col("later_low") < nw.col("depth"))
    paired = (nw.col("kind") == CANCELLATION) & (nw.col("before") > nw.col("depth"))
    events = events.with_columns(
        netted.alias("netted"), paired.alias("paired"),
        nw.when(netted).then(nw.col("depth")).when(paired).then(nw.col("before"))
        .alias("level"),
        nw.lit(1).alias("one"),
    )
    rank = nw.col("one").cum_sum().over(*key, "level", "kind", order_by=EVENT_ORDER)
    events = events.select(
        *others.columns, "netted", "paired", nw.col("level").cast(nw.Int64),
        nw.when(nw.col("netted") | nw.col("paired")).then(rank).cast(nw.Int64)
        .alias("pair_rank"),
    )
    unmatched = others.with_columns(
        nw.lit(False).alias("netted"), nw.lit(False).alias("paired"),
        *(nw.lit(None, dtype=nw.Int64()).alias(name) for name in ("level", "pair_rank")))
    return nw.concat([events, unmatched])


def late_cancellations_as_returns(events: nw.LazyFrame[Any], window_hours: float | None
                                  ) -> nw.LazyFrame[Any]:
    """Undo the pairs of `net_cancellations` whose cancellation came more than `window_hours`
    after the purchase (None: keep every pair): the goods were returned, not the order
    cancelled, so the purchase stays in revenue and the cancellation is a return, matched to
    the purchases like any other (`attribute_returns`)."""
    if window_hours is None:
        return events
    window = timedelta(seconds=round(window_hours * 3600))
    late = netted_pairs(events).filter(nw.col("cancelled_at") > nw.col("ordered_at") + window) \
        .select(*PAIR, nw.lit(True).alias("late"))
    on_time = nw.col("late").is_null()
    return events.join(late, on=PAIR, how="left").with_columns(
        nw.col("netted") & on_time, nw.col("paired") & on_time,
        nw.when(on_time).then(nw.col("level")).alias("level"),
        nw.when(on_time).then(nw.col("pair_rank")).alias("pair_rank"),
    ).drop("late")


def cancellations_of(events: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """The cancellations that netted out a purchase, keyed by PAIR: `cancellation_invoice`,
    `cancelled_at` and `cancelled_price`."""
    return events.filter(nw.col("paired")).select(
        *PAIR, nw.col("invoice").alias("cancellation_invoice"),
        nw.col("invoice_date").alias("cancelled_at"),
        nw.col("unit_price").alias("cancelled_price"))


def netted_pairs(events: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """Each netted purchase with the cancellation that netted it (`net_cancellations`), keyed
    by PAIR: `ordered_at` and `ordered_price`, and the cancellation's (`cancellations_of`)."""
    return events.filter(nw.col("netted")).select(
        *PAIR, nw.col("invoice_date").alias("ordered_at"),
        nw.col("unit_price").alias("ordered_price")).join(cancellations_of(events), on=PAIR)


def split_by_key(events: nw.LazyFrame[Any], key: list[str], partner: nw.Expr
                 ) -> tuple[nw.LazyFrame[Any], nw.LazyFrame[Any]]:
    """(the identified customers' events whose key some `partner` event has too, all others):
    matching is by key, and only the few keys with a return need it."""
    keys = events.filter(partner & ~nw.col("customer_id").is_null()).select(key).unique() \
        .with_columns(nw.lit(True).alias("has_partner"))
    marked = events.join(keys, on=key, how="left")
    return (marked.filter(~nw.col("has_partner").is_null()).drop("has_partner"),
            marked.filter(nw.col("has_partner").is_null()).drop("has_partner"))


def suspected_entry_errors(events: nw.LazyFrame[Any], params: EntryErrorConfig
                           ) -> nw.LazyFrame[Any]:
    """Purchases netted out by a cancellation soon after whose quantity is far outside the
    product's usual range (its median over at least four sale lines, else every sale line's):
    one row each with its cancellation, keyed by PAIR."""
    sales = events.filter(nw.col("kind") == SALE)
    usual = sales.group_by("stock_code").agg(
        nw.col("quantity").median().alias("product_median"), nw.len().alias("product_lines"))
    overall = sales.select(nw.col("quantity").median().alias("overall_median"))
    reference = nw.when(nw.col("product_lines") >= 4).then(nw.col("product_median")) \
        .otherwise(nw.col("overall_median"))
    within = timedelta(seconds=round(params.cancelled_within_hours * 3600))
    return (
        events.filter(nw.col("netted")).join(cancellations_of(events), on=PAIR)
        .join(usual, on="stock_code")
        .join(overall, how="cross")
        .filter((nw.col("quantity") >= params.min_quantity)
                & (nw.col("quantity") >= params.quantity_ratio * reference)
                & (nw.col("cancelled_at") <= nw.col("invoice_date") + within))
    )


def corrected_pairs(events: nw.LazyFrame[Any], reissue_days: float) -> nw.LazyFrame[Any]:
    """The netted purchases (and their cancellations) that corrected an invoice rather than
    returned goods, keyed by PAIR with `correction` true: cancelled at another price than the
    one ordered, or re-issued, that is ordered again by the same customer (same product and
    units) after the first order and within `reissue_days` of the cancellation."""
    sale = nw.col("kind") == SALE
    pairs = netted_pairs(events)
    window = timedelta(seconds=round(reissue_days * 86_400))
    key = ["customer_id", "stock_code", "units"]
    again = events.filter(sale & ~nw.col("netted")).select(
        *key, nw.col("invoice_date").alias("again_at"))
    reissued = pairs.join(again, on=key).filter(
        (nw.col("again_at") > nw.col("ordered_at"))
        & (nw.col("again_at") >= nw.col("cancelled_at") - window)
        & (nw.col("again_at") <= nw.col("cancelled_at") + window)).select(*PAIR)
    repriced = pairs.filter(nw.col("ordered_price") != nw.col("cancelled_price")).select(*PAIR)
    return nw.concat([reissued, repriced]).unique(PAIR).with_columns(
        nw.lit(True).alias("correction"))


def attribute_returns(events: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
    """Match returned units to the latest earlier purchases of the same customer and product.

    Adds `returned_units` to purchases and `matched_units` to returns. Units are taken last in,
    first out, partially where needed: purchases that no cancellation netted push their units,
    returns that paired with no purchase pop theirs, never below empty (`with_stack_depth`). A
    purchase's units sit at the depths just below the one it reached; those that a later
    event's lower depth uncovers came back. What finds no purchase (goods bought before the
    data start, anonymous returns) stays unmatched.
    """
    key = ["customer_id", "stock_code"]
    sale = nw.col("kind") == SALE
    takes_part = ~nw.col("netted") & ~nw.col("paired") & ~nw.col("cancels_error")
    events, others = split_by_key(events, key, takes_part & ~sale & (nw.col("units") > 0))
    step = nw.when(takes_part & sale).then(nw.col("units")) \
        .when(takes_part & (nw.col("units") > 0)).then(-nw.col("units")).otherwise(nw.lit(0))
    events = with_stack_depth(events, step, key)
    uncovered = nw.col("depth") - nw.max_horizontal(nw.col("before"), nw.col("later_low"))
    events = events.select(
        *others.columns,
        nw.when(sale & ~nw.col("later_low").is_null() & (uncovered > 0)).then(uncovered)
        .otherwise(nw.lit(0)).cast(nw.Int64).alias("returned_units"),
        (nw.col("before") - nw.col("depth")).cast(nw.Int64).alias("matched_units"),
    )
    untouched = others.with_columns(nw.lit(0, dtype=nw.Int64()).alias("returned_units"),
                                    nw.lit(0, dtype=nw.Int64()).alias("matched_units"))
    return nw.concat([events, untouched])


# Rules that set lines aside before matching, each counted in the log by its fate.
SET_ASIDE_FATES = ("future", "no_quantity", "price", "price_outlier", "positive_cancellation")


def _counts(kept: nw.LazyFrame[Any], events: nw.LazyFrame[Any], returns: nw.LazyFrame[Any],
            purchases: nw.LazyFrame[Any], analysis_date: datetime,
            non_product_fates: list[str]) -> nw.LazyFrame[Any]:
    """One row: lines and quantity x price of each rule's lines, for the cleaning log (one
    pass over each frame, conditional sums); the lines kept; the first and last line's time
    and the lines of the month before the analysis date, for the summary's notices."""
    def count(name: str, where: nw.Expr, value: nw.Expr = VALUE,
              weight: nw.Expr | None = None) -> list[nw.Expr]:
        weight = nw.lit(1) if weight is None else weight
        return [nw.when(where).then(weight).otherwise(nw.lit(0)).sum().alias(f"{name}_rows"),
                reduce.money_sum(nw.when(where).then(value * weight).otherwise(nw.lit(0.0)))
                .alias(f"{name}_revenue")]

    def every_line(name: str) -> list[nw.Expr]:
        return [nw.len().alias(f"{name}_rows"), reduce.money_sum(VALUE).alias(f"{name}_revenue")]

    fate = nw.col("fate")
    last_month = (analysis_date - timedelta(days=1)).replace(day=1, hour=0, minute=0, second=0,
                                                              microsecond=0)
    per_line = kept.select(
        *count("duplicate", nw.col("copies") > 1, weight=nw.col("copies") - 1),
        *(expr for name in (*SET_ASIDE_FATES, *non_product_fates, "cancellation")
          for expr in count(name, fate == name)),
        *count("no_description", (fate != "future") & nw.col("no_description")),
        *count("last_month", nw.col("invoice_date").is_between(
            last_month, analysis_date, closed="left"), weight=nw.col("copies")),
        nw.col("invoice_date").min().alias("first_line"),
        nw.col("invoice_date").max().alias("last_line"),
    )
    matched = events.select(*count("netted", nw.col("netted")),
                            *count("correction", nw.col("netted") & nw.col("correction")),
                            *count("entry_error", nw.col("cancels_error"), value=-VALUE))
    unmatched = returns.select(*count(
        "unmatched", nw.col("matched_units") < nw.col("quantity"),
        value=(nw.col("quantity") - nw.col("matched_units")) * nw.col("unit_price")),
        *every_line("kept_return"))
    anonymous = purchases.select(*count("anonymous", nw.col("customer_id").is_null()),
                                 *every_line("kept_purchase"))
    return per_line.join(matched, how="cross").join(unmatched, how="cross") \
        .join(anonymous, how="cross")


def fill_descriptions(lines: nw.LazyFrame[Any], unknown: str) -> nw.LazyFrame[Any]:
    """Give every line a description: its own, else the product's most common one on the other
    lines not set aside by date (purchases and returns alike; ties go to the first in
    alphabetical order), else `unknown`. Marks the lines that had none (`no_description`)."""
    current = nw.col("fate") != "future"
    named = lines.filter(current & ~nw.col("description").is_null()) \
        .group_by("stock_code", "description").agg(nw.len().alias("lines"))
    known = named.filter(nw.col("lines") == nw.col("lines").max().over("stock_code")) \
        .group_by("stock_code").agg(nw.col("description").min().alias("product_description"))
    return (
        lines.join(known, on="stock_code", how="left")
        .with_columns(nw.col("description").is_null().alias("no_description"),
                      nw.coalesce("description", "product_description", nw.lit(unknown))
                      .alias("description"))
        .drop("product_description")
    )


def exact_duplicate_count(transactions: pl.DataFrame) -> int:
    """Return how many lines repeat an earlier line exactly."""
    return transactions.height - transactions.unique().height


