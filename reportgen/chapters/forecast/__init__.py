"""Next month's revenue: identified customers from the lifetime-value model, new customers and
orders without a customer id from their run-rates, with an interval earned by the data's own
rolling backtests. Shown on the month-explained page and in the summary; no page of its own."""

from __future__ import annotations

from typing import Any

from reportgen.chapters.base import AnalysisInputs, Chapter
from reportgen.chapters.clv.analysis import ClvResult
from reportgen.chapters.forecast.analysis import LEVEL, ForecastResult, revenue_forecasts
from reportgen.chapters.forecast.facts import FACT_SPECS
from reportgen.models.records import record


class ForecastChapter(Chapter[ForecastResult], key="forecast", title="Next month",
                      needs=("clv",), facts=FACT_SPECS):
    """Next month's revenue forecast."""

    has_page = False

    def compute(self, inputs: AnalysisInputs) -> ForecastResult:
        """The forecast and its backtests, or why there is none (no CLV model)."""
        clv = inputs.results.of("clv", ClvResult)
        if clv.model is None or clv.forecast is None:
            return ForecastResult(None, (), LEVEL, "there is no lifetime-value model this month "
                                  f"({clv.reason.rstrip('.')})", without_model=True)
        return revenue_forecasts(inputs.clean.orders, inputs.period, clv.model,
                                 clv.forecast.spend.method, inputs.config.clv)

    def manifest(self, result: ForecastResult) -> dict[str, Any]:
        """forecast: next month's revenue, its interval, and the backtests it is judged on."""
        coming = result.next_month
        return {"forecast": {
            "period": str(coming.period) if coming else None,
            "revenue": coming.revenue if coming else None,
            "low": coming.low if coming else None,
            "high": coming.high if coming else None,
            "level": result.level,
            "coverage_in_backtests": result.coverage_in_backtests,
            "reason": result.reason,
            "parts": None if coming is None else {
                "identified": coming.identified, "new": coming.new,
                "anonymous": coming.anonymous, "bias_factor": coming.bias_factor,
                "season_scaled": coming.season_scaled},
            "backtests": [{**record(f), "made_in": str(f.made_in), "period": str(f.period)}
                          for f in result.past],
        }}

    def missing(self, result: ForecastResult) -> str | None:
        """Why there is no forecast, when there is none."""
        if result.next_month or result.without_model:  # the CLV chapter says why it is missing
            return None
        return f"no revenue forecast: {result.reason}"
