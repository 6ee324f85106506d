"""Countries: customers, orders, revenue, order value and returns per country of the window;
shown when the unit spans more than one country."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from reportgen.chapters.base import AnalysisInputs, Chapter, Section, SectionInputs
from reportgen.chapters.countries.analysis import country_table
from reportgen.chapters.countries.charts import countries_chart
from reportgen.report.charts import Chart

TOP_COUNTRIES = 15


@dataclass(frozen=True)
class CountryRow:
    """One country's sales and returns."""

    country: str
    customers: int
    orders: int
    revenue: float
    revenue_share: float
    average_order_value: float
    returns_value: float


@dataclass(frozen=True)
class CountriesView:
    """What the countries page shows."""

    window_months: int
    countries: tuple[CountryRow, ...]
    countries_total: int


class CountriesChapter(Chapter[pl.DataFrame], key="countries", title="Countries"):
    """Countries."""

    def compute(self, inputs: AnalysisInputs) -> pl.DataFrame:
        """One row per country of the window's purchases, largest revenue first."""
        return country_table(inputs.clean.orders, inputs.clean.return_orders, inputs.window_start,
                             inputs.period.analysis_date)

    def section(self, result: pl.DataFrame, inputs: SectionInputs) -> Section[CountriesView] | None:
        """The countries page, when the unit has more than one country."""
        if result.height <= 1:
            return None
        rows = tuple(CountryRow(**row) for row in result.head(TOP_COUNTRIES).select(
            "country", "customers", "orders", "revenue", "revenue_share",
            "average_order_value", "returns_value").to_dicts())
        return Section(
            CountriesView(inputs.config.behaviour.window_months, rows, result.height),
            charts={"countries": Chart("", "", countries_chart(result, inputs.symbol))},
        )
