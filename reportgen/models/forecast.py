"""Forecasts judged by their own record: a bias correction and a prediction interval learnt
from how far earlier forecasts made the same way missed.

A forecast F of a positive quantity is judged by its log error, log(actual / F). Errors of a
model that cannot see a season or a trend come in runs (a model that fell short last month
tends to fall short again), so each forecast is first corrected by the smoothed bias of the
errors known when it is made:

    b = exponentially weighted mean of the earlier log errors (weight BIAS_WEIGHT on the
        latest; 0 before any), corrected forecast C = F x exp(b).

The corrected forecasts' own log errors c_1..c_n, of the months that had ended by then, give
its interval, taking the next one to come from the same normal distribution:

    C x exp(mean(c) -/+ t x sd(c) x sqrt(1 + 1/n)),

t the Student quantile with n - 1 degrees of freedom at (1 + level) / 2: the prediction
interval of one more draw. Its width comes from what happened to forecasts made the same way,
not from the model's parameter uncertainty.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import stdtrit  # Student's t quantile, as scipy.stats.t.ppf computes it

MIN_ERRORS = 3  # earlier forecasts needed for an interval
BIAS_WEIGHT = 0.5


@dataclass(frozen=True)
class JudgedForecast:
    """One forecast after correction: the model's, the corrected one and its interval."""

    model: float
    bias_factor: float  # exp(b): what the model's forecast is multiplied by
    corrected: float
    low: float | None  # None: fewer than MIN_ERRORS earlier forecasts to judge from
    high: float | None


def log_error(actual: float, forecast: float) -> float | None:
    """log(actual / forecast); None unless both are positive."""
    if actual <= 0 or forecast <= 0:
        return None
    return math.log(actual / forecast)


def prediction_factors(errors: Sequence[float], level: float) -> tuple[float, float] | None:
    """The factors (low, high) to multiply a forecast by for its `level` interval, from the
    log errors of earlier forecasts; None with fewer than MIN_ERRORS of them."""
    if len(errors) < MIN_ERRORS:
        return None
    values = np.asarray(errors, dtype=float)
    n = values.size
    centre, spread = float(values.mean()), float(values.std(ddof=1))
    half = float(stdtrit(n - 1, (1 + level) / 2)) * spread * math.sqrt(1 + 1 / n)
    return math.exp(centre - half), math.exp(centre + half)


def judged_forecasts(forecasts: Sequence[float], actuals: Sequence[float | None],
                     level: float) -> list[JudgedForecast]:
    """Each forecast of a sequence (one per step, oldest first; the actual None where the step
    is still ahead) corrected by the smoothed bias of the earlier steps' errors, with the
    interval from the earlier corrected forecasts' errors. A step's error is known to the
    steps after it."""
    bias = 0.0
    seen = False
    corrected_errors: list[float] = []
    judged = []
    for forecast, actual in zip(forecasts, actuals, strict=True):
        factor = math.exp(bias)
        corrected = forecast * factor
        interval = prediction_factors(corrected_errors, level)
        judged.append(JudgedForecast(forecast, factor, corrected,
                                     corrected * interval[0] if interval else None,
                                     corrected * interval[1] if interval else None))
        if actual is None:
            continue
        error, after = log_error(actual, forecast), log_error(actual, corrected)
        if error is None or after is None:
            continue
        bias = error if not seen else BIAS_WEIGHT * error + (1 - BIAS_WEIGHT) * bias
        seen = True
        corrected_errors.append(after)
    return judged
