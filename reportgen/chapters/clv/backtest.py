"""Backtest of the purchase model: fit before a holdout window, predict it, compare with truth.

The calibration window ends `backtest_weeks` before the observation end. The model is fitted
on the calibration summary exactly as the report's model is fitted on the full history, then
predicts each calibration customer's repeat purchases in the holdout. Customers first seen in
the holdout are not part of the test. The naive baseline assumes each customer keeps the
repeat-purchase rate they showed in calibration (frequency / T).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import polars as pl

from reportgen.chapters.clv.customer_summary import (
    compressed_summary,
    customer_summary,
    purchase_days,
    repeat_purchases_between,
)
from reportgen.chapters.clv.purchase_models import (
    MODEL_LABELS,
    PurchaseModel,
    SummaryArrays,
    fit_nbd,
    fit_purchase_model,
)
from reportgen.config import ClvConfig

MIN_CALIBRATION_CUSTOMERS = 50


@dataclass(frozen=True)
class CandidateScore:
    """A candidate model's backtest scores."""

    model: str
    label: str
    mae: float
    aggregate_error: float | None


@dataclass(frozen=True)
class Backtest:
    """Predicted against actual repeat purchases in the holdout window."""

    available: bool
    reason: str
    calibration_end: date
    holdout_end: date
    holdout_weeks: int
    customers: int = 0
    model_name: str = ""
    fit_reason: str = ""
    actual_total: int = 0
    predicted_total: float = 0.0
    baseline_total: float = 0.0
    mae: float = 0.0
    baseline_mae: float = 0.0
    tracking: pl.DataFrame | None = None
    candidates: tuple[CandidateScore, ...] = ()

    @property
    def holdout_start(self) -> date:
        """First day of the holdout window."""
        return self.calibration_end + timedelta(days=1)

    @property
    def model_label(self) -> str:
        """Display name of the model that was tested."""
        return MODEL_LABELS.get(self.model_name, self.model_name)

    @property
    def aggregate_error(self) -> float | None:
        """(predicted - actual) / actual for the holdout total."""
        return _relative_error(self.predicted_total, self.actual_total)

    @property
    def baseline_error(self) -> float | None:
        """The naive baseline's aggregate error."""
        return _relative_error(self.baseline_total, self.actual_total)


def summary_arrays(summary: pl.DataFrame) -> SummaryArrays:
    """Per-row arrays of a summary; a `weight` column is used when present."""
    weight = summary["weight"] if "weight" in summary.columns else pl.Series(
        [1] * summary.height, dtype=pl.Int64)
    return SummaryArrays(
        summary["frequency"].to_numpy(),
        summary["recency"].to_numpy(),
        summary["T"].to_numpy(),
        weight.to_numpy(),
    )


def run_backtest(purchases: pl.DataFrame, observation_end: date, params: ClvConfig) -> Backtest:
    """Fit on the calibration window, predict the holdout, score model and baseline."""
    calibration_end = observation_end - timedelta(weeks=params.backtest_weeks)
    calibration = customer_summary(purchases, calibration_end, params.time_unit_days)
    if calibration.height < MIN_CALIBRATION_CUSTOMERS:
        return Backtest(False, (
            f"only {calibration.height} customers bought by {calibration_end:%d %b %Y}; "
            f"the backtest needs at least {MIN_CALIBRATION_CUSTOMERS}"
        ), calibration_end, observation_end, params.backtest_weeks)
    actual = (
        calibration.select("customer_id")
        .join(repeat_purchases_between(purchases, calibration_end, observation_end),
              on="customer_id", how="left", maintain_order="left")
        .with_columns(pl.col("actual").fill_null(0))
    )["actual"].to_numpy()
    per_customer = summary_arrays(calibration)
    compressed = summary_arrays(compressed_summary(calibration))
    horizon = params.backtest_weeks * 7 / params.time_unit_days

    candidates: list[CandidateScore] = []
    if params.select_by == "holdout":
        models = _candidate_models(compressed, params)
        scored = [(m, _mae(m, per_customer, actual, horizon)) for m in models]
        candidates = [
            CandidateScore(m.name, m.label, mae,
                           _relative_error(_predict(m, per_customer, horizon).sum(), actual.sum()))
            for m, mae in scored
        ]
        chosen = min(scored, key=lambda pair: pair[1])[0] if scored else None
        fit_reason = "lowest customer-level error among the candidates" if chosen else ""
    else:
        fit = fit_purchase_model(compressed, list(params.models), list(params.penalizers),
                                 params.min_dropout_evidence, params.allow_no_dropout_model)
        chosen, fit_reason = fit.model, fit.reason
    if chosen is None:
        return Backtest(False, "no model could be fitted on the calibration window",
                        calibration_end, observation_end, params.backtest_weeks)

    predicted = _predict(chosen, per_customer, horizon)
    baseline = _baseline(per_customer, horizon)
    return Backtest(
        available=True,
        reason="",
        calibration_end=calibration_end,
        holdout_end=observation_end,
        holdout_weeks=params.backtest_weeks,
        customers=calibration.height,
        model_name=chosen.name,
        fit_reason=fit_reason,
        actual_total=int(actual.sum()),
        predicted_total=float(predicted.sum()),
        baseline_total=float(baseline.sum()),
        mae=float(np.abs(predicted - actual).mean()),
        baseline_mae=float(np.abs(baseline - actual).mean()),
        tracking=tracking_curve(purchases, calibration, per_customer, chosen, calibration_end,
                                params),
        candidates=tuple(candidates),
    )


def tracking_curve(
    purchases: pl.DataFrame,
    calibration: pl.DataFrame,
    arrays: SummaryArrays,
    model: PurchaseModel,
    calibration_end: date,
    params: ClvConfig,
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
            "predicted": float(_predict(model, arrays, horizon).sum()) if week else 0.0,
            "baseline": float(_baseline(arrays, horizon).sum()),
        })
    return pl.DataFrame(rows)


def _candidate_models(data: SummaryArrays, params: ClvConfig) -> list[PurchaseModel]:
    models = []
    for name in params.models:
        fit = fit_purchase_model(data, [name], list(params.penalizers),
                                 params.min_dropout_evidence, allow_no_dropout=False)
        if fit.model is not None:
            models.append(fit.model)
    if params.allow_no_dropout_model:
        models.append(fit_nbd(data))
    return models


def _baseline(data: SummaryArrays, horizon: float) -> np.ndarray:
    """Naive forecast: each customer repeats at their calibration rate, frequency / T."""
    rate = np.where(data.T > 0, data.frequency / np.maximum(data.T, 1e-12), 0.0)
    return np.asarray(rate * horizon)


def _predict(model: PurchaseModel, data: SummaryArrays, horizon: float) -> np.ndarray:
    return model.expected_purchases(horizon, data.frequency, data.recency, data.T)


def _mae(model: PurchaseModel, data: SummaryArrays, actual: np.ndarray, horizon: float) -> float:
    return float(np.abs(_predict(model, data, horizon) - actual).mean())


def _relative_error(predicted: float, actual: float) -> float | None:
    return (predicted - actual) / actual if actual else None
