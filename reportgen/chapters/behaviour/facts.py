"""Facts of the order-timing chapter: the busiest slot."""

from __future__ import annotations

from reportgen.playbook.facts import FactSpec

FACT_SPECS = (
    FactSpec("peak_hour", "count", "Hour of the day with the most orders (0-23)", "peak_hour"),
    FactSpec("peak_hour_share", "share", "Share of orders placed in the peak hour",
             lambda r: r.peak_hour_share if r.peak else None),
    FactSpec("peak_weekday", "text", "Weekday with the most orders",
             lambda r: r.peak_weekday or None),
)
