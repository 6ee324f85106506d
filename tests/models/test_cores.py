"""Computations shared among the cores (`reportgen.models.cores`) give the figures of one
piece on one core, to the last bit, and keep the caller's NumPy error settings."""

from __future__ import annotations

import numpy as np
import pytest

from reportgen.models import cores
from reportgen.models.clv import beta_geometric, pareto

CUSTOMERS = 41_000  # three pieces: two of ROWS_PER_PIECE rows and one of 1,000


def histories() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x, t_x, T, weight) of customers with ages, repeat purchases and last purchases
    spread as a unit's are, in weeks measured to the day."""
    rng = np.random.default_rng(35)
    T = np.round(rng.uniform(1, 52, CUSTOMERS) * 7) / 7
    x = rng.poisson(rng.gamma(0.8, 3.0, CUSTOMERS)).astype(float)
    t_x = np.where(x > 0, np.round(T * rng.beta(3, 1, CUSTOMERS) * 7) / 7, 0.0)
    return x, t_x, T, rng.integers(1, 4, CUSTOMERS).astype(float)


def every_figure() -> list[np.ndarray]:
    """P(alive), likelihoods, expected purchases and a fit's likelihood and gradient, from
    the closed form and (s large: r + s + x above pareto.CLOSED_FORM_MAX_A) by quadrature."""
    x, t_x, T, weight = histories()
    figures = []
    for r, alpha, s, beta in [(0.8, 10.0, 0.6, 60.0), (0.6, 40.0, 520.0, 9000.0)]:
        figures.append(pareto.p_alive(r, alpha, s, beta, x, t_x, T))
        total, gradient = pareto.log_likelihood_and_gradient(r, alpha, s, beta, x, t_x, T,
                                                             weight)
        figures += [np.array([total]), gradient]
    figures.append(pareto.log_likelihood(0.8, 10.0, 0.6, 60.0, x, t_x, T))
    for model in ("bgnbd", "mbgnbd"):
        figures.append(beta_geometric.expected_purchases(model, 0.4, 6.0, 0.7, 3.0, 13.0,
                                                         x, t_x, T))
    return figures


def test_pieces_on_every_core_give_the_figures_of_one_piece_on_one_core(
        monkeypatch: pytest.MonkeyPatch) -> None:
    shared = every_figure()
    monkeypatch.setattr(cores, "cores", lambda: 1)
    monkeypatch.setattr(cores, "ROWS_PER_PIECE", 10 * CUSTOMERS)
    monkeypatch.setattr(pareto, "PANEL_ROWS_PER_PIECE", 10**12)
    alone = every_figure()
    assert all(np.isfinite(figure).all() for figure in shared)
    for mine, reference in zip(shared, alone, strict=True):
        np.testing.assert_array_equal(mine, reference)


def test_a_piece_keeps_the_callers_numpy_error_settings() -> None:
    pieces = [np.zeros(3)] * 4
    with np.errstate(divide="ignore"):
        assert all(np.isneginf(logs).all() for logs in cores.on_every_core(np.log, pieces))
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        cores.on_every_core(np.log, pieces)


def test_a_single_value_stands_for_every_row() -> None:
    """One age for every customer (as lifetimes accepts it): the same as the age repeated."""
    x, t_x, _, _ = histories()
    for model in ("bgnbd", "mbgnbd"):
        np.testing.assert_array_equal(
            beta_geometric.expected_purchases(model, 0.4, 6.0, 0.7, 3.0, 13.0, x, t_x, 60.0),
            beta_geometric.expected_purchases(model, 0.4, 6.0, 0.7, 3.0, 13.0, x, t_x,
                                              np.full(CUSTOMERS, 60.0)))
