"""The Pareto/NBD likelihood and P(alive) are right and finite, also where lifetimes' are NaN."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from conftest import central_difference
from lifetimes import ParetoNBDFitter
from scipy.integrate import quad

from reportgen.models.clv import pareto

# (r, alpha, s, beta): CDNOW's fit; ordinary dropout; and fits heading for "no dropout", where
# s and beta grow together (SciPy's 2F1 is NaN there), or where alpha > beta and s is large
# (2F1 overflows).
PARAMS = [
    (0.55, 10.6, 0.6, 11.7),
    (1.0, 1.0, 1.0, 1.5),
    (2.0, 0.5, 50.0, 3.0),
    (0.3, 200.0, 0.1, 0.01),
    (0.8, 8.3, 7383.0, 338272.0),
    (1.0, 10.0, 1e6, 1e7),
    (0.5, 1.0, 2000.0, 1e5),
    (1.2, 30.0, 3000.0, 20.0),
]


def histories(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 20, 40).astype(float)
    T = rng.uniform(0.1, 10.0, 40)
    t_x = np.where(x > 0, T * rng.uniform(0.0, 1.0, 40), 0.0)
    t_x[:3] = T[:3]  # bought on the last day observed
    return x, t_x, T


def integral_by_scipy(r: float, alpha: float, s: float, beta: float, x: float, t_x: float,
                      T: float) -> float:
    if t_x >= T:
        return -math.inf
    shift = (r + x) * math.log(alpha + t_x) + (s + 1) * math.log(beta + t_x)
    value, _ = quad(lambda u: math.exp(shift - (r + x) * math.log(alpha + u)
                                       - (s + 1) * math.log(beta + u)),
                    t_x, T, epsabs=0.0, epsrel=1e-10, limit=500)
    return math.log(value) - shift


@pytest.mark.parametrize("params", PARAMS)
def test_the_dropout_integral_equals_numerical_integration(
        params: tuple[float, float, float, float]) -> None:
    x, t_x, T = histories(seed=int(params[2]))
    ours = pareto.log_dropout_integral(*params, x, t_x, T)
    expected = np.array([integral_by_scipy(*params, *row) for row in zip(x, t_x, T, strict=True)])
    assert np.array_equal(np.isneginf(ours), np.isneginf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(ours[finite], expected[finite], rtol=0, atol=1e-8)


@pytest.mark.parametrize("params", PARAMS)
def test_the_likelihood_is_lifetimes_where_lifetimes_is_finite_and_finite_elsewhere(
        params: tuple[float, float, float, float]) -> None:
    x, t_x, T = histories(seed=1)
    ours = pareto.log_likelihood(*params, x, t_x, T)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        theirs = ParetoNBDFitter._conditional_log_likelihood(list(params), x, t_x, T)
    assert np.isfinite(ours).all()
    known = np.isfinite(theirs)
    np.testing.assert_allclose(ours[known], theirs[known], rtol=1e-9)


def test_the_regimes_include_rows_lifetimes_cannot_evaluate() -> None:
    """Without this, the test above would pass on parameters lifetimes handles anyway."""
    x, t_x, T = histories(seed=1)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        nan_rows = [int(np.isnan(ParetoNBDFitter._conditional_log_likelihood(
            list(p), x, t_x, T)).sum()) for p in PARAMS]
    assert sum(nan_rows) > 100


@pytest.mark.parametrize("params", PARAMS)
def test_p_alive_is_a_probability_and_one_for_a_purchase_on_the_last_day(
        params: tuple[float, float, float, float]) -> None:
    x, t_x, T = histories(seed=2)
    alive = pareto.p_alive(*params, x, t_x, T)
    assert np.isfinite(alive).all() and (alive >= 0).all() and (alive <= 1).all()
    assert (alive[:3] == 1.0).all()


def test_p_alive_falls_with_silence_and_matches_lifetimes_on_cdnow_parameters() -> None:
    params = (0.553, 10.578, 0.606, 11.669)
    T = np.full(5, 39.0)
    t_x = np.array([39.0, 30.0, 20.0, 10.0, 1.0])
    x = np.full(5, 3.0)
    alive = pareto.p_alive(*params, x, t_x, T)
    assert (np.diff(alive) < 0).all()
    fitter = ParetoNBDFitter()
    fitter.params_ = dict(zip(("r", "alpha", "s", "beta"), params, strict=True))
    np.testing.assert_allclose(alive[1:], fitter.conditional_probability_alive(
        x[1:], t_x[1:], T[1:]), rtol=1e-9)


def weighted_histories(seed: int) -> tuple[np.ndarray, ...]:
    x, t_x, T = histories(seed)
    return x, t_x, T, np.random.default_rng(seed + 1).integers(1, 5, len(x)).astype(float)


@pytest.mark.parametrize("params", PARAMS)
def test_pareto_fitting_likelihood_equals_the_reference_and_gradient_its_slope(
        params: tuple[float, ...]) -> None:
    data = weighted_histories(9)
    x, t_x, T, w = data
    total, gradient = pareto.log_likelihood_and_gradient(*params, *data)
    assert total == pytest.approx(float(w @ pareto.log_likelihood(*params, x, t_x, T)),
                                  rel=1e-10)
    np.testing.assert_allclose(gradient, central_difference(
        pareto.log_likelihood_and_gradient, params, data, step=1e-4), rtol=1e-4, atol=1e-6)




def test_the_rows_log_sum_exp_is_scipys_bit_for_bit() -> None:
    """The fit's own log-sum-exp (issue 35: SciPy's argument handling was two thirds of a fit
    on a small unit) gives SciPy's values exactly: ties at the top, empty rows, -inf terms."""
    from scipy.special import logsumexp

    from reportgen.models.clv.pareto import log_sum_exp_rows

    rng = np.random.default_rng(3)
    for _ in range(50):
        values = rng.normal(0, 30, (40, 48))
        values[rng.random(values.shape) < 0.2] = -np.inf
        values[0] = -np.inf
        values[1, :3] = values[1].max() + 1.0
        assert np.array_equal(logsumexp(values, axis=1), log_sum_exp_rows(values),
                              equal_nan=True)
