"""What manifest.json records of the CLV chapter: models tried and used, checks, backtest."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from reportgen.chapters.clv.analysis import ClvResult


def clv_manifest(clv: ClvResult) -> dict[str, Any]:
    """Which CLV models were tried and used, their checks, and the backtest's figures."""
    if not clv.enabled:
        return {"enabled": False}
    backtest = clv.backtest
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
        "backtest": {
            "available": backtest.available, "reason": backtest.reason,
            "calibration_end": backtest.calibration_end.isoformat(),
            "holdout_end": backtest.holdout_end.isoformat(),
            "customers": backtest.customers, "model": backtest.model_name,
            "actual": backtest.actual_total, "predicted": backtest.predicted_total,
            "baseline": backtest.baseline_total, "aggregate_error": backtest.aggregate_error,
            "baseline_error": backtest.baseline_error, "mae": backtest.mae,
            "baseline_mae": backtest.baseline_mae,
            "candidates": [asdict(c) for c in backtest.candidates],
        },
        "total_clv": clv.total_clv if clv.available else None,
        "high_value_at_risk": clv.high_value_at_risk.height if clv.available else None,
    }
