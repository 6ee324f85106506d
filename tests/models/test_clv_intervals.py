"""The CLV's 90 % ranges, made of the model's misses in rolling windows, hold about as often
as they say on simulated customers whose parameters are known."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest

from reportgen.config import ClvConfig
from reportgen.demo_data import simulate_customers, simulated_purchases
from reportgen.models.clv.holdout import held_out_coverage, rolling_errors
from reportgen.models.clv.summary import daily_purchases


@pytest.mark.slow  # four simulated populations, six fits each
def test_rolling_window_ranges_hold_about_as_often_as_they_say() -> None:
    # BG/NBD customers (r 0.8, alpha 12 weeks, dropout Beta(0.7, 3)) arriving over two years:
    # each window's 90 % range, made from the other windows' misses, held in 21 of 24 when
    # written (0.88; six windows a population, each judged on the other five).
    held = judged = 0
    for seed in (1, 2, 3, 4):
        rng = np.random.default_rng(seed)
        customers = 2_000
        simulated = simulate_customers(
            rng, rng.gamma(0.8, 1 / 12.0, customers), rng.beta(0.7, 3.0, customers),
            rng.uniform(0, 104, customers), 104.0, 0.0, datetime(2023, 1, 2))
        bought = daily_purchases(simulated_purchases(rng, simulated.owners, simulated.times,
                                                     datetime(2023, 1, 2)))
        end = date(2023, 1, 2) + timedelta(weeks=104)
        windows = rolling_errors(bought, end, ClvConfig(models=["bgnbd"]), "bgnbd")
        assert len(windows) == 6
        inside, count = held_out_coverage(windows)
        held += inside
        judged += count
    assert judged == 24
    assert 0.8 <= held / judged <= 1.0


def test_each_clv_group_gets_its_range_from_its_own_quarter_in_the_windows() -> None:
    from reportgen.models.clv.holdout import WindowError, group_factors, quarter_sums

    predicted = np.array([8.0, 1.0, 4.0, 2.0, 6.0, 3.0, 7.0, 5.0])
    actual = np.arange(8, dtype=float)
    # A: the two highest predictions (8 and 7: customers 0 and 6), then B, C and D.
    assert quarter_sums(predicted, actual) == {"A": (15.0, 6.0), "B": (11.0, 11.0),
                                               "C": (7.0, 7.0), "D": (3.0, 4.0)}
    windows = tuple(
        WindowError(date(2024, 1, 1) + timedelta(weeks=4 * k), 1.0, 1.0, 1.0, 1.0, {},
                    {"A": (100.0, 100.0 * ratio), "B": (10.0, 10.0)})
        for k, ratio in enumerate((0.8, 1.0, 1.2, 0.9)))
    factors = group_factors(windows)
    assert set(factors) == {"A", "B"}  # C and D: no windows, no range
    low, high = factors["A"]
    assert low < 0.8 and high > 1.2 and factors["B"] == pytest.approx((1.0, 1.0))


def test_each_segment_is_judged_on_the_customers_earlier_reports_put_in_it() -> None:
    import polars as pl

    from reportgen.models.clv.holdout import segment_sums

    calibration = pl.DataFrame({"customer_id": ["a", "b", "c", "d"]})
    segments = pl.DataFrame({"customer_id": ["a", "b", "c"],
                             "segment": ["hibernating", "champions", "hibernating"]})
    sums = segment_sums(calibration, segments, np.array([1.0, 5.0, 2.0, 9.0]),
                        np.array([2.0, 4.0, 4.0, 1.0]))
    assert sums == {"champions": (5.0, 4.0), "hibernating": (3.0, 6.0)}  # d: no segment
