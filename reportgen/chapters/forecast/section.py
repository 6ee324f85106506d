"""Next month's forecast as the month-explained page and the summary show it."""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.chapters.base import SectionInputs
from reportgen.chapters.forecast.analysis import (
    RUN_RATE_MONTHS,
    ForecastResult,
    MonthForecast,
)
from reportgen.chapters.forecast.charts import past_forecasts_chart
from reportgen.display.charts import Chart
from reportgen.display.formatting import money, pct

PAST_SHOWN = 6  # past forecasts in the chart and the table


@dataclass(frozen=True)
class ForecastView:
    """Next month's forecast, its parts, its interval and how earlier forecasts fared."""

    month: str
    revenue: float
    low: float | None
    high: float | None
    level: float
    identified: float
    new: float
    anonymous: float
    bias_factor: float
    season_scaled: bool
    run_rate_months: int
    past: tuple[MonthForecast, ...]  # the last PAST_SHOWN backtests
    judged: int  # past forecasts with an interval and an actual
    coverage: float | None
    interval_missing: str  # why there is no interval, when there is none


def forecast_view(result: ForecastResult, inputs: SectionInputs
                  ) -> tuple[ForecastView, dict[str, Chart]]:
    """The forecast's block and its chart (the result must hold next month's forecast)."""
    coming = result.next_month
    assert coming is not None
    past = result.past[-PAST_SHOWN:]
    view = ForecastView(
        month=coming.period.label, revenue=coming.revenue, low=coming.low, high=coming.high,
        level=result.level, identified=coming.identified, new=coming.new,
        anonymous=coming.anonymous, bias_factor=coming.bias_factor,
        season_scaled=coming.season_scaled, run_rate_months=RUN_RATE_MONTHS, past=past,
        judged=result.judged, coverage=result.coverage_in_backtests,
        interval_missing="" if coming.low is not None else
        f"only {sum(f.actual is not None for f in result.past)} earlier forecasts to judge it "
        "by; an interval needs three",
    )
    charts = {"past_forecasts": Chart("", "", past_forecasts_chart(
        (*past, coming), inputs.config.currency, inputs.symbol))}
    return view, charts


def next_month_line(result: ForecastResult | None, target: float | None,
                    currency: str) -> str:
    """Next month's forecast in one sentence, against its target where one is set."""
    if result is None or result.next_month is None:
        return ("No forecast for next month: "
                + (result.reason if result else "there is no lifetime-value model this month")
                + ".")
    coming = result.next_month
    interval = (f" ({pct(result.level, 0)} range {money(coming.low, currency)} – "
                f"{money(coming.high, currency)})" if coming.low is not None
                else " (no range yet: too few earlier forecasts to judge it by)")
    against = ""
    if target:
        gap = coming.revenue / target - 1
        against = (f", {pct(abs(gap))} {'above' if gap >= 0 else 'below'} the target of "
                   f"{money(target, currency)}")
    return (f"{coming.period.label}: revenue of {money(coming.revenue, currency)} "
            f"expected{interval}{against}.")
