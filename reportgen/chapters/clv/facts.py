"""Facts of the CLV chapter: the value at stake over the horizon (only when CLV is available;
see ClvChapter.facts)."""

from __future__ import annotations

from reportgen.playbook.facts import FactSpec

FACT_SPECS = (
    FactSpec("high_value_at_risk.count", "count", "CLV group A customers in slipping segments",
             lambda r: r.forecast.high_value_at_risk.height),
    FactSpec("high_value_at_risk.clv", "money", "Their CLV over the horizon", "forecast.at_risk_clv"),
    FactSpec("clv.total", "money", "CLV of all customers over the horizon", "forecast.total_clv"),
    FactSpec("clv.group_a_share", "share", "Share of CLV held by CLV group A", "forecast.group_a_share"),
    FactSpec("clv.horizon_months", "count", "CLV horizon in months", "params.horizon_months"),
    FactSpec("clv.grade", "text", "Forecast grade A-D from the latest backtest ('not graded' "
             "when it could not run)", lambda r: r.forecast.grade.letter if r.forecast.grade
             else "not graded"),
)
