"""What manifest.json records of the CLV chapter: models tried and used, checks, backtests, season,
interval and grade. The models' results are recorded as they are (`models.records.record`)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from reportgen.chapters.clv.analysis import ClvResult
from reportgen.models.records import plain, record


def clv_manifest(clv: ClvResult) -> dict[str, Any]:
    """Which CLV models were tried and used, their checks, and the backtest's figures."""
    if not clv.enabled:
        return {"enabled": False}
    model, forecast = clv.model, clv.forecast
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
        "backtests": [record(b) for b in clv.backtests],
        "rolling_windows": [record(e) for e in clv.rolling],
        "interval_coverage": {"purchases": list(clv.coverage), "value": list(clv.value_coverage),
                              "level": 0.9},
        "history_months": clv.history_months,
        **({"spend": None, "grade": None, "season": {"available": False},
            "param_intervals": None, "clv_interval": None, "group_intervals": None, "segment_intervals": None,
            "purchases_12w": None,
            "purchases_12w_interval": None, "total_clv": None, "high_value_at_risk": None}
           if forecast is None else {
            "spend": record(forecast.spend),
            "grade": None if forecast.grade is None else record(forecast.grade),
            "season": record(forecast.season),
            "param_intervals": plain(forecast.param_intervals),
            "clv_interval": plain(forecast.clv_interval),
            "group_intervals": plain(forecast.group_intervals),
            "segment_intervals": plain(forecast.segment_intervals),
            "purchases_12w": forecast.purchases_12w,
            "purchases_12w_interval": plain(forecast.purchases_12w_interval),
            "total_clv": forecast.total_clv,
            "high_value_at_risk": forecast.high_value_at_risk.height}),
    }

