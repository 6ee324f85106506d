"""Season: how last year's same months ran against what the model predicted for them.

The purchase models know no calendar: they predict the same pace in December as in July.
With at least SEASON_HISTORY_MONTHS months of history, the model is fitted as it would have
been a year before the observation end, asked to predict the twelve months that followed, and
compared with what happened, month by month, in purchases and in pounds. Each month's
actual / predicted ratio is that calendar month's season factor; the forecast's months are
scaled by the factors of the same months. With less history the forecast is "season-blind":
it is shown unscaled and labelled so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from reportgen.chapters.clv.customer_summary import (
    compressed_summary,
    customer_summary,
    purchase_days,
    summary_arrays,
)
from reportgen.chapters.clv.purchase_models import PurchaseModel, SummaryArrays, refit
from reportgen.config import ClvConfig

DAYS_PER_MONTH = 4.345 * 7  # lifetimes' month
SEASON_HISTORY_MONTHS = 13
YEAR_DAYS = 365


@dataclass(frozen=True)
class Season:
    """Per forecast month (1..12), last year's actual / predicted purchases and pounds."""

    available: bool
    reason: str  # why the forecast is season-blind, when it is
    fitted_on: date | None = None  # the date a year back the model was fitted at
    purchase_factors: tuple[float, ...] = ()
    value_factors: tuple[float, ...] = ()

    def purchase_factor(self, month: int) -> float:
        """The factor for forecast month `month` (1-based, repeating yearly); 1 without."""
        return self.purchase_factors[(month - 1) % 12] if self.available else 1.0

    def value_factor(self, month: int) -> float:
        """The same for pounds."""
        return self.value_factors[(month - 1) % 12] if self.available else 1.0


def history_months(purchases: pl.DataFrame, observation_end: date) -> float:
    """Months of identified purchases up to observation_end (lifetimes' months of 30.4 days)."""
    first = purchases.filter(pl.col("customer_id").is_not_null())["invoice_date"].min()
    if not isinstance(first, datetime):
        return 0.0
    return ((observation_end - first.date()).days + 1) / DAYS_PER_MONTH


def month_bounds(start: date, month: int) -> tuple[date, date]:
    """First and last day of forecast month `month` (1-based) after `start`."""
    first = start + timedelta(days=round((month - 1) * DAYS_PER_MONTH) + 1)
    last = start + timedelta(days=round(month * DAYS_PER_MONTH))
    return first, last


def season(purchases: pl.DataFrame, observation_end: date, params: ClvConfig,
           expected_value: float, model_name: str) -> Season:
    """Season factors from the year before observation_end, or why there are none: the
    report's model (`model_name`) refitted on the data to a year before.

    The year-back prediction is priced at the mean value of the repeat purchases before the
    year-back date (`expected_value` when there are none); pounds compare with it.
    """
    months = history_months(purchases, observation_end)
    if months < SEASON_HISTORY_MONTHS:
        return Season(False, f"{months:.0f} months of history; measuring the season needs "
                             f"{SEASON_HISTORY_MONTHS}")
    fitted_on = observation_end - timedelta(days=YEAR_DAYS)
    calibration = customer_summary(purchases, fitted_on, params.time_unit_days)
    data = compressed_summary(calibration)
    model = refit(summary_arrays(data), model_name, params.penalizers,
                  params.min_dropout_evidence)
    days = purchase_days(purchases, fitted_on + timedelta(days=1), observation_end).join(
        calibration.select("customer_id"), on="customer_id", how="semi")
    mean_value = _repeat_value(calibration, expected_value)
    predicted = monthly_purchases(model, summary_arrays(data), 12, params.time_unit_days)
    purchase_factors, value_factors = [], []
    for month in range(1, 13):
        first, last = month_bounds(fitted_on, month)
        in_month = days.filter(pl.col("day").is_between(first, last))
        purchase_factors.append(_ratio(in_month.height, predicted[month - 1]))
        value_factors.append(_ratio(float(in_month["value"].sum()),
                                    predicted[month - 1] * mean_value))
    factors = [*purchase_factors, *value_factors]
    if not all(math.isfinite(f) for f in factors):
        return Season(False, f"the {model.label} model fitted on the data to "
                             f"{fitted_on:%d %b %Y} gave non-finite predictions", fitted_on)
    return Season(True, "", fitted_on, tuple(purchase_factors), tuple(value_factors))


def checked_against(seasons: Season, errors: list[tuple[float, float]]) -> Season:
    """The season, unless the backtests measured it making things worse: `errors` are the
    (unscaled, season-scaled) total errors of the backtests that had a year before them.
    Without any such backtest, they are applied as last year measured them."""
    if not seasons.available or not errors:
        return seasons
    unscaled = sum(abs(plain) for plain, _ in errors)
    scaled = sum(abs(seasonal) for _, seasonal in errors)
    if scaled <= unscaled:
        return seasons
    return Season(False, f"last year's season factors made the backtests worse (total error "
                         f"{scaled:.0%} scaled against {unscaled:.0%} unscaled), so they are "
                         "not applied", seasons.fitted_on)


def monthly_purchases(model: PurchaseModel, data: SummaryArrays, months: int,
                      unit_days: int) -> np.ndarray:
    """Expected repeat purchases of all customers (weighted rows) in each forecast month."""
    per_month = DAYS_PER_MONTH / unit_days
    cumulative = [0.0] + [
        float((data.weight * model.expected_purchases(m * per_month, data.frequency,
                                                      data.recency, data.T)).sum())
        for m in range(1, months + 1)]
    return np.diff(np.asarray(cumulative))


def _repeat_value(calibration: pl.DataFrame, fallback: float) -> float:
    repeaters = calibration.filter(pl.col("frequency") > 0)
    purchases = float(repeaters["frequency"].sum())
    if purchases <= 0:
        return fallback
    return float((repeaters["frequency"] * repeaters["monetary_value"]).sum()) / purchases


def _ratio(actual: float, predicted: float) -> float:
    return actual / predicted if predicted > 0 else 1.0
