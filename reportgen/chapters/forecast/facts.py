"""Facts of next month's forecast (only when there is one)."""

from __future__ import annotations

from reportgen.playbook.facts import FactSpec

FACT_SPECS = (
    FactSpec("forecast.revenue", "money", "Revenue expected next month (bias-corrected forecast)",
             lambda r: r.next_month.revenue if r.next_month else None),
    FactSpec("forecast.low", "money", "Low end of its 80 % range (none before three earlier "
             "forecasts can be judged)", lambda r: r.next_month.low if r.next_month else None),
    FactSpec("forecast.high", "money", "High end of its 80 % range",
             lambda r: r.next_month.high if r.next_month else None),
)
