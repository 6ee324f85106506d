"""Products of the window: best sellers by units and revenue, the highest return rates and
the products customers buy again."""

from __future__ import annotations

import polars as pl

from reportgen.chapters.base import AnalysisInputs, Chapter, Section, SectionInputs
from reportgen.chapters.products.analysis import ProductResult, product_analysis
from reportgen.chapters.products.facts import FACT_SPECS
from reportgen.chapters.products.section import ProductsView, products_section


class ProductsChapter(Chapter[ProductResult], key="products", title="Products", facts=FACT_SPECS):
    """Products."""

    def compute(self, inputs: AnalysisInputs) -> ProductResult:
        """Rank the products of the window's purchases and order lines."""
        in_window = pl.col("invoice_date").is_between(inputs.window_start,
                                                      inputs.period.analysis_date, closed="left")
        return product_analysis(inputs.clean.purchases.filter(in_window),
                                inputs.clean.ordered_lines.filter(in_window),
                                inputs.config.behaviour)


    def section(self, result: ProductResult, inputs: SectionInputs) -> Section[ProductsView]:
        """The products page."""
        return products_section(result)
