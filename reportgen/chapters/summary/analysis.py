"""Headline figures of the month and its comparisons: revenue, orders, customers, order value,
returns; caveats the reader must see first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl

from reportgen.errors import NoDataError
from reportgen.inputs.clean import CleanTransactions
from reportgen.inputs.load import TransactionInput
from reportgen.period import Period
from reportgen.report.formatting import day


@dataclass(frozen=True)
class PeriodKpis:
    """Sales KPIs of one calendar month (None where the month has no orders)."""

    period: Period
    revenue: float
    orders: int
    active_customers: int
    new_customers: int
    returning_customers: int
    average_order_value: float | None
    returns_value: float
    net_revenue: float
    anonymous_revenue_share: float | None

    @property
    def has_orders(self) -> bool:
        """Whether the month has at least one purchase."""
        return self.orders > 0


def period_kpis(purchases: pl.DataFrame, returns: pl.DataFrame, period: Period) -> PeriodKpis:
    """Compute the KPIs of `period`; new customers are those whose first purchase ever is in it."""
    in_period = pl.col("invoice_date").is_between(period.start, period.analysis_date, closed="left")
    month = purchases.filter(in_period)
    first_purchase = (
        purchases.filter(pl.col("customer_id").is_not_null())
        .group_by("customer_id")
        .agg(pl.col("invoice_date").min().alias("first_purchase"))
    )
    new_customers = first_purchase.filter(
        pl.col("first_purchase").is_between(period.start, period.analysis_date, closed="left")
    ).height
    totals = month.select(
        pl.col("revenue").sum().alias("revenue"),
        pl.col("invoice").n_unique().alias("orders"),
        pl.col("customer_id").drop_nulls().n_unique().alias("active"),
        pl.col("revenue").filter(pl.col("customer_id").is_null()).sum().alias("anonymous"),
    ).row(0, named=True)
    revenue = float(totals["revenue"] or 0.0)
    orders = int(totals["orders"] or 0)
    active = int(totals["active"] or 0)
    returns_value = float(returns.filter(in_period)["value"].sum() or 0.0)
    return PeriodKpis(
        period=period,
        revenue=revenue,
        orders=orders,
        active_customers=active,
        new_customers=new_customers,
        returning_customers=active - new_customers,
        average_order_value=revenue / orders if orders else None,
        returns_value=returns_value,
        net_revenue=revenue - returns_value,
        anonymous_revenue_share=float(totals["anonymous"] or 0.0) / revenue if revenue else None,
    )



@dataclass(frozen=True)
class SummaryResult:
    """The month's KPIs, the same for the month before and a year before, and caveats."""

    kpis: PeriodKpis
    previous: PeriodKpis
    year_ago: PeriodKpis
    notices: tuple[str, ...]
    data_first_day: date
    data_last_day: date

    @property
    def revenue_change(self) -> float | None:
        """Revenue against the previous month, relative (None when it had no orders)."""
        return kpi_change(self.kpis, self.previous, "revenue")

    @property
    def revenue_change_year(self) -> float | None:
        """Revenue against the same month a year earlier, relative."""
        return kpi_change(self.kpis, self.year_ago, "revenue")


def summary_analysis(
    source: TransactionInput, clean: CleanTransactions, period: Period, unit: str, path: Path
) -> SummaryResult:
    """KPIs of the period and its comparison months; NoDataError when the period has none."""
    kpis = period_kpis(clean.purchases, clean.returns, period)
    dates = source.transactions["invoice_date"]
    if not kpis.has_orders:
        raise NoDataError(
            f"no purchases in {period} (the data runs from "
            f"{day(dates.min())} to {day(dates.max())})",  # type: ignore[arg-type]
            unit=unit, file=path,
            hint="choose a period inside the data's date range",
        )
    purchased = clean.purchases["invoice_date"]
    return SummaryResult(
        kpis=kpis,
        previous=period_kpis(clean.purchases, clean.returns, period.shift(-1)),
        year_ago=period_kpis(clean.purchases, clean.returns, period.shift(-12)),
        notices=notices(period, source, clean),
        data_first_day=purchased.min().date(),  # type: ignore[union-attr]
        data_last_day=purchased.max().date(),  # type: ignore[union-attr]
    )


def kpi_value(kpis: PeriodKpis, attr: str) -> float | None:
    """A KPI of a month as a float; None when the month has no orders to measure."""
    measured = getattr(kpis, attr)
    return float(measured) if kpis.has_orders and measured is not None else None


def relative_change(value: float | None, base: float | None) -> float | None:
    """(value - base) / |base|; None without both or when base is 0."""
    if value is None or base is None or base == 0:
        return None
    return (value - base) / abs(base)


def kpi_change(kpis: PeriodKpis, other: PeriodKpis, attr: str) -> float | None:
    """A KPI's relative change against another month."""
    return relative_change(kpi_value(kpis, attr), kpi_value(other, attr))


def notices(period: Period, source: TransactionInput, clean: CleanTransactions) -> tuple[str, ...]:
    """Caveats that change how the report must be read."""
    found = []
    last_line = source.transactions["invoice_date"].max()
    if isinstance(last_line, datetime) and last_line.date() < period.last_day:
        found.append(
            f"The data ends on {day(last_line)}, before the end of {period.label}: "
            "the month's figures are partial."
        )
    if clean.purchases["customer_id"].drop_nulls().is_empty():
        found.append(
            "No purchase line has a customer id, so there are no customer segments; "
            "check source.columns.customer_id."
        )
    return tuple(found)
