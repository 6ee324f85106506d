"""Aggregation on the UCI file: from the Parquet file to the per-customer and per-period tables.

Three ways to the same tables (RFM values per customer, CLV's customer summary built from
daily customer totals, monthly acquisition cohorts), all countries, analysis date 1 Dec 2011:

- seed: pandas as the seed notebooks do it (read, drop missing ids and cancellations, group
  per customer, per customer and day, per cohort and month);
- floor: one hand-written lazy Polars query per table, collected together (`collect_all`);
- reportgen: reading and cleaning (`read_transactions`, `clean_transactions`, with the
  cleaning log, matched cancellations, returns and entry-error checks the seeds skip), then the
  chapters' own functions for the same tables (`rfm_analysis`, `customer_summary`,
  `cohort_analysis`, `monthly_kpis`).

Each is the best of three runs in this process. Targets (issue 19): reportgen at least 30x
faster than the seed and within 1.5x of the floor. Skipped when ../shared is absent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import polars as pl

from benchmarks.pipeline_stages import best_of
from reportgen.chapters.segments.rfm import rfm_analysis
from reportgen.chapters.summary.analysis import monthly_kpis
from reportgen.chapters.trends.cohorts import cohort_analysis
from reportgen.config import load_unit_config
from reportgen.inputs.clean import clean_transactions
from reportgen.inputs.load import read_transactions
from reportgen.models.clv.summary import customer_summary
from reportgen.paths import PROJECT_DIR
from reportgen.period import Period

UCI = PROJECT_DIR.parent / "shared" / "data" / "online_retail.parquet"
PERIOD = Period(2011, 11)
ANALYSIS = datetime(2011, 12, 1)


def seed_pandas(path: Path) -> None:
    """The seed notebooks' preparation in pandas: RFM, CLV summary, cohorts."""
    frame = pd.read_parquet(path)
    frame = frame[frame["CustomerID"].notna() & ~frame["InvoiceNo"].astype(str).str.startswith("C")]
    frame = frame[(frame["Quantity"] > 0) & (frame["UnitPrice"] > 0)].copy()
    frame["TotalPrice"] = frame["Quantity"] * frame["UnitPrice"]
    rfm = frame.groupby("CustomerID").agg(
        Recency=("InvoiceDate", lambda d: (ANALYSIS - d.max()).days),
        Frequency=("InvoiceNo", "nunique"), Monetary=("TotalPrice", "sum"))
    frame["Day"] = frame["InvoiceDate"].dt.normalize()
    daily = frame.groupby(["CustomerID", "Day"], as_index=False)["TotalPrice"].sum()
    summary = daily.groupby("CustomerID").agg(
        first=("Day", "min"), last=("Day", "max"), days=("Day", "count"),
        total=("TotalPrice", "sum"))
    summary["frequency"] = summary["days"] - 1
    summary["recency"] = (summary["last"] - summary["first"]).dt.days / 7
    summary["T"] = (pd.Timestamp(ANALYSIS) - summary["first"]).dt.days / 7
    frame["OrderMonth"] = frame["InvoiceDate"].dt.to_period("M")
    frame["Cohort"] = frame.groupby("CustomerID")["OrderMonth"].transform("min")
    frame["Index"] = (frame["OrderMonth"] - frame["Cohort"]).apply(lambda offset: offset.n)
    cohorts = frame.groupby(["Cohort", "Index"])["CustomerID"].nunique().unstack()
    assert len(rfm) and len(summary) and len(cohorts)


def polars_floor(path: Path) -> None:
    """The same tables as hand-written lazy Polars queries on one scan, collected together."""
    lines = (
        pl.scan_parquet(path)
        .filter(pl.col("CustomerID").is_not_null()
                & ~pl.col("InvoiceNo").cast(pl.String).str.starts_with("C")
                & (pl.col("Quantity") > 0) & (pl.col("UnitPrice") > 0))
        .with_columns((pl.col("Quantity") * pl.col("UnitPrice")).alias("revenue"))
    )
    rfm = lines.group_by("CustomerID").agg(
        (pl.lit(ANALYSIS) - pl.col("InvoiceDate").max()).dt.total_days().alias("recency"),
        pl.col("InvoiceNo").n_unique().alias("frequency"), pl.col("revenue").sum())
    summary = (
        lines.group_by("CustomerID", pl.col("InvoiceDate").dt.date().alias("day"))
        .agg(pl.col("revenue").sum())
        .group_by("CustomerID")
        .agg(pl.len().alias("days"), pl.col("day").min().alias("first"),
             pl.col("day").max().alias("last"), pl.col("revenue").sum())
        .with_columns((pl.col("days") - 1).alias("frequency"),
                      ((pl.col("last") - pl.col("first")).dt.total_days() / 7).alias("recency"),
                      ((pl.lit(ANALYSIS.date()) - pl.col("first")).dt.total_days() / 7)
                      .alias("T"))
    )
    month = pl.col("InvoiceDate").dt.truncate("1mo")
    cohorts = (
        lines.with_columns(month.alias("month"), month.min().over("CustomerID").alias("cohort"))
        .group_by("cohort", "month").agg(pl.col("CustomerID").n_unique())
    )
    rfm_table, summary_table, cohort_table = pl.collect_all([rfm, summary, cohorts])
    assert rfm_table.height and summary_table.height and cohort_table.height


def reportgen_tables(path: Path, folder: Path) -> Callable[[], None]:
    """reportgen's reading, cleaning and the chapters' aggregations, for a unit on `path`."""
    config_path = folder / "bench.yaml"
    config_path.write_text(
        "unit: bench\ntitle: Bench\ncurrency: GBP\n"
        f"source:\n  path: {path}\n  columns:\n    invoice: InvoiceNo\n"
        "    stock_code: StockCode\n    description: Description\n    quantity: Quantity\n"
        "    invoice_date: InvoiceDate\n    unit_price: UnitPrice\n    customer_id: CustomerID\n"
        "    country: Country\n")
    config = load_unit_config(config_path)

    def run() -> None:
        clean = clean_transactions(read_transactions(config), PERIOD.analysis_date,
                                   config.cleaning)
        monthly_kpis(clean.orders, clean.return_orders, PERIOD)
        rfm_analysis(clean.orders, clean.return_orders, PERIOD.analysis_date, config.rfm)
        customer_summary(clean.orders, date(2011, 11, 30), 7)
        cohort_analysis(clean.orders, PERIOD.analysis_date, config.cohorts)
    return run


def main() -> None:
    """One table: seconds and ratios of the three ways."""
    if not UCI.exists():
        print(f"skipped: {UCI} not found (the shared UCI data)")
        return
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        ours = best_of(3, reportgen_tables(UCI, Path(folder)))
    seed = best_of(3, lambda: seed_pandas(UCI))
    floor = best_of(3, lambda: polars_floor(UCI))
    print(f"{'way':<36} {'seconds':>8} {'seed / way':>11} {'way / floor':>12}")
    for name, seconds in (("seed-style pandas", seed), ("hand-written lazy Polars (floor)", floor),
                          ("reportgen (read, clean, chapters)", ours)):
        print(f"{name:<36} {seconds:>7.3f}s {seed / seconds:>10.1f}x {seconds / floor:>11.1f}x")
    print("targets: reportgen seed / way >= 30x, way / floor <= 1.5x")


if __name__ == "__main__":
    main()
