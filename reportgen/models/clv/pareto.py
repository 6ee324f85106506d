"""Pareto/NBD likelihood and P(alive), finite everywhere the parameters are.

Both rest on one integral over the moment a customer may have dropped out, between the last
purchase t_x and the end of observation T (Fader, Hardie & Lee's note on the likelihood):

    I = integral from t_x to T of (alpha + u)^-(r + x) (beta + u)^-(s + 1) du

lifetimes evaluates it through the Gauss hypergeometric function 2F1(a, b; a + 1; z) with
a = r + s + x and z = |alpha - beta| / (max(alpha, beta) + t). SciPy's 2F1 returns NaN once a
is in the thousands and z is near 1, which is exactly where a fit heading for "no dropout"
goes (s and beta large together): there lifetimes' P(alive) and likelihood are NaN, and
slow (up to 0.5 ms a customer). Where a is large (500 and more) the integral is taken here by
Gauss-Legendre on panels that double in width from t_x, starting at the integrand's own decay
length, so that each panel sees a smooth, at most exponentially falling function, and with the
large powers kept inside log1p, so that the likelihood stays smooth to the last digits the
optimizer's finite differences need; elsewhere the closed form is used.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from scipy.special import digamma, expit, gammaln, hyp2f1, logsumexp

from reportgen.models.cores import in_row_chunks, on_every_core

# SciPy's 2F1(a, b; a + 1; z) is accurate (relative error below 1e-12 against numerical
# integration) for a below about 1,000 at any z; above CLOSED_FORM_MAX_A the terms s log(beta)
# and a log(max(alpha, beta) + t) are too large to subtract without losing digits anyway.
CLOSED_FORM_MAX_A = 500.0
NODES, WEIGHTS = np.polynomial.legendre.leggauss(24)
MAX_PANELS = 64


def log_dropout_integral(r: float, alpha: float, s: float, beta: float, x: np.ndarray,
                         t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """log I (see the module docstring), per customer; -inf where t_x = T."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    return np.asarray(_log_dropped(r, alpha, s, beta, x, t_x, T)
                      - (np.log(s) + r * np.log(alpha) + s * np.log(beta)))


def log_likelihood(r: float, alpha: float, s: float, beta: float, x: np.ndarray,
                   t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Each customer's Pareto/NBD log-likelihood (the note's eq. 18)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    alive = _log_alive(r, alpha, s, beta, x, T)
    dropped = _log_dropped(r, alpha, s, beta, x, t_x, T)
    return np.asarray(gammaln(r + x) - gammaln(r) + np.logaddexp(alive, dropped))


def p_alive(r: float, alpha: float, s: float, beta: float, x: np.ndarray, t_x: np.ndarray,
            T: np.ndarray) -> np.ndarray:
    """P(still active at T | x purchases, the last at t_x): the share of the likelihood in
    which the customer never dropped out."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    alive = _log_alive(r, alpha, s, beta, x, T)
    dropped = _log_dropped(r, alpha, s, beta, x, t_x, T)
    return np.asarray(expit(alive - dropped))


# The likelihood is Gamma(r + x) / Gamma(r) times the sum of two terms, written here in logs
# with large parameters kept inside log1p: s log(beta) - s log(beta + T) = -s log1p(T / beta).

def _log_alive(r: float, alpha: float, s: float, beta: float, x: np.ndarray,
               T: np.ndarray) -> np.ndarray:
    """log of alpha^r beta^s / ((alpha + T)^(r + x) (beta + T)^s): never dropped out."""
    return np.asarray(r * np.log(alpha) - (r + x) * np.log(alpha + T) - s * np.log1p(T / beta))


def _log_dropped(r: float, alpha: float, s: float, beta: float, x: np.ndarray,
                 t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """log of s alpha^r beta^s I: dropped out between t_x and T."""
    x, t_x, T = np.broadcast_arrays(x, t_x, T)
    result = np.full_like(T, np.nan)
    closed = r + s + x < CLOSED_FORM_MAX_A
    with np.errstate(all="ignore"):
        result[closed] = (np.log(s) + r * np.log(alpha) + s * np.log(beta)
                          + in_row_chunks(lambda xs, ts, Ts: _log_integral_closed_form(
                              r, alpha, s, beta, xs, ts, Ts), x[closed], t_x[closed], T[closed]))
    # 2F1 also overflows where alpha > beta and s is large: integrate those rows too.
    integrate = ~closed | np.isnan(result) | (result == np.inf)
    m, lo, hi = r + x[integrate], t_x[integrate], T[integrate]
    n, alpha_lo, beta_lo, span = s + 1.0, alpha + lo, beta + lo, hi - lo
    panels = _panels(m, n, alpha_lo, beta_lo, span)
    result[integrate] = (np.log(s) + r * np.log(alpha) - m * np.log(alpha_lo)
                         - np.log(beta_lo) - s * np.log1p(lo / beta)
                         + in_row_chunks(lambda ms, alphas, betas, spans: _log_relative_integral(
                             ms, alphas, betas, spans, n, panels), m, alpha_lo, beta_lo, span))
    return result


def _log_integral_closed_form(r: float, alpha: float, s: float, beta: float, x: np.ndarray,
                              t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """log I from lifetimes' A_0 (its eq. 19-20), divided by a = r + s + x."""
    if alpha < beta:
        low, high, b = alpha, beta, r + x
    else:
        low, high, b = beta, alpha, np.full_like(x, s + 1.0)
    a = r + s + x
    first = np.log(hyp2f1(a, b, a + 1.0, (high - low) / (high + t_x))) - a * np.log(high + t_x)
    last = np.log(hyp2f1(a, b, a + 1.0, (high - low) / (high + T))) - a * np.log(high + T)
    difference = logsumexp(np.stack([first, last]), axis=0,
                           b=np.stack([np.ones_like(a), -np.ones_like(a)]))
    difference = np.where(t_x < T, difference, -np.inf)
    return np.asarray(difference - np.log(a))


def _panels(m: np.ndarray, n: float, alpha_lo: np.ndarray, beta_lo: np.ndarray,
            span: np.ndarray) -> int:
    """The panels `_log_relative_integral` takes for every row: as many as the row that needs
    the most (the others' extra panels have no width)."""
    if span.size == 0:
        return 1
    decay_length = 1.0 / (m / alpha_lo + n / beta_lo)
    span = np.maximum(span, 0.0)
    return int(min(MAX_PANELS, max(1.0, np.ceil(np.log2(span / decay_length + 1.0).max()))))


def _log_relative_integral(m: np.ndarray, alpha_lo: np.ndarray, beta_lo: np.ndarray,
                           span: np.ndarray, n: float, panels: int) -> np.ndarray:
    """log of the integral from 0 to span of (1 + v/alpha_lo)^-m (1 + v/beta_lo)^-n, by
    Gauss-Legendre on `panels` panels [d(2^k - 1), d(2^(k+1) - 1)], d the integrand's decay
    length at 0: each panel sees a smooth function that falls at most exponentially."""
    if span.size == 0:
        return np.empty(0)
    decay_length = 1.0 / (m / alpha_lo + n / beta_lo)
    span = np.maximum(span, 0.0)
    edges = np.minimum(decay_length[:, None] * (2.0 ** np.arange(panels + 1) - 1.0),
                       span[:, None])
    start, width = edges[:, :-1], np.diff(edges, axis=1)
    v = start[..., None] + width[..., None] * (NODES + 1.0) / 2.0
    with np.errstate(divide="ignore"):
        log_terms = (np.log(width[..., None] * WEIGHTS / 2.0)
                     - m[:, None, None] * np.log1p(v / alpha_lo[:, None, None])
                     - n * np.log1p(v / beta_lo[:, None, None]))
    return log_sum_exp_rows(log_terms.reshape(len(span), -1))


# For fitting: the summed log-likelihood and its gradient in one pass, every dropout integral
# by quadrature (see log_likelihood_and_gradient).
FIT_NODES, FIT_WEIGHTS = np.polynomial.legendre.leggauss(16)
NEGLIGIBLE = 60.0  # the integrand beyond exp(-60) of its start adds nothing to the digits kept
# Rows times panels per piece of a fit's integrals: pieces small enough to share among the
# cores evenly, and the (rows, panels, nodes) arrays at about 5 MB each. Each row's integral is
# its own: the pieces' size changes no figure.
PANEL_ROWS_PER_PIECE = 40_000


def log_likelihood_and_gradient(r: float, alpha: float, s: float, beta: float, x: np.ndarray,
                                t_x: np.ndarray, T: np.ndarray,
                                weight: np.ndarray) -> tuple[float, np.ndarray]:
    """The weighted sum of log_likelihood and its gradient with respect to (r, alpha, s,
    beta), for the optimizer: one evaluation instead of five for a numerical gradient.

    Every dropout integral is taken by Gauss-Legendre on the doubling panels of
    `_log_relative_integral`, each row with only the panels it needs (up to where the integrand
    has fallen below exp(-60) of its start), so cost does not depend on how close the
    parameters are to the no-dropout boundary, where SciPy's 2F1 slows down a hundredfold. The
    gradient of log I is the integrand-weighted mean of the derivatives of its logarithm."""
    x, t_x, T, weight = (np.asarray(v, dtype=float) for v in (x, t_x, T, weight))
    m, n = r + x, s + 1.0
    with np.errstate(all="ignore"):
        alive = r * np.log(alpha) - m * np.log(alpha + T) - s * np.log1p(T / beta)
        d_alive = np.stack([np.log(alpha) - np.log(alpha + T), r / alpha - m / (alpha + T),
                            -np.log1p(T / beta), s * T / (beta * (beta + T))])
    log_integral = np.full_like(T, -np.inf)
    d_integral = np.zeros((4, T.size))
    groups = list(_panel_groups(m, n, alpha + t_x, beta + t_x, T - t_x))
    integrals = on_every_core(
        lambda rows: _integral_and_gradient(rows, alpha, beta, m[rows.index], n), groups)
    for rows, (group_integral, group_gradient) in zip(groups, integrals, strict=True):
        log_integral[rows.index], d_integral[:, rows.index] = group_integral, group_gradient
    dropped = np.log(s) + r * np.log(alpha) + s * np.log(beta) + log_integral
    d_dropped = d_integral + np.array([np.log(alpha), r / alpha, 1.0 / s + np.log(beta),
                                       s / beta])[:, None]
    share_alive = expit(alive - dropped)  # 1 where t_x = T: no room to drop out
    per_row = gammaln(r + x) - gammaln(r) + np.logaddexp(alive, dropped)
    gradient = share_alive * d_alive + (1.0 - share_alive) * np.where(
        np.isfinite(dropped), d_dropped, 0.0)
    gradient[0] += digamma(r + x) - digamma(r)
    return float(weight @ per_row), gradient @ weight


class _PanelRows:
    """Rows of one panel count: their index, the panels' starts and widths (from t_x)."""

    def __init__(self, index: np.ndarray, start: np.ndarray, width: np.ndarray,
                 low_alpha: np.ndarray, low_beta: np.ndarray) -> None:
        self.index, self.start, self.width = index, start, width
        self.low_alpha, self.low_beta = low_alpha, low_beta


def _panel_groups(m: np.ndarray, n: float, low_alpha: np.ndarray, low_beta: np.ndarray,
                  span: np.ndarray) -> Iterator[_PanelRows]:
    """Rows with something to integrate, grouped by the number of panels they need."""
    decay_length = 1.0 / (m / low_alpha + n / low_beta)
    # Beyond this point the integrand is below exp(-NEGLIGIBLE) of its value at t_x.
    negligible = np.maximum(low_alpha, low_beta) * np.expm1(NEGLIGIBLE / (m + n))
    reach = np.minimum(np.maximum(span, 0.0), negligible)
    panels = np.clip(np.ceil(np.log2(reach / decay_length + 1.0)), 1, MAX_PANELS)
    panels = np.where(span > 0, panels, 0).astype(int)
    for count in np.unique(panels[panels > 0]):
        for chunk in np.array_split(np.flatnonzero(panels == count),
                                    -(-int(np.sum(panels == count) * count)
                                      // PANEL_ROWS_PER_PIECE)):
            edges = np.minimum(decay_length[chunk, None] * (2.0 ** np.arange(count + 1) - 1.0),
                               reach[chunk, None])
            yield _PanelRows(chunk, edges[:, :-1], np.diff(edges, axis=1),
                             low_alpha[chunk], low_beta[chunk])


def log_sum_exp_rows(values: np.ndarray) -> np.ndarray:
    """scipy.special.logsumexp(values, axis=1), bit for bit (the largest terms kept out of the
    sum, log1p of the rest), without its argument handling, which cost 0.27 ms a call: two
    thirds of a fit's time on a small unit."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        top = values.max(axis=1, keepdims=True)
        is_top = values == top
        count = is_top.sum(axis=1, keepdims=True, dtype=values.dtype)
        rest = np.exp(np.where(is_top, -np.inf, values) - top).sum(axis=1, keepdims=True)
        rest = np.where(rest == 0, rest, rest / count)
        result: np.ndarray = (np.log1p(rest) + np.log(count) + top)[:, 0]
        infinite = ~np.isfinite(result)
        if infinite.any():  # as SciPy: the direct sum's logarithm (-inf for no terms)
            result[infinite] = np.log(np.exp(values[infinite]).sum(axis=1))
    return result


def _integral_and_gradient(rows: _PanelRows, alpha: float, beta: float, m: np.ndarray,
                           n: float) -> tuple[np.ndarray, np.ndarray]:
    """log I and its gradient in (r, alpha, s, beta) for one group of rows."""
    v = rows.start[..., None] + rows.width[..., None] * (FIT_NODES + 1.0) / 2.0
    low_alpha, low_beta = rows.low_alpha[:, None, None], rows.low_beta[:, None, None]
    log_alpha_part, log_beta_part = np.log1p(v / low_alpha), np.log1p(v / low_beta)
    with np.errstate(divide="ignore"):
        log_terms = (np.log(rows.width[..., None] * FIT_WEIGHTS / 2.0)
                     - m[:, None, None] * log_alpha_part - n * log_beta_part)
    flat = log_terms.reshape(len(rows.index), -1)
    log_relative = log_sum_exp_rows(flat)
    share = np.exp(flat - log_relative[:, None])  # each node's part of the integral

    def mean(values: np.ndarray) -> np.ndarray:
        return np.asarray(np.einsum("ij,ij->i", share, values.reshape(share.shape)))

    base_alpha, base_beta = np.log(rows.low_alpha), np.log(rows.low_beta)
    log_integral = log_relative - m * base_alpha - n * base_beta
    gradient = np.stack([
        -base_alpha - mean(log_alpha_part),  # d/dr of -(r + x) log(alpha + u)
        -m * mean(1.0 / (low_alpha + v)),  # d/d alpha
        -base_beta - mean(log_beta_part),  # d/ds of -(s + 1) log(beta + u)
        -n * mean(1.0 / (low_beta + v)),  # d/d beta
    ])
    return log_integral, gradient
