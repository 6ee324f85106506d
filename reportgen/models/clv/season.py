"""Season: how last year's same months ran against what the model predicted for them.

The purchase models know no calendar: they predict the same pace in December as in July.
With at least SEASON_HISTORY_MONTHS months of history, the report's model is asked, for each
of the twelve months before the observation end, what the customers known at the month's
start would buy in it, from their history up to then; what they bought (in purchases and in
pounds) over that prediction is the calendar month's season factor, and the forecast's months
are scaled by the factors of the same months. The factors are dropped when the backtests
measure them making things worse (checked_against). With less history the forecast is
"season-blind": shown unscaled and labelled so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from reportgen.models.clv.purchase import PurchaseModel, SummaryArrays
from reportgen.models.clv.summary import DayHistory, purchase_days

DAYS_PER_MONTH = 4.345 * 7  # lifetimes' month
SEASON_HISTORY_MONTHS = 13
YEAR_DAYS = 365


@dataclass(frozen=True)
class Season:
    """Per forecast month (1..12), last year's actual / predicted purchases and pounds."""

    available: bool
    reason: str  # why the forecast is season-blind, when it is
    fitted_on: date | None = None  # the start of the year the factors were measured on
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


def season(purchases: pl.DataFrame, observation_end: date, unit_days: float,
           expected_value: float, model: PurchaseModel) -> Season:
    """Season factors from the year before observation_end, or why there are none.

    Time is in units of `unit_days` days, as the model was fitted. For each of the twelve
    months of that year, the report's model predicts the month's
    repeat purchases of the customers who had bought by its start, from their history up to
    then; the month's actual purchases (and pounds, against the prediction priced at
    `expected_value` a purchase) over that prediction is its factor.
    """
    months = history_months(purchases, observation_end)
    if months < SEASON_HISTORY_MONTHS:
        return Season(False, f"{months:.0f} months of history; measuring the season needs "
                             f"{SEASON_HISTORY_MONTHS}")
    fitted_on = observation_end - timedelta(days=YEAR_DAYS)
    purchase_factors, value_factors = [], []
    history = DayHistory(purchase_days(purchases, None, observation_end))
    for month in range(1, 13):
        first, last = month_bounds(fitted_on, month)
        known, arrays = history.summary_at(first - timedelta(days=1), unit_days)
        bought, value = history.bought_between(first, last, known)
        predicted = float(model.expected_purchases(
            ((last - first).days + 1) / unit_days, arrays.frequency,
            arrays.recency, arrays.T).sum())
        purchase_factors.append(_ratio(bought, predicted))
        value_factors.append(_ratio(value, predicted * expected_value))
    factors = [*purchase_factors, *value_factors]
    if not all(math.isfinite(f) for f in factors):
        return Season(False, f"the {model.label} model gave non-finite predictions for the "
                             f"year to {observation_end:%d %b %Y}", fitted_on)
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


def _ratio(actual: float, predicted: float) -> float:
    return actual / predicted if predicted > 0 else 1.0
