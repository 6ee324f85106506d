"""Expected purchases corrected by what customers in the same state actually did.

A purchase model without dropout (NBD), or with dropout it cannot identify, predicts that a
customer quiet for many times their own usual gap keeps buying at their old pace; the backtest
windows say how such customers really bought. Every customer is put in a state at a cut-off:

- one purchase only: by the days since it (ONE_PURCHASE_DAYS bands);
- repeat customers: by how many of their own usual gaps have passed since their last purchase
  (their usual gap: the days from their first to their last purchase over their repeat
  purchases; QUIET_GAPS bands).

Over the backtest windows, each state's actual repeat purchases over its predicted ones, pooled
and shrunk towards 1 by PRIOR_PURCHASES purchases, is divided by the same ratio over all
customers: the state's factor. It moves expected purchases between states (from customers who
have gone quiet to those still buying, where the windows show it) and leaves the level to the
model and its season: the factors' purchase-weighted mean is 1 on the windows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

ONE_PURCHASE_DAYS = (90, 180, 365)  # bands: under 90 days, 90-180, 180-365, over 365
QUIET_GAPS = (1.0, 2.0, 4.0, 8.0)  # bands: within 1 usual gap, 1-2, 2-4, 4-8, over 8
PRIOR_PURCHASES = 20.0
STATE_LABELS = {
    "one_0": "One purchase, under 90 days ago", "one_1": "One purchase, 90–180 days ago",
    "one_2": "One purchase, 180–365 days ago", "one_3": "One purchase, over a year ago",
    "gap_0": "Within their usual gap", "gap_1": "1–2 usual gaps quiet",
    "gap_2": "2–4 usual gaps quiet", "gap_3": "4–8 usual gaps quiet",
    "gap_4": "Over 8 usual gaps quiet",
}


def customer_states(summary: pl.DataFrame, unit_days: float) -> pl.Series:
    """Each customer's state at the summary's observation end (see the module text)."""
    quiet_days = (pl.col("T") - pl.col("recency")) * unit_days
    usual_gap = pl.col("recency") * unit_days / pl.col("frequency").clip(1, None)
    gaps = quiet_days / usual_gap.clip(1.0, None)
    one = pl.lit("one_") + _band(quiet_days, ONE_PURCHASE_DAYS)
    repeat = pl.lit("gap_") + _band(gaps, QUIET_GAPS)
    return summary.select(
        pl.when(pl.col("frequency") == 0).then(one).otherwise(repeat).alias("state"))["state"]


def _band(value: pl.Expr, edges: Sequence[float]) -> pl.Expr:
    """The index of the band `value` falls in, as text (0 below the first edge)."""
    band = pl.lit(0)
    for edge in edges:
        band = band + (value >= edge).cast(pl.Int32)
    return band.cast(pl.String)


def state_sums(states: pl.Series, predicted: np.ndarray, actual: np.ndarray
               ) -> dict[str, tuple[float, float]]:
    """Per state: (predicted, actual) repeat purchases of one window's customers."""
    # NumPy over the customers' fixed order: the same sums on any number of threads. The
    # states are compared as whole-number codes (as text, 1.5 s a window at 1 M customers).
    names = sorted(states.unique().to_list())
    codes = states.replace_strict(names, list(range(len(names))),
                                  return_dtype=pl.Int32).to_numpy()
    return {str(state): (float(predicted[codes == code].sum()),
                         float(actual[codes == code].sum()))
            for code, state in enumerate(names)}


def state_factors(windows: Sequence[Mapping[str, tuple[float, float]]]) -> dict[str, float]:
    """Each state's factor from the windows' pooled sums (module text); none without
    purchases to learn from."""
    pooled: dict[str, list[float]] = {}
    for sums in windows:
        for state, (predicted, actual) in sums.items():
            total = pooled.setdefault(state, [0.0, 0.0])
            total[0] += predicted
            total[1] += actual
    predicted_all = sum(p for p, _ in pooled.values())
    actual_all = sum(a for _, a in pooled.values())
    if predicted_all <= 0 or actual_all <= 0:
        return {}
    level = actual_all / predicted_all
    raw = {state: (a + PRIOR_PURCHASES * level) / (p + PRIOR_PURCHASES) / level
           for state, (p, a) in pooled.items()}
    # Normalise so that the factors leave the windows' predicted total where it was.
    weighted = sum(raw[s] * p for s, (p, _) in pooled.items()) / predicted_all
    return {state: factor / weighted for state, factor in raw.items()}


def factors_of(states: pl.Series, factors: Mapping[str, float]) -> np.ndarray:
    """Each customer's factor (1 for a state the windows did not see)."""
    return np.asarray(states.replace_strict(dict(factors), default=1.0,
                                            return_dtype=pl.Float64).to_numpy())


def held_out_state_error(windows: Sequence[Mapping[str, tuple[float, float]]]
                         ) -> tuple[float, float] | None:
    """Whether the factors help, judged on windows they were not learnt from: the sum over
    windows and states of |actual - predicted| purchases with each window's predictions scaled
    to its actual total, without and with the other windows' factors. None with fewer than
    two windows."""
    if len(windows) < 2:
        return None
    without = with_factors = 0.0
    for index, sums in enumerate(windows):
        factors = state_factors([w for other, w in enumerate(windows) if other != index])
        predicted = sum(p for p, _ in sums.values())
        actual = sum(a for _, a in sums.values())
        if predicted <= 0:
            continue
        level = actual / predicted
        without += sum(abs(a - level * p) for p, a in sums.values())
        with_factors += sum(abs(a - level * factors.get(state, 1.0) * p)
                            for state, (p, a) in sums.items())
    return without, with_factors
