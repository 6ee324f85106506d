"""Backtests of the purchase and spend models: fit before a holdout window, predict it, compare.

Each window's calibration ends `backtest_weeks` before its end. The models are fitted on the
calibration summary exactly as the report's are on the full history, then predict each
calibration customer's repeat purchases (and their value) in the holdout. Customers first
seen in the holdout are not part of the test. Two windows are run, the latest and the one
before it, so a forecast is judged at two seasons; with a year of history before it, the
same weeks a year earlier too, the season the forecast starts in.

What a window measures, and what the models are judged on: the total error in purchases and
in pounds, the root-mean-square error per customer against the naive rule (each customer keeps
the repeat-purchase rate they showed, frequency / T), and top-10 % capture (the purchases of
the 10 % of customers predicted highest, over those of the 10 % who bought most). The mean
absolute error is reported, never chosen on: the naive rule wins it by predicting nothing for
one-time buyers. With a year of history before the calibration end, the window is also
predicted "season-aware": scaled by last year's actual / predicted over the same calendar dates.

One model end to end: given the report's model family, every window refits that family, so the
model graded and drawn is the one that makes the CLV. Rolling origins (`rolling_errors`): the
same fit at a cut-off every ROLLING_STEP_WEEKS weeks, back while the data allow, measures how
far forecasts made this way miss (log errors of purchases and their value). A window's LEVEL
interval is its prediction times the Student prediction interval of the other windows' errors
(`models.forecast.prediction_factors`): model error, parameter noise and chance together, as
they happened, and judged on windows it was not made from (`held_out_coverage`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import ClassVar, Protocol

import numpy as np
import polars as pl

from reportgen.models.clv.challenger import (
    ChallengerScore,
    ExtraFeatures,
    challenger_predictions,
)
from reportgen.models.clv.identification import lapsed_buy_less
from reportgen.models.clv.purchase import (
    MODEL_LABELS,
    PurchaseModel,
    SummaryArrays,
    fit_family,
    fit_nbd,
    fit_purchase_model,
)
from reportgen.models.clv.spend import SpendModel, fit_spend_model, shrunk_mean_model
from reportgen.models.clv.states import customer_states, state_sums
from reportgen.models.clv.summary import (
    compressed_summary,
    customer_summary,
    purchase_days,
    summary_arrays,
)
from reportgen.models.forecast import log_error, prediction_factors

MIN_CALIBRATION_CUSTOMERS = 50
ROLLING_ORIGINS = 6  # rolling-origin windows at most
ROLLING_STEP_WEEKS = 4
LEVEL = 0.9  # the intervals' level
TOP_SHARE = 0.10
WINDOWS = {"latest": "Latest", "previous": "The window before",
           "last_year": "Same weeks last year"}


class HoldoutSettings(Protocol):
    """What a backtest needs to know of the unit's CLV settings (a ClvConfig has all of it)."""

    @property
    def backtest_weeks(self) -> int: ...
    @property
    def time_unit_days(self) -> int: ...
    @property
    def select_by(self) -> str: ...  # "ladder" (first acceptable fit) or "holdout"
    @property
    def models(self) -> Sequence[str]: ...  # names in the purchase-model registry, in order
    @property
    def penalizers(self) -> Sequence[float]: ...
    @property
    def min_dropout_evidence(self) -> float: ...
    @property
    def allow_no_dropout_model(self) -> bool: ...
    @property
    def spend_penalizers(self) -> Sequence[float]: ...
    @property
    def max_spend_frequency_correlation(self) -> float: ...


@dataclass(frozen=True)
class CandidateScore:
    """A candidate model's backtest scores."""

    model: str
    label: str
    rmse: float
    mae: float
    aggregate_error: float | None


@dataclass(frozen=True)
class Backtest:
    """Predicted against actual repeat purchases, and their value, in one holdout window: the
    result the page shows and the manifest records as it is (`records.record`)."""

    RECORD_PROPERTIES: ClassVar[tuple[str, ...]] = (
        "window_label", "holdout_start", "model_label", "aggregate_error", "value_error",
        "baseline_error", "seasonal_error", "outside_interval", "challenger_error",
        "challenger_value_error", "challenger_beats_model")

    available: bool
    reason: str
    calibration_end: date
    holdout_end: date
    weeks: int
    window: str = "latest"  # a key of WINDOWS
    customers: int = 0
    model: str = ""
    fit_reason: str = ""
    actual: int = 0
    predicted: float = 0.0
    baseline: float = 0.0
    mae: float = 0.0
    baseline_mae: float = 0.0
    rmse: float = 0.0
    baseline_rmse: float = 0.0
    actual_value: float = 0.0  # pounds the calibration customers spent in the holdout
    predicted_value: float = 0.0
    top_capture: float | None = None
    interval: tuple[float, float] | None = None  # LEVEL interval from the other windows' misses
    season_factor: float | None = None  # last year's actual / predicted on the same dates
    spend_method: str = ""  # the spend model that predicted best here
    spend_errors: dict[str, float] | None = None  # mean absolute error per purchase, by method
    # P(alive)'s check: share who bought among P(alive) < 0.3, among the rest, how many below
    alive_check: tuple[float, float, int] | None = None
    challenger: ChallengerScore | None = None  # the gradient-boosted challenger on this window
    tracking: pl.DataFrame | None = None
    candidates: tuple[CandidateScore, ...] = ()

    @property
    def holdout_start(self) -> date:
        """First day of the holdout window."""
        return self.calibration_end + timedelta(days=1)

    @property
    def window_label(self) -> str:
        """Which window this is, in words."""
        return WINDOWS[self.window]

    @property
    def model_label(self) -> str:
        """Display name of the model that was tested."""
        return MODEL_LABELS.get(self.model, self.model)

    @property
    def aggregate_error(self) -> float | None:
        """(predicted - actual) / actual for the holdout total."""
        return relative_error(self.predicted, self.actual)

    @property
    def value_error(self) -> float | None:
        """The same for the pounds spent."""
        return relative_error(self.predicted_value, self.actual_value)

    @property
    def baseline_error(self) -> float | None:
        """The naive baseline's aggregate error."""
        return relative_error(self.baseline, self.actual)

    @property
    def seasonal_error(self) -> float | None:
        """The aggregate error of the season-aware prediction (None without last year)."""
        if self.season_factor is None:
            return None
        return relative_error(self.predicted * self.season_factor, self.actual)

    @property
    def challenger_error(self) -> float | None:
        """The challenger's aggregate error (None without it)."""
        return (relative_error(self.challenger.predicted, self.actual)
                if self.challenger else None)

    @property
    def challenger_value_error(self) -> float | None:
        """The challenger's error in the value of the purchases."""
        return (relative_error(self.challenger.predicted_value, self.actual_value)
                if self.challenger else None)

    @property
    def challenger_beats_model(self) -> bool | None:
        """Whether the challenger had both the lower error per customer and the smaller total
        error here (None without it)."""
        if self.challenger is None or self.aggregate_error is None:
            return None
        return (self.challenger.rmse < self.rmse
                and abs(self.challenger_error or 0.0) < abs(self.aggregate_error))

    @property
    def outside_interval(self) -> bool:
        """Whether what happened falls outside the prediction's 90 % interval."""
        return self.interval is not None and not (
            self.interval[0] <= self.actual <= self.interval[1])


@dataclass(frozen=True)
class WindowError:
    """One rolling-origin window: the model fitted on the data to `calibration_end`, its
    predicted repeat purchases and their value over the holdout, and what happened."""

    RECORD_PROPERTIES: ClassVar[tuple[str, ...]] = ("log_error", "log_value_error")

    calibration_end: date
    predicted: float
    actual: float
    predicted_value: float
    actual_value: float
    by_state: dict[str, tuple[float, float]]  # (predicted, actual) purchases per state
    # (predicted, actual) value per quarter of predicted value: A the top quarter, then B-D
    by_group: dict[str, tuple[float, float]]
    # (predicted, actual) value per customer segment at the cut-off (when segments were given)
    by_segment: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def log_error(self) -> float | None:
        """log(actual / predicted) purchases (None unless both are positive)."""
        return log_error(self.actual, self.predicted)

    @property
    def log_value_error(self) -> float | None:
        """The same for their value."""
        return log_error(self.actual_value, self.predicted_value)


def rolling_errors(purchases: pl.DataFrame, observation_end: date, params: HoldoutSettings,
                   family: str | None, cache: FitCache | None = None,
                   segments_at: Callable[[date], pl.DataFrame] | None = None
                   ) -> tuple[WindowError, ...]:
    """The model (`family`) fitted at every cut-off ROLLING_STEP_WEEKS apart, from the latest
    (a holdout before observation_end) back while the data allow a fit (at most
    ROLLING_ORIGINS), each asked for its holdout: how far forecasts made this way missed.
    `segments_at(cut-off)`: customer_id and segment as a report then would have named them,
    for the misses per segment."""
    holdout = timedelta(weeks=params.backtest_weeks)
    horizon = params.backtest_weeks * 7 / params.time_unit_days
    found = []
    for k in range(ROLLING_ORIGINS):
        holdout_end = observation_end - timedelta(weeks=ROLLING_STEP_WEEKS * k)
        calibration_end = holdout_end - holdout
        fitted = fit_window(purchases, calibration_end, holdout_end, params, family, cache)
        if isinstance(fitted, str):
            break
        model, _, calibration, _ = fitted
        arrays = summary_arrays(calibration)
        counts, values = holdout_actuals(purchases, calibration, calibration_end, holdout_end)
        predicted = predict(model, arrays, horizon)
        frequency = calibration["frequency"].to_numpy()
        monetary = calibration["monetary_value"].to_numpy()
        spend = fit_spend_model(frequency, monetary, float(monetary[frequency > 0].mean())
                                if (frequency > 0).any() else 0.0,
                                list(params.spend_penalizers),
                                params.max_spend_frequency_correlation)
        predicted_values = predicted * spend.expected_values(calibration)
        value = float(predicted_values.sum())
        if np.isfinite(predicted.sum()) and np.isfinite(value):
            found.append(WindowError(
                calibration_end, float(predicted.sum()), float(counts.sum()), value,
                float(values.sum()),
                state_sums(customer_states(calibration, params.time_unit_days), predicted,
                           counts.astype(float)),
                quarter_sums(predicted_values, values),
                segment_sums(calibration, segments_at(calibration_end), predicted_values, values)
                if segments_at is not None else {}))
    return tuple(found)


Predictions = tuple[pl.DataFrame, np.ndarray, np.ndarray, int] | None


class ChallengerAhead:
    """The challenger's predictions for the latest and the previous backtest window, started
    in a thread of their own as soon as the windows are known: they need no model fit, so they
    run beside the rolling windows' fits (1 M customers: 16 s of the chapter's 48). Each is
    what `challenger_predictions` gives on its own: the trees grow on one OpenMP thread, a
    setting of the thread that grows them."""

    def __init__(self, purchases: pl.DataFrame, observation_end: date,
                 params: HoldoutSettings, extra: ExtraFeatures | None = None) -> None:
        step = timedelta(weeks=params.backtest_weeks)
        self.horizon_days = params.backtest_weeks * 7
        ends = (observation_end - step, observation_end - 2 * step)  # run_backtests' windows
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="challenger")
        self._runs = self._pool.submit(lambda: {end: challenger_predictions(
            purchase_days(purchases, None, end + timedelta(days=self.horizon_days)), end,
            self.horizon_days, extra) for end in ends})
        self._pool.shutdown(wait=False)

    def predictions(self, calibration_end: date) -> Predictions:
        """The window's predictions (waiting for them): None when the trees cannot be
        trained. Both windows are done when this returns."""
        return self._runs.result()[calibration_end]


def score_challenger(predicted: Predictions, counts: np.ndarray) -> ChallengerScore | None:
    """The challenger's predictions for a window's calibration customers (`ChallengerAhead`),
    scored on their holdout `counts` (sorted by customer_id, as its rows are)."""
    if predicted is None:
        return None
    rows, count, value, training_rows = predicted
    if rows.height != counts.size:
        return None
    return ChallengerScore(float(count.sum()), float(value.sum()), rmse(count, counts),
                           top_capture(count, counts), training_rows)


def held_out_interval(predicted: float, calibration_end: date,
                      errors: tuple[WindowError, ...]) -> tuple[float, float] | None:
    """The LEVEL interval of a window's predicted purchases from the other windows' errors
    (leave-one-out), so that the window is not judged by its own miss."""
    others = [e.log_error for e in errors
              if e.calibration_end != calibration_end and e.log_error is not None]
    factors = prediction_factors(others, LEVEL)
    return (predicted * factors[0], predicted * factors[1]) if factors else None


CLV_GROUPS = ("A", "B", "C", "D")  # quarters of predicted value, A the highest


def quarter_sums(predicted: np.ndarray, actual: np.ndarray) -> dict[str, tuple[float, float]]:
    """(predicted, actual) totals per quarter of the predicted values, A the highest (ties by
    position, as the report's CLV groups)."""
    order = np.argsort(-predicted, kind="stable")
    quarters = np.empty(predicted.size, dtype=int)
    quarters[order] = np.arange(predicted.size) * 4 // max(predicted.size, 1)
    return {name: (float(predicted[quarters == index].sum()),
                   float(actual[quarters == index].sum()))
            for index, name in enumerate(CLV_GROUPS)}


def segment_sums(calibration: pl.DataFrame, segments: pl.DataFrame, predicted: np.ndarray,
                 actual: np.ndarray) -> dict[str, tuple[float, float]]:
    """(predicted, actual) value per segment of the calibration customers (rows in order)."""
    named = calibration.select("customer_id").join(
        segments.select("customer_id", "segment"), on="customer_id", how="left",
        maintain_order="left")["segment"].fill_null("").to_numpy()
    return {str(name): (float(predicted[named == name].sum()),
                        float(actual[named == name].sum()))
            for name in sorted(set(named.tolist())) if name}


def group_factors(errors: tuple[WindowError, ...], by: str = "by_group"
                  ) -> dict[str, tuple[float, float]]:
    """Per CLV group (or segment: by="by_segment"), the LEVEL interval's factors from the
    windows' errors in its value (those with fewer than three windows to judge by are left
    out)."""
    names = sorted({name for window in errors for name in getattr(window, by)})
    found = {}
    for name in names:
        logs = [found_error for window in errors if name in getattr(window, by)
                and (found_error := log_error(getattr(window, by)[name][1],
                                              getattr(window, by)[name][0])) is not None]
        factors = prediction_factors(logs, LEVEL)
        if factors is not None:
            found[name] = factors
    return found


def held_out_coverage(errors: tuple[WindowError, ...], value: bool = False) -> tuple[int, int]:
    """(inside, judged): how many windows' actual purchases (or their value) fell inside the
    LEVEL interval made from the other windows' errors."""
    def error(window: WindowError) -> float | None:
        return window.log_value_error if value else window.log_error

    judged = inside = 0
    for window in errors:
        own = error(window)
        others = [found for e in errors if e is not window and (found := error(e)) is not None]
        factors = prediction_factors(others, LEVEL)
        if own is None or factors is None:
            continue
        judged += 1
        inside += math.log(factors[0]) <= own <= math.log(factors[1])
    return inside, judged


def run_backtests(purchases: pl.DataFrame, observation_end: date, params: HoldoutSettings,
                  family: str | None = None, errors: tuple[WindowError, ...] = (),
                  candidates: tuple[CandidateScore, ...] = (), cache: FitCache | None = None,
                  challenger: ChallengerAhead | None = None) -> tuple[Backtest, ...]:
    """The latest window, the one before it, and, when the history reaches back, the same
    weeks a year earlier: the season the forecast starts in. Latest first; the last-year
    window only when it could run. With `family`, the report's model is the one tested; with
    `errors` (rolling_errors), each window's interval comes from the other windows' misses;
    `candidates`: the models the latest window chose among, when it chose; `challenger`: the
    challenger's predictions for the latest and previous windows, scored beside the model."""
    step = timedelta(weeks=params.backtest_weeks)
    year = timedelta(days=364)  # 52 weeks: the same weekdays a year earlier
    last_year = run_backtest(purchases, observation_end - year + step, params, with_tracking=False,
                             window="last_year", family=family, errors=errors, cache=cache)
    return (run_backtest(purchases, observation_end, params, family=family, errors=errors,
                         candidates=candidates, challenger=challenger, cache=cache),
            run_backtest(purchases, observation_end - step, params, with_tracking=False,
                         window="previous", family=family, errors=errors,
                         challenger=challenger, cache=cache),
            *((last_year,) if last_year.available else ()))


def run_backtest(purchases: pl.DataFrame, observation_end: date, params: HoldoutSettings,
                 with_tracking: bool = True, window: str = "latest", family: str | None = None,
                 errors: tuple[WindowError, ...] = (),
                 candidates: tuple[CandidateScore, ...] = (),
                 challenger: ChallengerAhead | None = None, cache: FitCache | None = None
                 ) -> Backtest:
    """Fit on the calibration window, predict the holdout, score the models and the baseline."""
    calibration_end = observation_end - timedelta(weeks=params.backtest_weeks)
    fitted = fit_window(purchases, calibration_end, observation_end, params, family, cache)
    if isinstance(fitted, str):
        return Backtest(False, fitted, calibration_end, observation_end, params.backtest_weeks,
                        window=window)
    model, fit_reason, calibration, chose_among = fitted
    candidates = candidates or chose_among
    per_customer = summary_arrays(calibration)
    horizon = params.backtest_weeks * 7 / params.time_unit_days
    counts, values = holdout_actuals(purchases, calibration, calibration_end, observation_end)
    predicted = predict(model, per_customer, horizon)
    if not np.all(np.isfinite(predicted)):
        return Backtest(False, f"the {model.label} model fitted on the data to "
                        f"{calibration_end:%d %b %Y} gave non-finite predictions",
                        calibration_end, observation_end, params.backtest_weeks, window=window)
    baseline = naive_rate(per_customer, horizon)
    spend, spend_errors = best_spend_model(calibration, counts, values, params)
    expected_value = spend.expected_values(calibration)
    return Backtest(
        available=True,
        reason="",
        window=window,
        calibration_end=calibration_end,
        holdout_end=observation_end,
        weeks=params.backtest_weeks,
        customers=calibration.height,
        model=model.name,
        fit_reason=fit_reason,
        actual=int(counts.sum()),
        predicted=float(predicted.sum()),
        baseline=float(baseline.sum()),
        mae=float(np.abs(predicted - counts).mean()),
        baseline_mae=float(np.abs(baseline - counts).mean()),
        rmse=rmse(predicted, counts),
        baseline_rmse=rmse(baseline, counts),
        actual_value=float(values.sum()),
        predicted_value=float((predicted * expected_value).sum()),
        top_capture=top_capture(predicted, counts),
        interval=held_out_interval(float(predicted.sum()), calibration_end, errors),
        season_factor=season_factor(purchases, calibration_end, observation_end, params, model),
        spend_method=spend.method,
        spend_errors=spend_errors,
        candidates=candidates,
        challenger=score_challenger(challenger.predictions(calibration_end), counts)
        if challenger is not None else None,
        alive_check=lapsed_buy_less(
            model.p_alive(per_customer.frequency, per_customer.recency, per_customer.T),
            counts > 0, per_customer.frequency) if model.estimates_dropout else None,
        tracking=tracking_curve(purchases, calibration, per_customer, model, calibration_end,
                                params) if with_tracking else None,
    )


FittedWindow = tuple[PurchaseModel, str, pl.DataFrame, tuple[CandidateScore, ...]] | str
FitCache = dict[tuple[date, date, str | None], FittedWindow]


def fit_window(
    purchases: pl.DataFrame, calibration_end: date, holdout_end: date, params: HoldoutSettings,
    family: str | None = None, cache: FitCache | None = None,
) -> FittedWindow:
    """fit_window_once, remembered in `cache` (one run's windows share their fits: the rolling
    windows include the latest and previous backtest windows)."""
    key = (calibration_end, holdout_end, family)
    if cache is not None and key in cache:
        return cache[key]
    fitted = fit_window_once(purchases, calibration_end, holdout_end, params, family)
    if cache is not None:
        cache[key] = fitted
    return fitted


def fit_window_once(
    purchases: pl.DataFrame, calibration_end: date, holdout_end: date, params: HoldoutSettings,
    family: str | None = None,
) -> FittedWindow:
    """The model fitted on the calibration window (or why none can be): the `family` the
    report uses when given (one model end to end), else the candidates or the ladder."""
    calibration = customer_summary(purchases, calibration_end, params.time_unit_days)
    if calibration.height < MIN_CALIBRATION_CUSTOMERS:
        return (f"only {calibration.height} customers bought by {calibration_end:%d %b %Y}; "
                f"the backtest needs at least {MIN_CALIBRATION_CUSTOMERS}")
    longest = calibration["T"].max()
    history_days = (float(longest) if isinstance(longest, float) else 0.0) * (
        params.time_unit_days) + 1
    holdout_days = (holdout_end - calibration_end).days
    if history_days < holdout_days:
        return (f"only {history_days:.0f} days of data by {calibration_end:%d %b %Y}; fitting "
                f"needs at least as long as the {holdout_days}-day window it predicts")
    compressed = summary_arrays(compressed_summary(calibration))
    candidates: tuple[CandidateScore, ...] = ()
    if family is not None:
        # The family, or its no-dropout limit (NBD) where these data show no dropout: the
        # window then tests NBD and says so (its model differs from the report's).
        fitted = fit_family(compressed, family, list(params.penalizers),
                            params.min_dropout_evidence, allow_no_dropout=True)
        if fitted.model is None:
            return (f"the report's model, {MODEL_LABELS[family]}, could not be fitted on the "
                    f"data to {calibration_end:%d %b %Y} ({fitted.reason})")
        return fitted.model, fitted.reason, calibration, candidates
    if params.select_by == "holdout":
        per_customer = summary_arrays(calibration)
        horizon = (holdout_end - calibration_end).days / params.time_unit_days
        counts, _ = holdout_actuals(purchases, calibration, calibration_end, holdout_end)
        models = candidate_models(compressed, params)
        candidates = tuple(
            CandidateScore(m.name, m.label, rmse(predict(m, per_customer, horizon), counts),
                           float(np.abs(predict(m, per_customer, horizon) - counts).mean()),
                           relative_error(predict(m, per_customer, horizon).sum(), counts.sum()))
            for m in models)
        if not models:
            return "no model could be fitted on the calibration window"
        best = min(range(len(models)), key=lambda i: candidates[i].rmse)
        return (models[best], "lowest root-mean-square error among the candidates",
                calibration, candidates)
    fit = fit_purchase_model(compressed, list(params.models), list(params.penalizers),
                             params.min_dropout_evidence, params.allow_no_dropout_model)
    if fit.model is None:
        return "no model could be fitted on the calibration window"
    return fit.model, fit.reason, calibration, candidates


def holdout_actuals(purchases: pl.DataFrame, calibration: pl.DataFrame, calibration_end: date,
                    holdout_end: date) -> tuple[np.ndarray, np.ndarray]:
    """Each calibration customer's purchase days and pounds in (calibration_end, holdout_end]."""
    days = purchase_days(purchases, calibration_end + timedelta(days=1), holdout_end)
    per_customer = days.group_by("customer_id").agg(
        pl.len().cast(pl.Int64).alias("count"), pl.col("value").sum().alias("value"))
    joined = calibration.select("customer_id").join(
        per_customer, on="customer_id", how="left", maintain_order="left").with_columns(
        pl.col("count").fill_null(0), pl.col("value").fill_null(0.0))
    return joined["count"].to_numpy(), joined["value"].to_numpy()


def best_spend_model(
    calibration: pl.DataFrame, counts: np.ndarray, values: np.ndarray, params: HoldoutSettings
) -> tuple[SpendModel, dict[str, float] | None]:
    """Gamma-Gamma if it predicts the holdout's value per purchase better than each customer's
    shrunk own mean, else the shrunk mean; and both errors (None when nobody bought)."""
    frequency = calibration["frequency"].to_numpy()
    monetary = calibration["monetary_value"].to_numpy()
    gamma_gamma = fit_spend_model(frequency, monetary, float(monetary[frequency > 0].mean())
                                  if (frequency > 0).any() else 0.0,
                                  list(params.spend_penalizers),
                                  params.max_spend_frequency_correlation)
    shrunk = shrunk_mean_model(frequency, monetary)
    bought = counts > 0
    if not bought.any() or gamma_gamma.method != "gamma-gamma":
        return (gamma_gamma if gamma_gamma.method == "gamma-gamma" else shrunk), None
    actual = values[bought] / counts[bought]
    errors: dict[str, float] = {
        model.method: float(np.abs(model.expected_values(calibration)[bought]
                                   - actual).mean())
        for model in (gamma_gamma, shrunk)
    }
    better = gamma_gamma if errors["gamma-gamma"] < errors["shrunk mean"] else shrunk
    return better, errors


def season_factor(purchases: pl.DataFrame, calibration_end: date, holdout_end: date,
                  params: HoldoutSettings, model: PurchaseModel) -> float | None:
    """Last year's actual / predicted repeat purchases over the same calendar dates: the
    window's model asked, for the customers of a year earlier and from their history up to
    then, what the same weeks would bring. None when the data do not reach back that far with
    enough customers and history."""
    year = timedelta(days=364)  # 52 weeks: the same weekdays a year earlier
    start, end = calibration_end - year, holdout_end - year
    earlier = customer_summary(purchases, start, params.time_unit_days)
    longest = earlier["T"].max()
    history_days = (float(longest) if isinstance(longest, float) else 0.0) * params.time_unit_days
    if earlier.height < MIN_CALIBRATION_CUSTOMERS or history_days < (end - start).days:
        return None
    counts, _ = holdout_actuals(purchases, earlier, start, end)
    predicted = predict(model, summary_arrays(earlier),
                        (end - start).days / params.time_unit_days).sum()
    if not (math.isfinite(predicted) and predicted > 0 and counts.sum() > 0):
        return None
    return float(counts.sum() / predicted)


def tracking_curve(
    purchases: pl.DataFrame,
    calibration: pl.DataFrame,
    arrays: SummaryArrays,
    model: PurchaseModel,
    calibration_end: date,
    params: HoldoutSettings,
) -> pl.DataFrame:
    """Cumulative actual, predicted and baseline repeat purchases at the end of each week.

    `arrays` are the calibration customers' summary arrays, row for row with `calibration`.
    """
    holdout_end = calibration_end + timedelta(weeks=params.backtest_weeks)
    holdout_days = purchase_days(purchases, calibration_end + timedelta(days=1), holdout_end).join(
        calibration.select("customer_id"), on="customer_id", how="semi")["day"]
    rows = []
    for week in range(params.backtest_weeks + 1):
        until = calibration_end + timedelta(weeks=week)
        horizon = week * 7 / params.time_unit_days
        rows.append({
            "week": week,
            "date": until,
            "actual": int((holdout_days <= until).sum()),
            "predicted": float(predict(model, arrays, horizon).sum()) if week else 0.0,
            "baseline": float(naive_rate(arrays, horizon).sum()),
        })
    return pl.DataFrame(rows)


def candidate_models(data: SummaryArrays, params: HoldoutSettings) -> list[PurchaseModel]:
    """Every configured model that fits with measurable dropout, and NBD when allowed."""
    models = []
    for name in params.models:
        fit = fit_purchase_model(data, [name], list(params.penalizers),
                                 params.min_dropout_evidence, allow_no_dropout=False)
        if fit.model is not None:
            models.append(fit.model)
    if params.allow_no_dropout_model:
        models.append(fit_nbd(data))
    return models


def naive_rate(data: SummaryArrays, horizon: float) -> np.ndarray:
    """Naive forecast: each customer repeats at their calibration rate, frequency / T."""
    rate = np.where(data.T > 0, data.frequency / np.maximum(data.T, 1e-12), 0.0)
    return np.asarray(rate * horizon)


def predict(model: PurchaseModel, data: SummaryArrays, horizon: float) -> np.ndarray:
    """Each customer's expected repeat purchases over the horizon."""
    return model.expected_purchases(horizon, data.frequency, data.recency, data.T)


def total_purchases(model: PurchaseModel, data: SummaryArrays, horizon: float) -> float:
    """Expected repeat purchases of all customers (weighted rows) over the horizon."""
    return float((data.weight * predict(model, data, horizon)).sum())


def rmse(predicted: np.ndarray, actual: np.ndarray) -> float:
    """Root-mean-square error per customer."""
    return float(np.sqrt(np.mean((predicted - actual) ** 2)))


def top_capture(predicted: np.ndarray, actual: np.ndarray) -> float | None:
    """Purchases of the top 10 % by prediction over those of the top 10 % by what happened."""
    size = max(1, math.ceil(TOP_SHARE * actual.size))
    best = np.sort(actual)[::-1][:size].sum()
    if best <= 0:
        return None
    chosen = np.argsort(-predicted, kind="stable")[:size]
    return float(actual[chosen].sum() / best)


def relative_error(predicted: float, actual: float) -> float | None:
    """(predicted - actual) / actual, None when nothing happened."""
    return (predicted - actual) / actual if actual else None
