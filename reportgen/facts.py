"""The facts the analyses publish for the playbook: names, kinds, meanings, and their values.

A fact name is either fixed (`peak_hour`) or a family with a segment name after the dot
(`segment_share.at_risk`). Kinds decide how a value prints: share 0.12 -> 12.0%, points
0.012 -> +1.2 pp, count 1234 -> 1,234, money -> £1,234, number -> 1.2, text as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from reportgen.formatting import money, number, pct

FactKind = Literal["share", "points", "count", "money", "number", "text"]
FactValue = float | int | str


@dataclass(frozen=True)
class FactSpec:
    """A fact's name (or family prefix), kind and meaning."""

    name: str
    kind: FactKind
    description: str
    per_segment: bool = False


FACT_SPECS: tuple[FactSpec, ...] = (
    FactSpec("segment_share", "share", "Share of customers in the segment", True),
    FactSpec("segment_count", "count", "Customers in the segment", True),
    FactSpec("segment_share_change", "points",
             "Change of the segment's share since the previous period", True),
    FactSpec("segment_revenue", "money", "Spend to date of the segment's customers", True),
    FactSpec("segment_flow.largest_count", "count", "Customers in the largest segment move"),
    FactSpec("segment_flow.largest_from", "text", "Segment the largest move came from"),
    FactSpec("segment_flow.largest_to", "text", "Segment the largest move went to"),
    FactSpec("kpi.revenue", "money", "Revenue of the period"),
    FactSpec("kpi.revenue_change", "share", "Revenue change against the previous period"),
    FactSpec("kpi.orders", "count", "Orders in the period"),
    FactSpec("kpi.new_customers", "count", "Customers whose first purchase is in the period"),
    FactSpec("kpi.active_customers", "count", "Identified customers who bought in the period"),
    FactSpec("high_value_at_risk.count", "count", "CLV group A customers in slipping segments"),
    FactSpec("high_value_at_risk.clv", "money", "Their CLV over the horizon"),
    FactSpec("clv.total", "money", "CLV of all customers over the horizon"),
    FactSpec("clv.group_a_share", "share", "Share of CLV held by CLV group A"),
    FactSpec("clv.horizon_months", "count", "CLV horizon in months"),
    FactSpec("return_rate.product_max", "share", "Highest product return rate (min volume)"),
    FactSpec("return_rate.product_max_name", "text", "Product with the highest return rate"),
    FactSpec("returns.share", "share", "Share of the value ordered in the window that was returned"),
    FactSpec("retention.m1", "share", "Average share of a cohort buying again one period on"),
    FactSpec("retention.m3", "share", "Average share of a cohort buying three periods on"),
    FactSpec("retention.m3_drop", "points", "Retention lost between +1 and +3"),
    FactSpec("peak_hour", "count", "Hour of the day with the most orders (0-23)"),
    FactSpec("peak_hour_share", "share", "Share of orders placed in the peak hour"),
    FactSpec("peak_weekday", "text", "Weekday with the most orders"),
    FactSpec("peak_month", "text", "Calendar month with the highest average revenue"),
    FactSpec("peak_month_lift", "number", "Peak month revenue over the average month"),
    FactSpec("products.rebought_top_name", "text", "Product most bought again"),
    FactSpec("products.rebought_top_share", "share", "Share of its buyers who bought it again"),
    FactSpec("loyal_low_return.count", "count",
             "Champions and loyal customers who never returned anything"),
)
SPECS_BY_NAME = {spec.name: spec for spec in FACT_SPECS}


def fact_spec(name: str, segments: set[str]) -> FactSpec | None:
    """The spec of a fact name, or None if the registry does not know it."""
    if name in SPECS_BY_NAME and not SPECS_BY_NAME[name].per_segment:
        return SPECS_BY_NAME[name]
    family, _, segment = name.partition(".")
    spec = SPECS_BY_NAME.get(family)
    if spec is not None and spec.per_segment and segment in segments:
        return spec
    return None


def format_fact(value: FactValue, kind: str) -> str:
    """A fact's value as text for the reader."""
    if kind == "text":
        return str(value)
    if isinstance(value, str):
        raise TypeError(f"a {kind} fact needs a number, not '{value}'")
    if kind == "share":
        return pct(float(value))
    if kind == "points":
        points = float(value) * 100
        return f"{'+' if points > 0 else '−' if points < 0 else ''}{number(abs(points), 1)} pp"
    if kind == "count":
        return number(float(value))
    if kind == "money":
        return money(float(value))
    return number(float(value), 1)
