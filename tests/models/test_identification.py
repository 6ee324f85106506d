"""A dropout model is kept only where its dropout is identified, and its P(alive) printed only
where the backtest shows it separates who buys again."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from reportgen.chapters.clv.analysis import _identified_fit
from reportgen.config import ClvConfig
from reportgen.demo_data import simulate_customers, simulated_purchases
from reportgen.models.clv.identification import (
    lapsed_buy_less,
    p_alive_refused,
    unidentified_dropout,
)
from reportgen.models.clv.purchase import fit_purchase_model
from reportgen.models.clv.summary import (
    compressed_summary,
    customer_summary,
    daily_purchases,
    summary_arrays,
)

START = datetime(2023, 1, 2)


def bg_nbd_summary(a: float, b: float, weeks: int, customers: int) -> pl.DataFrame:
    """The summary of BG/NBD customers (r 0.8, alpha 12 weeks) with dropout Beta(a, b),
    arriving over the first half of `weeks`."""
    rng = np.random.default_rng(5)
    rates = rng.gamma(0.8, 1 / 12.0, customers)
    dropout = rng.beta(a, b, customers)
    simulated = simulate_customers(rng, rates, dropout, rng.uniform(0, weeks / 2, customers),
                                   float(weeks), 0.0, START)
    purchases = simulated_purchases(rng, simulated.owners, simulated.times, START)
    end = date(2023, 1, 2) + timedelta(weeks=weeks)
    return customer_summary(daily_purchases(purchases), end, 7)


@pytest.mark.slow  # simulates and fits two populations
def test_dropout_is_kept_where_identified_and_refused_where_it_is_not() -> None:
    # Clear dropout (mean 1 in 5 purchases the last) over two years: identified.
    clear = summary_arrays(compressed_summary(bg_nbd_summary(0.7, 3.0, 104, 4_000)))
    model = fit_purchase_model(clear, ["bgnbd"], [0.0], 3.84, True).model
    assert model is not None and model.name == "bgnbd"
    assert unidentified_dropout(model, clear) is None
    # Rare dropout (1 in 100) over a year: the likelihood ratio passes (8.8 > 3.84), but b
    # is known only to lie between about 0.5 and 49: refused, and no dropout is used.
    weak_summary = bg_nbd_summary(0.3, 30.0, 52, 2_000)
    weak = summary_arrays(compressed_summary(weak_summary))
    model = fit_purchase_model(weak, ["bgnbd"], [0.0], 3.84, True).model
    assert model is not None and model.name == "bgnbd"
    why = unidentified_dropout(model, weak)
    assert why is not None and "b's 95 % range" in why
    fit = _identified_fit(weak_summary, ClvConfig(models=["bgnbd"]), None)
    assert fit.model is not None and fit.model.name == "nbd"
    assert fit.attempts[0].outcome == "unidentified"
    assert fit.reason.startswith("BG/NBD refused: its dropout parameter b")


def test_p_alive_must_separate_who_buys_again_among_customers_alike() -> None:
    frequency = np.array([1] * 40 + [5] * 40)
    p_alive = np.array([0.1] * 20 + [0.9] * 20 + [0.1] * 20 + [0.9] * 20)
    # Within each band the lapsed buy far less: 2 in 20 against 10 in 20, 4 in 20 against 16.
    bought = np.zeros(80, dtype=bool)
    bought[[0, 1]] = bought[20:30] = bought[40:44] = bought[60:76] = True
    check = lapsed_buy_less(p_alive, bought, frequency)
    assert check == pytest.approx((0.15, 0.65, 40))
    assert p_alive_refused(check) is None
    # The same share in both groups within each band: refused, with the figures.
    bought[:] = False
    bought[[0, 1, 20, 21, 40, 41, 60, 61]] = True
    assert "10% of the repeat customers" in (p_alive_refused(
        lapsed_buy_less(p_alive, bought, frequency)) or "")
    # One-purchase customers are not judged, and too few lapsed ones are not enough.
    assert lapsed_buy_less(p_alive, bought, np.zeros(80)) == (0.0, 0.0, 0)
    assert "too few" in (p_alive_refused((0.0, 0.5, 5)) or "")
