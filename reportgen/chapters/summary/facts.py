"""Facts of the executive summary: the month's sales KPIs (those of the catalogue with a fact)
and the revenue change."""

from __future__ import annotations

from reportgen.chapters.summary.kpis import KPIS
from reportgen.playbook.facts import FactSpec

FACT_SPECS = (
    *(FactSpec(f"kpi.{kpi.key}", kpi.kind, kpi.fact, f"kpis.{kpi.key}") for kpi in KPIS
      if kpi.fact),
    FactSpec("kpi.revenue_change", "share", "Revenue change against the previous period",
             "revenue_change"),
)
