"""CLV at scale: summary, BG/NBD fit and prediction for 10k, 100k and 1M simulated customers.

Customers follow BG/NBD (r=0.75, alpha=6, a=0.6, b=3.5, weekly) over two years, one purchase
line per purchase. The fit is timed on rows compressed to unique (frequency, recency, T) with
weights, and on one row per customer. The baseline is one Polars pass over the same
purchases (purchase count per customer), measured in the same process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar

import numpy as np
import polars as pl

from reportgen.chapters.clv.analysis import lifetime_value
from reportgen.chapters.clv.customer_summary import compressed_summary, customer_summary, summary_arrays
from reportgen.chapters.clv.purchase_models import fit_purchase_model
from reportgen.chapters.clv.spend_model import fit_spend_model
from reportgen.demo_data import purchase_times, simulated_purchases

SIZES = (10_000, 100_000, 1_000_000)
START, END = datetime(2023, 1, 1), date(2024, 12, 31)
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


def benchmark_size(customers: int, compress: bool) -> str:
    """One table row for a size and a fitting mode."""
    purchases = simulate(customers)
    _, baseline = timed(lambda: purchases.group_by("customer_id").agg(pl.len()))
    summary, summarising = timed(lambda: customer_summary(purchases, END, 7))
    rows = compressed_summary(summary) if compress else summary
    fit, fitting = timed(lambda: fit_purchase_model(summary_arrays(rows), ["bgnbd"], [0.0],
                                                    3.84, True))
    model = fit.model
    assert model is not None

    def predict() -> np.ndarray:
        data = summary_arrays(summary)
        monetary = summary["monetary_value"].to_numpy()
        spend = fit_spend_model(data.frequency, monetary, 40.0, [0.0], 0.3)
        model.p_alive(data.frequency, data.recency, data.T)
        value = spend.expected_value(data.frequency, monetary)
        return lifetime_value(model, data.frequency, data.recency, data.T, value, 3, 0.01,
                              4.345)

    _, predicting = timed(predict)
    total = summarising + fitting + predicting
    return (
        f"{customers:>9,} {purchases.height:>10,} {'yes' if compress else 'no':>8} "
        f"{rows.height:>9,} {baseline:>8.3f}s {summarising:>7.2f}s {fitting:>7.2f}s "
        f"{predicting:>7.2f}s {total:>7.2f}s {total / baseline:>7.0f}x  r={model.params['r']:.3f}"
    )


def main() -> None:
    """Print one row per size and mode."""
    print(f"{'customers':>9} {'lines':>10} {'compress':>8} {'fit rows':>9} {'baseline':>9} "
          f"{'summary':>8} {'fit':>8} {'predict':>8} {'total':>8} {'ratio':>8}")
    for customers in SIZES:
        for compress in (True, False):
            print(benchmark_size(customers, compress), flush=True)
