"""Products of the window: best sellers by units and revenue, the highest return rates and
the products customers buy again."""

from __future__ import annotations

from reportgen.chapters.base import AnalysisInputs, Chapter, Section, SectionInputs
from reportgen.chapters.products.analysis import ProductResult, product_analysis
from reportgen.chapters.products.facts import FACT_SPECS
from reportgen.chapters.products.section import ProductsView, products_section
from reportgen.models.frames import in_months


class ProductsChapter(Chapter[ProductResult], key="products", title="Products", facts=FACT_SPECS):
    """Products."""

    has_detail = True  # the products with the highest return rates

    def compute(self, inputs: AnalysisInputs) -> ProductResult:
        """Rank the products of the window's months."""
        clean, window = inputs.clean, in_months(inputs.window_start, inputs.period.analysis_date)
        return product_analysis(clean.product_months.filter(window),
                                clean.customer_products.filter(window),
                                clean.descriptions.filter(window), inputs.config.behaviour,
                                clean.volume_products)


    def section(self, result: ProductResult, inputs: SectionInputs) -> Section[ProductsView]:
        """The products page."""
        # The returns chapter applies only where the data hold returns.
        return products_section(result, inputs.results.get("returns", object) is not None)
