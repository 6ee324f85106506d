"""Whether a fitted model's dropout is identified, not only likely, and whether its P(alive)
separates who buys again from who does not.

A dropout model is kept only when, beyond beating no dropout by the likelihood ratio (the
ladder's rule), the 95 % ranges of its dropout parameters (BG/NBD's and MBG/NBD's a and b,
Pareto/NBD's s and beta) are bounded: a curvature exists, neither end sits at the fit's bounds,
and the upper end is less than MAX_RANGE_RATIO times the lower. A dropout parameter known only
to lie somewhere in 0.06 - 193,449 makes every P(alive) an artefact of where the optimizer
stopped.

P(alive) is printed only when, in the latest backtest window, the repeat customers the window's
model called likely lapsed (P(alive) < LAPSED) bought clearly less there than customers it
called alive with as many repeat purchases: at most MAX_LAPSED_RATE times their share of
buyers, with at least MIN_LAPSED such customers (`lapsed_buy_less`).
"""

from __future__ import annotations

import numpy as np

from reportgen.models.clv.purchase import PARAM_MAX, PARAM_MIN, PurchaseModel, SummaryArrays
from reportgen.models.clv.uncertainty import parameter_covariance, parameter_intervals

MAX_RANGE_RATIO = 100.0
DROPOUT_PARAMS = {"bgnbd": ("a", "b"), "mbgnbd": ("a", "b"), "paretonbd": ("s", "beta")}
LAPSED = 0.3
MAX_LAPSED_RATE = 0.5
MIN_LAPSED = 20
FREQUENCY_BANDS = ((1, 1), (2, 3), (4, 7), (8, 10**9))  # repeat purchases


def unidentified_dropout(model: PurchaseModel, data: SummaryArrays) -> str | None:
    """Why the model's dropout is not identified on `data` (compressed summary arrays); None
    when it is, or when the model has no dropout."""
    if not model.estimates_dropout:
        return None
    intervals = parameter_intervals(model, parameter_covariance(model, data))
    if intervals is None:
        return "the likelihood's curvature gives no range for its dropout parameters"
    for name in DROPOUT_PARAMS[model.name]:
        low, high = intervals[name]
        at_bounds = low <= PARAM_MIN * 1.001 or high >= PARAM_MAX / 1.001
        if at_bounds or high > MAX_RANGE_RATIO * low:
            return (f"its dropout parameter {name}'s 95 % range, {low:.3g} – {high:.3g}, "
                    + ("reaches the fit's bounds" if at_bounds
                       else f"spans more than a factor of {MAX_RANGE_RATIO:g}"))
    return None


def lapsed_buy_less(p_alive: np.ndarray, bought: np.ndarray, frequency: np.ndarray
                    ) -> tuple[float, float, int] | None:
    """(share of buyers among repeat customers with P(alive) < LAPSED, the share among those
    called alive with as many repeat purchases — reweighted to the lapsed ones' mix of
    FREQUENCY_BANDS —, how many were called lapsed): what the P(alive) check reads. Compared
    within bands of repeat purchases, since a customer who bought often buys again more often
    whatever P(alive) says; one-purchase customers are left out (P(alive) says little of
    them). None without P(alive)."""
    if not np.any(np.isfinite(p_alive)):
        return None
    lapsed_buyers = lapsed_count = comparison = 0.0
    for low, high in FREQUENCY_BANDS:
        band = (frequency >= low) & (frequency <= high)
        lapsed, alive = band & (p_alive < LAPSED), band & (p_alive >= LAPSED)
        if not lapsed.any() or not alive.any():
            continue
        lapsed_buyers += float(bought[lapsed].sum())
        lapsed_count += float(lapsed.sum())
        comparison += float(lapsed.sum()) * float(bought[alive].mean())
    if lapsed_count == 0:
        return 0.0, 0.0, 0
    return lapsed_buyers / lapsed_count, comparison / lapsed_count, int(lapsed_count)


def p_alive_refused(check: tuple[float, float, int] | None) -> str | None:
    """Why P(alive) is not printed after the backtest's check; None when it passed."""
    if check is None:
        return "the latest backtest window could not check it"
    lapsed, alive, count = check
    if count < MIN_LAPSED:
        return (f"only {count} customers were called likely lapsed (P(alive) below "
                f"{LAPSED:.0%}) in the latest backtest window, too few to check")
    if lapsed > MAX_LAPSED_RATE * alive:
        return (f"in the latest backtest window {lapsed:.0%} of the repeat customers it called "
                f"likely lapsed bought again, against {alive:.0%} of those it called alive with "
                "as many purchases: not clearly fewer")
    return None
