"""The month explained: the revenue bridge against the month before (and a year before), the
accounts that moved against their own usual level, what stands out, next month's forecast and
the targets."""

from __future__ import annotations

from typing import Any

import polars as pl

from reportgen.chapters.base import AnalysisInputs, Chapter, Section, SectionInputs
from reportgen.chapters.movement.analysis import (
    MovementResult,
    account_movers,
    kpi_anomalies,
    order_anomalies,
    revenue_bridge,
)
from reportgen.chapters.movement.facts import FACT_SPECS
from reportgen.chapters.movement.section import MovementView, movement_section
from reportgen.chapters.summary.analysis import SummaryResult
from reportgen.chapters.summary.kpis import KPIS
from reportgen.models.records import record


class MovementChapter(Chapter[MovementResult], key="movement", title="The month explained",
                      needs=("summary",), facts=FACT_SPECS):
    """What changed and why, who moved, what stands out, what next month holds."""

    has_detail = True  # the record of earlier forecasts

    def compute(self, inputs: AnalysisInputs) -> MovementResult:
        """The bridges, movers and anomalies of the period."""
        orders = inputs.clean.orders.filter(pl.col("invoice_date") < inputs.period.analysis_date)
        period = inputs.period
        summary = inputs.results.of("summary", SummaryResult)
        year_ago = summary.year_ago
        return MovementResult(
            bridge=revenue_bridge(orders, period, period.shift(-1)),
            bridge_year=(revenue_bridge(orders, period, period.shift(-12))
                         if year_ago.has_orders and not year_ago.data_starts else None),
            movers=account_movers(orders, period),
            anomalies=(*order_anomalies(orders, period),
                       *kpi_anomalies(summary.months, period, tuple(
                           (kpi.key, kpi.label, kpi.kind) for kpi in KPIS
                           if kpi.key != "anonymous_revenue_share"
                           and (summary.has_returns or not kpi.needs_returns)))),
        )

    def section(self, result: MovementResult, inputs: SectionInputs) -> Section[MovementView]:
        """The month-explained page."""
        return movement_section(result, inputs)

    def manifest(self, result: MovementResult) -> dict[str, Any]:
        """revenue_bridge (and revenue_bridge_year), account_movers, anomalies."""
        def bridge(found: Any) -> dict[str, Any] | None:
            return None if found is None else {**record(found), "period": str(found.period),
                                               "previous_period": str(found.previous_period)}

        return {"revenue_bridge": bridge(result.bridge),
                "revenue_bridge_year": bridge(result.bridge_year),
                "account_movers": [record(m) for m in result.movers],
                "anomalies": [record(a) for a in result.anomalies]}

