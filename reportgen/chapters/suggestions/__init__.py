"""Product affinity and suggestions: the products to offer each active customer (and why),
what they are likely to buy again, the product pairs bought by the same customers, and the
backtest that decides between the configured method and popularity."""

from __future__ import annotations

from typing import Any

import polars as pl

from reportgen.chapters.base import AnalysisInputs, Chapter, Section, SectionInputs
from reportgen.chapters.segments.analysis import SegmentsResult
from reportgen.chapters.suggestions.analysis import SuggestionsResult, suggestions_analysis
from reportgen.chapters.suggestions.facts import FACT_SPECS
from reportgen.chapters.suggestions.section import SuggestionsView, suggestions_section
from reportgen.models.records import record


class SuggestionsChapter(Chapter[SuggestionsResult], key="suggestions",
                         title="Product affinity and suggestions", needs=("segments",),
                         facts=FACT_SPECS):
    """Product affinity and suggestions."""

    has_detail = True  # the method, its backtest, example lists

    def compute(self, inputs: AnalysisInputs) -> SuggestionsResult | None:
        """Suggestions for the active customers; None when switched off or nothing to learn."""
        params = inputs.config.suggestions
        if not params.enabled:
            return None
        segments = inputs.results.of("segments", SegmentsResult)
        clean = inputs.clean
        # Goods sold by volume or weight (fuel, produce by the gram) are not suggested.
        counted = clean.customer_products.join(clean.volume_products.select("stock_code"),
                                               on="stock_code", how="anti")
        return suggestions_analysis(counted, clean.descriptions, clean.orders,
                                    segments.customers, inputs.period, params,
                                    clean.product_months.filter(~pl.col("cancelled")))

    def customer_columns(self, result: SuggestionsResult) -> pl.DataFrame:
        """reorder_products and suggested_products: the first three products of the customer's
        buy-again list and of their suggestions, by description."""
        return result.reorder_products.join(result.suggested_products, on="customer_id",
                                            how="full", coalesce=True)

    def exports(self, result: SuggestionsResult) -> dict[str, pl.DataFrame]:
        """suggestions.csv and buy_again.csv."""
        return {"suggestions.csv": result.suggestions,
                "buy_again.csv": result.buy_again.with_columns(pl.col("last_bought").dt.date())}

    def section(self, result: SuggestionsResult, inputs: SectionInputs
                ) -> Section[SuggestionsView]:
        """The product affinity and suggestions page."""
        return suggestions_section(result, inputs)

    def manifest(self, result: SuggestionsResult) -> dict[str, Any]:
        """suggestions: the method used and the backtest's measures."""
        backtest = result.backtest
        return {"suggestions": {
            "method": result.method,
            "tested_method": result.tested_method,
            "fallback": result.fallback,
            "customers": result.active_customers,
            "products": result.products,
            "suggestable_products": result.suggestable,
            "campaign_month": result.campaign_month,
            "out_of_season": result.off_season.height,
            "backtest": None if backtest is None else record(backtest),
            "backtest_missing": result.backtest_missing,
        }}
