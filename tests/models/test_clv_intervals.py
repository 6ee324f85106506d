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


@pytest.mark.slow  # four simulated populations, eight fits each
def test_rolling_window_ranges_hold_about_as_often_as_they_say() -> None:
    # BG/NBD customers (r 0.8, alpha 12 weeks, dropout Beta(0.7, 3)) arriving over two years:
    # each window's 90 % range, made from the other windows' misses, held in 31 of 32 when
    # written (0.97: with eight windows to learn from, a little conservative).
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
        assert len(windows) == 8
        inside, count = held_out_coverage(windows)
        held += inside
        judged += count
    assert judged == 32
    assert 0.8 <= held / judged <= 1.0
