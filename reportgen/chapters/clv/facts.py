"""Facts of the CLV chapter: the value at stake over the horizon."""

from __future__ import annotations

from reportgen.chapters.clv.analysis import ClvResult
from reportgen.playbook.facts import FactSpec, FactValue

FACT_SPECS = (
    FactSpec("high_value_at_risk.count", "count", "CLV group A customers in slipping segments"),
    FactSpec("high_value_at_risk.clv", "money", "Their CLV over the horizon"),
    FactSpec("clv.total", "money", "CLV of all customers over the horizon"),
    FactSpec("clv.group_a_share", "share", "Share of CLV held by CLV group A"),
    FactSpec("clv.horizon_months", "count", "CLV horizon in months"),
)


def clv_facts(result: ClvResult) -> dict[str, FactValue]:
    """The CLV facts, when CLV is available this month."""
    if not result.available:
        return {}
    return {
        "clv.total": result.total_clv,
        "clv.group_a_share": result.group_a_share,
        "clv.horizon_months": result.params.horizon_months,
        "high_value_at_risk.count": result.high_value_at_risk.height,
        "high_value_at_risk.clv": result.at_risk_clv,
    }
