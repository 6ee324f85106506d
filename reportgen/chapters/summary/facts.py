"""Facts of the executive summary: the month's sales KPIs."""

from __future__ import annotations

from reportgen.chapters.summary.analysis import SummaryResult
from reportgen.playbook.facts import FactSpec, FactValue

FACT_SPECS = (
    FactSpec("kpi.revenue", "money", "Revenue of the period"),
    FactSpec("kpi.revenue_change", "share", "Revenue change against the previous period"),
    FactSpec("kpi.orders", "count", "Orders in the period"),
    FactSpec("kpi.new_customers", "count", "Customers whose first purchase is in the period"),
    FactSpec("kpi.active_customers", "count", "Identified customers who bought in the period"),
)


def summary_facts(result: SummaryResult) -> dict[str, FactValue]:
    """The period's KPIs; the revenue change only when the previous month had revenue."""
    kpis = result.kpis
    facts: dict[str, FactValue] = {
        "kpi.revenue": kpis.revenue,
        "kpi.orders": kpis.orders,
        "kpi.new_customers": kpis.new_customers,
        "kpi.active_customers": kpis.active_customers,
    }
    if result.revenue_change is not None:
        facts["kpi.revenue_change"] = result.revenue_change
    return facts
