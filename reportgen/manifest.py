"""The run manifest: what went in, what came out, with which versions and how long it took."""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import asdict
from importlib import metadata
from typing import Any

from reportgen.analyses.clusters import ClusterResult
from reportgen.analyses.clv import ClvResult
from reportgen.analyses.kpis import PeriodKpis
from reportgen.analyses.recommendations import Recommendation, Skipped
from reportgen.clean import CleanTransactions
from reportgen.config import UnitConfig
from reportgen.facts import FactValue
from reportgen.load import TransactionInput
from reportgen.period import Period
from reportgen.playbook import playbook_path

PACKAGES = (
    "reportgen", "polars", "numpy", "scikit-learn", "lifetimes", "jinja2", "weasyprint",
    "altair", "vl-convert-python", "pydantic", "pydantic-settings",
)


def package_versions() -> dict[str, str]:
    """Installed versions of Python and the packages that shape the numbers and the report."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def run_manifest(
    config: UnitConfig,
    period: Period,
    source: TransactionInput,
    clean: CleanTransactions,
    kpis: PeriodKpis,
    clv: ClvResult | None,
    clusters: ClusterResult | None,
    outputs: dict[str, bytes],
    pdf_pages: int,
    seconds: dict[str, float],
    recommendations: tuple[Recommendation, ...] = (),
    skipped: tuple[Skipped, ...] = (),
    facts: dict[str, FactValue] | None = None,
) -> bytes:
    """The manifest.json bytes for one run."""
    config_json = config.model_dump(mode="json")
    manifest: dict[str, Any] = {
        "unit": config.unit,
        "title": config.title,
        "period": str(period),
        "analysis_date": period.analysis_date.date().isoformat(),
        "config_file": str(config.config_file),
        "config_sha256": hashlib.sha256(
            json.dumps(config_json, sort_keys=True).encode()
        ).hexdigest(),
        "config": config_json,
        "inputs": [asdict(f) for f in source.files],
        "rows": {
            "read": source.rows_read,
            "purchase_lines": clean.purchases.height,
            "return_lines": clean.returns.height,
            "removed": sum(e.rows for e in clean.ledger if e.removed),
        },
        "data_quality": [asdict(e) for e in clean.ledger],
        "kpis": {
            key: value for key, value in asdict(kpis).items() if key != "period"
        },
        "clv": clv_manifest(clv),
        "clusters": None if clusters is None else {
            "features": list(clusters.features), "chosen_k": clusters.chosen_k,
            "k_reason": clusters.k_reason, "silhouette_k": clusters.silhouette_k,
            "elbow_k": clusters.elbow_k, "silhouette": clusters.silhouette,
            "calinski_harabasz": clusters.calinski_harabasz,
            "davies_bouldin": clusters.davies_bouldin,
            "selection": clusters.selection.to_dicts(),
            "sizes": dict(clusters.profiles.select("cluster_name", "customers").rows()),
        },
        "recommendations": [
            {"priority": r.priority, "id": r.id, "title": r.title, "evidence": r.evidence,
             "action": r.action, "audience_size": r.audience_size,
             "value_at_stake": r.value_at_stake, "value_basis": r.value_basis}
            for r in recommendations
        ],
        "recommendations_not_fired": [asdict(s) for s in skipped],
        "playbook_file": str(playbook_path(config)),
        "facts": facts or {},
        "outputs": {
            name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in outputs.items()
        },
        "pdf_pages": pdf_pages,
        "versions": package_versions(),
        "timings_seconds": seconds,
    }
    return (json.dumps(manifest, indent=2) + "\n").encode("utf-8")


def clv_manifest(clv: ClvResult | None) -> dict[str, Any]:
    """Which CLV models were tried and used, their checks, and the backtest's figures."""
    if clv is None:
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
        "total_clv": float(clv.customers["clv"].sum()) if clv.available else None,
        "high_value_at_risk": clv.high_value_at_risk.height if clv.available else None,
    }
