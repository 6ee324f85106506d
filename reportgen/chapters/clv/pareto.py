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

import numpy as np
from scipy.special import expit, gammaln, hyp2f1, logsumexp

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
                          + _log_integral_closed_form(r, alpha, s, beta, x[closed],
                                                      t_x[closed], T[closed]))
    # 2F1 also overflows where alpha > beta and s is large: integrate those rows too.
    integrate = ~closed | np.isnan(result) | (result == np.inf)
    m, lo, hi = r + x[integrate], t_x[integrate], T[integrate]
    result[integrate] = (np.log(s) + r * np.log(alpha) - m * np.log(alpha + lo)
                         - np.log(beta + lo) - s * np.log1p(lo / beta)
                         + _log_relative_integral(m, s + 1.0, alpha + lo, beta + lo, hi - lo))
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


def _log_relative_integral(m: np.ndarray, n: float, alpha_lo: np.ndarray,
                           beta_lo: np.ndarray, span: np.ndarray) -> np.ndarray:
    """log of the integral from 0 to span of (1 + v/alpha_lo)^-m (1 + v/beta_lo)^-n, by
    Gauss-Legendre on panels [d(2^k - 1), d(2^(k+1) - 1)], d the integrand's decay length
    at 0: each panel sees a smooth function that falls at most exponentially."""
    if span.size == 0:
        return np.empty(0)
    decay_length = 1.0 / (m / alpha_lo + n / beta_lo)
    span = np.maximum(span, 0.0)
    panels = int(min(MAX_PANELS, max(1.0, np.ceil(np.log2(span / decay_length + 1.0).max()))))
    edges = np.minimum(decay_length[:, None] * (2.0 ** np.arange(panels + 1) - 1.0),
                       span[:, None])
    start, width = edges[:, :-1], np.diff(edges, axis=1)
    v = start[..., None] + width[..., None] * (NODES + 1.0) / 2.0
    with np.errstate(divide="ignore"):
        log_terms = (np.log(width[..., None] * WEIGHTS / 2.0)
                     - m[:, None, None] * np.log1p(v / alpha_lo[:, None, None])
                     - n * np.log1p(v / beta_lo[:, None, None]))
    return np.asarray(logsumexp(log_terms.reshape(len(span), -1), axis=1))
