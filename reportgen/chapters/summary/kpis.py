"""The KPI catalogue: every headline figure of the month, defined once. The summary's rows, the
email's figures and the playbook's kpi.* facts are read from here, in this order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class KpiSpec:
    """One KPI: the `PeriodKpis` attribute it reads, how it is named and printed, whether a
    rise is good, whether the email shows it, and its playbook fact's description (kpi.<key>;
    none without one)."""

    key: str
    label: str
    kind: Literal["money", "count", "share"]
    higher_is_better: bool
    in_email: bool
    needs_returns: bool = False  # left out for a unit whose data hold no returns
    fact: str = ""


KPIS: tuple[KpiSpec, ...] = (
    KpiSpec("revenue", "Revenue", "money", True, True, fact="Revenue of the period"),
    KpiSpec("orders", "Orders", "count", True, True, fact="Orders in the period"),
    KpiSpec("active_customers", "Active customers", "count", True, True,
            fact="Identified customers who bought in the period"),
    KpiSpec("new_customers", "New customers", "count", True, True,
            fact="Customers whose first purchase is in the period"),
    KpiSpec("returning_customers", "Returning customers", "count", True, False),
    KpiSpec("average_order_value", "Average order value", "money", True, True),
    KpiSpec("anonymous_revenue_share", "Revenue without a customer id", "share", False, True),
    KpiSpec("returns_value", "Returns", "money", False, True, needs_returns=True),
    KpiSpec("net_revenue", "Net revenue", "money", True, True, needs_returns=True),
)
