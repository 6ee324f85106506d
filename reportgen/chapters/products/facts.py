"""Facts of the products chapter: the most returned and the most re-bought product."""

from __future__ import annotations

from reportgen.playbook.facts import FactSpec

FACT_SPECS = (
    FactSpec("return_rate.product_max", "share", "Highest product return rate (min volume)",
             lambda r: r.most_returned["return_rate"] if r.most_returned else None),
    FactSpec("return_rate.product_max_name", "text", "Product with the highest return rate",
             lambda r: r.most_returned["description"] if r.most_returned else None),
    FactSpec("products.rebought_top_name", "text", "Product most bought again",
             lambda r: r.top_rebought["description"] if r.top_rebought else None),
    FactSpec("products.rebought_top_share", "share", "Share of its buyers who bought it again",
             lambda r: r.top_rebought["repeat_share"] if r.top_rebought else None),
)
