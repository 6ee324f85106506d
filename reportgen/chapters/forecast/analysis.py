"""Next month's revenue, with an interval earned by the data's own backtests.

The forecast made at the end of a month for the month after it has three parts:
- identified customers: the purchase model the CLV chapter chose (same family, refitted on the
  history up to the end of the month) predicts each customer's purchases in the coming month,
  priced by the same kind of spend model; scaled by last year's actual / predicted value over
  the same calendar days where the history reaches a year back (season-scaled);
- new customers: the mean revenue of new customers in their first month over the last
  RUN_RATE_MONTHS months;
- orders without a customer id: their mean revenue over the last RUN_RATE_MONTHS months.

The same forecast is made at the end of each of the MAX_BACKTESTS months before (those with at
least MIN_HISTORY_MONTHS of data before them: rolling origins) and compared with what
happened; the model is refitted every REFIT_EVERY_MONTHS origins (and for the coming month),
each origin in between using the latest earlier fit. Each forecast is corrected by
the smoothed bias of the forecasts whose month had ended by then, and its interval comes from
those corrected forecasts' errors (`models.forecast.judged_forecasts`), so a past month's
forecast and interval are the ones its report would have printed. The coverage in the
backtests is the share of those intervals that held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import ClassVar

import numpy as np
import polars as pl

from reportgen.config import ClvConfig
from reportgen.inputs.reduce import exact_sum
from reportgen.models.clv.purchase import PurchaseModel, fit_family
from reportgen.models.clv.spend import SpendModel, fit_spend_model, shrunk_mean_model
from reportgen.models.clv.summary import (
    compressed_summary,
    customer_summary,
    daily_purchases,
    purchase_days,
    summary_arrays,
)
from reportgen.models.forecast import judged_forecasts
from reportgen.period import Period

LEVEL = 0.8
RUN_RATE_MONTHS = 3
MIN_HISTORY_MONTHS = 4
MAX_BACKTESTS = 12  # rolling origins before the period: a year of forecasts to judge by
REFIT_EVERY_MONTHS = 3
MIN_CUSTOMERS = 20
YEAR = timedelta(days=364)  # 52 weeks: the same weekdays a year earlier


@dataclass(frozen=True)
class MonthForecast:
    """The revenue forecast for `period`, made with the data up to the end of `made_in`."""

    RECORD_PROPERTIES: ClassVar[tuple[str, ...]] = ("inside",)

    made_in: Period
    period: Period
    revenue: float  # the model's forecast times the bias factor
    identified: float  # the model's three parts, before the bias factor
    new: float
    anonymous: float
    bias_factor: float  # exp(smoothed log error of the earlier forecasts): 1 before any
    season_scaled: bool
    low: float | None  # the LEVEL interval (None: too few earlier forecasts to judge)
    high: float | None
    actual: float | None  # what happened (None: the month is still ahead)

    @property
    def model_revenue(self) -> float:
        """The model's forecast before the bias correction: the three parts' sum."""
        return self.identified + self.new + self.anonymous

    @property
    def inside(self) -> bool | None:
        """Whether the actual fell inside the interval (None without both)."""
        if self.actual is None or self.low is None or self.high is None:
            return None
        return self.low <= self.actual <= self.high


@dataclass(frozen=True)
class ForecastResult:
    """Next month's forecast and the backtests it is judged on; `next_month` None says why
    not in `reason`."""

    next_month: MonthForecast | None
    past: tuple[MonthForecast, ...]  # the rolling-origin backtests, oldest first
    level: float
    reason: str
    without_model: bool = False  # no lifetime-value model to forecast with (its chapter says why)

    @property
    def coverage_in_backtests(self) -> float | None:
        """Share of the past forecasts with an interval whose interval held."""
        judged = [f.inside for f in self.past if f.inside is not None]
        return sum(judged) / len(judged) if judged else None

    @property
    def judged(self) -> int:
        """Past forecasts with an interval and an actual."""
        return sum(f.inside is not None for f in self.past)


def revenue_forecasts(orders: pl.DataFrame, period: Period, model: PurchaseModel,
                      spend_method: str, params: ClvConfig,
                      backtests: int = MAX_BACKTESTS) -> ForecastResult:
    """Next month's forecast after `period`, and those of the `backtests` months before it
    (module text)."""
    orders = orders.filter(pl.col("invoice_date") < period.analysis_date)
    first = orders["invoice_date"].min()
    if first is None:
        return ForecastResult(None, (), LEVEL, "no purchases")
    start = max(Period.of(first).shift(MIN_HISTORY_MONTHS - 1),  # type: ignore[arg-type]
                period.shift(-backtests))
    monthly = monthly_parts(orders)
    daily = daily_purchases(orders)
    origins: list[Period] = []
    parts: list[tuple[float, float, float, bool]] = []
    fitted: PurchaseModel | None = None
    origin, step = start, 0
    while origin <= period:
        summary = customer_summary(daily, origin.last_day, params.time_unit_days)
        if summary.height >= MIN_CUSTOMERS:
            # Refitted every REFIT_EVERY_MONTHS origins and for the coming month; in between
            # the latest earlier fit serves (it knows nothing after its own origin).
            if fitted is None or step % REFIT_EVERY_MONTHS == 0 or origin == period:
                fitted = refit(model, summary, params)
            step += 1
            if fitted is not None:
                origins.append(origin)
                parts.append(forecast_parts(daily, monthly, origin, summary, fitted,
                                            spend_method, params))
        origin = origin.shift(1)
    if not origins or origins[-1] != period:
        return ForecastResult(None, (), LEVEL, f"the {model.label} model could not be refitted "
                              f"on the data to {period.label}")
    actuals = [float(monthly.filter(pl.col("month") == o.shift(1).start)["revenue"].sum())
               if o < period else None for o in origins]
    judged = judged_forecasts([sum(p[:3]) for p in parts], actuals, LEVEL)
    made = tuple(
        MonthForecast(origin, origin.shift(1), j.corrected, *p[:3], j.bias_factor, p[3], j.low,
                      j.high, actual)
        for origin, p, j, actual in zip(origins, parts, judged, actuals, strict=True))
    return ForecastResult(made[-1], made[:-1], LEVEL, "")


def monthly_parts(orders: pl.DataFrame) -> pl.DataFrame:
    """Per month: revenue, revenue of customers new that month, revenue without a customer id."""
    month = pl.col("invoice_date").dt.truncate("1mo")
    first = (orders.filter(pl.col("customer_id").is_not_null())
             .group_by("customer_id").agg(month.min().alias("first_month")))
    return (orders.join(first, on="customer_id", how="left")
            .group_by(month.alias("month"))
            .agg(exact_sum("revenue"),
                 exact_sum(pl.col("revenue").filter(pl.col("first_month") == month))
                 .alias("new"),
                 exact_sum(pl.col("revenue").filter(pl.col("customer_id").is_null()))
                 .alias("anonymous"))
            .sort("month"))


def forecast_parts(daily: pl.DataFrame, monthly: pl.DataFrame, origin: Period,
                   summary: pl.DataFrame, fitted: PurchaseModel, spend_method: str,
                   params: ClvConfig) -> tuple[float, float, float, bool]:
    """(identified, new, anonymous, season-scaled) for the month after `origin`, from the data
    up to its end (`summary`) and a model fitted on data no later than it."""
    end, target = origin.last_day, origin.shift(1)
    spend = spend_model(daily, summary, end, spend_method, params)
    days = (target.last_day - end).days / params.time_unit_days
    identified = predicted_value(fitted, spend, summary, days)
    factor = last_year_factor(daily, end, target.last_day, fitted, spend, params)
    recent = monthly.filter(pl.col("month").is_between(origin.shift(-(RUN_RATE_MONTHS - 1)).start,
                                                       origin.start))
    return (identified * (factor or 1.0), float(recent["new"].mean() or 0.0),  # type: ignore[arg-type]
            float(recent["anonymous"].mean() or 0.0), factor is not None)  # type: ignore[arg-type]


def refit(model: PurchaseModel, summary: pl.DataFrame, params: ClvConfig) -> PurchaseModel | None:
    """The same family as the report's model, fitted on `summary` (compressed: one row per
    distinct history) with the penalizer the report's fit settled on and the unit's acceptance
    rules; NBD when the report's model is NBD."""
    return fit_family(summary_arrays(compressed_summary(summary)), model.name, [model.penalizer],
                      params.min_dropout_evidence, params.allow_no_dropout_model).model


def spend_model(daily: pl.DataFrame, summary: pl.DataFrame, end: date, method: str,
                params: ClvConfig) -> SpendModel:
    """The kind of spend model the report uses, fitted on the history up to `end`."""
    frequency = summary["frequency"].to_numpy()
    monetary = summary["monetary_value"].to_numpy()
    fallback = float(purchase_days(daily, None, end)["value"].mean() or 0.0)  # type: ignore[arg-type]
    if method == "shrunk mean":
        return shrunk_mean_model(frequency, monetary, fallback)
    return fit_spend_model(frequency, monetary, fallback, list(params.spend_penalizers),
                           params.max_spend_frequency_correlation)


def predicted_value(model: PurchaseModel, spend: SpendModel, summary: pl.DataFrame,
                    t: float) -> float:
    """Expected revenue of the summary's customers over the next t time units."""
    data = summary_arrays(summary)
    purchases = model.expected_purchases(t, data.frequency, data.recency, data.T)
    value = spend.expected_values(summary)
    total = float(np.sum(purchases * value))
    return total if np.isfinite(total) else 0.0


def last_year_factor(daily: pl.DataFrame, end: date, target_end: date, model: PurchaseModel,
                     spend: SpendModel, params: ClvConfig) -> float | None:
    """Last year's actual / predicted value of the customers then known, over the same days a
    year earlier; None when the data do not reach that far back with enough customers."""
    then_end, then_target_end = end - YEAR, target_end - YEAR
    first_day = daily["day"].min()
    if not isinstance(first_day, date) or (then_end - first_day).days < 30 * MIN_HISTORY_MONTHS:
        return None
    earlier = customer_summary(daily, then_end, params.time_unit_days)
    if earlier.height < MIN_CUSTOMERS:
        return None
    predicted = predicted_value(model, spend, earlier,
                                (then_target_end - then_end).days / params.time_unit_days)
    actual = float(purchase_days(daily, then_end + timedelta(days=1), then_target_end)
                   .join(earlier.select("customer_id"), on="customer_id", how="semi")
                   ["value"].sum())
    if predicted <= 0 or actual <= 0:
        return None
    return actual / predicted
