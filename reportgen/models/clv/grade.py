"""The forecast grade, A to D, from the latest backtest: four checks, one letter.

1. Purchases: the total predicted for the holdout within COUNT_TOLERANCE of what happened.
2. Pounds: the value predicted within VALUE_TOLERANCE of what was spent.
3. Customers: a lower root-mean-square error per customer than the naive rule (each customer
   keeps their past rate).
4. Ranking: the 10 % of customers predicted highest made at least MIN_TOP_CAPTURE of the
   purchases of the 10 % who bought most.

Four checks passed give A, three B, two C, one or none D. When the forecast is scaled by the
season, the totals are judged season-scaled too, as the forecast is.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.models.clv.holdout import Backtest, relative_error

COUNT_TOLERANCE = 0.10
VALUE_TOLERANCE = 0.15
MIN_TOP_CAPTURE = 0.60
LETTERS = {4: "A", 3: "B", 2: "C", 1: "D", 0: "D"}


@dataclass(frozen=True)
class GradeCheck:
    """One of the four checks: what it measured and whether it passed."""

    name: str
    value: float | None
    threshold: float
    passed: bool


@dataclass(frozen=True)
class ForecastGrade:
    """The letter and the checks behind it."""

    letter: str
    checks: tuple[GradeCheck, ...]
    season_scaled: bool

    @property
    def passed(self) -> int:
        """How many checks passed."""
        return sum(check.passed for check in self.checks)


def forecast_grade(backtest: Backtest, season_scaled: bool) -> ForecastGrade | None:
    """The grade of a backtest; None when it could not run."""
    if not backtest.available:
        return None
    factor = backtest.season_factor if season_scaled and backtest.season_factor else 1.0
    scaled = season_scaled and backtest.season_factor is not None
    count_error = relative_error(backtest.predicted * factor, backtest.actual)
    value_error = relative_error(backtest.predicted_value * factor, backtest.actual_value)
    checks = (
        GradeCheck("purchases", count_error, COUNT_TOLERANCE,
                   count_error is not None and abs(count_error) <= COUNT_TOLERANCE),
        GradeCheck("pounds", value_error, VALUE_TOLERANCE,
                   value_error is not None and abs(value_error) <= VALUE_TOLERANCE),
        GradeCheck("customers", backtest.rmse, backtest.baseline_rmse,
                   backtest.rmse < backtest.baseline_rmse),
        GradeCheck("ranking", backtest.top_capture, MIN_TOP_CAPTURE,
                   backtest.top_capture is not None and backtest.top_capture >= MIN_TOP_CAPTURE),
    )
    return ForecastGrade(LETTERS[sum(c.passed for c in checks)], checks, scaled)
