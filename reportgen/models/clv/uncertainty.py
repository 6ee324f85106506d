"""How well a fit pins its parameters down: the negative log-likelihood's Hessian at the fit,
taken numerically in log-parameters, gives the parameters' approximate covariance and their
95 % ranges (what the page shows and what `identification` judges dropout by). When the
curvature is not positive definite (a fit at a boundary), there is none.

The forecast totals' ranges are not drawn from these: they come from the model's misses in the
rolling backtest windows (`holdout`), which include model error.
"""

from __future__ import annotations

import numpy as np

from reportgen.models.clv.purchase import (
    PARAM_MAX,
    PARAM_MIN,
    PurchaseModel,
    SummaryArrays,
    log_likelihood_slope,
    process,
)

STEP = 1e-3  # finite-difference step in log-parameters


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
