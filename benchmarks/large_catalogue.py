"""A large catalogue (issue 35): 50,000 products, 3,000 customers whose baskets hold 30 and more
products (a grocer's or a wholesaler's with every variant), two years of weekly-ish trips. The
whole report is built (charts and PDF included) and each stage is reported with the process's
peak memory, against the same process's Polars baseline (read the file, sum per customer).

    python -m benchmarks large_catalogue
"""

from __future__ import annotations

import resource
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import yaml

PRODUCTS = 50_000
CUSTOMERS = 3_000
CATEGORIES = 500
LIKED_CATEGORIES = 6  # each customer's usual categories
BASKET = 30  # products in a basket at least (plus a Poisson(8) more)
TRIPS = 16  # baskets a customer makes in two years, on average
START = datetime(2023, 1, 1)
PERIOD = "2024-12"


def large_catalogue(seed: int = 7) -> pl.DataFrame:
    """Order lines in the Online Retail columns: each basket mostly from the customer's usual
    categories (products drawn by a long-tailed popularity), the rest from anywhere."""
    rng = np.random.default_rng(seed)
    category = rng.integers(0, CATEGORIES, PRODUCTS)
    weight = rng.pareto(1.1, PRODUCTS) + 1.0
    price = np.round(np.exp(rng.normal(1.2, 0.7, PRODUCTS)), 2)
    by_category = [np.flatnonzero(category == c) for c in range(CATEGORIES)]
    cumulative = [np.cumsum(weight[members]) / weight[members].sum() for members in by_category]
    everywhere = np.cumsum(weight) / weight.sum()
    frames = []
    invoice = 100_000
    for customer in range(CUSTOMERS):
        liked = rng.choice(CATEGORIES, LIKED_CATEGORIES, replace=False)
        trips = 1 + rng.poisson(TRIPS - 1)
        days = np.sort(rng.integers(0, 730, trips))
        for day in days:
            size = BASKET + rng.poisson(8)
            usual = int(size * 0.75)
            picks = [by_category[c][np.searchsorted(cumulative[c], rng.random())]
                     for c in rng.choice(liked, usual)]
            picks += list(np.searchsorted(everywhere, rng.random(size - usual)))
            chosen = np.unique(np.asarray(picks))
            when = START + timedelta(days=int(day), hours=int(rng.integers(8, 20)))
            frames.append((invoice, customer, when, chosen))
            invoice += 1
    invoices = np.concatenate([np.full(c.size, i) for i, _, _, c in frames])
    customers = np.concatenate([np.full(c.size, k) for _, k, _, c in frames])
    times = [when for _, _, when, c in frames for _ in range(c.size)]
    codes = np.concatenate([c for *_, c in frames])
    return pl.DataFrame({
        "InvoiceNo": invoices.astype(str),
        "StockCode": np.char.add("P", codes.astype(str)),
        "Description": np.char.add("PRODUCT ", codes.astype(str)),
        "Quantity": rng.integers(1, 4, codes.size),
        "InvoiceDate": pl.Series(times, dtype=pl.Datetime("us")),
        "UnitPrice": price[codes],
        "CustomerID": customers.astype(str),
        "Country": "United States",
    })


def main() -> None:
    from reportgen.config import load_unit_config
    from reportgen.period import Period
    from reportgen.pipeline import build_report

    started = time.perf_counter()
    lines = large_catalogue()
    generated = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        lines.write_parquet(folder / "lines.parquet")
        (folder / "unit.yaml").write_text(yaml.safe_dump({
            "unit": "catalogue", "title": "Large catalogue", "currency": "USD",
            "source": {"path": "lines.parquet"}}))
        config = load_unit_config(folder / "unit.yaml")
        started = time.perf_counter()
        pl.read_parquet(folder / "lines.parquet").group_by("CustomerID").agg(
            (pl.col("Quantity") * pl.col("UnitPrice")).sum())
        baseline = time.perf_counter() - started
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        report = build_report(config, Period.parse(PERIOD))
        total = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    products = lines["StockCode"].n_unique()
    print(f"{lines.height:,} lines, {products:,} products, {CUSTOMERS:,} customers "
          f"(generated in {generated:.1f} s); {report.pdf_pages} PDF pages")
    print(f"baseline (read, sum per customer): {baseline:.2f} s")
    for stage, seconds in sorted(report.seconds.items(), key=lambda item: -item[1])[:12]:
        print(f"  {stage:<15} {seconds:7.2f} s")
    print(f"  {'total':<15} {total:7.2f} s  ({total / baseline:,.0f} x the baseline)")
    print(f"peak memory: {peak / 2**20:.2f} GiB (before the report: {before / 2**20:.2f} GiB)")


if __name__ == "__main__":
    main()
