"""A challenger to the purchase models: gradient-boosted trees trained on the data's own
earlier cut-offs (scikit-learn's HistGradientBoosting).

At a cut-off, each customer who has bought is described by what they did up to it
(`features`): days since their last and first purchase, purchase days, their mean and total
spend, their mean gap between purchase days, and their purchase days and spend in the last
90 and 365 days; and whatever else the caller knows as of that cut-off (the CLV chapter passes
each customer's return share and buying habits). The target is what they did in the
`horizon_days` after it: purchase days and their value.

Training rows come from every cut-off STEP_DAYS apart whose horizon ends by the training end
(at most CUTOFFS of them, latest first); predictions are made at the training end, so a
backtest trains only on what was known before its window. Purchases: Poisson loss. Value: two
parts, the zero-inflated lognormal shape of Wang, Liu & Miao (2019): the chance of buying at all
(a classifier) times the expected value of those who buy (a regressor on log value, with the
lognormal mean correction exp(sigma^2 / 2) from its residuals). The trees are grown on one
OpenMP thread (threadpoolctl): the same trees on any machine, and no fight for the cores with
the rest of a run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

if TYPE_CHECKING:  # imported where trees are trained: 0.2 s that most commands never need
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

STEP_DAYS = 28
CUTOFFS = 4
# Customers whose histories train the trees, at most: their fit costs time in proportion to
# the rows (a cut-off per customer, single-threaded), and at 1 M customers it was most of the
# CLV chapter. Measured on 100,000 simulated customers, a 50,000 sample scored the backtest
# within 0.1 % of RMSE and 0.4 points of top-decile capture of training on all (chapter
# 13.9 -> 9.8 s); a unit with fewer customers trains on all of them.
MAX_TRAINING_CUSTOMERS = 50_000
MIN_TRAINING_ROWS = 200
SEED = 20_111
FEATURES = ("recency_days", "tenure_days", "days", "mean_value", "total_value", "mean_gap",
            "days_90", "value_90", "days_365", "value_365")
MAX_ITER = 50
# Rows from which predictions use every core: 1 M customers took 5.4 s a window on one thread.
# Below, starting threads costs more than it saves (and tests run one worker per core).
PARALLEL_PREDICTION_ROWS = 200_000


@dataclass(frozen=True)
class Challenger:
    """The fitted trees (None: too little history to train them)."""

    purchases: HistGradientBoostingRegressor
    buys: HistGradientBoostingClassifier | None  # None when everyone (or no one) bought
    value: HistGradientBoostingRegressor | None
    value_spread: float  # variance of the log-value residuals (the lognormal correction)
    training_rows: int
    columns: tuple[str, ...]  # FEATURES and the extra ones it was trained with

    def predict(self, features: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Expected purchase days and their value over the horizon, per feature row: on one
        OpenMP thread, or on every core from PARALLEL_PREDICTION_ROWS rows (each row's
        prediction is its own: the same figures either way)."""
        threads = None if features.height >= PARALLEL_PREDICTION_ROWS else 1
        with threadpool_limits(limits=threads, user_api="openmp"):
            return self._predict(features.select(self.columns).to_numpy())

    def _predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        purchases = np.clip(self.purchases.predict(x), 0.0, None)
        if self.buys is None or self.value is None:
            return purchases, np.zeros(len(x))
        chance = self.buys.predict_proba(x)[:, 1]
        per_buyer = np.exp(self.value.predict(x) + self.value_spread / 2)
        return purchases, chance * per_buyer


ExtraFeatures = Callable[[date], pl.DataFrame]


def features(days: pl.DataFrame, cutoff: date, extra: ExtraFeatures | None = None
             ) -> pl.DataFrame:
    """customer_id and FEATURES of every customer who bought by `cutoff` (days: customer_id,
    day, value: one row per customer and purchase day), and the `extra` features as of the
    cut-off (customer_id and numeric columns, e.g. return share and buying habits; missing
    values 0)."""
    found = own_features(days, cutoff)
    if extra is None:
        return found
    more = extra(cutoff)
    names = [name for name in more.columns if name != "customer_id"]
    return found.join(more, on="customer_id", how="left", maintain_order="left").with_columns(
        pl.col(names).cast(pl.Float64).fill_null(0.0).fill_nan(0.0))


def own_features(days: pl.DataFrame, cutoff: date) -> pl.DataFrame:
    """customer_id and FEATURES as of `cutoff`."""
    known = days.filter(pl.col("day") <= cutoff)
    since = (pl.lit(cutoff) - pl.col("day")).dt.total_days()
    return (known.group_by("customer_id").agg(
        (pl.lit(cutoff) - pl.col("day").max()).dt.total_days().cast(pl.Float64)
        .alias("recency_days"),
        (pl.lit(cutoff) - pl.col("day").min()).dt.total_days().cast(pl.Float64)
        .alias("tenure_days"),
        pl.len().cast(pl.Float64).alias("days"),
        pl.col("value").mean().alias("mean_value"),
        pl.col("value").sum().alias("total_value"),
        ((pl.col("day").max() - pl.col("day").min()).dt.total_days()
         / (pl.len() - 1).clip(1, None)).cast(pl.Float64).alias("mean_gap"),
        (since < 90).sum().cast(pl.Float64).alias("days_90"),
        pl.col("value").filter(since < 90).sum().alias("value_90"),
        (since < 365).sum().cast(pl.Float64).alias("days_365"),
        pl.col("value").filter(since < 365).sum().alias("value_365"),
    ).sort("customer_id"))


def outcomes(days: pl.DataFrame, rows: pl.DataFrame, cutoff: date,
             horizon_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Purchase days and their value in (cutoff, cutoff + horizon] of each row's customer."""
    window = days.filter(pl.col("day") > cutoff,
                         pl.col("day") <= cutoff + timedelta(days=horizon_days))
    per_customer = window.group_by("customer_id").agg(
        pl.len().cast(pl.Float64).alias("count"), pl.col("value").sum().alias("spent"))
    joined = rows.select("customer_id").join(per_customer, on="customer_id", how="left",
                                             maintain_order="left").fill_null(0.0)
    return joined["count"].to_numpy(), joined["spent"].to_numpy()


def train_challenger(days: pl.DataFrame, training_end: date, horizon_days: int,
                     extra: ExtraFeatures | None = None) -> Challenger | None:
    """The trees trained on the cut-offs whose horizon ends by `training_end`; None with fewer
    than MIN_TRAINING_ROWS rows."""
    with threadpool_limits(limits=1, user_api="openmp"):
        return _train(days, training_end, horizon_days, extra)


def _train(days: pl.DataFrame, training_end: date, horizon_days: int,
           extra: ExtraFeatures | None) -> Challenger | None:
    first = days["day"].min()
    if not isinstance(first, date):
        return None
    customers = days["customer_id"].unique().sort()
    if customers.len() > MAX_TRAINING_CUSTOMERS:  # a sample: see MAX_TRAINING_CUSTOMERS
        chosen = customers.sample(MAX_TRAINING_CUSTOMERS, seed=SEED)
        days = days.filter(pl.col("customer_id").is_in(chosen.implode()))
    frames, counts, values = [], [], []
    for k in range(CUTOFFS):
        cutoff = training_end - timedelta(days=horizon_days + k * STEP_DAYS)
        if cutoff <= first + timedelta(days=STEP_DAYS):
            break
        rows = features(days, cutoff, extra)
        count, value = outcomes(days, rows, cutoff, horizon_days)
        frames.append(rows)
        counts.append(count)
        values.append(value)
    if not frames or sum(f.height for f in frames) < MIN_TRAINING_ROWS:
        return None
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    columns = tuple(name for name in frames[0].columns if name != "customer_id")
    x = pl.concat(frames).select(columns).to_numpy()
    count, value = np.concatenate(counts), np.concatenate(values)
    purchases = HistGradientBoostingRegressor(loss="poisson", max_iter=MAX_ITER,
                                              random_state=SEED).fit(x, count)
    bought = value > 0
    if bought.all() or not bought.any():
        return Challenger(purchases, None, None, 0.0, len(x), columns)
    buys = HistGradientBoostingClassifier(max_iter=MAX_ITER, random_state=SEED).fit(x, bought)
    log_value = np.log(value[bought])
    spend = HistGradientBoostingRegressor(max_iter=MAX_ITER, random_state=SEED).fit(
        x[bought], log_value)
    spread = float(np.var(log_value - spend.predict(x[bought])))
    return Challenger(purchases, buys, spend, spread, len(x), columns)


@dataclass(frozen=True)
class ChallengerScore:
    """The challenger's figures on one backtest window, as the purchase model's are scored."""

    predicted: float
    predicted_value: float
    rmse: float
    top_capture: float | None
    training_rows: int


def challenger_predictions(days: pl.DataFrame, cutoff: date, horizon_days: int,
                           extra: ExtraFeatures | None = None
                           ) -> tuple[pl.DataFrame, np.ndarray, np.ndarray, int] | None:
    """The challenger trained on what was known at `cutoff`, and its predictions for the
    customers known then (rows sorted by customer_id): rows, purchases, value, training
    rows; None when it cannot be trained."""
    trained = train_challenger(days, cutoff, horizon_days, extra)
    if trained is None:
        return None
    rows = features(days, cutoff, extra)
    purchases, value = trained.predict(rows)
    return rows, purchases, value, trained.training_rows
