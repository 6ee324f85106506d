"""Forecasts judged by their own record: the interval covers what it says, whether the
model's errors are independent or come in runs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reportgen.models.forecast import judged_forecasts, log_error, prediction_factors


def test_too_few_errors_give_no_interval() -> None:
    assert prediction_factors([0.1, -0.2], 0.8) is None
    first = judged_forecasts([100.0, 100.0, 100.0], [110.0, 90.0, None], 0.8)
    assert all(f.low is None for f in first)


def test_the_interval_is_the_t_prediction_interval_of_the_log_errors() -> None:
    errors = [0.1, -0.1, 0.2, 0.0]
    low, high = prediction_factors(errors, 0.8) or (0.0, 0.0)
    mean, sd = 0.05, float(np.std(errors, ddof=1))
    half = 1.6377443572159062 * sd * math.sqrt(1 + 1 / 4)  # t(0.9, 3 df)
    assert (math.log(low), math.log(high)) == pytest.approx((mean - half, mean + half))
    assert log_error(110.0, 100.0) == pytest.approx(math.log(1.1))
    assert log_error(0.0, 100.0) is None


def test_the_bias_correction_follows_the_smoothed_earlier_errors() -> None:
    judged = judged_forecasts([100.0, 100.0, 100.0], [200.0, 100.0, None], 0.8)
    assert judged[0].corrected == 100.0
    assert judged[1].bias_factor == pytest.approx(2.0)  # the first error, log 2
    assert judged[2].bias_factor == pytest.approx(math.exp(0.5 * 0 + 0.5 * math.log(2)))


@pytest.mark.parametrize(("drift", "expected"), [(0.0, 0.84), (0.15, 0.80)],
                         ids=["independent errors", "errors in runs"])
def test_eighty_percent_intervals_cover_about_eighty_percent(drift: float,
                                                             expected: float) -> None:
    # Model forecasts of a positive quantity whose log errors are a bias, a random walk of
    # step `drift` (a season the model cannot see) and independent noise: over many
    # sequences of 24 months, about 80 % of the judged months fall inside their interval.
    # Independent errors: correcting for a run that is not there widens the errors a little,
    # so the interval is slightly conservative (84 % measured).
    rng = np.random.default_rng(11)
    inside = []
    for _ in range(400):
        walk = 0.2 + np.cumsum(rng.normal(0, drift, 24)) if drift else np.full(24, 0.2)
        errors = walk + rng.normal(0, 0.15, 24)
        forecasts = rng.uniform(500, 1500, 24)
        actuals = forecasts * np.exp(errors)
        judged = judged_forecasts(list(forecasts), list(actuals), 0.8)
        inside += [f.low <= a <= f.high for f, a in zip(judged, actuals, strict=True)
                   if f.low is not None and f.high is not None]
    assert np.mean(inside) == pytest.approx(expected, abs=0.02)
