"""Countries: customers, orders, revenue, order value and returns per country of the window;
shown when the unit spans more than one country."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from reportgen.chapters.base import AnalysisInputs, Chapter, Section, SectionInputs
from reportgen.chapters.countries.analysis import NOT_GIVEN, CountriesResult, countries_analysis
from reportgen.chapters.countries.charts import countries_chart
from reportgen.display.charts import Chart

TOP_COUNTRIES = 15


@dataclass(frozen=True)
class CountryRow:
    """One country's sales and returns over the window, and its revenue in the month."""

    country: str
    customers: int
    orders: int
    revenue: float
    revenue_share: float
    average_order_value: float
    returns_value: float
    month_customers: int
    month_revenue: float
    month_share: float | None


@dataclass(frozen=True)
class CountriesView:
    """What the countries page shows."""

    window_months: int
    period_label: str
    countries: tuple[CountryRow, ...]
    countries_total: int  # countries that bought in the window ('not given' not counted)
    not_given: CountryRow | None  # purchases whose country is not given


class CountriesChapter(Chapter[CountriesResult], key="countries", title="Countries"):
    """Countries."""

    customer_position = 1

    def compute(self, inputs: AnalysisInputs) -> CountriesResult:
        """Country tables over the window and the month, and customers' main countries."""
        return countries_analysis(inputs.clean.orders, inputs.clean.return_orders,
                                  inputs.window_start, inputs.period.start,
                                  inputs.period.analysis_date)

    def customer_columns(self, result: CountriesResult) -> pl.DataFrame:
        """country: where most of the customer's revenue to date comes from."""
        return result.customer_countries

    def section(self, result: CountriesResult, inputs: SectionInputs
                ) -> Section[CountriesView] | None:
        """The countries page, when the unit has more than one country."""
        if result.countries <= 1:
            return None
        month = result.month.select("country", pl.col("customers").alias("month_customers"),
                                    pl.col("revenue").alias("month_revenue"),
                                    pl.col("revenue_share").alias("month_share"))
        table = result.window.join(month, on="country", how="left", maintain_order="left") \
            .with_columns(pl.col("month_customers").fill_null(0),
                          pl.col("month_revenue").fill_null(0.0))
        fields = list(CountryRow.__dataclass_fields__)
        rows = [CountryRow(**row) for row in table.select(fields).to_dicts()]
        named = tuple(row for row in rows if row.country != NOT_GIVEN)
        not_given = next((row for row in rows if row.country == NOT_GIVEN), None)
        return Section(
            CountriesView(inputs.config.behaviour.window_months, inputs.period.label,
                          named[:TOP_COUNTRIES], result.countries, not_given),
            charts={"countries": Chart("", "", countries_chart(
                result.window.filter(pl.col("country") != NOT_GIVEN), inputs.symbol))},
        )
