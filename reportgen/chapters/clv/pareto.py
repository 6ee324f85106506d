"""Pareto/NBD likelihood and P(alive), finite everywhere the parameters are.

Both rest on one integral over the moment a customer may have dropped out, between the last
purchase t_x and the end of observation T (Fader, Hardie & Lee's note on the likelihood):

    I = integral from t_x to T of (alpha + u)^-(r + x) (beta + u)^-(s + 1) du

lifetimes evaluates it through the Gauss hypergeometric function 2F1(a, b; a + 1; z) with
a = r + s + x and z = |alpha - beta| / (max(alpha, beta) + t). SciPy's 2F1 returns NaN once a
is in the thousands and z is near 1, which is exactly where a fit heading for "no dropout"
goes (s and beta large together): there lifetimes' P(alive) and likelihood are NaN, and
slow (up to 0.5 ms a customer). Those rows are integrated here by Gauss-Legendre on panels
that double in width from t_x, starting at the integrand's own decay length, so that each
panel sees a smooth, at most exponentially falling function; the others keep the closed form.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, gammaln, hyp2f1, logsumexp

# Where SciPy's 2F1(a, b; a + 1; z) stays accurate (relative error below 1e-12 against
# numerical integration): a below about 1,000 at any z, or z up to 0.9 at any a.
CLOSED_FORM_MAX_A = 500.0
CLOSED_FORM_MAX_Z = 0.95
NODES, WEIGHTS = np.polynomial.legendre.leggauss(24)
MAX_PANELS = 64


def log_dropout_integral(r: float, alpha: float, s: float, beta: float, x: np.ndarray,
                         t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """log I (see the module docstring), per customer; -inf where t_x = T."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    x, t_x, T = np.broadcast_arrays(x, t_x, T)
    a = r + s + x
    z_first = abs(alpha - beta) / (max(alpha, beta) + t_x)
    by_quadrature = (a >= CLOSED_FORM_MAX_A) & (z_first > CLOSED_FORM_MAX_Z)
    result = np.full_like(T, np.nan)
    closed = ~by_quadrature
    with np.errstate(all="ignore"):
        result[closed] = _log_integral_closed_form(r, alpha, s, beta, x[closed], t_x[closed],
                                                   T[closed])
    # 2F1 also overflows where alpha > beta and s is large: integrate those rows too.
    by_quadrature |= np.isnan(result) | (result == np.inf)
    result[by_quadrature] = _log_integral_by_quadrature(
        r + x[by_quadrature], s + 1.0, alpha, beta, t_x[by_quadrature], T[by_quadrature])
    return result


def _log_integral_closed_form(r: float, alpha: float, s: float, beta: float, x: np.ndarray,
                              t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """lifetimes' A_0 (its eq. 19-20) divided by a = r + s + x, in logs."""
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


def _log_integral_by_quadrature(m: np.ndarray, n: float, alpha: float, beta: float,
                                lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """log of the integral from lo to hi of (alpha + u)^-m (beta + u)^-n, by Gauss-Legendre
    on panels [lo + d(2^k - 1), lo + d(2^(k+1) - 1)], d the integrand's decay length at lo."""
    if lo.size == 0:
        return np.empty(0)
    decay_length = 1.0 / (m / (alpha + lo) + n / (beta + lo))
    span = np.maximum(hi - lo, 0.0)
    panels = int(min(MAX_PANELS, max(1.0, np.ceil(np.log2(span / decay_length + 1.0).max()))))
    edges = lo[:, None] + decay_length[:, None] * (2.0 ** np.arange(panels + 1) - 1.0)
    edges = np.minimum(edges, hi[:, None])
    start, width = edges[:, :-1], np.diff(edges, axis=1)
    u = start[..., None] + width[..., None] * (NODES + 1.0) / 2.0
    with np.errstate(divide="ignore"):
        log_terms = (np.log(width[..., None] * WEIGHTS / 2.0)
                     - m[:, None, None] * np.log(alpha + u) - n * np.log(beta + u))
    return np.asarray(logsumexp(log_terms.reshape(len(lo), -1), axis=1))


def log_likelihood(r: float, alpha: float, s: float, beta: float, x: np.ndarray,
                   t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Each customer's Pareto/NBD log-likelihood (the note's eq. 18)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    alive = _log_alive_term(r, alpha, s, beta, x, T)
    dropped = np.log(s) + log_dropout_integral(r, alpha, s, beta, x, t_x, T)
    return np.asarray(gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
                      + np.logaddexp(alive, dropped))


def p_alive(r: float, alpha: float, s: float, beta: float, x: np.ndarray, t_x: np.ndarray,
            T: np.ndarray) -> np.ndarray:
    """P(still active at T | x purchases, the last at t_x): the share of the likelihood in
    which the customer never dropped out."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    alive = _log_alive_term(r, alpha, s, beta, x, T)
    dropped = np.log(s) + log_dropout_integral(r, alpha, s, beta, x, t_x, T)
    return np.asarray(expit(alive - dropped))


def _log_alive_term(r: float, alpha: float, s: float, beta: float, x: np.ndarray,
                    T: np.ndarray) -> np.ndarray:
    return np.asarray(-(r + x) * np.log(alpha + T) - s * np.log(beta + T))
