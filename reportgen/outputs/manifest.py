"""The run manifest: what went in, what came out, with which versions and how long it took."""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import asdict
from importlib import metadata
from typing import Any

import polars as pl

from reportgen.config import UnitConfig
from reportgen.inputs.clean import CleanTransactions
from reportgen.inputs.load import InputReading
from reportgen.period import Period
from reportgen.playbook.entries import playbook_path
from reportgen.playbook.evaluate import PlaybookOutcome, Recommendation
from reportgen.playbook.no_action import NO_ACTION_FILE

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
    source: InputReading,
    clean: CleanTransactions,
    chapter_entries: dict[str, Any],
    playbook: PlaybookOutcome,
    outputs: dict[str, bytes],
    pdf_pages: int,
    seconds: dict[str, float],
) -> bytes:
    """The manifest.json bytes for one run; `chapter_entries` are what each chapter records."""
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
            "purchase_lines": clean.purchase_lines,
            "return_lines": clean.return_lines,
            "removed": sum(e.rows for e in clean.log if e.removed),
        },
        "data_quality": [asdict(e) for e in clean.log],
        "suspected_entry_errors": clean.entry_errors.with_columns(
            pl.col("invoice_date").dt.strftime("%Y-%m-%d %H:%M:%S")).to_dicts(),
        **chapter_entries,
        "recommendations": [recommendation_entry(r) for r in playbook.recommendations],
        "insights": [asdict(i) for i in playbook.insights],
        "recommendations_not_worth_it": [recommendation_entry(r)
                                         for r in playbook.not_worth_it],
        "recommendations_not_fired": [asdict(s) for s in playbook.skipped],
        "no_action": no_action_entry(playbook),
        "playbook_file": str(playbook_path(config)),
        "facts": playbook.facts,
        "outputs": {
            name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in outputs.items()
        },
        "pdf_pages": pdf_pages,
        "versions": package_versions(),
        "timings_seconds": seconds,
    }
    return (json.dumps(manifest, indent=2) + "\n").encode("utf-8")


def recommendation_entry(recommendation: Recommendation) -> dict[str, object]:
    """A fired action as the manifest records it (values over the CLV horizon; null where
    not estimated): its economics and control group, with the derived figures."""
    economics = recommendation.economics
    return {**asdict(recommendation), "action_file": recommendation.action_file,
            "assigned_elsewhere": recommendation.assigned_elsewhere,
            "contact_size": recommendation.contact_size,
            "cost": recommendation.cost,
            "expected_incremental_profit": recommendation.expected_incremental_profit,
            "break_even_response": recommendation.break_even_response,
            "economics": None if economics is None else {
                **asdict(economics), "value_factor": economics.value_factor,
                "coupon_cost": economics.coupon_cost, "cost": economics.cost}}


def no_action_entry(playbook: PlaybookOutcome) -> dict[str, object] | None:
    """How many customers are in no list, by reason (actions/no_action.csv has each)."""
    table = playbook.no_action
    if table is None:
        return None
    counts = table.group_by("reason").len().sort(["len", "reason"], descending=[True, False])
    return {"customers": table.height, "file": NO_ACTION_FILE,
            "by_reason": {reason: int(n) for reason, n in counts.iter_rows()}}
