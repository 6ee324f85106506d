"""Facts of the products chapter: the most returned and the most re-bought product."""

from __future__ import annotations

from reportgen.chapters.products.analysis import ProductResult
from reportgen.playbook.facts import FactSpec, FactValue

FACT_SPECS = (
    FactSpec("return_rate.product_max", "share", "Highest product return rate (min volume)"),
    FactSpec("return_rate.product_max_name", "text", "Product with the highest return rate"),
    FactSpec("products.rebought_top_name", "text", "Product most bought again"),
    FactSpec("products.rebought_top_share", "share", "Share of its buyers who bought it again"),
)


def products_facts(result: ProductResult) -> dict[str, FactValue]:
    """The top of the return-rate and repeat-buying rankings, when they have entries."""
    facts: dict[str, FactValue] = {}
    if result.highest_return_rate.height:
        top_product = result.highest_return_rate.row(0, named=True)
        facts["return_rate.product_max"] = top_product["return_rate"]
        facts["return_rate.product_max_name"] = top_product["description"]
    if result.most_rebought.height:
        top_rebought = result.most_rebought.row(0, named=True)
        facts["products.rebought_top_name"] = top_rebought["description"]
        facts["products.rebought_top_share"] = top_rebought["repeat_share"]
    return facts
