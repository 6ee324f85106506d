"""What manifest.json records of the CLV chapter: models tried and used, checks, backtests, season,
interval and grade."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from reportgen.chapters.clv.analysis import ClvResult
from reportgen.chapters.clv.backtest import Backtest


def clv_manifest(clv: ClvResult) -> dict[str, Any]:
    """Which CLV models were tried and used, their checks, and the backtest's figures."""
    if not clv.enabled:
        return {"enabled": False}
    model = clv.model
    return {
        "enabled": True,
        "available": clv.available,
        "reason": clv.reason,
        "observation_end": clv.observation_end.isoformat(),
        "time_unit_days": clv.params.time_unit_days,
        "horizon_months": clv.params.horizon_months,
        "monthly_discount_rate": clv.params.monthly_discount_rate,
        "model": None if model is None else {
            "name": model.name, "label": model.label, "params": model.params,
            "log_likelihood": model.log_likelihood, "penalizer": model.penalizer,
        },
        "nbd_log_likelihood": clv.fit.nbd_log_likelihood if clv.fit else None,
        "attempts": [asdict(a) for a in clv.fit.attempts] if clv.fit else [],
        "spend": None if clv.spend is None else {
            "method": clv.spend.method, "params": clv.spend.params,
            "penalizer": clv.spend.penalizer, "repeat_customers": clv.spend.repeat_customers,
            "frequency_spend_correlation": clv.spend.frequency_spend_correlation,
            "population_mean": clv.spend.population_mean, "warnings": list(clv.spend.warnings),
        },
        "backtests": [backtest_manifest(b) for b in clv.backtests],
        "grade": None if clv.grade is None else {
            "letter": clv.grade.letter, "season_scaled": clv.grade.season_scaled,
            "checks": [asdict(c) for c in clv.grade.checks],
        },
        "season": {"available": clv.season.available, "reason": clv.season.reason,
                   "fitted_on": clv.season.fitted_on.isoformat() if clv.season.fitted_on
                   else None, "purchase_factors": list(clv.season.purchase_factors),
                   "value_factors": list(clv.season.value_factors)},
        "history_months": clv.history_months,
        "param_intervals": ({name: list(bounds) for name, bounds in clv.param_intervals.items()}
                            if clv.param_intervals else None),
        "clv_interval": list(clv.clv_interval) if clv.clv_interval else None,
        "purchases_12w": clv.purchases_12w if clv.available else None,
        "purchases_12w_interval": (list(clv.purchases_12w_interval)
                                   if clv.purchases_12w_interval else None),
        "total_clv": clv.total_clv if clv.available else None,
        "high_value_at_risk": clv.high_value_at_risk.height if clv.available else None,
    }


def backtest_manifest(backtest: Backtest) -> dict[str, Any]:
    """One backtest window's figures."""
    return {
        "window": backtest.window, "available": backtest.available, "reason": backtest.reason,
        "calibration_end": backtest.calibration_end.isoformat(),
        "holdout_end": backtest.holdout_end.isoformat(),
        "customers": backtest.customers, "model": backtest.model_name,
        "actual": backtest.actual_total, "predicted": backtest.predicted_total,
        "interval": list(backtest.interval) if backtest.interval else None,
        "outside_interval": backtest.outside_interval,
        "baseline": backtest.baseline_total, "aggregate_error": backtest.aggregate_error,
        "baseline_error": backtest.baseline_error, "actual_value": backtest.actual_value,
        "predicted_value": backtest.predicted_value, "value_error": backtest.value_error,
        "rmse": backtest.rmse, "baseline_rmse": backtest.baseline_rmse, "mae": backtest.mae,
        "baseline_mae": backtest.baseline_mae, "top_capture": backtest.top_capture,
        "season_factor": backtest.season_factor, "seasonal_error": backtest.seasonal_error,
        "spend_method": backtest.spend_method, "spend_errors": backtest.spend_errors,
        "candidates": [asdict(c) for c in backtest.candidates],
    }
