"""How uncertain a forecast total is: parameter draws from the fitted model's likelihood
curvature (a parametric bootstrap), plus the Poisson noise of the purchases themselves.

The negative log-likelihood's Hessian at the fit, taken numerically in log-parameters, gives
the parameters' approximate covariance; parameter vectors are drawn from that normal, each
turned into a model, and the total recomputed under each. A total's interval is the 5th to 95th
percentile of those recomputed totals, each scaled by Poisson(n) / n for n expected purchases.
A drawn model's total is taken as the fitted total times the ratio of the two on a sample of
at most SAMPLE_ROWS distinct customer histories: the ratio, not the total, is what the draws
move, and the sample keeps 200 draws cheap on millions of customers.
When the curvature is not positive definite (a fit at a boundary), no interval is given.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from reportgen.models.clv.purchase import (
    PARAM_MAX,
    PARAM_MIN,
    PurchaseModel,
    SummaryArrays,
    log_likelihood_slope,
    process,
    quiet_numerics,
)

DRAWS = 200
STEP = 1e-3  # finite-difference step in log-parameters
INTERVAL = (5.0, 95.0)  # a 90 % interval
SAMPLE_ROWS = 1_000  # distinct customer histories a drawn model is evaluated on


def parameter_covariance(model: PurchaseModel, data: SummaryArrays) -> np.ndarray | None:
    """Covariance of the log-parameters from the negative log-likelihood's Hessian (central
    differences of its analytic gradient); None when it is not positive definite."""
    names = list(model.params)
    centre = np.log([model.params[name] for name in names])

    def slope(point: np.ndarray) -> np.ndarray:
        params = dict(zip(names, np.exp(point).tolist(), strict=True))
        return -log_likelihood_slope(model.name, params, data)

    size = len(names)
    hessian = np.zeros((size, size))
    for i in range(size):
        step = np.zeros(size)
        step[i] = STEP
        hessian[:, i] = (slope(centre + step) - slope(centre - step)) / (2 * STEP)
    hessian = (hessian + hessian.T) / 2
    if not np.all(np.isfinite(hessian)):
        return None
    try:
        covariance = np.linalg.inv(hessian)
        np.linalg.cholesky(covariance)
    except np.linalg.LinAlgError:
        return None
    return covariance


def parameter_intervals(model: PurchaseModel, covariance: np.ndarray | None,
                        z: float = 1.96) -> dict[str, tuple[float, float]] | None:
    """95 % intervals of the parameters (normal in log-parameters); None when the curvature
    gives none."""
    if covariance is None:
        return None
    errors = np.sqrt(np.diag(covariance))
    bounds = np.log(PARAM_MIN), np.log(PARAM_MAX)  # the fit's; a ridge runs past them
    return {name: (float(np.exp(np.clip(np.log(model.params[name]) - z * error, *bounds))),
                   float(np.exp(np.clip(np.log(model.params[name]) + z * error, *bounds))))
            for name, error in zip(model.params, errors, strict=True)}


def with_params(model: PurchaseModel, params: dict[str, float]) -> PurchaseModel:
    """The same model with other parameters (not refitted)."""
    return PurchaseModel(process(model.name, params), model.log_likelihood, model.penalizer)


def parameter_draws(model: PurchaseModel, covariance: np.ndarray | None, seed: int,
                    draws: int = DRAWS) -> list[PurchaseModel] | None:
    """Models with parameters drawn around the fit (parameter_covariance); None when the
    curvature gives no interval."""
    if covariance is None:
        return None
    names = list(model.params)
    rng = np.random.default_rng(seed)
    centre = np.log([model.params[name] for name in names])
    # Clipped to the bounds the fit searched: along a ridge (Pareto/NBD's s and beta growing
    # together) the draws would otherwise run past what a float holds, to the same model.
    points = np.clip(rng.multivariate_normal(centre, covariance, size=draws),
                     math.log(PARAM_MIN), math.log(PARAM_MAX))
    return [with_params(model, dict(zip(names, np.exp(point).tolist(), strict=True)))
            for point in points]


def row_sample(data: SummaryArrays, values: np.ndarray, seed: int,
               most: int = SAMPLE_ROWS) -> tuple[SummaryArrays, np.ndarray]:
    """At most `most` rows of (compressed) summary arrays and their values, drawn without
    replacement; all of them when there are fewer. Only ratios are taken on a sample."""
    rows = data.frequency.size
    if rows <= most:
        return data, values
    chosen = np.sort(np.random.default_rng(seed).choice(rows, most, replace=False))
    return SummaryArrays(data.frequency[chosen], data.recency[chosen], data.T[chosen],
                         data.weight[chosen]), values[chosen]


def total_interval(
    models: list[PurchaseModel] | None,
    ratio: Callable[[PurchaseModel], float],
    estimate: float,
    purchases: float,
    seed: int,
) -> tuple[float, float] | None:
    """A 90 % interval for a total. `ratio` gives a drawn model's total over the fitted
    model's (on a sample of customers); the total under a draw is estimate x ratio, scaled by
    the Poisson noise of the `purchases` it rests on. None without draws; the interval always
    contains the estimate itself."""
    if not models:
        return None
    rng = np.random.default_rng(seed)
    values = []
    with quiet_numerics():
        for model in models:
            change = ratio(model)
            expected = purchases * change
            noise = rng.poisson(expected) / expected if expected > 0 else 1.0
            values.append(estimate * change * noise)
    low, high = np.percentile(np.asarray(values, dtype=float), INTERVAL)
    if not (np.isfinite(low) and np.isfinite(high)):
        return None
    return float(min(low, estimate)), float(max(high, estimate))
