"""CLV at scale: the whole CLV chapter (model choice, three backtests, Gamma-Gamma, prediction)
for simulated customers, against lifetimes fitting the chosen model on the same data.

Customers follow BG/NBD (r=0.75, alpha=6, a=0.6, b=3.5, weekly) over two years, one purchase
line per purchase. Two ladders: BG/NBD first (the model lifetimes is timed on) and the default
one (Pareto/NBD first). The baseline is what a lifetimes user would run: the per-customer
summary (`summary_data_from_transaction_data`, timed on the smaller sizes only: it takes
minutes at 1 M) and `BetaGeoFitter.fit` on it, one row per customer; the ratio is lifetimes'
fit alone over our whole chapter. Targets (issue 19): 1 M customers in at most 10 s, at least
10x faster than lifetimes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import TypeVar

import numpy as np
import polars as pl

from reportgen.chapters.clv.analysis import clv_analysis
from reportgen.config import ClvConfig
from reportgen.demo_data import purchase_times, simulated_purchases
from reportgen.models.clv.purchase import fit_purchase_model, quiet_numerics
from reportgen.models.clv.summary import (
    compressed_summary,
    customer_summary,
    summary_arrays,
)

SIZES = tuple(int(size) for size in os.environ.get(
    "BENCH_CLV_SIZES", "10000,100000,1000000").split(","))
LIFETIMES_SUMMARY_UP_TO = 100_000
DEFAULT_LADDER_UP_TO = 100_000  # Pareto/NBD first: minutes at 1 M customers (see the note)
START, END = datetime(2023, 1, 1), date(2024, 12, 31)
LADDERS = {"bgnbd first": ["bgnbd", "paretonbd", "mbgnbd"], "default": None}
T = TypeVar("T")


def timed(action: Callable[[], T]) -> tuple[T, float]:
    """The action's result and its wall time in seconds."""
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def simulate(customers: int) -> pl.DataFrame:
    """Purchase lines of `customers` BG/NBD customers born uniformly over two years."""
    rng = np.random.default_rng(7)
    weeks = (END - START.date()).days / 7
    lam = rng.gamma(0.75, 1 / 6.0, customers)
    p = rng.beta(0.6, 3.5, customers)
    owners, times = purchase_times(rng, lam, p, rng.random(customers) * weeks, weeks)
    return simulated_purchases(rng, owners, times, START)


def rfm_stand_in(purchases: pl.DataFrame) -> pl.DataFrame:
    """The RFM columns the CLV chapter joins (its profiles), without the RFM chapter."""
    return purchases.group_by("customer_id").agg(
        ((pl.lit(END) - pl.col("invoice_date").max().dt.date()).dt.total_days())
        .alias("recency_days"),
        pl.col("invoice").n_unique().alias("frequency"), pl.col("revenue").sum().alias("monetary"),
        pl.lit("champions").alias("segment"))


def our_fit(purchases: pl.DataFrame) -> float:
    """Seconds for our BG/NBD fit alone (the NBD reference included) on the same summary,
    compressed to distinct histories."""
    data = summary_arrays(compressed_summary(customer_summary(purchases, END, 7)))
    return timed(lambda: fit_purchase_model(data, ["bgnbd"], [0.0], 3.84, True))[1]


def lifetimes_fit(purchases: pl.DataFrame, customers: int) -> tuple[float, float | None]:
    """Seconds for lifetimes' BG/NBD fit on one row per customer, and for its own summary
    (None above LIFETIMES_SUMMARY_UP_TO customers)."""
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import summary_data_from_transaction_data

    summarising = None
    if customers <= LIFETIMES_SUMMARY_UP_TO:
        frame = purchases.select("customer_id", "invoice_date").to_pandas()
        _, summarising = timed(lambda: summary_data_from_transaction_data(
            frame, "customer_id", "invoice_date", observation_period_end=str(END), freq="W"))
    summary = customer_summary(purchases, END, 7)
    x, t_x, age = (summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    with quiet_numerics():
        _, fitting = timed(lambda: BetaGeoFitter().fit(x, t_x, age))
    return fitting, summarising


def main() -> None:
    """One row per size: our chapter under both ladders, lifetimes, and the ratio."""
    print("BG/NBD fit alone: ours on distinct histories vs lifetimes on one row per customer")
    print(f"{'customers':>9} {'lines':>10} {'ours':>8} {'lifetimes':>10} {'(+summary)':>10} "
          f"{'ratio':>6}")
    fits = {}
    for customers in SIZES:
        purchases = simulate(customers)
        fitting, summarising = lifetimes_fit(purchases, customers)
        ours = our_fit(purchases)
        fits[customers] = fitting
        print(f"{customers:>9,} {purchases.height:>10,} {ours:>7.2f}s {fitting:>9.2f}s "
              f"{(f'{summarising:.1f}s' if summarising else '-'):>10} {fitting / ours:>5.1f}x",
              flush=True)
    print("\nWhole CLV chapter (ladder, 3 backtests, Gamma-Gamma, intervals, forecast) vs "
          "lifetimes' BG/NBD fit alone (target at 1 M: <= 10 s and ratio >= 10)")
    print(f"{'customers':>9} {'ladder':>12} {'model':>10} {'chapter':>8} {'lifetimes':>10} "
          f"{'ratio':>6}")
    for customers in SIZES:
        purchases = simulate(customers)
        rfm = rfm_stand_in(purchases)
        for ladder, models in LADDERS.items():
            if models is None and customers > DEFAULT_LADDER_UP_TO:
                continue
            params = ClvConfig(models=models) if models else ClvConfig()
            result, seconds = timed(partial(clv_analysis, purchases, rfm, END, params))
            label = result.model.label if result.model else "none"
            print(f"{customers:>9,} {ladder:>12} {label:>10} {seconds:>7.2f}s "
                  f"{fits[customers]:>9.2f}s {fits[customers] / seconds:>5.2f}x", flush=True)


if __name__ == "__main__":
    main()
