"""Report context for the trends, cohorts, behaviour, products, returns and countries chapters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl

from reportgen.analyses.behaviour import WEEKDAYS, BehaviourResult
from reportgen.analyses.cohorts import CohortResult
from reportgen.analyses.products import ProductResult
from reportgen.analyses.returns import ReturnsResult
from reportgen.behaviour_charts import (
    cohort_heatmap,
    countries_chart,
    price_quantity_chart,
    retention_curve_chart,
    returns_by_month_chart,
    seasonality_chart,
    trends_chart,
    weekday_hour_chart,
)
from reportgen.charts import ChartSpec
from reportgen.config import UnitConfig
from reportgen.formatting import CURRENCY_SYMBOLS, segment_label

TOP_COUNTRIES = 15


@dataclass(frozen=True)
class TrendRow:
    """One month of the trend table."""

    month: date
    revenue: float
    orders: int
    active_customers: int
    new_customers: int
    returning_customers: int
    average_order_value: float | None
    is_current: bool


@dataclass(frozen=True)
class ProductRow:
    """A product in one of the product tables; unused measures are zero."""

    stock_code: str
    description: str
    quantity: int = 0
    revenue: float = 0.0
    orders: int = 0
    customers: int = 0
    units_ordered: int = 0
    units_returned: int = 0
    return_rate: float = 0.0
    buyers: int = 0
    repeat_buyers: int = 0
    repeat_share: float = 0.0


@dataclass(frozen=True)
class ReturnRow:
    """Returns of one segment, country or product."""

    name: str
    value: float
    lines: int | None = None
    value_share: float | None = None


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
class BehaviourSection:
    """Everything the trends, cohorts, behaviour, products, returns and countries pages show."""

    window_start: date
    window_months: int
    trends: tuple[TrendRow, ...]
    cohort_grain: str
    cohorts_shown: int
    retention_after_1: float | None
    retention_after_3: float | None
    peak_weekday: str
    peak_hour: int | None
    peak_month: str
    peak_month_lift: float
    peak_hour_share: float
    dayparts: tuple[tuple[str, float], ...]
    top_by_quantity: tuple[ProductRow, ...]
    top_by_revenue: tuple[ProductRow, ...]
    highest_return_rate: tuple[ProductRow, ...]
    min_units_for_return_rate: int
    most_rebought: tuple[ProductRow, ...]
    min_buyers_for_repeat: int
    returns_total: float
    returns_share: float | None
    returns_by_segment: tuple[ReturnRow, ...]
    returns_by_product: tuple[ReturnRow, ...]
    returns_by_country: tuple[ReturnRow, ...]
    multi_country: bool
    countries: tuple[CountryRow, ...]
    countries_total: int
    charts: dict[str, ChartSpec]


def build_behaviour_section(
    config: UnitConfig,
    window_start: datetime,
    trends: pl.DataFrame,
    cohorts: CohortResult,
    seasons: pl.DataFrame,
    behaviour: BehaviourResult,
    products: ProductResult,
    returns: ReturnsResult,
    countries: pl.DataFrame,
) -> BehaviourSection:
    """Tables as rows, headline facts, and chart specs for these chapters."""
    symbol = CURRENCY_SYMBOLS.get(config.currency, f"{config.currency} ")
    shown_sizes = cohorts.sizes.tail(cohorts.params.shown)
    shown = cohorts.retention.join(shown_sizes.select("cohort"), on="cohort").filter(
        pl.col("offset") < cohorts.params.shown)
    charts: dict[str, ChartSpec] = {
        "trends": trends_chart(trends, symbol),
        "seasonality": seasonality_chart(seasons, symbol),
        "price_quantity": price_quantity_chart(products.price_quantity, symbol),
        "returns_by_month": returns_by_month_chart(returns.by_month, symbol),
    }
    if not shown.is_empty():
        charts["cohort_heatmap"] = cohort_heatmap(shown, shown_sizes, cohorts.grain)
        charts["retention_curve"] = retention_curve_chart(cohorts.average_curve, cohorts.grain)
    if not behaviour.weekday_hour.is_empty():
        charts["weekday_hour"] = weekday_hour_chart(behaviour.weekday_hour)
    multi_country = countries.height > 1
    if multi_country:
        charts["countries"] = countries_chart(countries, symbol)
    peak = behaviour.weekday_hour.sort(["orders", "weekday", "hour"],
                                       descending=[True, False, False]).head(1)
    peak_row = peak.row(0, named=True) if peak.height else None
    return BehaviourSection(
        window_start=window_start.date(),
        window_months=config.behaviour.window_months,
        trends=tuple(TrendRow(**_dated(row)) for row in trends.select(
            "month", "revenue", "orders", "active_customers", "new_customers",
            "returning_customers", "average_order_value", "is_current").to_dicts()),
        cohort_grain=cohorts.grain,
        cohorts_shown=shown_sizes.height,
        retention_after_1=_curve_at(cohorts.average_curve, 1),
        retention_after_3=_curve_at(cohorts.average_curve, 3),
        peak_weekday=WEEKDAYS[peak_row["weekday"] - 1] if peak_row else "",
        peak_hour=peak_row["hour"] if peak_row else None,
        peak_month=_peak_month(seasons),
        peak_month_lift=_peak_month_lift(seasons),
        peak_hour_share=_peak_hour_share(behaviour.weekday_hour),
        dayparts=tuple((name, share) for name, _, share in behaviour.dayparts.rows()),
        top_by_quantity=_products(products.top_by_quantity),
        top_by_revenue=_products(products.top_by_revenue),
        highest_return_rate=_products(products.highest_return_rate),
        min_units_for_return_rate=config.behaviour.min_units_for_return_rate,
        most_rebought=_products(products.most_rebought),
        min_buyers_for_repeat=config.behaviour.min_buyers_for_repeat,
        returns_total=returns.returns_value,
        returns_share=returns.returned_share,
        returns_by_segment=tuple(
            ReturnRow(segment_label(row["segment"]), row["value"], value_share=row["value_share"])
            for row in returns.by_segment.iter_rows(named=True)),
        returns_by_product=tuple(
            ReturnRow(f"{row['stock_code']} {row['description']}", row["value"], row["lines"])
            for row in returns.by_product.iter_rows(named=True)),
        returns_by_country=tuple(
            ReturnRow(row["country"], row["value"], row["lines"])
            for row in returns.by_country.head(10).iter_rows(named=True)),
        multi_country=multi_country,
        countries=tuple(CountryRow(**row) for row in countries.head(TOP_COUNTRIES).select(
            "country", "customers", "orders", "revenue", "revenue_share",
            "average_order_value", "returns_value").to_dicts()),
        countries_total=countries.height,
        charts=charts,
    )


def _dated(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "month": row["month"].date()}


def _products(frame: pl.DataFrame) -> tuple[ProductRow, ...]:
    fields = set(ProductRow.__dataclass_fields__)
    return tuple(ProductRow(**{k: v for k, v in row.items() if k in fields})
                 for row in frame.iter_rows(named=True))


def _curve_at(curve: pl.DataFrame, offset: int) -> float | None:
    value = curve.filter(pl.col("offset") == offset)["retention"]
    return float(value[0]) if value.len() else None


def _peak_month(seasons: pl.DataFrame) -> str:
    """The calendar month with the highest average revenue over the years observed."""
    if seasons.is_empty():
        return ""
    best = seasons.group_by("month").agg(pl.col("revenue").mean()).sort(
        ["revenue", "month"], descending=[True, False]).row(0, named=True)
    return date(2000, best["month"], 1).strftime("%B")


def _peak_month_lift(seasons: pl.DataFrame) -> float:
    """Average revenue of the best calendar month over that of an average month."""
    if seasons.is_empty():
        return 0.0
    by_month = seasons.group_by("month").agg(pl.col("revenue").mean())["revenue"]
    mean = float(by_month.mean() or 0.0)  # type: ignore[arg-type]
    return float(by_month.max() or 0.0) / mean if mean else 0.0  # type: ignore[arg-type]


def _peak_hour_share(weekday_hour: pl.DataFrame) -> float:
    """Share of the window's orders placed in the busiest hour of the day (all weekdays)."""
    total = int(weekday_hour["orders"].sum())
    if not total:
        return 0.0
    by_hour = weekday_hour.group_by("hour").agg(pl.col("orders").sum())["orders"]
    return int(by_hour.max() or 0) / total  # type: ignore[arg-type]
