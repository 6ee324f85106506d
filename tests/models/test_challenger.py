"""The challenger's features: its own from the purchase days, and the caller's as of the same
cut-off."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from reportgen.models.clv.challenger import FEATURES, features


def test_features_are_known_at_the_cut_off_and_extra_ones_are_joined() -> None:
    days = pl.DataFrame({
        "customer_id": ["a", "a", "a", "b"],
        "day": [date(2024, 1, 1), date(2024, 3, 1), date(2024, 6, 1), date(2024, 2, 1)],
        "value": [10.0, 30.0, 99.0, 5.0],
    })
    seen: list[date] = []

    def extra(cutoff: date) -> pl.DataFrame:
        seen.append(cutoff)
        return pl.DataFrame({"customer_id": ["a"], "return_share": [0.25]})

    rows = features(days, date(2024, 3, 31), extra)
    assert seen == [date(2024, 3, 31)]
    assert rows.columns == ["customer_id", *FEATURES, "return_share"]
    a, b = rows.sort("customer_id").iter_rows(named=True)
    # a: bought 1 Jan and 1 Mar by the cut-off (the June purchase is not known yet).
    assert (a["days"], a["total_value"], a["recency_days"], a["tenure_days"]) == (
        2.0, 40.0, 30.0, 90.0)
    assert a["mean_gap"] == pytest.approx(60.0) and a["days_90"] == 1.0
    assert a["return_share"] == 0.25 and b["return_share"] == 0.0  # none known: 0


@pytest.mark.slow  # grows the trees three times
def test_predictions_made_ahead_in_a_thread_are_those_made_alone() -> None:
    """ChallengerAhead trains and predicts the latest and previous backtest windows beside the
    rolling windows' fits: the same rows, purchases, values and training rows as alone."""
    from datetime import datetime, timedelta

    import numpy as np

    from reportgen.config import ClvConfig
    from reportgen.demo_data import purchase_times, simulated_purchases
    from reportgen.models.clv.challenger import challenger_predictions
    from reportgen.models.clv.holdout import ChallengerAhead
    from reportgen.models.clv.summary import purchase_days

    rng = np.random.default_rng(31)
    customers, weeks = 400, 104.0
    owners, times = purchase_times(rng, rng.gamma(0.75, 1 / 6.0, customers),
                                   rng.beta(0.6, 3.5, customers),
                                   rng.random(customers) * weeks, weeks)
    purchases = simulated_purchases(rng, owners, times, datetime(2023, 1, 1))
    params, end = ClvConfig(), date(2024, 12, 29)
    ahead = ChallengerAhead(purchases, end, params)
    step = timedelta(weeks=params.backtest_weeks)
    calibration_end = end - 2 * step  # the second window the thread makes
    alone = challenger_predictions(purchase_days(purchases, None, calibration_end + step),
                                   calibration_end, ahead.horizon_days)
    made = ahead.predictions(calibration_end)
    assert alone is not None and made is not None
    assert made[0].equals(alone[0]) and made[3] == alone[3] > 0
    np.testing.assert_array_equal(made[1], alone[1])
    np.testing.assert_array_equal(made[2], alone[2])
