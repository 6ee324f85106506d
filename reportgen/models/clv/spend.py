"""Expected value per purchase: Gamma-Gamma (Fader, Hardie & Lee 2005), checked and guarded.

Gamma-Gamma is fitted on customers with repeat purchases and positive spend. Its assumption
that spend does not depend on purchase frequency is checked (Pearson correlation), and its
population mean p*v/(q-1) only exists for q > 1. When no penalizer gives a usable fit, or
the backtest finds it no better, each customer's shrunk mean is used instead: their own mean
spend, pulled towards everyone's by SHRINK_PURCHASES purchases' weight.

The models are fitted as lifetimes fits them (repeat purchases), but a customer's expected
value counts every purchase they made, the first included (`expected_values`): a customer
who bought once is valued from their own first purchase, shrunk towards the population, never
at the population's mean alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import polars as pl
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from reportgen.models.clv.purchase import mean_negative_objective, quiet_numerics
from reportgen.models.messages import first_line

MIN_REPEAT_CUSTOMERS = 20
SHRINK_PURCHASES = 2.0  # the weight, in purchases, of the population mean in a shrunk mean


@dataclass(frozen=True)
class SpendModel:
    """How the expected value of a future purchase is estimated, with the checks made."""

    method: Literal["gamma-gamma", "shrunk mean"]
    params: dict[str, float]
    penalizer: float | None
    repeat_customers: int
    frequency_spend_correlation: float | None
    population_mean: float
    warnings: tuple[str, ...]

    def expected_values(self, summary: pl.DataFrame) -> np.ndarray:
        """Expected value of each next purchase of the summary's customers, from all their
        purchase days, the first included (`purchase_days`, `mean_value`)."""
        return self.expected_value(summary["purchase_days"].to_numpy(),
                                   summary["mean_value"].to_numpy())

    def expected_value(self, frequency: np.ndarray, monetary: np.ndarray) -> np.ndarray:
        """Expected value of a next purchase of a customer with `frequency` purchases of mean
        value `monetary` (the Gamma-Gamma posterior mean, or the shrunk mean)."""
        frequency = np.asarray(frequency, dtype=float)
        monetary = np.asarray(monetary, dtype=float)
        if self.method == "gamma-gamma":
            p, q, v = self.params["p"], self.params["q"], self.params["v"]
            return np.asarray((p * (v + frequency * monetary)) / (p * frequency + q - 1))
        return np.asarray((frequency * monetary + SHRINK_PURCHASES * self.population_mean)
                          / (frequency + SHRINK_PURCHASES))


def fit_spend_model(
    frequency: np.ndarray,
    monetary: np.ndarray,
    fallback_mean: float,
    penalizers: list[float],
    max_correlation: float,
) -> SpendModel:
    """Fit Gamma-Gamma on repeat customers; fall back to observed means when it cannot be used.

    `fallback_mean` is the mean value of a purchase day over all customers, used for
    customers without repeats when there are too few repeat customers to learn from.
    """
    repeaters = (frequency > 0) & (monetary > 0)
    x, m = frequency[repeaters].astype(float), monetary[repeaters].astype(float)
    correlation = _correlation(x, m)
    warnings: list[str] = []
    if correlation is not None and abs(correlation) >= max_correlation:
        warnings.append(
            f"Spend per purchase correlates with purchase frequency (r = {correlation:.2f}); "
            "Gamma-Gamma assumes they are independent, so treat value forecasts with care."
        )
    if x.size < MIN_REPEAT_CUSTOMERS:
        warnings.append(
            f"Only {x.size} customers with repeat purchases: too few for Gamma-Gamma; each "
            "customer's shrunk mean spend is used."
        )
        return replace(shrunk_mean_model(frequency, monetary, fallback_mean),
                       frequency_spend_correlation=correlation, warnings=tuple(warnings))
    problems = []
    for penalizer in penalizers:
        try:
            with quiet_numerics():
                params = fit_gamma_gamma(x, m, penalizer)
        except Exception as exc:  # no convergence and numeric failures alike
            problems.append(f"penalizer {penalizer:g}: {first_line(exc)}")
            continue
        if not all(math.isfinite(v) and v > 0 for v in params.values()):
            problems.append(f"penalizer {penalizer:g}: non-finite parameters")
            continue
        if params["q"] <= 1:
            problems.append(f"penalizer {penalizer:g}: q = {params['q']:.2f} ≤ 1")
            continue
        population_mean = params["p"] * params["v"] / (params["q"] - 1)
        return SpendModel("gamma-gamma", params, penalizer, int(x.size), correlation,
                          population_mean, tuple(warnings))
    warnings.append(
        "Gamma-Gamma could not be used (" + "; ".join(problems) + "); each customer's shrunk "
        "mean spend is used instead."
    )
    return replace(shrunk_mean_model(frequency, monetary, fallback_mean),
                   frequency_spend_correlation=correlation, warnings=tuple(warnings))


def fit_gamma_gamma(frequency: np.ndarray, monetary: np.ndarray, penalizer: float
                    ) -> dict[str, float]:
    """Gamma-Gamma's p, q and v fitted as lifetimes fits them (its likelihood and penalty,
    BFGS in log-parameters from 0.1 each, tolerance 1e-7) with the gradient written out
    instead of traced by autograd. Per customer (Fader & Hardie's
    note 025, eq. 1a): lnG(px + q) - lnG(px) - lnG(q) + q ln v + (px - 1) ln m + px ln x
    - (px + q) ln(xm + v)."""
    x, m = frequency, monetary
    log_m, log_x, n = np.log(m), np.log(x), float(x.size)
    # Log-gamma and digamma terms depend on the frequency alone: once per distinct frequency.
    level, inverse = np.unique(x, return_inverse=True)
    count = np.bincount(inverse).astype(float)

    def likelihood(params: np.ndarray) -> tuple[float, np.ndarray]:
        p, q, v = (float(value) for value in params)
        log_total = np.log(x * m + v)
        both = digamma(p * level + q)
        value = float(count @ (gammaln(p * level + q) - gammaln(p * level)) - n * gammaln(q)
                      + n * q * np.log(v) + ((p * x - 1) * log_m + p * x * log_x
                                             - (p * x + q) * log_total).sum())
        return value, np.array([
            count @ (level * (both - digamma(p * level)))
            + (x * (log_m + log_x - log_total)).sum(),
            count @ both - n * digamma(q) + n * np.log(v) - log_total.sum(),
            n * q / v - ((p * x + q) / (x * m + v)).sum(),
        ])

    negative_and_gradient = mean_negative_objective(likelihood, n, penalizer)
    result = minimize(negative_and_gradient, np.full(3, 0.1), jac=True, method="BFGS", tol=1e-7)
    if not result.success:
        raise RuntimeError(f"Gamma-Gamma did not converge ({result.message})")
    p, q, v = (float(value) for value in np.exp(result.x))
    return {"p": p, "q": q, "v": v}


def shrunk_mean_model(frequency: np.ndarray, monetary: np.ndarray,
                      fallback_mean: float = 0.0) -> SpendModel:
    """Each customer's mean spend per repeat purchase, shrunk towards the mean of all repeat
    purchases (`fallback_mean` when nobody repeated)."""
    repeaters = (frequency > 0) & (monetary > 0)
    x, m = frequency[repeaters].astype(float), monetary[repeaters].astype(float)
    mean = float((x * m).sum() / x.sum()) if x.size else fallback_mean
    return SpendModel("shrunk mean", {}, None, int(x.size), _correlation(x, m), mean, ())


def _correlation(x: np.ndarray, m: np.ndarray) -> float | None:
    if x.size < 3 or np.std(x) == 0 or np.std(m) == 0:
        return None
    return float(np.corrcoef(x, m)[0, 1])
