"""Facts of the executive summary: the month's sales KPIs."""

from __future__ import annotations

from reportgen.playbook.facts import FactSpec

FACT_SPECS = (
    FactSpec("kpi.revenue", "money", "Revenue of the period", "kpis.revenue"),
    FactSpec("kpi.revenue_change", "share", "Revenue change against the previous period",
             "revenue_change"),
    FactSpec("kpi.orders", "count", "Orders in the period", "kpis.orders"),
    FactSpec("kpi.new_customers", "count", "Customers whose first purchase is in the period",
             "kpis.new_customers"),
    FactSpec("kpi.active_customers", "count", "Identified customers who bought in the period",
             "kpis.active_customers"),
)
